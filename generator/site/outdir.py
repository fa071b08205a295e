"""The output folder's life cycle: a work folder beside it, the swap, killed runs' leftovers.

A build renders into `.NAME-build-<pid>-<hex>/` beside the output folder NAME and, once
everything succeeded, exchanges the two in one atomic step (`fsutil.swap_in_directory`:
renameat2 RENAME_EXCHANGE), so a web server or rsync reading NAME sees the whole old site or the
whole new one at every moment, never a missing or half-written one. The old site, now at the
work folder's name, is kept as the spare `.NAME-previous/`: the next build renders into it,
rewriting only the files that differ (`sitefiles`), instead of filling an empty folder.

A run killed meanwhile leaves its work folder (or, where the system cannot exchange, the old
site renamed aside as `.NAME-old-<pid>-<hex>`); the names carry the process id, so the next run
removes those of processes that are gone (and puts an old site back if NAME is missing).
"""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

from generator.errors import BuildError, disk_problem
from generator.fsutil import is_stale, recover_directory, swap_in_directory


def clean_leftovers(out_dir: Path) -> None:
    """Remove what killed builds into `out_dir` left beside it."""
    recover_directory(out_dir)
    for kind in ("build", "old"):
        for leftover in out_dir.parent.glob(f".{glob.escape(out_dir.name)}-{kind}-*"):
            if leftover.is_dir() and not leftover.is_symlink() and is_stale(leftover.name):
                shutil.rmtree(leftover, ignore_errors=True)


def spare_folder(out_dir: Path) -> Path:
    """Where the site before the live one is kept, to become the next build's work folder."""
    return out_dir.with_name(f".{out_dir.name}-previous")


def work_folder(out_dir: Path, *, reuse_spare: bool) -> Path:
    """The folder beside `out_dir` to render into: the spare when `reuse_spare`, else a new
    empty one (any spare removed); a BuildError if it cannot be made."""
    folder = out_dir.with_name(f".{out_dir.name}-build-{os.getpid()}-{os.urandom(4).hex()}")
    spare = spare_folder(out_dir)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        if out_dir.exists() and not os.access(out_dir, os.W_OK):
            raise PermissionError(13, "Permission denied", str(out_dir))
        if reuse_spare and spare.is_dir() and not spare.is_symlink():
            os.rename(spare, folder)
            return folder
        if spare.is_dir() and not spare.is_symlink():
            shutil.rmtree(spare)
        folder.mkdir()
    except OSError as error:
        raise BuildError(disk_problem(error, out_dir, "build the site")) from error
    return folder


def put_in_place(work: Path, out_dir: Path) -> bool:
    """Swap the finished `work` folder in at `out_dir` and keep the old site as the spare;
    True when there is a spare now."""
    try:
        old = swap_in_directory(work, out_dir)
    except OSError as error:
        raise BuildError(disk_problem(error, out_dir, "replace the site")) from error
    if old is None:
        return False
    try:
        os.rename(old, spare_folder(out_dir))
    except OSError:  # the new site is in place: the next build starts from an empty folder
        shutil.rmtree(old, ignore_errors=True)
        return False
    return True
