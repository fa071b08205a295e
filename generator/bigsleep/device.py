"""Where images are generated: CUDA when present; the CPU only when asked, after an estimate of
how long it will take; with neither, an error listing the images and what to run instead."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from generator.bigsleep.planning import Plan
from generator.bigsleep.weight_files import CONFIG_NAME, biggan_folder, default_models_dir
from generator.errors import GenerationError, Problem
from generator.settings import GenerationSettings

if TYPE_CHECKING:
    import torch

CPU_SECONDS_PER_ITERATION = (5 / 3, 1 / 6)  # at 256 px on 2 cores: 3 s with 8 cutouts, 7 with 32


def choose_device(requested: str | None, plans: Sequence[Plan], manifest: Path,
                  say: Callable[[str], None], models_dir: Path | None = None) -> torch.device:
    """The device to generate `plans` on (`requested`: None, "cuda..." or "cpu")."""
    settings = [plan.settings for plan in plans]
    device = available_device(requested, settings, say, models_dir)
    if device is not None:
        return device
    problems = [Problem(manifest, p.job.entry.line, p.key,
                        "image not generated yet" if p.job.existing is None
                        else f"image outdated: {p.reason}") for p in plans]
    raise GenerationError(problems, advice=str(no_gpu_problem(
        manifest, settings, models_dir,
        "`make draft` previews the site with placeholders; run `make site` on a machine with "
        "a CUDA GPU; or `python -m generator generate --device cpu`")))


def available_device(requested: str | None, settings: Sequence[GenerationSettings],
                     say: Callable[[str], None],
                     models_dir: Path | None = None) -> torch.device | None:
    """The CPU when asked (after saying how long `settings` will take there), else CUDA when
    present, else None."""
    import torch  # here: planning imports this module, and needs no torch

    if requested == "cpu":
        say(f"images: {len(settings)} to generate on the CPU; estimated "
            f"{cpu_estimate(settings, models_dir)} "
            "(about 3 s per iteration at 256 px with 8 cutouts, 7 s with 32, on 2 cores)")
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device(requested or "cuda")
    return None


def no_gpu_problem(file: Path | str, settings: Sequence[GenerationSettings],
                   models_dir: Path | None, alternatives: str) -> Problem:
    """No CUDA GPU for these images: what to run instead, with the CPU estimate."""
    return Problem(
        file, None, None, f"no CUDA GPU here: {len(settings)} image(s) cannot be generated",
        f"{alternatives} (slow: estimated {cpu_estimate(settings, models_dir)})")


def estimate_cpu_seconds(settings: Iterable[GenerationSettings],
                         models_dir: Path | None = None) -> float:
    """Rough CPU time for these entries: linear in cutouts, by pixel count, per iteration."""
    base, per_cutout = CPU_SECONDS_PER_ITERATION
    return sum(
        (base + per_cutout * s.cutouts) * (image_size(s, models_dir) / 256) ** 2 * s.iterations
        * s.candidates
        for s in settings
    )


def image_size(settings: GenerationSettings, models_dir: Path | None = None) -> int:
    """The side of the images: a named BigGAN folder's config.json (`output_dim`) decides when it
    is there to read (no model is loaded), else `image_size`."""
    if settings.biggan is None:
        return settings.image_size
    config = biggan_folder(settings.biggan, models_dir or default_models_dir()) / CONFIG_NAME
    try:
        size = json.loads(config.read_text(encoding="utf-8")).get("output_dim")
    except (OSError, ValueError, AttributeError):
        return settings.image_size
    return size if isinstance(size, int) and size > 0 else settings.image_size


def cpu_estimate(settings: Iterable[GenerationSettings], models_dir: Path | None = None) -> str:
    """`estimate_cpu_seconds` in words ("1 h 57 min")."""
    return _duration(estimate_cpu_seconds(settings, models_dir))


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return f"{seconds:.0f} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
