"""Checkpoints load from local files only, strictly; `make weights` downloads and verifies them."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import urllib.request
from pathlib import Path

import pytest
import torch

from generator.bigsleep import weight_files, weights
from generator.bigsleep.models import load_models
from generator.bigsleep.weight_files import HASHES_FILE, model_paths, weights_hash
from generator.bigsleep.weights import (
    download_weights,
    fetch_missing_weights,
    load_biggan,
    load_clip,
)
from generator.errors import GenerationError
from generator.settings import GenerationSettings
from tests.bigsleep.test_generate import entry, image, run
from tests.bigsleep.tiny_models import save_tiny_biggan, save_tiny_clip, tiny_biggan, tiny_clip


def copy_biggan(tiny_models_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny_models_dir / "tiny-biggan", tmp_path / "biggan"))


def test_loads_tiny_models_by_path(tiny_settings):
    models = load_models(tiny_settings)
    assert (models.image_size, models.clip_input_size, models.num_latents) == (32, 32, 6)
    assert len(models.clip_hash) == len(models.biggan_hash) == 64
    assert not any(p.requires_grad for p in models.biggan.parameters())


def test_names_map_into_the_models_folder(tmp_path):
    clip_path, biggan_path = model_paths(GenerationSettings(image_size=512), tmp_path)
    assert clip_path == tmp_path / "ViT-B-32.pt"
    assert biggan_path == tmp_path / "biggan-deep-512"
    own = GenerationSettings(clip="/x/my.pt", biggan="/x/gan")
    assert model_paths(own, tmp_path) == (Path("/x/my.pt"), Path("/x/gan"))


def test_default_models_folder_is_configurable_and_outside_the_repo(monkeypatch, tmp_path):
    monkeypatch.setenv("BIGSLEEP_MODELS", str(tmp_path))
    assert weight_files.default_models_dir() == tmp_path
    monkeypatch.delenv("BIGSLEEP_MODELS")
    assert weight_files.default_models_dir() == Path.home() / ".cache/bigsleep-gallery/models"


def test_missing_weights_name_every_file_and_make_weights(tmp_path):
    with pytest.raises(GenerationError) as caught:
        load_models(GenerationSettings(), tmp_path)
    paths = [str(p.file) for p in caught.value.problems]
    assert paths == [str(tmp_path / "ViT-B-32.pt"),
                     str(tmp_path / "biggan-deep-256" / "config.json"),
                     str(tmp_path / "biggan-deep-256" / "pytorch_model.bin")]
    assert "make weights" in str(caught.value)


def test_wrong_key_is_refused(tiny_models_dir, tmp_path):
    folder = copy_biggan(tiny_models_dir, tmp_path)
    state = torch.load(folder / "pytorch_model.bin", weights_only=True)
    state["generator.gen_z.extra"] = state.pop("generator.gen_z.bias")
    torch.save(state, folder / "pytorch_model.bin")
    with pytest.raises(GenerationError) as caught:
        load_biggan(folder)
    message = str(caught.value)
    assert str(folder / "pytorch_model.bin") in message and "make weights" in message
    assert "missing keys: generator.gen_z.bias" in message
    assert "unexpected keys: generator.gen_z.extra" in message


def test_wrong_shape_is_refused(tiny_models_dir, tmp_path):
    folder = copy_biggan(tiny_models_dir, tmp_path)
    config = json.loads((folder / "config.json").read_text())
    config["channel_width"] = 8
    save_tiny_biggan(folder, tiny_biggan())
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(GenerationError, match=r"wrong tensor shapes: generator\.gen_z"):
        load_biggan(folder)


def test_truncated_checkpoints_are_refused(tiny_models_dir, tmp_path):
    folder = copy_biggan(tiny_models_dir, tmp_path)
    weights_file = folder / "pytorch_model.bin"
    weights_file.write_bytes(weights_file.read_bytes()[:5000])
    with pytest.raises(GenerationError, match="cannot read BigGAN weights"):
        load_biggan(folder)
    clip_file = tmp_path / "clip.pt"
    clip_file.write_bytes((tiny_models_dir / "tiny-clip.pt").read_bytes()[:5000])
    with pytest.raises(GenerationError, match=f"{clip_file}: clip: cannot load CLIP"):
        load_clip(clip_file)


def test_clip_state_dict_format_loads_too(tmp_path):
    model = load_clip(save_tiny_clip(tmp_path / "plain.pt", jit=False))
    assert model.visual.input_resolution == 32


def test_checkpoint_hash_is_recorded_and_follows_changes(tiny_models_dir, tmp_path):
    folder = copy_biggan(tiny_models_dir, tmp_path)
    first = weights_hash(folder)
    record = json.loads((folder / HASHES_FILE).read_text())
    expected = hashlib.sha256((folder / "config.json").read_bytes()).hexdigest()
    assert record["config.json"]["sha256"] == expected
    assert weights_hash(folder) == first
    (folder / "config.json").write_text("{}")
    assert weights_hash(folder) != first


def serve(tmp_path: Path, tiny_models_dir: Path) -> tuple[dict, dict]:
    """file:// URL tables for the tiny models, laid out like the real ones."""
    source = tiny_models_dir / "tiny-clip.pt"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    served = tmp_path / "server" / digest / "ViT-B-32.pt"
    served.parent.mkdir(parents=True)
    shutil.copy(source, served)
    gan = tiny_models_dir / "tiny-biggan"
    clip_urls = {"ViT-B/32": served.as_uri()}
    biggan_urls = {"biggan-deep-128": ((gan / "config.json").as_uri(),
                                       (gan / "pytorch_model.bin").as_uri())}
    return clip_urls, biggan_urls


