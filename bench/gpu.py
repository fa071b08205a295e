"""GPU check, CUDA only (skipped elsewhere): what one GPU does with the real architectures.

BigGAN-deep-256 and CLIP ViT-B/32 shapes with random weights (speed and memory do not depend on
the values), 128 cutouts at 256 px, in a few minutes:

- image-iterations per second at batch sizes 1 to 16, and each batch's peak memory against
  `image_bytes`' estimate (the constants `fit_batch_size` uses; a ratio above 1 means the estimate
  is low), with the batch size `fit_batch_size` picks on this GPU now;
- the bf16 autocast path against fp32 at batch 8;
- batch invariance on CUDA: the largest pixel difference (0-255) between images optimised alone
  and in a batch of 4;
- the Ray path with two workers sharing this GPU (`--gpu-share 0.5`) against in-process, in
  batches of 2, after the first batch (see `bench.cluster`).

Not compared here: big-sleep's own step (its package is not a dependency, and the GPU machines of
this project reach no package index).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from bench.cluster import _local_ray, _timing
from bench.generation import _real_models, tiny_models
from generator.bigsleep.models import Models
from generator.bigsleep.optimiser import BatchOptimiser, Task, fit_batch_size, image_bytes
from generator.settings import GenerationSettings

CUTOUTS = 128
SETTINGS = GenerationSettings(cutouts=CUTOUTS)


def run(quick: bool) -> list[str]:
    if not torch.cuda.is_available():
        return ["no CUDA device: skipped (run `python -m bench gpu` on a GPU machine)"]
    device = torch.device("cuda")
    models = _real_models(device)
    lines = [f"device: {torch.cuda.get_device_name(device)}, "
             f"fit_batch_size now: {fit_batch_size(models, device, CUTOUTS)}"]
    steps = 3 if quick else 8
    lines += [_rate_and_memory(models, device, size, steps) for size in (1, 2, 4, 8, 16)]
    lines.append(_precision(models, device, steps))
    lines.append(_invariance(models, device))
    lines.append(_ray_sharing_one_gpu(models, quick))
    return lines


def _tasks(count: int, iterations: int = 1000) -> list[Task]:
    settings = replace(SETTINGS, iterations=iterations)
    return [Task(f"gpu-{i}", "a painting of a lighthouse", (), i, settings) for i in range(count)]


def _rate(models: Models, tasks: list[Task], device: torch.device, steps: int,
          amp: bool | None = None) -> float:
    """Image-iterations per second over `steps` steps, after one warm-up step."""
    optimiser = BatchOptimiser(models, tasks, device, amp=amp)
    optimiser.step()
    torch.cuda.synchronize(device)
    started = time.perf_counter()
    for _ in range(steps):
        optimiser.step()
    torch.cuda.synchronize(device)
    return len(tasks) * steps / (time.perf_counter() - started)


def _rate_and_memory(models: Models, device: torch.device, size: int, steps: int) -> str:
    torch.cuda.empty_cache()
    base = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    rate = _rate(models, _tasks(size), device, steps)
    peak = torch.cuda.max_memory_allocated(device) - base
    estimate = image_bytes(models, CUTOUTS) * size
    return (f"batch {size}: {rate:.2f} image-it/s, peak {peak / 2**30:.2f} GiB vs estimate "
            f"{estimate / 2**30:.2f} GiB = {peak / estimate:.2f}x")


def _precision(models: Models, device: torch.device, steps: int) -> str:
    bf16 = _rate(models, _tasks(8), device, steps, amp=True)
    fp32 = _rate(models, _tasks(8), device, steps, amp=False)
    return f"batch 8: bf16 autocast {bf16:.2f} image-it/s vs fp32 {fp32:.2f} = {bf16 / fp32:.2f}x"


def _invariance(models: Models, device: torch.device, steps: int = 5) -> str:
    tasks = _tasks(4)
    together = BatchOptimiser(models, tasks, device)
    alone = [BatchOptimiser(models, [task], device) for task in tasks]
    for _ in range(steps):
        together.step()
        for optimiser in alone:
            optimiser.step()
    batched = together.images()
    single = torch.cat([optimiser.images() for optimiser in alone])
    difference = float((batched - single).abs().max()) * 255
    return f"batch invariance: max pixel difference alone vs batch of 4 after {steps} steps: " \
           f"{difference:.2f} / 255"


def _ray_sharing_one_gpu(models: Models, quick: bool) -> str:
    formats = tiny_models()  # the weights file formats the tests write
    count, iterations = (4, 20) if quick else (8, 60)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        clip_path = root / "clip.pt"
        torch.save({key: value.half().cpu() for key, value in models.clip.state_dict().items()},
                   clip_path)
        biggan_path = formats.save_tiny_biggan(root / "biggan", models.biggan.cpu())
        models.biggan.to("cuda")
        settings = replace(SETTINGS, clip=str(clip_path), biggan=str(biggan_path),
                           iterations=iterations, checkpoint_every=10, batch_size=2)
        here = _timing(root / "here", settings, count, None, "cuda").steady
        with _local_ray(None):
            ray = _timing(root / "ray", settings, count, "local", "cuda", 0.5).steady
    return (f"Ray, 2 workers sharing this GPU vs in-process, {count} images x {iterations} "
            f"iterations in batches of 2, after the first batch: {ray:.1f} s vs {here:.1f} s = "
            f"{ray / here:.2f}x time")
