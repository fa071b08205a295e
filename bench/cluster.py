"""Cluster benchmark: a small gallery generated in-process, then on a local Ray instance with 1 and
with 2 fake-GPU workers (tiny models on the CPU, one thread per process on every side).

Each run is one whole `BigSleepGenerator.generate` on a fresh project; the Ray instance is started
before, as a cluster is before a run. Start-up (planning; the workers' processes, torch and models;
here, loading the models) is timed apart from the rest, which is what matters over hours of GPU
work: the clock for that starts when the first worker is ready (the first batch starts
in-process). Reported as ratios: 2 workers vs 1 (bounded here by the free CPU cores; on GPUs each
worker has its own), and 1 worker vs in-process (what the Ray path costs; the goal is < 5 %).
"""

from __future__ import annotations

import importlib.util
import io
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import torch

from generator.bigsleep.generate import BigSleepGenerator
from generator.gallery.jobs import image_jobs
from generator.gallery.model import Entry, Manifest, Post
from generator.settings import GenerationSettings, SiteSettings

TINY_MODELS = Path(__file__).resolve().parent.parent / "tests" / "bigsleep" / "tiny_models.py"
STARTED = ("ready (", "batch 1")  # the first output of a started run, with Ray / in-process


class Clock(io.StringIO):
    """Output that notes when a started run first shows itself."""

    def __init__(self) -> None:
        super().__init__()
        self.started: float | None = None

    def write(self, text: str) -> int:
        if self.started is None and any(mark in text for mark in STARTED):
            self.started = time.perf_counter()
        return super().write(text)


def run(quick: bool) -> list[str]:
    count, iterations = (4, 60) if quick else (8, 200)
    torch.set_num_threads(1)  # as each Ray worker has
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        settings = _tiny_settings(root / "models", iterations)
        here = _seconds(root / "here", settings, count, None)
        with _local_ray(1):
            one = _seconds(root / "one", settings, count, "local")
        with _local_ray(2):
            two = _seconds(root / "two", settings, count, "local")
    label = f"tiny models, {count} images x {iterations} iterations, CPU, once started"
    return [
        f"{label}: 2 fake-GPU workers {count * 3600 / two[0]:.0f} images/h vs 1 worker "
        f"{count * 3600 / one[0]:.0f} = {one[0] / two[0]:.2f}x",
        f"{label}: Ray with 1 worker {one[0]:.1f} s vs in-process {here[0]:.1f} s = "
        f"{one[0] / here[0]:.2f}x time; start-up {one[1]:.1f} s vs {here[1]:.1f} s",
    ]


def _seconds(root: Path, settings: GenerationSettings, count: int, cluster: str | None,
             device: str = "cpu", gpu_share: float = 1.0) -> tuple[float, float]:
    """(seconds once started, seconds of start-up) to generate a post of `count` images into the
    new project `root`."""
    entries = tuple(Entry(f"lighthouse {i}", f"a lighthouse, study {i}", f"lighthouse_{i}",
                          settings, None, i + 1) for i in range(count))
    post = Post("lighthouses", "Lighthouses", datetime(2021, 4, 1, tzinfo=UTC), entries)
    manifest = Manifest(root / "gallery.yaml", SiteSettings(), settings, (post,))
    clock = Clock()
    generator = BigSleepGenerator(manifest, device=device, out=clock, cluster=cluster,
                                  gpu_share=gpu_share)
    began = time.perf_counter()
    generator.generate(generator.outdated(image_jobs(manifest, root / "content")))
    ended = time.perf_counter()
    started = clock.started or began
    return ended - started, started - began


def _tiny_settings(models: Path, iterations: int) -> GenerationSettings:
    spec = importlib.util.spec_from_file_location("tiny_models", TINY_MODELS)
    assert spec and spec.loader
    tiny = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tiny)
    clip_path, biggan_path = tiny.save_tiny_models(models)
    return GenerationSettings(clip=str(clip_path), biggan=str(biggan_path), cutouts=8,
                              iterations=iterations, checkpoint_every=10, batch_size=1)


@contextmanager
def _local_ray(gpus: int | None) -> Iterator[None]:
    """A fresh local Ray instance with `gpus` fake GPUs (None: the real ones), token-protected,
    shut down after."""
    os.environ.setdefault("RAY_AUTH_MODE", "token")  # read when Ray is imported
    os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(16))
    os.environ.setdefault("RAY_memory_monitor_refresh_ms", "0")
    import ray

    ray.init(address="local", num_cpus=2, num_gpus=gpus, include_dashboard=False,
             object_store_memory=80 << 20, log_to_driver=False, logging_level="WARNING",
             _node_ip_address="127.0.0.2")
    try:
        yield
    finally:
        ray.shutdown()
