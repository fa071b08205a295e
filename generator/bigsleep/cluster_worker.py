"""A cluster worker: one Ray actor per GPU (or per share of one) that runs the batches it is fed.

It loads each set of models once, from its own machine's weights (`$BIGSLEEP_MODELS`, or the
driver's `--models` folder when one was given; named models it lacks are fetched first), and
refuses to work with weights whose hashes differ from the driver's: its images would not be the
ones gallery.lock records. It fits its own batch size to its GPU's free memory (times its share
of the GPU), runs each batch with `batches.run_batch` (checkpoints and results going to the
driver's `cluster_store`) and reports its progress there for the driver's display.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any

import ray
import torch

from generator.bigsleep.batches import Work, run_batch
from generator.bigsleep.cluster_store import StoreCheckpoints, StoreResults
from generator.bigsleep.models import Models, load_models
from generator.bigsleep.optimiser import BatchOptimiser, fit_batch_size
from generator.bigsleep.weight_files import models_key
from generator.bigsleep.weights import fetch_missing_weights
from generator.errors import GenerationError, Problem
from generator.settings import GenerationSettings

REPORT_EVERY_S = 1.0  # at most one progress report a second


class BigSleepWorker:
    """Runs batches on this actor's GPU (or on the CPU, when the run asked for it)."""

    def __init__(self, number: int, store: Any, cache_folder: str, device: str | None,
                 models_dir: str | None, gpu_share: float) -> None:
        self.number = number
        self.store = store
        self.checkpoints = StoreCheckpoints(store, Path(cache_folder))
        self.results = StoreResults(store, Path(cache_folder))
        self.models_dir = Path(models_dir) if models_dir else None
        self.gpu_share = gpu_share
        self.device = torch.device(device or "cuda")
        self.models: dict[str, Models] = {}
        self.last_report = 0.0

    def describe(self) -> dict[str, Any]:
        """Where it runs: host, the GPUs Ray gave it, its process and device."""
        gpus = ",".join(str(gpu) for gpu in ray.get_gpu_ids())
        return {"host": socket.gethostname(), "gpu": gpus or "-", "pid": os.getpid(),
                "device": self.device.type}

    def prepare(self, settings: GenerationSettings, expected: dict[str, str],
                cutouts: list[int]) -> dict[str, Any]:
        """Load the models of `settings` (once) and check they are the driver's; returns where
        it runs (`describe`) and its batch size for each number of cutouts (`batch_size`)."""
        key = models_key(settings)
        if key not in self.models:
            self.models[key] = self._load(settings, expected)
        return {"where": self.describe(),
                "sizes": {count: self.batch_size(key, count) for count in cutouts}}

    def _load(self, settings: GenerationSettings, expected: dict[str, str]) -> Models:
        if self.device.type == "cuda" and not torch.cuda.is_available():
            where = self.describe()
            raise GenerationError(Problem(
                f"worker {self.number} on {where['host']}", None, None,
                "no CUDA GPU is usable here although Ray gave this worker one",
                "check the machine's NVIDIA driver and that `ray start` saw the right GPUs "
                "(--num-gpus)"))
        with open(os.devnull, "w", encoding="utf-8") as quiet:  # the driver shows progress
            fetch_missing_weights(settings, self.models_dir, quiet)
        models = load_models(settings, self.models_dir, self.device)
        found = {"clip": models.clip_hash, "biggan": models.biggan_hash}
        differ = sorted(name for name in expected if found[name] != expected[name])
        if differ:
            where = self.describe()
            raise GenerationError(Problem(
                f"worker {self.number} on {where['host']} (GPU {where['gpu']})", None,
                " and ".join(differ),
                "refused: its " + " and ".join(
                    f"{name} weights (SHA-256 {found[name][:12]}...) differ from the driver's "
                    f"({expected[name][:12]}...)" for name in differ)
                + "; its images would not match gallery.lock",
                "give every machine the driver's weights files: run `make weights` there, or "
                "copy the driver's models folder into its $BIGSLEEP_MODELS"))
        return models

    def batch_size(self, key: str, cutouts: int) -> int:
        """How many images with `cutouts` fit this worker's share of its GPU."""
        return max(1, int(fit_batch_size(self.models[key], self.device, cutouts)
                          * self.gpu_share))

    def run(self, work: list[Work], label: str) -> int:
        """Run one batch to the end; returns the iteration it resumed from."""
        models = self.models[models_key(work[0][0].settings)]
        total = sum(task.settings.iterations for task, _ in work)
        self.last_report = 0.0

        def report(optimiser: BatchOptimiser) -> None:
            now = time.monotonic()
            if now - self.last_report >= REPORT_EVERY_S or optimiser.done:
                self.last_report = now
                self.store.report.remote(self.number, {
                    "label": label, "done": sum(optimiser.iterations), "total": total,
                    "time": time.time()})

        try:
            with open(os.devnull, "w", encoding="utf-8") as quiet:  # the driver shows progress
                return run_batch(work, models, self.device, label, self.checkpoints,
                                 self.results, quiet, report)
        finally:  # a checkpoint kept for inspection is stored before the driver hears of it
            self.checkpoints.flush()
