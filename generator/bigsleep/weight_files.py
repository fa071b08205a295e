"""Where model weights files live and what names them, without importing torch, clip or BigGAN.

Planning (is every image up to date?) needs the paths and hashes of the weights but never the
models, so a `make site` with nothing to generate loads none of the heavy libraries. The loading
and downloading side is `weights`, which re-exports these names.

- CLIP: `<name as in clip's URL table>.pt`, e.g. `ViT-B-32.pt` for "ViT-B/32" (`CLIP_FILES`, a
  copy of clip's table's file names; a test keeps it equal to clip's);
- BigGAN: `biggan-deep-<size>/config.json` + `pytorch_model.bin` (the library's folder format);
- `.weight-hashes.json` in each folder: SHA-256 of its weights files by (size, mtime),
  so the lock file can name weights by content without re-reading hundreds of MB each run.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from generator.bigsleep.lockfile import sha256_text
from generator.errors import Problem
from generator.fsutil import atomic_write_text, sha256_file
from generator.settings import GenerationSettings

MODELS_ENV = "BIGSLEEP_MODELS"
HASHES_FILE = ".weight-hashes.json"
MAKE_WEIGHTS = "run `make weights` to download and verify the model weights"
CONFIG_NAME = "config.json"  # pytorch_pretrained_biggan.model.CONFIG_NAME
WEIGHTS_NAME = "pytorch_model.bin"  # pytorch_pretrained_biggan.model.WEIGHTS_NAME
CLIP_FILES: Mapping[str, str] = {  # clip.clip._MODELS, name -> the file name of its URL
    "RN50": "RN50.pt",
    "RN101": "RN101.pt",
    "RN50x4": "RN50x4.pt",
    "RN50x16": "RN50x16.pt",
    "RN50x64": "RN50x64.pt",
    "ViT-B/32": "ViT-B-32.pt",
    "ViT-B/16": "ViT-B-16.pt",
    "ViT-L/14": "ViT-L-14.pt",
    "ViT-L/14@336px": "ViT-L-14-336px.pt",
}
BIGGAN_NAMES = ("biggan-deep-128", "biggan-deep-256", "biggan-deep-512")  # the library's


def default_models_dir() -> Path:
    """$BIGSLEEP_MODELS, or ~/.cache/bigsleep-gallery/models (outside the repository)."""
    configured = os.environ.get(MODELS_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "bigsleep-gallery" / "models"


def clip_file(spec: str, models_dir: Path, urls: Mapping[str, str] = CLIP_FILES) -> Path:
    """The CLIP weights file of a model name ("ViT-B/32") or an explicit file path.

    `urls`: model name -> its URL or file name (the file is named as the URL's last part).
    """
    if spec in urls:
        return models_dir / os.path.basename(urls[spec])
    return Path(spec).expanduser()


def biggan_spec(settings: GenerationSettings) -> str:
    """The BigGAN of some settings: the `biggan` folder or name, else by `image_size`."""
    return settings.biggan or f"biggan-deep-{settings.image_size}"


def biggan_folder(spec: str, models_dir: Path, names: Iterable[str] = BIGGAN_NAMES) -> Path:
    """The BigGAN folder of a name ("biggan-deep-256") or an explicit folder path."""
    return models_dir / spec if spec in set(names) else Path(spec).expanduser()


def model_paths(settings: GenerationSettings, models_dir: Path | None = None) -> tuple[Path, Path]:
    """(CLIP file, BigGAN folder) the settings refer to."""
    models_dir = models_dir or default_models_dir()
    return clip_file(settings.clip, models_dir), biggan_folder(biggan_spec(settings), models_dir)


def models_key(settings: GenerationSettings) -> str:
    """Settings with the same key use the same models (a run loads each set once)."""
    return sha256_text(repr((settings.clip, settings.biggan, settings.image_size)))


LOCAL_IN_MANIFEST = "set `{key}:` to a local weights file"


def missing_problem(path: Path, key: str, what: str, setting: str = LOCAL_IN_MANIFEST) -> Problem:
    """A weights file that is not there: where, and what to run.

    `setting` says how to name local weights instead: the manifest key by default, or a
    command-line option (`dream` passes "point --{key} at local weights").
    """
    return Problem(path, None, key, f"{what} not found",
                   f"{MAKE_WEIGHTS} into {path.parent}, or {setting.format(key=key)}")


def missing_weights(clip_path: Path, biggan_path: Path,
                        setting: str = LOCAL_IN_MANIFEST) -> list[Problem]:
    """One problem per weights file that is not there (to report them all at once)."""
    problems = ([] if clip_path.is_file() else
                [missing_problem(clip_path, "clip", "CLIP file", setting)])
    return problems + [
        missing_problem(biggan_path / name, "biggan", f"BigGAN {name}", setting)
        for name in (CONFIG_NAME, WEIGHTS_NAME)
        if not (biggan_path / name).is_file()
    ]


# --- hashing -------------------------------------------------------------------------------

_hash_cache: dict[tuple[str, int, int], str] = {}


def _read_records(folder: Path) -> dict[str, Any]:
    try:
        records = json.loads((folder / HASHES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return records if isinstance(records, dict) else {}


def record_hash(path: Path, digest: str, *, verified: bool | None = None) -> None:
    """Remember a file's hash next to it (best effort: a read-only folder just isn't cached)."""
    records = _read_records(path.parent)
    stat = path.stat()
    entry = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}
    old = records.get(path.name, {})
    if verified is not None:
        entry["verified"] = verified
    elif old.get("sha256") == digest and "verified" in old:
        entry["verified"] = old["verified"]
    records[path.name] = entry
    with contextlib.suppress(OSError):
        atomic_write_text(path.parent / HASHES_FILE, json.dumps(records, indent=2) + "\n")


def file_hash(path: Path) -> str:
    """SHA-256 of a file, cached by (path, size, mtime) in memory and in its folder's record."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key in _hash_cache:
        return _hash_cache[key]
    entry = _read_records(path.parent).get(path.name, {})
    if entry.get("size") == stat.st_size and entry.get("mtime_ns") == stat.st_mtime_ns:
        digest = str(entry["sha256"])
    else:
        digest = sha256_file(path)
        record_hash(path, digest)
    _hash_cache[key] = digest
    return digest


def weights_hash(path: Path) -> str:
    """SHA-256 naming model weights: of a CLIP file, or of a BigGAN folder's two files."""
    if path.is_dir():
        parts = [f"{name} {file_hash(path / name)}\n" for name in (CONFIG_NAME, WEIGHTS_NAME)]
        return sha256_text("".join(parts))
    return file_hash(path)
