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
import pickle
import sys
from collections.abc import Callable, Iterator
from typing import Any, Generic, NoReturn, TypeVar

from generator.fsutil import die_with_parent

SHARES = 2  # processes the work is shared among
MAX_CHUNKS = 1000  # of `Claims`: their numbers, 4 bytes each, fit in one atomic pipe write
Result = TypeVar("Result")


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
    processes do not see. Each forked process sends its result back pickled through a pipe and
    ends with `os._exit` (no clean-up of the build's memory it shares). A plain fork, not
    multiprocessing's pool: the pool's import, its threads and its queues cost a cold build
    45 ms before the first share could start, with nothing to gain for work this simple."""

    def __init__(self, work: Callable[[int], Result]) -> None:
        self.work = work
        self._forked: list[tuple[int, int]] = []  # (process id, the read end of its pipe)
        parent = os.getpid()
        for share in range(1, SHARES):
            read, write = os.pipe()
            try:
                pid = os.fork()
            except OSError:  # the system refused a fork: this process does the share
                os.close(read)
                os.close(write)
                break
            if pid == 0:
                os.close(read)
                _run_share(work, share, write, parent)
            os.close(write)
            self._forked.append((pid, read))

    def join(self) -> list[Result]:
        try:
            done = [self.work(0)]
            for pid, read in self._forked:
                result = _result_of(pid, read)
                if result is None:  # killed or failed: what it did not send back is redone
                    break
                done.append(result[0])
            return done + [self.work(share) for share in range(len(done), SHARES)]
        finally:
            self.close()

    def close(self) -> None:
        """Wait for the forked processes to end: a process still sending its result is stopped
        by its closed pipe, one still working finishes its work first."""
        for pid, read in self._forked:
            with contextlib.suppress(OSError):
                os.close(read)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self._forked = []


def _run_share(work: Callable[[int], Any], share: int, write: int, parent: int) -> NoReturn:
    """In a forked process: run this share of the work and send its result back pickled."""
    status = 1
    try:
        die_with_parent(parent)
        data = pickle.dumps(work(share), pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
        status = 0
    finally:  # whatever happened: no exception climbs into the parent's code in this process
        os._exit(status)


def _result_of(pid: int, read: int) -> tuple[Any] | None:
    """(the result) a forked process sent back, once it ended; None when it failed or died."""
    chunks = []
    with contextlib.suppress(OSError):
        while chunk := os.read(read, 1 << 20):
            chunks.append(chunk)
    with contextlib.suppress(ChildProcessError):
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) == 0:
            return (pickle.loads(b"".join(chunks)),)
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
