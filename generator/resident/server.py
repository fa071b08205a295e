"""The resident builder's process: `python -m generator.resident.server CACHE_DIR`, started by
`client.start`. It runs one command at a time, as the command line would (`cli.run`), with the
pages, bodies and templates of its last builds (`WarmCaches`), and writes what it prints back to
the client.

It holds .cache/resident.lock while it runs (so a project has one; the lock names its process).
It leaves when it has been idle for `--idle` seconds, when a client runs other code (a new
checkout, an upgraded library), when its socket is removed or replaced (`make clean`), when a
command fails with an unexpected error (its memory may no longer match the disk), or on SIGTERM
(a build it was running is left unfinished, as an interrupted build is, and its client builds
alone). Leaving idle or for new code, it keeps its pages and bodies on disk for the next build
of a process of its own.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import importlib
import io
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

from generator.folders import Folders
from generator.resident import protocol
from generator.resident.protocol import Request, receive, send
from generator.site.warm import WarmCaches

IDLE = 60 * 60  # seconds without a build before the builder leaves: an author's pause
LOOK_EVERY = 1.0  # seconds between looks at the socket file and the idle time
REQUEST_WITHIN = 5.0  # seconds a client has to send its request once connected
HANDOVER = 3.0  # seconds a new builder waits for the lock of one leaving


class _Frames(io.TextIOBase):
    """sys.stdout or sys.stderr of a command: what it writes goes to the client as frames of
    `kind`; after the client has gone, it is dropped and the command runs on to its end."""

    def __init__(self, connection: socket.socket, kind: bytes) -> None:
        self.connection = connection
        self.kind = kind
        self.gone = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if text and not self.gone:
            try:
                send(self.connection, self.kind, text.encode())
            except OSError:
                self.gone = True
        return len(text)


class ResidentBuilder:
    """The state kept between commands: the caches of the project in `cache_dir`."""

    def __init__(self, cache_dir: Path) -> None:
        importlib.import_module("generator.site.pipeline")  # now, not at the first build
        self.cache_dir = cache_dir
        self.code = protocol.code_stamp()
        self.warm = WarmCaches.kept(cache_dir, resident=True)
        self.unkept = False  # the caches hold builds not kept on disk yet
        self.trusted = True  # False after an unexpected error: nothing of it is kept

    def answer(self, connection: socket.socket) -> bool:
        """Run the command a client sends; False when the builder should leave (the client runs
        other code, or the command failed unexpectedly)."""
        connection.settimeout(REQUEST_WITHIN)
        frame = receive(connection)
        try:
            if frame is None or frame[0] != protocol.REQUEST:
                return True
            request = Request.decode(frame[1])
        except ValueError:
            return True  # not one of our clients
        connection.settimeout(None)
        if request.code != self.code:
            send(connection, protocol.STALE)
            return False
        saved = sys.stdout, sys.stderr, os.umask(request.umask)
        try:
            os.chdir(request.cwd)
            command = self._parsed(request.argv)
            if command is None:
                send(connection, protocol.ELSEWHERE)
                return True
            send(connection, protocol.ACCEPTED)
            sys.stdout = _Frames(connection, protocol.OUT)
            sys.stderr = _Frames(connection, protocol.ERR)
            status = self._run(*command)
        finally:
            sys.stdout, sys.stderr = saved[0], saved[1]
            os.chdir("/")  # between commands: no folder of the user's is held, or missed
            os.umask(saved[2])
        with contextlib.suppress(OSError):
            send(connection, protocol.EXIT, str(status).encode())
        return self.trusted

    def keep(self) -> None:
        """Keep the pages and bodies of the last build on disk, for a build in its own process."""
        if self.unkept and self.trusted:
            with contextlib.suppress(OSError):
                self.warm.keep(self.cache_dir)
            self.unkept = False

    def _parsed(self, argv: list[str]) -> tuple[argparse.Namespace, Folders] | None:
        """The command line and its folders, if it is a command this builder runs (`build` or
        `draft`, not a cold one) for its own project; else None, and the client runs it."""
        from generator.cli import build_parser

        try:
            with contextlib.redirect_stderr(io.StringIO()):
                args = build_parser().parse_args(argv)
        except SystemExit:  # the client's own parser says what is wrong
            return None
        if not args.handler.resident or args.full or args.no_resident:
            return None
        folders = Folders.from_args(args)
        if os.path.realpath(folders.cache) != os.path.realpath(self.cache_dir):
            return None
        return args, folders

    def _run(self, args: argparse.Namespace, folders: Folders) -> int:
        """The command's exit status, as `python -m generator` would end with it."""
        from generator.cli import run

        self.unkept = True
        try:
            return run(args, folders, warm=self.warm)
        except Exception:  # a bug: report it as a build of its own would, and leave
            traceback.print_exc()
            self.trusted = False
            return 1


