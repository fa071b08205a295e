"""Wake the preview as soon as a watched file changes (Linux inotify), instead of at its next look.

The preview still decides what changed by comparing snapshots (`serve.snapshot`): a wake-up is
only a hint to look now. Where inotify is missing (other systems) or refuses a folder (its watch
limit reached), `Waker.wait` simply waits its whole timeout, and the preview finds changes by
looking at its regular interval, as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import struct
import sys
import time
from collections.abc import Iterable
from pathlib import Path

# <sys/inotify.h>: writes, creations, deletions, renames and metadata changes of a folder's files
_EVENTS = (0x002 | 0x004 | 0x008 | 0x040 | 0x080 | 0x100 | 0x200 | 0x400 | 0x800)
_FOLDERS_ONLY = 0x01000000  # IN_ONLYDIR
_CREATED, _MOVED_IN, _IS_FOLDER, _OVERFLOW = 0x100, 0x080, 0x40000000, 0x4000
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, length of the name that follows


class Waker:
    """Waits until something under the watched folders may have changed, or a timeout."""

    def __init__(self, watched: Iterable[Path]) -> None:
        self._watched = list(watched)
        self._fd: int | None = None
        self._libc = None
        if sys.platform.startswith("linux"):
            with contextlib.suppress(OSError, AttributeError):
                libc = ctypes.CDLL(None, use_errno=True)
                fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
                if fd >= 0:
                    self._libc, self._fd = libc, fd
        self._watch_folders()

    @property
    def active(self) -> bool:
        """True when changes wake `wait` early (inotify is there)."""
        return self._fd is not None

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True when inotify reported a change."""
        if self._fd is None:
            return _sleep(timeout)
        ready, _, _ = select.select([self._fd], [], [], timeout)
        if not ready:
            return False
        events = b""
        with contextlib.suppress(BlockingIOError):
            while chunk := os.read(self._fd, 65536):  # drain: one look covers them all
                events += chunk
        if _new_folders(events):
            self._watch_folders()  # a new post's bundle, or events lost: watch what is there now
        return True

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _watch_folders(self) -> None:
        """A watch on every visible folder (and the parent of every watched file); a folder
        already watched keeps its watch."""
        if self._libc is None or self._fd is None:
            return
        folders = []
        for path in self._watched:
            if path.is_dir():
                folders.append(path)
                folders += _visible_folders(path)
            elif path.parent.is_dir():
                folders.append(path.parent)
        for folder in folders:
            self._libc.inotify_add_watch(self._fd, os.fsencode(folder), _EVENTS | _FOLDERS_ONLY)


def _new_folders(events: bytes) -> bool:
    """True when inotify `events` (struct inotify_event, one after another) tell of a folder
    made or moved in, or of events lost (the queue overflowed)."""
    offset = 0
    while offset + _EVENT.size <= len(events):
        _, mask, _, name_length = _EVENT.unpack_from(events, offset)
        if mask & _OVERFLOW or (mask & _IS_FOLDER and mask & (_CREATED | _MOVED_IN)):
            return True
        offset += _EVENT.size + name_length
    return False


def _visible_folders(root: Path) -> list[Path]:
    found = []
    pending = [str(root)]
    while pending:
        with contextlib.suppress(OSError), os.scandir(pending.pop()) as entries:
            for entry in entries:
                if not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                    found.append(Path(entry.path))
    return found


def _sleep(timeout: float) -> bool:
    time.sleep(timeout)
    return False
