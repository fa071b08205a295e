"""Model weights: reading them strictly and downloading them.

Where they live in a models folder (default $BIGSLEEP_MODELS or ~/.cache/bigsleep-gallery/models)
and how they are hashed is `weight_files` (no torch).

Generation loads local files only; a named model missing there is first fetched and verified
as `make weights` does (`fetch_missing_weights`, with a progress bar). `download_weights` (`make
weights`) fetches named models once, atomically, checks CLIP's published SHA-256 and loads every
weights file with a strict key and shape check before recording it as verified.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import urllib.request
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, Any, TextIO

import torch
from pytorch_pretrained_biggan import BigGAN, BigGANConfig
from pytorch_pretrained_biggan.model import (
    PRETRAINED_CONFIG_ARCHIVE_MAP,
    PRETRAINED_MODEL_ARCHIVE_MAP,
)
from torch.nn.utils import remove_spectral_norm
from torch.nn.utils.spectral_norm import SpectralNorm
from tqdm import tqdm

from generator.bigsleep.clip_package import _MODELS, CLIP, clip
from generator.bigsleep.weight_files import (
    CONFIG_NAME,
    MAKE_WEIGHTS,
    WEIGHTS_NAME,
    biggan_folder,
    biggan_spec,
    clip_file,
    default_models_dir,
    file_hash,
    missing_problem,
    missing_weights,
    model_paths,
    record_hash,
)
from generator.errors import GenerationError, Problem
from generator.settings import GenerationSettings

CLIP_URLS: Mapping[str, str] = _MODELS
BIGGAN_URLS: Mapping[str, tuple[str, str]] = {
    name: (PRETRAINED_CONFIG_ARCHIVE_MAP[name], PRETRAINED_MODEL_ARCHIVE_MAP[name])
    for name in PRETRAINED_MODEL_ARCHIVE_MAP
}
Opener = Callable[[str], IO[bytes]]


def _missing(path: Path, key: str, what: str) -> GenerationError:
    return GenerationError(missing_problem(path, key, what))


def _invalid(path: Path, key: str, message: str) -> GenerationError:
    return GenerationError(Problem(
        path, None, key, message,
        f"the file is damaged or not this kind of weights file; {MAKE_WEIGHTS} again",
    ))


def load_clip(path: Path, device: torch.device | str = "cpu") -> CLIP:
    """A frozen fp32 CLIP from a local `.pt` (TorchScript archive or state dict), strictly.

    clip's own loader builds the model from the file's shapes and loads it strictly.
    """
    if not path.is_file():
        raise _missing(path, "clip", "CLIP weights")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.jit deprecation; "not a JIT archive"
            model, _ = clip.load(str(path), device="cpu", jit=False)
    except Exception as error:  # torch raises many types for a bad file
        mismatch = _clip_mismatch(error)
        message = (f"weights do not match the CLIP their shapes describe: {mismatch}" if mismatch
                   else f"cannot load CLIP weights: {_first_line(error)}")
        raise _invalid(path, "clip", message) from error
    return model.float().eval().requires_grad_(False).to(device)


_KEYS_LINE = re.compile(r"(Missing|Unexpected) key\(s\) in state_dict: (.*)$", re.MULTILINE)
_SHAPE_LINE = re.compile(r"size mismatch for (\S+): copying a param with shape "
                         r"torch\.Size\(\[([\d, ]*)\]\) from checkpoint, the shape in "
                         r"current model is torch\.Size\(\[([\d, ]*)\]\)")


def _clip_mismatch(error: BaseException) -> str:
    """The keys and shapes named by torch's strict `load_state_dict` error, as `_mismatch`
    words them ("" for any other error): clip's loader builds the model itself."""
    text = str(error)
    if not isinstance(error, RuntimeError) or "Error(s) in loading state_dict" not in text:
        return ""
    keys = {found.group(1): re.findall(r'"([^"]+)"', found.group(2))
            for found in _KEYS_LINE.finditer(text)}
    wrong = [f"{key} has shape ({_dims(saved)}), expected ({_dims(expected)})"
             for key, saved, expected in _SHAPE_LINE.findall(text)]
    return _mismatch(keys.get("Missing", []), keys.get("Unexpected", []), wrong)


