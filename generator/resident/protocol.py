"""What the resident builder and its clients share: where its socket and lock are, the stamp of
the code it runs, and the frames they exchange.

A client sends one REQUEST frame (`Request`) and reads frames back: ACCEPTED when the builder
starts on it, OUT and ERR for what the command prints, then EXIT with its status; or STALE when
the builder runs other code than the client (it leaves, and the client builds alone), or
ELSEWHERE when the command is not one it runs for this project. A frame is one kind byte, a
4-byte big-endian length and that many bytes.

A client imports this module before anything else, so it imports only what Python has loaded
at start-up anyway (no json, pathlib, hashlib or typing: 30 ms of a 60 ms rebuild).
"""

from __future__ import annotations

import _socket  # socket's own base: `import socket` adds 14 ms of enums and selectors
import os
import struct
import sys

REQUEST, ACCEPTED, OUT, ERR, EXIT = b"R", b"A", b"O", b"E", b"X"
STALE, ELSEWHERE = b"S", b"N"
SOCKET_NAME = "resident.sock"
LOCK_NAME = "resident.lock"  # held by the builder while it runs; holds its process id
PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # generator/
MAX_FRAME = 64 * 1024 * 1024  # a frame larger than this is not from our client or builder
_HEADER = struct.Struct(">cI")


class Request:
    """A command to run as the client would have run it: its command line after
    `python -m generator`, its working folder and umask (new files get the modes they would get
    in the client's own process), and the client's `code_stamp`. The renderer reads no
    environment variable, so none are sent."""

    def __init__(self, argv: list[str], cwd: str, umask: int, code: str) -> None:
        self.argv, self.cwd, self.umask, self.code = argv, cwd, umask, code

    def encode(self) -> bytes:
        """NUL-separated fields: no argument, path or stamp holds a NUL."""
        return b"\0".join([os.fsencode(self.cwd), b"%d" % self.umask, self.code.encode(),
                           *map(os.fsencode, self.argv)])

    @classmethod
    def decode(cls, data: bytes) -> Request:
        """The request in `data`; ValueError when it is not one."""
        parts = data.split(b"\0")
        if len(parts) < 3:
            raise ValueError("a request has a folder, a umask and a code stamp")
        umask = int(parts[1])
        if not 0 <= umask <= 0o777:
            raise ValueError(f"{umask} is not a umask")
        return cls([os.fsdecode(part) for part in parts[3:]], os.fsdecode(parts[0]), umask,
                   parts[2].decode())


def socket_path(cache_dir: str | os.PathLike[str]) -> str:
    """The builder's socket for the project whose cache is `cache_dir`."""
    return os.path.join(os.path.abspath(cache_dir), SOCKET_NAME)


def builder_pid(cache_dir: str | os.PathLike[str]) -> int | None:
    """The process id the project's running builder wrote in its lock, if that process lives."""
    try:
        with open(os.path.join(cache_dir, LOCK_NAME), "rb") as lock:
            pid = int(lock.read())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def reach(connection: _socket.socket, path: str, *, listen: bool = False) -> None:
    """Connect `connection` to the socket at `path`, or bind it there (`listen`). A socket's
    path may hold about 100 bytes (sun_path), a project's path many more: it is named from its
    own folder, this process's working folder for that moment."""
    folder, name = os.path.split(path)
    working = os.getcwd()
    os.chdir(folder)
    try:
        (connection.bind if listen else connection.connect)(name)
    finally:
        os.chdir(working)


def code_stamp() -> str:
    """The code a builder runs: this interpreter, the size and modification time of every module
    of the package, and the installed libraries' names and versions (as `unchanged.tool_digest`
    names them). Stats, not bytes, and sent whole, not hashed: a client makes it at every build,
    in a millisecond."""
    lines = [sys.executable]
    folders = [PACKAGE]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in sorted(entries, key=lambda entry: entry.name):
                if entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
                    folders.append(entry.path)
                elif entry.name.endswith(".py"):
                    stat = entry.stat()
                    lines.append(f"{entry.path}\t{stat.st_size}\t{stat.st_mtime_ns}")
    for folder in sorted({path for path in sys.path if path.endswith("-packages")}):
        try:
            lines += sorted(name for name in os.listdir(folder)
                            if name.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
    return "\n".join(lines)


def send(connection: _socket.socket, kind: bytes, data: bytes = b"") -> None:
    """Send one frame."""
    connection.sendall(_HEADER.pack(kind, len(data)) + data)


def receive(connection: _socket.socket) -> tuple[bytes, bytes] | None:
    """The next frame's kind and data, or None at the end of the stream (or a torn or oversized
    frame)."""
    header = _exactly(connection, _HEADER.size)
    if len(header) < _HEADER.size:
        return None
    kind, size = _HEADER.unpack(header)
    if size > MAX_FRAME:
        return None
    data = _exactly(connection, size)
    return (kind, data) if len(data) == size else None


def _exactly(connection: _socket.socket, size: int) -> bytes:
    """`size` bytes, or fewer where the stream ends first."""
    chunks = []
    while size > 0 and (chunk := connection.recv(min(size, 1 << 20))):
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
