"""What every deploy target shares: the refusal of a malformed destination, the summary of one
deploy, and how targets report progress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import Problem

Say = Callable[[str], None]


@dataclass(frozen=True)
class Destination:
    """A deploy destination as the user wrote it, and where: for messages, and to resolve a
    relative folder (against the project for `site.deploy`, the current folder for `--to`)."""

    text: str
    origin: Path | str  # gallery.yaml, or "--to"
    key: str | None  # "site.deploy", or None for the command line
    base: Path  # what a relative folder is relative to
    line: int | None = None

    def problem(self, message: str, hint: str | None = None) -> Problem:
        return Problem(self.origin, self.line, self.key, message, hint)


class InvalidDestination(ValueError):
    """A destination that cannot be used as written: what is wrong, and what to write instead."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass
class Outcome:
    """What one deploy changed (or, in a dry run, would change) at the destination."""

    changed: list[str] = field(default_factory=list)  # files added or replaced
    deleted: list[str] = field(default_factory=list)  # files removed from the destination
    kept: list[str] = field(default_factory=list)  # files only the destination has, left alone

    def summary(self, where: str, *, dry_run: bool) -> str:
        verb = "would change" if dry_run else "changed"
        text = (f"deploy: {where}: {verb} {len(self.changed)} file(s), "
                f"{'would delete' if dry_run else 'deleted'} {len(self.deleted)}")
        if self.kept:
            text += f"; {len(self.kept)} file(s) not in the site kept (--delete removes them)"
        return text


def site_files(site: Path) -> dict[str, Path]:
    """Every file of the built site by its slash-separated path inside it, sorted."""
    return {path.relative_to(site).as_posix(): path
            for path in sorted(site.rglob("*")) if path.is_file()}