def _dims(listed: str) -> str:
    """torch.Size's "3, 4" as a tuple's "3, 4" ("5," for one dimension)."""
    dims = [d.strip() for d in listed.split(",") if d.strip()]
    return ", ".join(dims) + ("," if len(dims) == 1 else "")


def _mismatch(missing: list[str], unexpected: list[str], wrong: list[str]) -> str:
    """What differs between weights and their model, each kind with its first few names."""
    parts = [f"{what}: {_first(items)}" for what, items in
             (("missing keys", missing), ("unexpected keys", unexpected),
              ("wrong tensor shapes", wrong)) if items]
    return "; ".join(parts)


def check_state_dict(model: torch.nn.Module, state: Any, path: Path) -> None:
    """Refuse a state dict whose keys or shapes differ from the model's (the library does not)."""
    if not isinstance(state, Mapping) or not all(torch.is_tensor(v) for v in state.values()):
        raise _invalid(path, "biggan", "not a BigGAN state dict of tensors")
    expected = model.state_dict()
    wrong = [
        f"{key} has shape {tuple(state[key].shape)}, expected {tuple(value.shape)}"
        for key, value in expected.items()
        if key in state and state[key].shape != value.shape
    ]
    if wrong:
        raise _invalid(path, "biggan", _mismatch([], [], wrong))
    # Load non-strictly to let spectral norm convert pre-1.0 weights, then check the keys.
    result = model.load_state_dict(state, strict=False)
    mismatch = _mismatch(result.missing_keys, result.unexpected_keys, [])
    if mismatch:
        raise _invalid(path, "biggan", f"weights do not match config.json: {mismatch}")


