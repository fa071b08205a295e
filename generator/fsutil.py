"""Filesystem writes that never leave a half-written file or folder behind.

Files are written to a hidden temporary beside them and renamed into place; folders are swapped
in whole. Temporaries and set-aside folders carry the writing process's id in their names, so a
later run can tell and remove what a killed run left.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import glob
import hashlib
import os
import re
import shutil
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_PR_SET_PDEATHSIG = 1  # prctl option
_PID_IN_NAME = re.compile(r"[.-](\d+)-[0-9a-f]+(?:\.tmp)?$")
_TEMPORARY = re.compile(r"\..+\.\d+-[0-9a-f]{16}\.tmp")


def _temporary(path: Path) -> tuple[int, str]:
    """A new hidden file beside `path`, opened for writing, with the mode the umask gives.

    Not tempfile.mkstemp: its files are 0600, so images in content/ and site/ would be
    unreadable to a web server or another user. The name carries the process id, so a later run
    knows a killed run's leftover (`remove_stale_temporaries`).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = str(path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(8).hex()}.tmp"))
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


def pid_of(name: str) -> int | None:
    """The process id a leftover's name carries (`.x.<pid>-<hex>.tmp`, `.site-build-<pid>-...`)."""
    match = _PID_IN_NAME.search(name)
    return int(match[1]) if match else None


def is_alive(pid: int) -> bool:
    """True while process `pid` exists (a leftover of a live run is not ours to remove)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def is_stale(name: str) -> bool:
    """True for a leftover whose name carries the id of a process that is gone."""
    pid = pid_of(name)
    return pid is not None and pid != os.getpid() and not is_alive(pid)


def temporary_folder(parent: Path, stem: str) -> Path:
    """A new hidden folder `.STEM.<pid>-<hex>.tmp` in `parent`, to fill and rename into place."""
    parent.mkdir(parents=True, exist_ok=True)
    folder = parent / f".{stem}.{os.getpid()}-{os.urandom(8).hex()}.tmp"
    folder.mkdir()
    return folder


def remove_stale_temporaries(folder: Path, *, deep: bool = True) -> list[Path]:
    """Remove the hidden `.NAME.<pid>-<hex>.tmp` files and folders that killed runs left in
    `folder` (and, if `deep`, in every folder under it)."""
    removed = []
    for directory, folders, files in os.walk(folder):
        for name in [*files, *folders]:
            if _TEMPORARY.fullmatch(name) and is_stale(name):
                path = Path(directory) / name
                if name in folders:
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                removed.append(path)
        folders[:] = [name for name in folders if deep and not _TEMPORARY.fullmatch(name)]
    return removed


def exchange(first: Path, second: Path) -> bool:
    """Swap the names of two entries in one atomic step (Linux renameat2 RENAME_EXCHANGE).

    False, changing nothing, where the system or file system cannot (then a caller renames)."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second),
                 _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def die_with_parent(parent: int) -> None:
    """Have the system kill this process when its parent (process id `parent`) dies (Linux;
    elsewhere nothing): a helper must not outlive a killed run and write into a folder the next
    run removes."""
    if sys.platform != "linux":
        return
    try:
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    if sys.platform != "linux":
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library older than glibc 2.28
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def swap_in_directory(fresh: Path, target: Path) -> Path | None:
    """Put the finished folder `fresh` at `target` (same parent); `target` is never missing.

    Where the system can, the two names are exchanged in one step, so a reader of `target` sees
    the whole old folder or the whole new one at every moment; the old folder is then at
    `fresh`'s name and is returned (the caller removes or reuses it). Elsewhere the old folder
    is renamed aside to `.NAME-old-<pid>-<hex>` first, and `recover_directory` puts it back if a
    crash comes between the two renames. Returns the old folder's path, or None if there was none.
    """
    if target.is_dir() and not target.is_symlink() and exchange(fresh, target):
        return fresh
    old = target.with_name(f".{target.name}-old-{os.getpid()}-{os.urandom(4).hex()}")
    had_old = target.exists()
    if had_old:
        os.replace(target, old)
    os.replace(fresh, target)
    return old if had_old else None


def recover_directory(target: Path) -> None:
    """After a crash between the renames of `swap_in_directory`'s fallback: put the old folder
    back at `target` if nothing is there."""
    if target.exists() or target.is_symlink():
        return
    for old in sorted(target.parent.glob(f".{glob.escape(target.name)}-old-*")):
        if is_stale(old.name):
            os.replace(old, target)
            return
