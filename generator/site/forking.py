"""Work shared out to processes forked from the build, as Hugo works on every core.

A forked process inherits the build's memory as it is (pages, templates, contexts): nothing is
pickled on the way in, only the parts of each share's result on the way back. `in_forks(work)`
runs `work(1)` ... `work(SHARES - 1)` each in a process of its own while this one runs `work(0)`,
and returns the parts they yielded, share by share; each forked process dies with the build
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
import pickle
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, NoReturn, TypeVar

from generator.fsutil import die_with_parent

SHARES = 2  # processes the work is shared among
MAX_CHUNKS = 1000  # of `Claims`: their numbers, 4 bytes each, fit in one atomic pipe write
Part = TypeVar("Part")


def can_fork() -> bool:
    """True where forking a process of its own build is safe (see the module's docstring)."""
    return sys.platform == "linux"


def in_forks(work: Callable[[int], Iterable[Part]]) -> list[list[Part]]:
    """[list(work(0)), ..., list(work(SHARES - 1))]: share 0 run here, the others each in a
    forked process meanwhile; a share whose process cannot be forked or dies is run here after
    (the same work, only slower)."""
    return Forked(work).join()


class Forked(Generic[Part]):
    """work(1) ... work(SHARES - 1), each started now in a process of its own, forked from this
    one as it is now; `join` runs work(0) here and returns every share's parts (`in_forks`).
    Meanwhile this process may go on with other work: what it does after the fork, the forked
    processes do not see. A forked process pickles each part as its work yields it into a
    file in memory (memfd) and ends with `os._exit` (no clean-up of the build's memory it
    shares); once it ended well, its parts are read back. Pickled as they come, not all at the
    end, and into memory, not a pipe the parent reads only when it is done itself: sending
    500 pages read ahead back through a pipe took 40-50 ms after both processes had finished,
    with the parent waiting. A plain fork, not multiprocessing's pool: the pool's import, its
    threads and its queues cost a cold build 45 ms before the first share could start."""

    def __init__(self, work: Callable[[int], Iterable[Part]]) -> None:
        self.work = work
        self._forked: list[tuple[int, int]] = []  # (process id, the file of its parts)
        parent = os.getpid()
        for share in range(1, SHARES):
            try:
                parts = os.memfd_create(f"share-{share}", os.MFD_CLOEXEC)
            except OSError:  # no memory file: this process does the share
                break
            try:
                pid = os.fork()
            except OSError:  # the system refused a fork: this process does the share
                os.close(parts)
                break
            if pid == 0:
                _run_share(work, share, parts, parent)
            self._forked.append((pid, parts))

    def join(self) -> list[list[Part]]:
        try:
            done = [list(self.work(0))]
            for pid, parts in self._forked:
                sent = _parts_of(pid, parts)
                if sent is None:  # killed or failed: what it did not send back is redone
                    break
                done.append(sent)
            return done + [list(self.work(share)) for share in range(len(done), SHARES)]
        finally:
            self.close()

    def close(self) -> None:
        """Wait for the forked processes to end (what they are doing they finish)."""
        for pid, parts in self._forked:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            os.close(parts)
        self._forked = []


def _run_share(work: Callable[[int], Iterable[Any]], share: int, parts: int,
               parent: int) -> NoReturn:
    """In a forked process: run this share of the work, each part it yields pickled into the
    file `parts`."""
    status = 1
    try:
        die_with_parent(parent)
        with open(parts, "wb", closefd=False) as sending:
            for part in work(share):
                pickle.dump(part, sending, pickle.HIGHEST_PROTOCOL)
        status = 0
    finally:  # whatever happened: no exception climbs into the parent's code in this process
        os._exit(status)


def _parts_of(pid: int, parts: int) -> list[Any] | None:
    """The parts a forked process sent, once it ended; None when it failed or died."""
    with contextlib.suppress(ChildProcessError):
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) == 0:
            sent = []
            os.lseek(parts, 0, os.SEEK_SET)
            with open(parts, "rb", closefd=False) as reading, contextlib.suppress(EOFError):
                while True:
                    sent.append(pickle.load(reading))
            return sent
    return None


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
