"""One image from one prompt, outside the gallery: `python -m generator dream "PROMPT"`.

The same machinery as the manifest's images, for a single task: device choice and CPU estimate
(`device`), models (`models`), the optimiser loop with its progress bar, frames and checkpoints
(`batches`), the PNG text chunks and progress files (`outputs`). Checkpoints live in a per-user
cache folder named by the image's inputs, so an interrupted dream resumes when run again; the
folder is removed once the image is written. Files are written atomically and an existing file is
never replaced unless `force`.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import torch

from generator.bigsleep import progress
from generator.bigsleep.batches import NonFiniteError, run_batch
from generator.bigsleep.bundle import progress_files
from generator.bigsleep.device import available_device, no_gpu_problem
from generator.bigsleep.lockfile import canonical_json, image_spec, sha256_text, spec_hash
from generator.bigsleep.models import load_models
from generator.bigsleep.optimiser import Task
from generator.bigsleep.outputs import png_with_text
from generator.bigsleep.resume import Checkpoints, Results
from generator.bigsleep.weight_files import missing_weights, model_paths
from generator.errors import GenerationError, Problem
from generator.fsutil import atomic_write_bytes, sha256_file
from generator.gallery.slugs import image_name
from generator.settings import GenerationSettings


@dataclass(frozen=True)
class Dream:
    """What a dream wrote."""

    path: Path
    seed: int
    similarity: float
    files: list[Path]  # every file written: the image last


def default_cache_dir() -> Path:
    """~/.cache/bigsleep-gallery/dream: checkpoints of dreams not finished yet."""
    return Path.home() / ".cache" / "bigsleep-gallery" / "dream"


def output_path(prompt: str, out: Path | None = None) -> Path:
    """`out`, or the prompt's image name + .png in `out` (a folder) or the current folder."""
    if out is None or out.is_dir():
        return (out or Path.cwd()) / f"{image_name(prompt)}.png"
    if out.suffix.lower() != ".png":
        raise GenerationError(Problem(out, None, "--out", "the image is a PNG file",
                                      "give a name ending in .png, or a folder"))
    return out


def dream(prompt: str, settings: GenerationSettings, path: Path, *,
          models_dir: Path | None = None, device: str | None = None, force: bool = False,
          cache_dir: Path | None = None, out: TextIO | None = None) -> Dream:
    """Generate `prompt`'s image with `settings` into `path` (a .png), plus its iterations strip
    and animated WebP beside it with `progress`.

    `device`: None = CUDA, or a GenerationError saying what to run when there is none; "cpu"
    only when asked (an estimate is printed first). Messages and the progress bar go to `out`
    (stderr by default).
    """
    out = out or sys.stderr
    targets = [*(progress_files(path.parent, path.stem) if settings.progress else ()), path]
    _refuse_overwrite(targets, force)
    image_prompt = _image_prompt(settings)
    spec = image_spec(prompt, settings,
                      image_prompt_hash=sha256_file(image_prompt) if image_prompt else None)
    missing = missing_weights(*model_paths(settings, models_dir),
                                  setting="point --{key} at local weights")
    if missing:  # before the device choice, which may print a long CPU estimate
        raise GenerationError(missing, advice=_gpu_advice(device, settings, models_dir))
    chosen = _device(device, settings, models_dir, _say(out))
    models = load_models(settings, models_dir, chosen)
    hashes = {"clip": models.clip_hash, "biggan": models.biggan_hash}
    key = sha256_text(canonical_json([spec_hash(spec), hashes, 0]))  # as a gallery candidate's
    seed = int(spec["seed"])
    folder = (cache_dir or default_cache_dir()) / key[:32]
    results = Results(folder)
    if not results.done(key):
        task = Task(key, prompt, settings.penalize, seed, settings, image_prompt=image_prompt)
        try:
            run_batch([(task, image_name(prompt)[:12])], models, chosen, "dream",
                      Checkpoints(folder), results, out)
        except NonFiniteError as error:
            raise GenerationError(Problem(
                path, None, "prompt", f"stopped at iteration {error.stopped[0].iteration}: the "
                "similarity or image became NaN or infinite (nothing was written)",
                "check the weights with `make weights`, or change --lr, --class-temperature "
                f"or --seed; the checkpoint is kept in {folder} for inspection")) from None
    finished = results.load_all([key])
    assert finished is not None  # run_batch leaves its task's result
    result = finished[0]
    files = [png_with_text(result.png, spec, seed, result.similarity)]
    if settings.progress:
        files[:0] = progress.encode(result.frames)
    _refuse_overwrite(targets, force)  # one may have appeared while optimising
    for target, data in zip(targets, files, strict=True):
        atomic_write_bytes(target, data)
    shutil.rmtree(folder)
    return Dream(path, seed, result.similarity, targets)


def _device(requested: str | None, settings: GenerationSettings, models_dir: Path | None,
            say: Callable[[str], None]) -> torch.device:
    device = available_device(requested, [settings], say, models_dir)
    if device is None:
        raise GenerationError(no_gpu_problem(
            "dream", [settings], models_dir,
            "run it on a machine with a CUDA GPU, or add `--device cpu`"))
    return device


def _gpu_advice(requested: str | None, settings: GenerationSettings,
                models_dir: Path | None) -> str | None:
    """When the weights are missing and there is no GPU either: say so now, not after
    `make weights` has downloaded them."""
    if requested == "cpu" or torch.cuda.is_available():
        return None
    return str(no_gpu_problem("dream", [settings], models_dir,
                              "besides the weights, it needs a machine with a CUDA GPU, or "
                              "`--device cpu`"))


def _refuse_overwrite(paths: list[Path], force: bool) -> None:
    existing = [path for path in paths if path.exists()]
    if existing and not force:
        raise GenerationError([
            Problem(path, None, None, "exists; not overwritten",
                    "choose another name with --out, or add --force to replace it")
            for path in existing])


def _image_prompt(settings: GenerationSettings) -> Path | None:
    if settings.image_prompt is None:
        return None
    path = Path(settings.image_prompt).expanduser()
    if not path.is_file():
        raise GenerationError(Problem(path, None, "--img", "image prompt not found",
                                      "fix the path (relative to the current folder)"))
    return path


def _say(out: TextIO) -> Callable[[str], None]:
    return lambda text: print(text, file=out, flush=True)