def test_download_weights_fetches_verifies_and_records(tiny_models_dir, tmp_path):
    clip_urls, biggan_urls = serve(tmp_path, tiny_models_dir)
    models_dir = tmp_path / "models"
    settings = [GenerationSettings(image_size=128), GenerationSettings(image_size=128, lr=0.1)]
    paths = download_weights(settings, models_dir, clip_urls=clip_urls, biggan_urls=biggan_urls)
    assert paths == [models_dir / "ViT-B-32.pt", models_dir / "biggan-deep-128"]
    record = json.loads((models_dir / HASHES_FILE).read_text())
    assert record["ViT-B-32.pt"]["verified"] is True
    assert not list(models_dir.rglob("*.part"))
    load_models(settings[0], models_dir)  # offline from here on

    def no_network(url: str):
        raise AssertionError(f"fetched {url} again")

    download_weights(settings, models_dir, opener=no_network, clip_urls=clip_urls,
                     biggan_urls=biggan_urls)


def test_download_replaces_a_damaged_checkpoint_and_reports_network_errors(
    tiny_models_dir, tmp_path
):
    clip_urls, biggan_urls = serve(tmp_path, tiny_models_dir)
    models_dir = tmp_path / "models"
    damaged = models_dir / "biggan-deep-128" / "pytorch_model.bin"
    damaged.parent.mkdir(parents=True)
    (damaged.parent / "config.json").write_bytes(
        (tiny_models_dir / "tiny-biggan" / "config.json").read_bytes())
    damaged.write_bytes(b"truncated")
    settings = [GenerationSettings(image_size=128)]

    def offline(url: str):
        raise OSError("network unreachable")

    with pytest.raises(GenerationError, match="download failed: network unreachable"):
        download_weights(settings, models_dir, opener=offline, clip_urls=clip_urls,
                         biggan_urls=biggan_urls)
    assert not list(models_dir.rglob("*.part"))
    download_weights(settings, models_dir, clip_urls=clip_urls, biggan_urls=biggan_urls)
    load_biggan(damaged.parent)


