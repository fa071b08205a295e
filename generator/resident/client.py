"""The command line's side of the resident builder: hand a build to it (`quick` before the
command line is even parsed, `delegate` after), or start one after building alone (`start`).

Only what Python loads at start-up anyway is imported here, and `_socket` rather than `socket`:
`python -m generator build` answered by the builder costs its process 30 ms.
"""

from __future__ import annotations

import _socket
import io
import os
import select
import sys

from generator.resident.protocol import (
    ACCEPTED,
    ERR,
    EXIT,
    OUT,
    REQUEST,
    Request,
    code_stamp,
    reach,
    receive,
    send,
    socket_path,
)

SWITCH = "GALLERY_RESIDENT"  # 0: no resident builder (as on a CI, where $CI is set)
BUSY_NOTE_AFTER = 0.5  # seconds without an answer: the builder is busy with another build
LOG_NAME = "resident.log"  # what the builder prints, should it ever fail to start
INTERRUPTED = 130  # the exit status of a run stopped by Ctrl-C, as a shell gives it
# `quick` sends these command lines as they are: none of their options moves the project's cache
QUICK_COMMANDS = ("build", "draft")
QUICK_FLAGS = ("--drafts", "--placeholders", "--strict")
QUICK_FOLDERS = ("--content", "--out", "--theme")


def wanted() -> bool:
    """Whether builds may use a resident builder: not with GALLERY_RESIDENT=0, not on a CI, not
    where the system has no Unix sockets."""
    return (os.environ.get(SWITCH, "1") != "0" and not os.environ.get("CI")
            and hasattr(_socket, "AF_UNIX"))


def quick(argv: list[str]) -> int | None:
    """`delegate` for the command lines `make build` and `make draft` write (`build`, `draft`,
    `--manifest FILE` before them, the flags and folders of QUICK_FLAGS and QUICK_FOLDERS after
    them), before the command line is parsed: the cache is beside the manifest, as `Folders`
    puts it, and the builder parses the command line again and runs it only if it names the
    builder's own cache (ELSEWHERE otherwise). None for any other command line, which the
    command line then parses and may delegate itself."""
    if not wanted():
        return None
    manifest, command, given = "gallery.yaml", None, iter(argv)
    for token in given:
        if command is None and token in QUICK_COMMANDS:
            command = token
        elif command is None and token == "--manifest":
            manifest = next(given, "")
        elif command is None and token.startswith("--manifest="):
            manifest = token.removeprefix("--manifest=")
        elif command is not None and token in QUICK_FOLDERS:
            if next(given, "-").startswith("-"):
                return None
        elif command is None or token not in QUICK_FLAGS:
            return None
    if command is None or not manifest or manifest.startswith("-"):
        return None
    try:
        return delegate(argv, os.path.join(os.path.dirname(os.path.realpath(manifest)), ".cache"))
    except KeyboardInterrupt:
        return interrupted()


def delegate(argv: list[str], cache_dir: str | os.PathLike[str]) -> int | None:
    """Run `python -m generator ARGV` in the resident builder of the project whose cache is
    `cache_dir`, printing what it prints: its exit status, or None when no builder ran it (none
    answers, it runs other code, or it stopped before the end) and the caller builds alone.
    A client interrupted meanwhile leaves the builder to finish; that build swaps its site in
    whole, as every build does, or leaves the last one."""
    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        cwd = os.getcwd()
        reach(connection, socket_path(cache_dir))
        send(connection, REQUEST, Request(argv, cwd, _umask(), code_stamp()).encode())
        return _follow(connection)
    except OSError:
        return None
    finally:
        connection.close()


def _follow(connection: _socket.socket) -> int | None:
    """Print the builder's frames until its exit status."""
    readable, _, _ = select.select([connection], [], [], BUSY_NOTE_AFTER)
    if not readable:
        print("waiting for the resident builder to finish another build...", file=sys.stderr,
              flush=True)
    first = receive(connection)
    if first is None or first[0] != ACCEPTED:
        return None  # STALE or ELSEWHERE, or a builder that left before answering
    closed: set[bytes] = set()  # streams that cannot be written (`make build | head -1`)
    while (frame := receive(connection)) is not None:
        kind, data = frame
        if kind in (OUT, ERR) and kind not in closed:
            try:
                _write(sys.stdout if kind == OUT else sys.stderr, data)
            except (OSError, ValueError):  # the build goes on, its output is dropped
                closed.add(kind)
        elif kind == EXIT:
            return int(data)
    print("the resident builder stopped before the build ended; building in this process",
          file=sys.stderr, flush=True)
    return None


def _write(out: io.TextIOWrapper, data: bytes) -> None:
    out.flush()  # what this process printed first stays first
    out.buffer.write(data)
    out.buffer.flush()


def start(cache_dir: str | os.PathLike[str]) -> None:
    """Start the resident builder of the project whose cache is `cache_dir`, for the builds that
    follow (where one runs already, the new one leaves at once). Where it cannot be started (a
    read-only cache, no process to spare), the next build builds alone too."""
    import subprocess

    if not os.path.isdir(cache_dir):
        return
    try:
        with open(os.path.join(cache_dir, LOG_NAME), "wb") as log:
            subprocess.Popen(
                [sys.executable, "-m", "generator.resident.server", os.path.abspath(cache_dir)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    except OSError:
        return
    print("site: a resident builder keeps this site in memory for the next builds "
          "(--no-resident: build without it)", file=sys.stderr)


def interrupted() -> int:
    print("interrupted; a new run resumes where this one stopped", file=sys.stderr)
    return INTERRUPTED


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
