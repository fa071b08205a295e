"""Errors that point at the user's input: which file, line and key, what is wrong, what to do."""

from __future__ import annotations

import errno
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as we can."""

    file: Path | str
    line: int | None
    key: str | None
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = str(self.file)
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class GalleryError(Exception):
    """A user-facing failure made of one or more problems; str() lists every one, then the
    `advice` they share (what to do about all of them: not a problem of its own)."""

    def __init__(self, problems: Problem | Iterable[Problem], advice: str | None = None) -> None:
        self.problems: list[Problem] = (
            [problems] if isinstance(problems, Problem) else list(problems)
        )
        self.advice = advice
        lines = [str(p) for p in self.problems]
        super().__init__("\n".join([*lines, advice] if advice else lines))

    def __reduce__(self) -> tuple[type[GalleryError], tuple[list[Problem]]]:
        """Pickled with its problems (Ray hands a worker's error to the driver so)."""
        return type(self), (self.problems,)


class ManifestError(GalleryError):
    """gallery.yaml is invalid."""


class BuildError(GalleryError):
    """content/ cannot be rendered into a site."""


class GenerationError(GalleryError):
    """Images cannot be generated (no GPU, missing or bad weights...)."""


class DeployError(GalleryError):
    """The site cannot be published to its destination (refused, unreachable, incomplete...)."""


_READ_ONLY = (errno.EACCES, errno.EPERM, errno.EROFS)
_FULL = (errno.ENOSPC, errno.EDQUOT)


def disk_problem(error: OSError, folder: Path, doing: str) -> Problem:
    """A failed write into `folder` (read-only, a full disk...) as one line saying what to do."""
    if error.errno in _READ_ONLY:
        return Problem(folder, None, None, f"cannot {doing}: the folder is read-only "
                       f"({error.strerror})",
                       f"make it writable (chmod -R u+w {folder}), then run again")
    if error.errno in _FULL:
        return Problem(folder, None, None, f"cannot {doing}: the disk is full",
                       "free some space, then run again")
    return Problem(folder, None, None, f"cannot {doing}: {error.strerror or error}"
                   + (f" ({error.filename})" if error.filename else ""),
                   "fix the folder, then run again")


def failed_folder(error: OSError, work: Path, shown_as: Path) -> Path | None:
    """The folder a write failed in, for `disk_problem`: `shown_as` for files in the work folder
    `work` (or none named), the file's folder for a read-only or full disk elsewhere (a cache);
    None for any other error (an input that cannot be read reports itself)."""
    name = error.filename if isinstance(error.filename, str) else None
    if name is not None and Path(name).absolute().is_relative_to(work.absolute()):
        return shown_as
    if error.errno not in (*_FULL, *_READ_ONLY):
        return None
    return shown_as if name is None else Path(name).parent
