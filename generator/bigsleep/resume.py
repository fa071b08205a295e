"""What .cache/generation/ keeps between runs, so a stopped run resumes where it was.

- `<hash>.pt` (`Checkpoints`): optimiser state and progress frames of a running batch, loaded
  with `torch.load(weights_only=True)` (tensors and plain values only: checkpoints may come
  from other machines, and a pickle can run code);
- `done/<hash>.json` (`Results`): a finished candidate (PNG, similarity, frames), kept until its
  entry's files are written.

Every write is atomic, so a kill at any point leaves the previous state or the new one.
"""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from generator.bigsleep.lockfile import canonical_json, sha256_text
from generator.bigsleep.optimiser import BatchOptimiser, Task
from generator.errors import GenerationError, Problem
from generator.fsutil import atomic_write_bytes

CHECKPOINT_VERSION = 1

Frames = dict[str, list[tuple[int, bytes]]]  # task key -> (iteration, PNG) progress frames


@dataclass
class TaskResult:
    """A finished candidate."""

    png: bytes
    similarity: float
    frames: list[tuple[int, bytes]] = field(default_factory=list)  # (iteration, PNG)


class Checkpoints:
    """Optimiser state and progress frames of running batches, in .cache/generation/*.pt.

    A file holds one batch, but state is restored task by task (by key), so a run with another
    batch size (set, or fitted to the GPU memory free then) still resumes every task.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, tasks: Sequence[Task]) -> Path:
        return self.folder / f"{sha256_text(canonical_json(sorted(t.key for t in tasks)))[:32]}.pt"

    # -- storage: the folder here; a cluster worker's stand-in stores through the driver ------

    def stored(self) -> list[tuple[Path, bytes]]:
        """Every checkpoint file and its bytes, oldest first."""
        paths = sorted(self.folder.glob("*.pt"), key=lambda p: p.stat().st_mtime_ns)
        return [(path, path.read_bytes()) for path in paths]

    def store(self, path: Path, data: bytes) -> None:
        atomic_write_bytes(path, data)

    def delete(self, path: Path) -> None:
        path.unlink(missing_ok=True)

    # -- contents --------------------------------------------------------------------------

    def _read(self, path: Path, data: bytes) -> dict[str, Any] | None:
        """A checkpoint's contents; None when damaged or of another version (the tasks then
        start afresh). Only tensors and plain values are unpickled: a file holding anything
        else (which could run code as it loads) is refused."""
        try:
            saved = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as error:
            raise GenerationError(Problem(
                path, None, None, "refused: this checkpoint holds more than tensors and plain "
                "values, and loading it could run code (it was not written by this tool)",
                f"delete it; only the tool writes into {self.folder}, and the images it was "
                "for are optimised again")) from error
        except Exception:  # damaged (never by us: writes are atomic) or from another version
            return None
        return saved if isinstance(saved, dict) and saved.get("version") == CHECKPOINT_VERSION \
            else None

    def _all(self) -> list[tuple[Path, dict[str, Any]]]:
        return [(path, saved) for path, data in self.stored()
                if (saved := self._read(path, data)) is not None]

    def resume(self, optimiser: BatchOptimiser, tasks: Sequence[Task]) -> Frames:
        """Restore every task found in a checkpoint (newest wins); returns their frames."""
        frames: Frames = {}
        keys = {task.key for task in tasks}
        for _, saved in self._all():
            if keys & set(saved["keys"]):
                for key in optimiser.load_state_dict(saved["optimiser"]):
                    frames[key] = list(saved["frames"].get(key, []))
        return frames

    def save(self, path: Path, optimiser: BatchOptimiser, tasks: Sequence[Task],
             frames: Frames) -> None:
        buffer = io.BytesIO()
        torch.save({"version": CHECKPOINT_VERSION, "keys": [task.key for task in tasks],
                    "frames": frames, "optimiser": optimiser.state_dict()}, buffer)
        self.store(path, buffer.getvalue())

    def drop(self, finished: Callable[[str], bool]) -> None:
        """Delete the checkpoints whose tasks are all finished."""
        for path, saved in self._all():
            if all(finished(key) for key in saved["keys"]):
                self.delete(path)

    def clear(self) -> None:
        """Delete every checkpoint."""
        for path in self.folder.glob("*.pt"):
            path.unlink()


class Results:
    """Finished candidates by task hash, in .cache/generation/done/*.json."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "done"

    def _path(self, task_hash: str) -> Path:
        return self.folder / f"{task_hash[:32]}.json"

    def done(self, task_hash: str) -> bool:
        return self._path(task_hash).exists()

    def write(self, task_hash: str, data: bytes) -> None:
        """Store a result's file (a cluster worker's stand-in stores through the driver)."""
        atomic_write_bytes(self._path(task_hash), data)

    def save(self, task_hash: str, result: TaskResult) -> None:
        payload = {"png": result.png.hex(), "similarity": result.similarity,
                   "frames": [[it, png.hex()] for it, png in result.frames]}
        self.write(task_hash, json.dumps(payload, allow_nan=False).encode())

    def load_all(self, task_hashes: Sequence[str]) -> list[TaskResult] | None:
        """The results of these tasks, or None while any is not finished."""
        if not all(self.done(task_hash) for task_hash in task_hashes):
            return None
        return [self._load(self.read(task_hash)) for task_hash in task_hashes]

    def read(self, task_hash: str) -> bytes:
        return self._path(task_hash).read_bytes()

    def _load(self, text: bytes) -> TaskResult:
        data = json.loads(text)
        return TaskResult(bytes.fromhex(data["png"]), float(data["similarity"]),
                          [(int(it), bytes.fromhex(png)) for it, png in data["frames"]])

    def drop(self, task_hashes: Sequence[str]) -> None:
        for task_hash in task_hashes:
            self._path(task_hash).unlink()

    def clear(self) -> None:
        """Delete every result."""
        for path in self.folder.glob("*.json"):
            path.unlink()
