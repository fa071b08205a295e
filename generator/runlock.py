"""One run at a time per gallery: an advisory lock file in .cache/.

Generation holds .cache/generation/lock; writing content/ and building site/ hold .cache/site.lock,
so two `make site` at once queue instead of writing the same files together. The operating system
releases the lock when its process dies (kill -9 included), so a crashed run never blocks the next.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from generator.errors import GalleryError, GenerationError, Problem


@contextmanager
def run_lock(path: Path, *, wait: bool, out: TextIO, what: str = "generation run",
             error: type[GalleryError] = GenerationError) -> Iterator[bool]:
    """Hold the run lock at `path`; wait for another run to finish, or stop when `wait` is False.

    Yields whether it waited: the other run may have done this one's work meanwhile.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    waited = False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            if not wait:
                raise error(Problem(
                    path, None, None, f"another {what}{holder} is using this gallery",
                    "wait for it to finish, or run again without --no-wait to queue behind it",
                )) from None
            print(f"waiting for another {what}{holder} to finish ({path})...",
                  file=out, flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
            waited = True
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield waited
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _holder(fd: int) -> str:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return f" (process {text})" if text.isdigit() else ""
