"""Filesystem writes that never leave a half-written file or folder behind."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def _temporary(path: Path) -> tuple[int, str]:
    """A new hidden file beside `path`, opened for writing, with the mode the umask gives.

    Not tempfile.mkstemp: its files are 0600, so images in content/ and site/ would be
    unreadable to a web server or another user.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = str(path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp"))
    return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[BinaryIO]:
    """A hidden file to write, synced and renamed onto `path` when the block ends, removed if
    it fails, so readers see the old file or the new one, never a mix."""
    fd, tmp = _temporary(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a mix."""
    with _replacing(path) as handle:
        handle.write(data)


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically, with Unix newlines on every platform."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_copy(source: Path, target: Path) -> None:
    """Copy a file atomically (the target appears complete or not at all)."""
    with source.open("rb") as original, _replacing(target) as handle:
        shutil.copyfileobj(original, handle)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def swap_in_directory(fresh: Path, target: Path) -> None:
    """Replace folder `target` by the finished folder `fresh` (same parent), keeping no mix.

    The old folder is renamed aside first and removed only after the new one is in place,
    so a crash at any point leaves either the old site or the new one at `target`.
    """
    old = target.with_name(f".{target.name}-old-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(fresh, target)
    if old.exists():
        shutil.rmtree(old)
