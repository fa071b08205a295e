"""The folders of one project, resolved once from the command line: manifest, root, content,
output, theme and cache.

Every command reads them from here, so each default (beside gallery.yaml; the bundled theme when
the project has none) is decided in one place.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

PACKAGE_THEME = Path(__file__).resolve().parent.parent / "theme"


@dataclass(frozen=True)
class Folders:
    """Where a command reads and writes."""

    manifest: Path  # gallery.yaml, as given
    root: Path  # the project: --source, else the folder of gallery.yaml (its Hugo config too)
    content: Path  # the content tree the posts are written to and the site is built from
    out: Path  # the built site
    theme: Path  # templates, shortcodes, i18n and static files
    cache: Path  # resized images, generation checkpoints, the run lock

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Folders:
        """The folders a command's options name, each defaulting to its place in the project."""
        given = vars(args)
        source = Path(given["source"]) if given.get("source") else None  # Hugo's --source
        manifest = Path(given["manifest"] or (source or Path()) / "gallery.yaml")
        root = source.resolve() if source else manifest.resolve().parent
        local_theme = root / "theme"
        return cls(
            manifest=manifest,
            root=root,
            content=Path(given["content"]) if given.get("content") else root / "content",
            out=Path(given["out"]) if given.get("out") else root / "site",
            theme=Path(given["theme"]) if given.get("theme") else (
                local_theme if local_theme.is_dir() else PACKAGE_THEME),
            cache=Path(given["cache_dir"]) if given.get("cache_dir") else root / ".cache",
        )