def serve(cache_dir: Path, idle: float = IDLE) -> None:
    """Answer the clients of the project whose cache is `cache_dir` until it is time to leave;
    returns when another builder runs for it."""
    path = protocol.socket_path(cache_dir)
    lock = os.open(cache_dir / protocol.LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if not _locked(lock):
            return
        os.ftruncate(lock, 0)
        os.pwrite(lock, f"{os.getpid()}\n".encode(), 0)
        cache_dir = cache_dir.absolute()
        os.chdir("/")  # the folder it was started in may be removed while it runs
        builder = ResidentBuilder(cache_dir)
        with _listening(path) as (listener, inode):
            keeps = _answer_until_done(builder, listener, path, inode, idle)
        if keeps:  # after the socket is gone: a client that asks now builds alone at once
            builder.keep()
    finally:
        os.close(lock)


@contextlib.contextmanager
def _listening(path: str) -> Iterator[tuple[socket.socket, int]]:
    """A socket listening at `path` (only this user may connect), and the inode of its file;
    the file is removed after, unless another has replaced it."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)  # a builder that died left it; the lock says none is running now
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mask = os.umask(0o077)
    try:
        protocol.reach(listener, path, listen=True)
    finally:
        os.umask(mask)
    inode = os.stat(path).st_ino
    try:
        listener.listen(16)
        listener.settimeout(LOOK_EVERY)
        yield listener, inode
    finally:
        listener.close()
        if _ours(path, inode):
            os.unlink(path)


def _answer_until_done(builder: ResidentBuilder, listener: socket.socket, path: str, inode: int,
                       idle: float) -> bool:
    """Answer clients until it is time to leave -> whether to keep the caches on disk then
    (not when the socket is gone: the project's cache was removed, or another builder took
    over)."""
    last = time.monotonic()
    while True:
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            if not _ours(path, inode):
                return False
            if time.monotonic() - last > idle:
                return True
            continue
        with connection:
            try:
                healthy = builder.answer(connection)
            except OSError:  # the client left before its request was read
                healthy = True
        last = time.monotonic()
        if not healthy:  # new code keeps them too: its pages are keyed by the renderer's code
            return _ours(path, inode)


def _locked(lock: int) -> bool:
    """Take the builder's lock, waiting HANDOVER seconds for one that is leaving (for other
    code, it keeps its pages first); False when another builder holds it still."""
    deadline = time.monotonic() + HANDOVER
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


def _ours(path: str, inode: int) -> bool:
    try:
        return os.stat(path).st_ino == inode
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m generator.resident.server",
                                     description="the resident builder of one project")
    parser.add_argument("cache_dir", type=Path, help="the project's cache folder (.cache/)")
    parser.add_argument("--idle", type=float, default=IDLE,
                        help=f"seconds without a build before leaving (default: {IDLE})")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # leave through `serve`'s cleanup
    serve(args.cache_dir, args.idle)


if __name__ == "__main__":
    main()
