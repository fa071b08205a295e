"""Errors that point at the user's input: which file, line and key, what is wrong, what to do."""

from __future__ import annotations

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
