"""Work shared out to processes forked from the build, as Hugo works on every core.

A forked process inherits the build's memory as it is (pages, templates, contexts): nothing is
pickled on the way in, only each share's result on the way back. `in_forks(work)` runs
`work(1)` ... `work(SHARES - 1)` each in a process of its own while this one runs `work(0)`, and
returns their results in that order; each forked process dies with the build
(`die_with_parent`), so a killed build leaves no helper writing behind it. The items of a list
of work are handed out by `Claims`, a chunk at a time to whichever process asks first, so the
processes finish together.

Forking is for a build in a process with no other thread (`make build`, alone or in the
resident builder): a fork copies only the thread that forks, so a process with other threads
(the preview's server and watcher) could hand the copy a lock some other thread held; and
only on Linux, as macOS's system libraries are not safe to use after a fork. The caller says
which it is; `can_fork` adds the system's part.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from generator.fsutil import die_with_parent

SHARES = 2  # processes the work is shared among
MAX_CHUNKS = 1000  # of `Claims`: their numbers, 4 bytes each, fit in one atomic pipe write
Result = TypeVar("Result")
_WORK: Callable[[int], Any] | None = None  # what the forked processes inherit and run


def can_fork() -> bool:
    """True where forking a process of its own build is safe (see the module's docstring)."""
    return sys.platform == "linux"


def in_forks(work: Callable[[int], Result]) -> list[Result]:
    """[work(0), ..., work(SHARES - 1)]: share 0 run here, the others each in a forked process
    meanwhile; a share whose process cannot be forked or dies is run here after (the same work,
    only slower)."""
    return Forked(work).join()


class Forked(Generic[Result]):
    """work(1) ... work(SHARES - 1), each started now in a process of its own, forked from this
    one as it is now; `join` runs work(0) here and returns every share's result (`in_forks`).
    Meanwhile this process may go on with other work: what it does after the fork, the forked
    processes do not see. Imported here: most builds share nothing, and these imports are a
    tenth of a small site's rebuild."""

    def __init__(self, work: Callable[[int], Result]) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        global _WORK
        self.work = work
        self._pool: ProcessPoolExecutor | None = None
        self._forked: Iterator[Result] = iter(())
        _WORK = work
        try:
            self._pool = ProcessPoolExecutor(
                SHARES - 1, mp_context=multiprocessing.get_context("fork"),
                initializer=die_with_parent, initargs=(os.getpid(),))
            self._forked = self._pool.map(_run_share, range(1, SHARES))  # forks now
        except OSError:  # the system refused a fork: this process does every share
            pass
        finally:
            _WORK = None  # each forked process has its copy

    def join(self) -> list[Result]:
        from concurrent.futures.process import BrokenProcessPool

        try:
            done = [self.work(0)]
            with contextlib.suppress(BrokenProcessPool):  # one was killed: keep what came back
                done.extend(self._forked)
            return done + [self.work(share) for share in range(len(done), SHARES)]
        finally:
            self.close()

    def close(self) -> None:
        """Wait for the forked processes to end (what they are doing they finish)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def _run_share(share: int) -> Any:
    """In a forked process: this share of the work `in_forks` was given."""
    if _WORK is None:
        raise RuntimeError("a share of work started outside in_forks")
    return _WORK(share)


class Claims:
    """The items 0 ... count - 1 of a list of work, handed out a chunk at a time to whichever
    process of `in_forks` asks first (iterate over it in each share). A split fixed in advance
    kept the build waiting for the slower process: the one that forked rendered its half of
    1,000 posts' pages 0.1-0.2 s later than the forked one. The chunks' numbers wait in a pipe
    made before the fork, written in one piece (under PIPE_BUF: never torn, never blocking),
    and each 4-byte read takes one chunk for one process. The items a process that died had
    taken are not done: the caller sees which came back."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.size = max(1, -(-count // MAX_CHUNKS))  # items a chunk
        self._read, write = os.pipe()
        try:
            os.write(write, b"".join(chunk.to_bytes(4, "big")
                                     for chunk in range(-(-count // self.size))))
        finally:
            os.close(write)  # read to its end, the pipe says so: no chunk is left

    def __iter__(self) -> Iterator[int]:
        while len(number := os.read(self._read, 4)) == 4:
            start = int.from_bytes(number, "big") * self.size
            yield from range(start, min(start + self.size, self.count))

    def drain(self) -> None:
        """Claim every chunk left, doing none: the processes stop after the chunk they hold."""
        while os.read(self._read, 4096):
            pass

    def __enter__(self) -> Claims:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        os.close(self._read)