def test_download_refuses_a_clip_file_with_the_wrong_hash(tiny_models_dir, tmp_path):
    clip_urls, biggan_urls = serve(tmp_path, tiny_models_dir)
    served = next((tmp_path / "server").rglob("ViT-B-32.pt"))
    served.write_bytes(b"not the model")
    with pytest.raises(GenerationError, match="wrong SHA-256"):
        download_weights([GenerationSettings(image_size=128)], tmp_path / "models",
                         clip_urls=clip_urls, biggan_urls=biggan_urls)
    assert not (tmp_path / "models" / "ViT-B-32.pt").exists()


def test_spectral_norm_is_computed_once_in_float32_at_load(tiny_models_dir):
    """Under CUDA autocast the library's per-forward spectral norm takes sigma from a bfloat16
    `mv`, scaling every layer's weight by a few tenths of a percent; the loaded model has plain
    fp32 weights."""
    folder = tiny_models_dir / "tiny-biggan"
    biggan = load_biggan(folder)
    assert not [name for name, _ in biggan.named_parameters() if name.endswith("_orig")]
    assert not any(m._forward_pre_hooks for m in biggan.modules())
    assert not any(p.requires_grad for p in biggan.parameters())
    library = tiny_biggan()
    library.load_state_dict(torch.load(folder / "pytorch_model.bin", weights_only=True))
    z = torch.randn(2, 128, generator=torch.Generator().manual_seed(0))
    classes = torch.rand(2, 1000, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.allclose(biggan(z, classes, 1.0), library.eval()(z, classes, 1.0),
                              atol=1e-5)


def test_a_refused_clip_names_its_missing_unexpected_and_misshapen_keys(tmp_path):
    state = {k: v.half() for k, v in tiny_clip().state_dict().items()}
    state["visual.extra"] = state.pop("ln_final.bias")
    state["visual.proj"] = torch.zeros(64, 16)
    torch.save(state, tmp_path / "clip.pt")
    with pytest.raises(GenerationError) as caught:
        load_clip(tmp_path / "clip.pt")
    message = str(caught.value)
    assert f"{tmp_path / 'clip.pt'}: clip: weights do not match" in message
    assert "missing keys: ln_final.bias" in message
    assert "unexpected keys: visual.extra" in message
    assert "wrong tensor shapes: visual.proj has shape (64, 16), expected (64, 32)" in message
    assert "make weights" in message


def test_a_first_run_fetches_the_missing_named_weights_once_with_a_progress_bar(
        tiny_models_dir, tmp_path, monkeypatch):
    clip_urls, biggan_urls = serve(tmp_path, tiny_models_dir)
    monkeypatch.setattr(weights, "CLIP_URLS", clip_urls)
    monkeypatch.setattr(weights, "BIGGAN_URLS", biggan_urls)
    models_dir = tmp_path / "models"
    tiny = dict(clip="ViT-B/32", biggan=None, image_size=128, iterations=2, cutouts=2)
    todo, out = run(tmp_path / "project", models_dir, entry("Lighthouse", **tiny))
    assert [job.entry.image for job in todo] == ["lighthouse"]
    assert f"weights: fetching biggan and clip into {models_dir}" in out
    assert "downloading ViT-B-32.pt" in out and "downloading pytorch_model.bin" in out
    assert image(tmp_path / "project", "lighthouse").is_file()
    record = json.loads((models_dir / HASHES_FILE).read_text())
    assert record["ViT-B-32.pt"]["verified"] is True  # the checks of `make weights`
    assert fetch_missing_weights(GenerationSettings(image_size=128), models_dir, out) == []


def test_offline_or_local_weights_keep_the_clear_error(tiny_models_dir, tmp_path, monkeypatch):
    def offline(url: str):
        raise OSError("network unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(GenerationError) as caught:
        fetch_missing_weights(GenerationSettings(image_size=128), tmp_path, io.StringIO())
    assert "download failed: network unreachable" in str(caught.value)
    assert "make weights" in str(caught.value)
    local = GenerationSettings(clip=str(tmp_path / "mine.pt"), biggan=str(tmp_path / "gan"))
    assert fetch_missing_weights(local, tmp_path, io.StringIO()) == []  # named by path: not ours
