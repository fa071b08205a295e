"""Where the tool may read and write: one rule, asked by every reader and writer.

Inputs are read only from inside the folders they belong to: the project (the folder of
gallery.yaml, or the content folder given) and the theme. Outputs are written only inside the
output folder (site/) or content/. A path is judged after `..` and every symbolic link in it
are resolved, so an absolute path, a `../` path and a link that leads out are refused alike,
with a Problem naming the file (and its line where there is one); links that stay inside are
fine. A path that cannot be resolved (a loop of links, a NUL character) is refused too.

A `Boundary` is one such set of folders. Readers and writers hold one and ask it about every
path before they touch the file, so the rule is decided here and nowhere else.
"""

from __future__ import annotations

from pathlib import Path

from generator.errors import GalleryError, Problem


class Boundary:
    """Folders that the paths of one reader or writer must stay inside."""

    def __init__(self, *folders: Path, name: str,
                 error: type[GalleryError] = GalleryError) -> None:
        """`name` says what the folders are in messages ("the content folder content");
        `error`: the exception `check` raises."""
        self.folders = tuple(_resolved(Path(folder)) or Path(folder).absolute()
                             for folder in folders)
        self.name = name
        self.error = error

    def resolve(self, path: Path) -> Path | None:
        """`path` with `..` and links resolved when it stays inside; None when it leaves."""
        resolved = _resolved(Path(path))
        if resolved is None or not any(resolved.is_relative_to(f) for f in self.folders):
            return None
        return resolved

    def contains(self, path: Path) -> bool:
        """True when `path`, resolved, lies inside one of the folders."""
        return self.resolve(path) is not None

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
