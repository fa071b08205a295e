"""Where the tool may read and write: one rule, asked by every reader and writer.

Inputs are read only from inside the folders they belong to: the project (the folder of
gallery.yaml, or the content folder given) and the theme. Outputs are written only inside the
output folder (site/) or content/. A path is judged after `..` and every symbolic link in it
are resolved, so an absolute path, a `../` path and a link that leads out are refused alike,
with a Problem naming the file (and its line where there is one); links that stay inside are
fine. A path that cannot be resolved (a loop of links, a NUL character) is refused too.

A `Boundary` is one such set of folders. Readers and writers hold one and ask it about every
path before they touch the file, so the rule is decided here and nowhere else.

Most paths asked about are written under a folder of the boundary, with no link below it (a
bundle's images, the output's files). For those, `lstat` of each part below the folder is
enough: with no link among them the path's real one is the folder's real path joined with them,
exactly what resolving it would give (a part that does not exist ends the walk: nothing below it
can be a link). That holds while the folder as written still leads to the directory it led to
when the Boundary was made (same device and inode, checked at every call): a folder replaced
since by a link, or under a folder replaced so, is resolved in full. Any link, `.` or `..` below
the folder, or a path not written under one, is resolved in full: the answer is the same, got
with fewer system calls when it can be. (A folder moved whole and linked back from its old place
is still the same directory, so still taken for itself: its files are the ones it held.)
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from generator.errors import GalleryError, Problem


class Boundary:
    """Folders that the paths of one reader or writer must stay inside."""

    def __init__(self, *folders: Path, name: str,
                 error: type[GalleryError] = GalleryError) -> None:
        """`name` says what the folders are in messages ("the content folder content");
        `error`: the exception `check` raises."""
        resolved = [(Path(folder), _resolved(Path(folder))) for folder in folders]
        self.folders = tuple(real or folder.absolute() for folder, real in resolved)
        self.name = name
        self.error = error
        # (as written, made absolute; resolved; device and inode) for the folders that exist
        self._written = tuple((str(folder.absolute()).rstrip("/") + "/", real, identity)
                              for folder, real in resolved
                              if real is not None and ".." not in folder.parts
                              and (identity := _identity(str(real))) is not None)

    def resolve(self, path: Path | str) -> Path | None:
        """`path` with `..` and links resolved when it stays inside; None when it leaves."""
        plain = self._below_without_links(path)
        if plain is not None:
            real, parts = plain
            return real.joinpath(*parts)
        return self._resolved_inside(path)

    def _resolved_inside(self, path: Path | str) -> Path | None:
        """`path` resolved in full when it stays inside; None when it leaves."""
        resolved = _resolved(Path(path))
        if resolved is None or not any(resolved.is_relative_to(f) for f in self.folders):
            return None
        return resolved

    def _below_without_links(self, path: Path | str) -> tuple[Path, list[str]] | None:
        """`path` resolved, as a folder's real path and the parts below it, when it is written
        under that folder with no link, `.` or `..` below it (see the module's docstring); None
        when it must be resolved in full."""
        try:
            written = os.fspath(path)
            if not written.startswith("/"):
                written = os.path.join(os.getcwd(), written)
        except OSError:  # no working folder
            return None
        for folder, real, identity in self._written:
            if not written.startswith(folder):
                continue
            parts = written[len(folder):].split("/")
            if any(part in ("", ".", "..") or "\0" in part for part in parts):
                return None
            if _identity(folder) != identity:  # replaced (by a link?) since: resolve in full
                return None
            at = folder
            for part in parts:
                at += part
                try:
                    if stat.S_ISLNK(os.lstat(at).st_mode):
                        return None
                except FileNotFoundError:
                    break  # not there (yet): nothing below it is a link either
                except (OSError, ValueError):
                    return None
                at += "/"
            return real, parts
        return None

    def contains(self, path: Path | str) -> bool:
        """True when `path`, resolved, lies inside one of the folders."""
        return (self._below_without_links(path) is not None
                or self._resolved_inside(path) is not None)

    def problem(self, path: Path, *, file: Path | str | None = None, line: int | None = None,
                key: str | None = None, shown: str | None = None,
                hint: str | None = None) -> Problem | None:
        """None when `path` stays inside; else the Problem to report at `file` (default: the
        path itself), naming the path as `shown` (default: as given) and where it leads."""
        if self.contains(path):
            return None
        return self._outside(path, file, line, key, shown, hint)

    def check(self, path: Path, *, file: Path | str | None = None, line: int | None = None,
              key: str | None = None, shown: str | None = None, hint: str | None = None) -> Path:
        """`path` resolved; raises `error` with the problem (see `problem`) when it leaves."""
        resolved = self.resolve(path)
        if resolved is None:
            raise self.error(self._outside(path, file, line, key, shown, hint))
        return resolved

    def _outside(self, path: Path, file: Path | str | None, line: int | None, key: str | None,
                 shown: str | None, hint: str | None) -> Problem:
        resolved = _resolved(Path(path))
        where = (f"leads outside {self.name} (to {resolved})" if resolved
                 else "cannot be resolved (a loop of links or an unusable character)")
        return Problem(file if file is not None else path, line, key,
                       f"`{shown if shown is not None else path}` {where}",
                       hint or f"keep it inside {self.name}: copy the file there instead of "
                               "linking to it")


def _resolved(path: Path) -> Path | None:
    """`path` made absolute with `..` and links resolved (None when that is impossible)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):  # a loop of links; a NUL character
        return None


def _identity(folder: str) -> tuple[int, int] | None:
    """The device and inode of the directory `folder` leads to (None when it leads nowhere)."""
    try:
        found = os.stat(folder)
    except (OSError, ValueError):
        return None
    return (found.st_dev, found.st_ino) if stat.S_ISDIR(found.st_mode) else None
