"""The driver's checkpoint store, and the stand-ins through which cluster workers use it.

Workers on other machines cannot see the driver's .cache/generation/. `CheckpointStore` is a small
Ray actor pinned to the driver's machine that keeps that folder: it stores checkpoints and results
atomically there (through `resume.Checkpoints` and `resume.Results`, as an in-process run does)
and holds each worker's latest progress for the driver's progress display. It accepts only the
file names those classes make (32 hex digits + .pt / a task hash), so no worker can name a path
outside the folder. Checkpoint bytes are unpickled only by workers, with `weights_only=True`.

On a worker (and on the driver, which reads finished results through it), `StoreCheckpoints` and
`StoreResults` are `Checkpoints` and `Results` whose storage calls the store: `batches.run_batch`
runs unchanged, and a batch a dead worker left resumes from its last checkpoint on any other
worker.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ray

from generator.bigsleep.resume import Checkpoints, Results

CHECKPOINT_NAME = re.compile(r"[0-9a-f]{32}\.pt")
TASK_HASH = re.compile(r"[0-9a-f]{64}")


class CheckpointStore:
    """The driver-side keeper of .cache/generation/ for a cluster run (a Ray actor)."""

    def __init__(self, folder: str) -> None:
        self.checkpoints = Checkpoints(Path(folder))
        self.results = Results(Path(folder))
        self.reports: dict[int, dict[str, Any]] = {}

    def stored(self) -> list[tuple[str, bytes]]:
        return [(path.name, data) for path, data in self.checkpoints.stored()]

    def store(self, name: str, data: bytes) -> None:
        self.checkpoints.store(self._checkpoint(name), data)

    def delete(self, name: str) -> None:
        self.checkpoints.delete(self._checkpoint(name))

    def done(self, task_hash: str) -> bool:
        return self.results.done(self._task(task_hash))

    def write(self, task_hash: str, data: bytes) -> None:
        self.results.write(self._task(task_hash), data)

    def read(self, task_hash: str) -> bytes:
        return self.results.read(self._task(task_hash))

    def drop(self, task_hashes: list[str]) -> None:
        self.results.drop([self._task(task_hash) for task_hash in task_hashes])

    def clear(self) -> None:
        """After a complete run: every checkpoint and result left belongs to changed inputs."""
        self.checkpoints.clear()
        self.results.clear()

    def report(self, worker: int, progress: dict[str, Any]) -> None:
        """A worker's latest progress (see `cluster_worker.BigSleepWorker`)."""
        self.reports[worker] = progress

    def progress(self) -> dict[int, dict[str, Any]]:
        return dict(self.reports)

    def _checkpoint(self, name: str) -> Path:
        if not CHECKPOINT_NAME.fullmatch(name):
            raise ValueError(f"not a checkpoint name: {name!r}")
        return self.checkpoints.folder / name

    @staticmethod
    def _task(task_hash: str) -> str:
        if not TASK_HASH.fullmatch(task_hash):
            raise ValueError(f"not a task hash: {task_hash!r}")
        return task_hash


class StoreCheckpoints(Checkpoints):
    """A worker's `Checkpoints`, kept by the driver's `CheckpointStore`.

    A checkpoint is sent without waiting for the store to write it: the batch runs on meanwhile
    (a round trip, and the write, cost about as much as an iteration of the tiny models). At most
    one is in flight: the next checkpoint call waits for it first, and so raises its error, if
    any; `flush` waits for it at the end of a batch. A worker that dies with one in flight
    leaves the previous checkpoint or this one (the store writes atomically), never a mix.
    """

    def __init__(self, store: Any, folder: Path) -> None:
        super().__init__(folder)  # the driver's folder: names and messages only
        self.store_actor = store
        self.in_flight: Any = None  # the reference of the last checkpoint sent

    def flush(self) -> None:
        """Wait until the last checkpoint sent is stored (raising the store's error, if any)."""
        in_flight, self.in_flight = self.in_flight, None
        if in_flight is not None:
            ray.get(in_flight)

    def stored(self) -> list[tuple[Path, bytes]]:
        self.flush()
        return [(self.folder / name, data)
                for name, data in ray.get(self.store_actor.stored.remote())]

    def store(self, path: Path, data: bytes) -> None:
        self.flush()
        self.in_flight = self.store_actor.store.remote(path.name, data)

    def delete(self, path: Path) -> None:
        self.flush()
        ray.get(self.store_actor.delete.remote(path.name))

    def clear(self) -> None:
        self.flush()
        ray.get(self.store_actor.clear.remote())


class StoreResults(Results):
    """A worker's `Results`, kept by the driver's `CheckpointStore`."""

    def __init__(self, store: Any, folder: Path) -> None:
        super().__init__(folder)
        self.store_actor = store

    def done(self, task_hash: str) -> bool:
        return bool(ray.get(self.store_actor.done.remote(task_hash)))

    def write(self, task_hash: str, data: bytes) -> None:
        ray.get(self.store_actor.write.remote(task_hash, data))

    def read(self, task_hash: str) -> bytes:
        return bytes(ray.get(self.store_actor.read.remote(task_hash)))

    def drop(self, task_hashes: Sequence[str]) -> None:
        ray.get(self.store_actor.drop.remote(list(task_hashes)))

    def clear(self) -> None:
        ray.get(self.store_actor.clear.remote())
