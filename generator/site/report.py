"""What a build produced (`BuildReport`), and its round trip through the build state, so a
build that finds nothing changed can give the last report again."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from generator.errors import Problem


@dataclass(frozen=True)
class BuildReport:
    """What a build produced."""

    out_dir: Path
    pages: int  # HTML pages written (aliases not counted)
    posts: int
    images: int  # images published
    processed: int  # images decoded and resized this time (0 when all came from the cache)
    written: int = 0  # files whose bytes changed (the others were kept from the last builds)
    placeholders: tuple[str, ...] = ()  # "file:line src" of every placeholder shown
    warnings: tuple[Problem, ...] = ()  # things worth fixing that did not stop the build
    changed: frozenset[str] = frozenset()  # site paths added, changed or removed since the last

    def __str__(self) -> str:
        text = (f"site: {self.pages} pages ({self.posts} posts), {self.images} images "
                f"({self.processed} processed, {self.images - self.processed} from cache), "
                f"{self.written} file(s) changed -> {self.out_dir}")
        if self.placeholders:
            text += f"\nsite: {len(self.placeholders)} placeholder image(s) shown (draft build)"
        return "\n".join([text, *(f"warning: {w}" for w in self.warnings)])

    def unchanged(self) -> BuildReport:
        """This report as the one of a build that found nothing to do."""
        return replace(self, processed=0, written=0, changed=frozenset())

    def to_json(self) -> dict[str, Any]:
        return {"pages": self.pages, "posts": self.posts, "images": self.images,
                "placeholders": list(self.placeholders),
                "warnings": [[str(w.file), isinstance(w.file, Path), w.line, w.key, w.message,
                              w.hint] for w in self.warnings]}

    @classmethod
    def from_json(cls, out_dir: Path, data: dict[str, Any]) -> BuildReport:
        """The report saved by `to_json` (raises KeyError, TypeError or ValueError on anything
        else)."""
        warnings = []
        for file, is_path, line, key, message, hint in data["warnings"]:
            if not (isinstance(file, str) and isinstance(message, str)):
                raise ValueError(f"not a warning: {message!r}")
            warnings.append(Problem(Path(file) if is_path else file, line, key, message, hint))
        counts = [data[name] for name in ("pages", "posts", "images")]
        if not all(isinstance(n, int) for n in counts):
            raise ValueError(f"not counts: {counts!r}")
        return cls(out_dir, *counts, processed=0,
                   placeholders=tuple(str(p) for p in data["placeholders"]),
                   warnings=tuple(warnings))
