"""`python -m generator dream "PROMPT"`: one image outside the gallery, on the tiny checkpoints."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from PIL import Image

from generator.cli import main

TINY = ("--iterations", "6", "--num-cutouts", "4")


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder of a dream, with HOME (its checkpoint cache) inside tmp_path too."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def dream(models: Path, prompt: str, *args: str, device: str | None = "cpu") -> int:
    devices = ("--device", device) if device else ()
    return main(["dream", prompt, "--clip", str(models / "tiny-clip.pt"),
                 "--biggan", str(models / "tiny-biggan"), *TINY, *devices, *args])


def pixels(path: Path) -> bytes:
    with Image.open(path) as image:
        return image.convert("RGB").tobytes()


def test_dream_writes_a_png_named_after_the_prompt_with_what_made_it(
        folder: Path, tiny_models_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert dream(tiny_models_dir, "Half-Life | a crowbar", "--seed", "7",
                 "--penalize", "a cat") == 0
    path = folder / "halflife_a_crowbar.png"
    with Image.open(path) as image:
        assert image.size == (32, 32)
        assert image.text["prompt"] == "Half-Life | a crowbar"
        assert image.text["seed"] == "7"
        assert '"penalize":["a cat"]' in image.text["settings"]
    out, err = capsys.readouterr()
    assert f"wrote {path}" in out
    assert err.index("estimated") < err.index("dream")  # the CPU estimate before the work
    assert os.listdir(folder / "home" / ".cache" / "bigsleep-gallery" / "dream") == []


def test_the_same_seed_gives_the_same_image(folder: Path, tiny_models_dir: Path) -> None:
    for name, seed in [("a.png", "3"), ("b.png", "3"), ("c.png", "4")]:
        assert dream(tiny_models_dir, "a lighthouse", "--seed", seed, "--out", name) == 0
    assert pixels(folder / "a.png") == pixels(folder / "b.png")
    assert pixels(folder / "a.png") != pixels(folder / "c.png")


def test_an_existing_file_is_kept_unless_forced(
        folder: Path, tiny_models_dir: Path, capsys: pytest.CaptureFixture) -> None:
    mine = folder / "mine.png"
    mine.write_bytes(b"my own picture")
    assert dream(tiny_models_dir, "a lighthouse", "--out", str(mine)) == 1
    err = capsys.readouterr().err
    assert "not overwritten" in err and "--force" in err
    assert "estimated" not in err  # refused before any work
    assert mine.read_bytes() == b"my own picture"
    assert dream(tiny_models_dir, "a lighthouse", "--out", str(mine), "--force") == 0
    assert Image.open(mine).text["prompt"] == "a lighthouse"


def test_without_cuda_it_says_what_to_run_unless_the_cpu_is_asked_for(
        folder: Path, tiny_models_dir: Path, capsys: pytest.CaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert dream(tiny_models_dir, "a lighthouse", device=None) == 1
    err = capsys.readouterr().err
    assert "no CUDA GPU here" in err and "--device cpu" in err and "estimated" in err
    assert not (folder / "a_lighthouse.png").exists()


def test_without_weights_or_cuda_it_says_it_needs_both(
        folder: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert dream(folder / "no-models", "a lighthouse", device=None) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: 3 problems:")  # the CLIP file, BigGAN's config and weights
    assert "make weights" in err
    assert "no CUDA GPU here" in err.splitlines()[-1] and "--device cpu" in err.splitlines()[-1]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert dream(folder / "no-models", "a lighthouse", device=None) == 1
    assert "CUDA" not in capsys.readouterr().err  # with a GPU, only the weights are missing


def test_progress_writes_the_strip_and_the_animation_beside_the_image(
        folder: Path, tiny_models_dir: Path) -> None:
    assert dream(tiny_models_dir, "a lighthouse", "--out", "out/light.png", "--save-progress",
                 "--save-every", "2") == 0
    assert sorted(os.listdir(folder / "out")) == [
        "light-animation.webp", "light-iterations.png", "light.png"]
    with Image.open(folder / "out" / "light-animation.webp") as animation:
        assert animation.n_frames > 1


def test_an_output_that_is_not_a_png_is_refused(folder: Path, tiny_models_dir: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    assert dream(tiny_models_dir, "a lighthouse", "--out", "light.jpg") == 1
    assert ".png" in capsys.readouterr().err
    assert os.listdir(folder) == []


def test_dream_makes_the_image_the_gallery_makes_of_the_same_prompt(
        folder: Path, tiny_models_dir: Path) -> None:
    (folder / "gallery.yaml").write_text(f"""\
generation:
  biggan: {tiny_models_dir / "tiny-biggan"}
  clip: {tiny_models_dir / "tiny-clip.pt"}
  iterations: 6
  cutouts: 4
  ema_decay: 0.5  # dream's default, as big-sleep's dream
posts:
  - title: Lighthouses
    date: 2021-03-30T15:00:00+03:00
    items:
      - title: a lighthouse
""", encoding="utf-8")
    assert main(["--manifest", str(folder / "gallery.yaml"), "generate", "--device", "cpu"]) == 0
    assert dream(tiny_models_dir, "a lighthouse") == 0
    [gallery] = (folder / "content" / "posts").glob("*/images/a_lighthouse.png")
    dreamt = folder / "a_lighthouse.png"
    assert pixels(dreamt) == pixels(gallery)
    assert Image.open(dreamt).text["settings"] == Image.open(gallery).text["settings"]


def test_missing_weights_are_named_with_the_options_to_fix_them_and_no_estimate(
        folder: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["dream", "a lighthouse", "--device", "cpu", "--models", str(folder / "none"),
                 *TINY]) == 1
    err = capsys.readouterr().err
    assert "ViT-B-32.pt: clip: CLIP file not found" in err
    assert "point --clip at local weights" in err and "point --biggan at" in err
    assert "set `clip:`" not in err and "estimated" not in err


def test_dream_follows_big_sleeps_dream_defaults_or_says_where_it_does_not(
        capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["dream", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--ema-decay EMA_DECAY Decay of the EMA latents images are saved from. (default: 0.5)" \
        in text
    for difference in ["--image-size 256 (big-sleep: 512", "--iterations 1000 (big-sleep: 20",
                       "--seed a stable hash of the prompt (big-sleep: 0"]:
        assert difference in text


def test_a_zero_class_temperature_is_refused_before_anything_runs(
        folder: Path, tiny_models_dir: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        dream(tiny_models_dir, "a lighthouse", "--class-temperature", "0")
    assert "0 is out of range (use a value above 0.0 up to 100.0)" in capsys.readouterr().err
    assert not list(folder.glob("*.png"))
