"""Cluster benchmark: a small gallery generated in-process, then on a local Ray instance with 1 and
with 2 fake-GPU workers (tiny models on the CPU, one thread per process on every side).

Each run is one whole `BigSleepGenerator.generate` on a fresh project; the Ray instance is started
before, as a cluster is before a run. Every image is a batch of its own.

- 1 worker vs in-process, what the Ray path costs (the goal is < 5 %): over hours of GPU work
  what matters is the steady state, so each run is timed from the end of its first batch to its
  end; start-up (planning; the workers' processes, torch and models; a fresh process's first
  steps) is reported apart. The two kinds of run are interleaved in pairs, in alternating order,
  so that the machine's load, which drifts, weighs on both alike: the report gives the median of
  the pairs' ratios and their range. On a loaded machine wall time still favours the Ray path
  (more processes get more of the shared cores), so the CPU seconds of every process of each run
  (the driver, Ray's own and its workers) are compared too: what the Ray path adds to the work.
- 2 workers vs 1, timed from the first worker ready (bounded here by the free CPU cores; on GPUs
  each worker has its own): median and range of the ratios to the median 1-worker run.
"""

from __future__ import annotations

import io
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

import torch

from bench.generation import load_test_helper, tiny_models
from generator.bigsleep.generate import BigSleepGenerator
from generator.gallery.jobs import image_jobs
from generator.gallery.model import Entry, Manifest, Post
from generator.settings import GenerationSettings, SiteSettings

# Outputs that mark a run's progress: a worker is ready (on Ray); the first batch has ended (its
# line on Ray, the second bar in-process).
READY, FIRST_BATCH_ENDED = ("ready (",), ("batch 1 (", "batch 2/")
BATCH_DONE = ") done on "  # a batch's line on Ray (its worker is still alive)


class Clock(io.StringIO):
    """Output that notes when it first shows each mark, and the CPU time of this process and
    every process it started (Ray's and its workers) from the first batch's end on."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[tuple[str, ...], float] = {}
        self.cpu_from: dict[int, float] = {}
        self.cpu_to: dict[int, float] = {}

    def write(self, text: str) -> int:
        for marks in (READY, FIRST_BATCH_ENDED):
            if marks not in self.seen and any(mark in text for mark in marks):
                self.seen[marks] = time.perf_counter()
                if marks is FIRST_BATCH_ENDED:
                    self.cpu_from = self.cpu_to = process_tree_cpu()
        if self.cpu_from and BATCH_DONE in text:
            self.note_cpu()
        return super().write(text)

    def note_cpu(self) -> None:
        """Note the CPU seconds so far (a process that ends later keeps its last reading)."""
        self.cpu_to = {**self.cpu_to, **process_tree_cpu()}

    @property
    def cpu(self) -> float:
        return sum(seconds - self.cpu_from.get(pid, 0.0) for pid, seconds in self.cpu_to.items())


def process_tree_cpu() -> dict[int, float]:
    """CPU seconds (user + system) so far of this process and its descendants, by pid."""
    parents: dict[int, int] = {}
    seconds: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:  # after the command's closing parenthesis: state, ppid, ... utime (12th), stime
            fields = Path("/proc", name, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(name)] = int(fields[1])
        seconds[int(name)] = (int(fields[11]) + int(fields[12])) / tick
    tree = {os.getpid()}
    for _ in range(8):  # Ray's workers are grandchildren; nothing deeper
        tree |= {pid for pid, parent in parents.items() if parent in tree}
    return {pid: seconds[pid] for pid in tree if pid in seconds}


@dataclass(frozen=True)
class Timing:
    """One run's clock readings (seconds)."""

    began: float
    ready: float | None  # the first worker ready (a Ray run)
    first_batch_ended: float
    ended: float
    cpu: float  # CPU seconds after the first batch, every process of the run

    @property
    def steady(self) -> float:
        """After the first batch: no start-up, not even a fresh process's first steps."""
        return self.ended - self.first_batch_ended

    @property
    def start_up(self) -> float:
        return self.first_batch_ended - self.began

    @property
    def from_ready(self) -> float:
        """From the first worker ready to the end (each worker's first steps included)."""
        assert self.ready is not None
        return self.ended - self.ready