def load_biggan(folder: Path, device: torch.device | str = "cpu") -> BigGAN:
    """A frozen BigGAN from `config.json` + `pytorch_model.bin`, with strict key/shape checks."""
    config_path, weights_path = folder / CONFIG_NAME, folder / WEIGHTS_NAME
    absent = [p for p in (config_path, weights_path) if not p.is_file()]
    if absent:
        raise _missing(absent[0], "biggan", "BigGAN " + " and ".join(p.name for p in absent))
    try:
        config = BigGANConfig.from_json_file(str(config_path))
        model = BigGAN(config)
    except Exception as error:
        raise _invalid(config_path, "biggan", f"bad BigGAN config: {_first_line(error)}") from error
    try:
        state = torch.load(weights_path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise _invalid(weights_path, "biggan",
                       f"cannot read BigGAN weights: {_first_line(error)}") from error
    check_state_dict(model, state, weights_path)
    _bake_spectral_norm(model)
    return model.eval().requires_grad_(False).to(device)


def _bake_spectral_norm(model: torch.nn.Module) -> None:
    """Replace every spectral-norm reparametrisation by its fixed fp32 weight.

    The weights are frozen, and in eval mode the library recomputes sigma = u . (W v) on every
    forward; under CUDA autocast `mv` runs in bfloat16, which would scale each layer's weight
    by a few tenths of a percent, compounding over ~40 layers. Computed once here, in fp32,
    the weights are exactly the library's.
    """
    for module in model.modules():
        if any(isinstance(hook, SpectralNorm) for hook in module._forward_pre_hooks.values()):
            remove_spectral_norm(module)


def _first(items: list[str], count: int = 3) -> str:
    more = f" (and {len(items) - count} more)" if len(items) > count else ""
    return ", ".join(items[:count]) + more


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


# --- downloading ---------------------------------------------------------------------------


def _download(url: str, target: Path, opener: Opener, progress: TextIO | None) -> None:
    """Fetch `url` into `target` atomically: a partial download never has the target's name.
    With `progress`, a bar of the bytes fetched goes there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as output, opener(url) as source, tqdm(
                total=getattr(source, "length", None), unit="B", unit_scale=True,
                desc=f"downloading {target.name}", file=progress,
                disable=progress is None) as bar:
            while block := source.read(1 << 20):
                output.write(block)
                bar.update(len(block))
            output.flush()
            os.fsync(output.fileno())
        os.replace(tmp, target)
    except OSError as error:
        raise GenerationError(Problem(
            url, None, None, f"download failed: {error}",
            f"check the network connection, then {MAKE_WEIGHTS}",
        )) from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _fetch_clip(name: str, url: str, models_dir: Path, opener: Opener,
                progress: TextIO | None) -> Path:
    """Download a named CLIP unless present with the SHA-256 in its URL; verify it."""
    target = clip_file(name, models_dir, {name: url})
    expected = url.rstrip("/").split("/")[-2]
    if not target.is_file() or file_hash(target) != expected:
        _download(url, target, opener, progress)
        if file_hash(target) != expected:
            target.unlink()
            raise GenerationError(Problem(url, None, "clip", "downloaded file has the wrong "
                                          "SHA-256", f"{MAKE_WEIGHTS} again later"))
    load_clip(target)
    record_hash(target, file_hash(target), verified=True)
    return target


def _fetch_biggan(name: str, urls: tuple[str, str], models_dir: Path, opener: Opener,
                  progress: TextIO | None) -> Path:
    """Download a named BigGAN folder unless it loads strictly already; verify it."""
    folder = models_dir / name
    try:
        load_biggan(folder)
    except GenerationError:
        for url, file_name in zip(urls, (CONFIG_NAME, WEIGHTS_NAME), strict=True):
            _download(url, folder / file_name, opener, progress)
        load_biggan(folder)
    for file_name in (CONFIG_NAME, WEIGHTS_NAME):
        record_hash(folder / file_name, file_hash(folder / file_name), verified=True)
    return folder


def download_weights(
    settings_list: Iterable[GenerationSettings],
    models_dir: Path | None = None,
    *,
    opener: Opener = urllib.request.urlopen,
    clip_urls: Mapping[str, str] = CLIP_URLS,
    biggan_urls: Mapping[str, tuple[str, str]] = BIGGAN_URLS,
    progress: TextIO | None = None,
) -> list[Path]:
    """Make all weights the settings name present and verified; returns their paths.

    Named models are downloaded into `models_dir` when missing or invalid; local paths are only
    verified. Raises GenerationError naming the file for anything that cannot be made valid.
    """
    models_dir = models_dir or default_models_dir()
    clips: dict[str, Path] = {}
    biggans: dict[str, Path] = {}
    for settings in settings_list:
        name = settings.clip
        if name not in clips and name in clip_urls:
            clips[name] = _fetch_clip(name, clip_urls[name], models_dir, opener, progress)
        elif name not in clips:
            clips[name] = clip_file(name, models_dir, clip_urls)
            load_clip(clips[name])
        name = biggan_spec(settings)
        if name not in biggans and name in biggan_urls:
            biggans[name] = _fetch_biggan(name, biggan_urls[name], models_dir, opener,
                                          progress)
        elif name not in biggans:
            biggans[name] = biggan_folder(name, models_dir, biggan_urls)
            load_biggan(biggans[name])
    return [*clips.values(), *biggans.values()]


def fetch_missing_weights(settings: GenerationSettings, models_dir: Path | None,
                          progress: TextIO) -> list[Path]:
    """Download and verify the named models `settings` need that are not in `models_dir` yet,
    as `make weights` does, with a progress bar: a first run on a fresh GPU machine needs no
    other command. Returns what was fetched. Weights named by path are never fetched (loading
    them then names the file), and offline the download error says what to run.
    """
    models_dir = models_dir or default_models_dir()
    clip_path, biggan_path = model_paths(settings, models_dir)
    absent = {problem.key for problem in missing_weights(clip_path, biggan_path)}
    named = {"clip": settings.clip in CLIP_URLS, "biggan": biggan_spec(settings) in BIGGAN_URLS}
    if not any(named[key] for key in absent):
        return []
    print(f"weights: fetching {' and '.join(sorted(absent))} into {models_dir} (once; "
          "`make weights` does this ahead of time)", file=progress, flush=True)
    return download_weights([settings], models_dir, opener=urllib.request.urlopen,
                            clip_urls=CLIP_URLS, biggan_urls=BIGGAN_URLS, progress=progress)
