"""The output folder's life cycle: a work folder beside it, the swap, killed runs' leftovers.

A build renders into `.NAME-build-<pid>-<hex>/` beside the output folder NAME and, once
everything succeeded, exchanges the two in one atomic step (`fsutil.swap_in_directory`:
renameat2 RENAME_EXCHANGE), so a web server or rsync reading NAME sees the whole old site or the
whole new one at every moment, never a missing or half-written one. The old site, now at the
work folder's name, is then removed.

A run killed meanwhile leaves its work folder (or, where the system cannot exchange, the old
site renamed aside as `.NAME-old-<pid>-<hex>`); the names carry the process id, so the next run
removes those of processes that are gone (and puts an old site back if NAME is missing).
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
from pathlib import Path

from generator.errors import BuildError, disk_problem
from generator.fsutil import is_stale, recover_directory, swap_in_directory


def clean_leftovers(out_dir: Path) -> list[Path]:
    """Remove what killed builds into `out_dir` left beside it; returns what was removed."""
    recover_directory(out_dir)
    removed = []
    for kind in ("build", "old"):
        for leftover in out_dir.parent.glob(f".{glob.escape(out_dir.name)}-{kind}-*"):
            if leftover.is_dir() and not leftover.is_symlink() and is_stale(leftover.name):
                shutil.rmtree(leftover, ignore_errors=True)
                removed.append(leftover)
    return removed


def work_folder(out_dir: Path) -> Path:
    """A new empty folder beside `out_dir` to render into; a BuildError if it cannot be made."""
    folder = out_dir.with_name(f".{out_dir.name}-build-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        if out_dir.exists() and not os.access(out_dir, os.W_OK):
            raise PermissionError(13, "Permission denied", str(out_dir))
        folder.mkdir()
    except OSError as error:
        raise BuildError(disk_problem(error, out_dir, "build the site")) from error
    return folder


def put_in_place(work: Path, out_dir: Path) -> None:
    """Swap the finished `work` folder in at `out_dir` and remove the old site."""
    try:
        old = swap_in_directory(work, out_dir)
    except OSError as error:
        raise BuildError(disk_problem(error, out_dir, "replace the site")) from error
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