def run(quick: bool) -> list[str]:
    count, iterations, repeats = (4, 60, 1) if quick else (8, 150, 5)
    torch.set_num_threads(1)  # as each Ray worker has
    here: list[Timing] = []
    one: list[Timing] = []
    two: list[Timing] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        settings = _tiny_settings(root / "models", iterations)
        with _local_ray(1):
            for repeat in range(repeats):
                pair = [(here, None), (one, "local")]
                for runs, cluster in pair if repeat % 2 == 0 else reversed(pair):
                    runs.append(_timing(root / f"{cluster}-{repeat}", settings, count, cluster))
        with _local_ray(2):
            for repeat in range(repeats):
                two.append(_timing(root / f"two-{repeat}", settings, count, "local"))
    label = f"tiny models, {count} images x {iterations} iterations, CPU, {repeats} run(s) each"
    overhead = [ray.steady / local.steady for ray, local in zip(one, here, strict=True)]
    cpu = [ray.cpu / local.cpu for ray, local in zip(one, here, strict=True)]
    one_worker = median(t.from_ready for t in one)
    speedup = [one_worker / t.from_ready for t in two]
    return [
        f"{label}, from the first worker ready: 2 fake-GPU workers "
        f"{count * 3600 / median(t.from_ready for t in two):.0f} images/h vs 1 worker "
        f"{count * 3600 / one_worker:.0f} = {median(speedup):.2f}x ({_spread(speedup)})",
        f"{label}, after the first batch: Ray with 1 worker {median(t.steady for t in one):.2f} s "
        f"vs in-process {median(t.steady for t in here):.2f} s = {median(overhead):.3f}x time "
        f"(interleaved pairs: {_spread(overhead)}); CPU {median(t.cpu for t in one):.2f} s vs "
        f"{median(t.cpu for t in here):.2f} s = {median(cpu):.3f}x ({_spread(cpu)}); "
        f"start-up and first batch "
        f"{median(t.start_up for t in one):.1f} s vs {median(t.start_up for t in here):.1f} s",
    ]


def _spread(ratios: list[float]) -> str:
    return f"range {min(ratios):.3f}-{max(ratios):.3f}" if len(ratios) > 1 else "one run"


def _timing(root: Path, settings: GenerationSettings, count: int, cluster: str | None,
            device: str = "cpu", gpu_share: float = 1.0) -> Timing:
    """Generate a post of `count` images into the new project `root`."""
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
    clock.note_cpu()
    if FIRST_BATCH_ENDED not in clock.seen:
        raise RuntimeError(f"no end of a first batch was shown by the run in {root}:\n"
                           f"{clock.getvalue()}")
    return Timing(began, clock.seen.get(READY), clock.seen[FIRST_BATCH_ENDED], ended, clock.cpu)


def _tiny_settings(models: Path, iterations: int) -> GenerationSettings:
    clip_path, biggan_path = tiny_models().save_tiny_models(models)
    return GenerationSettings(clip=str(clip_path), biggan=str(biggan_path), cutouts=8,
                              iterations=iterations, checkpoint_every=10, batch_size=1)


@contextmanager
def _local_ray(gpus: int | None) -> Iterator[None]:
    """A fresh local Ray instance with `gpus` fake GPUs (None: the real ones), token-protected,
    shut down after."""
    os.environ.setdefault("RAY_AUTH_MODE", "token")  # read when Ray is imported
    os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(16))
    os.environ.setdefault("RAY_memory_monitor_refresh_ms", "0")
    with load_test_helper("local_ray").local_ray(gpus):
        yield
