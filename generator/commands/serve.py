"""`serve`: the preview, a draft site rebuilt in this process on every change to gallery.yaml,
content/ or the theme."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from generator.commands.locking import locked
from generator.commands.site import draft
from generator.folders import Folders

if TYPE_CHECKING:
    from generator.site.report import BuildReport
    from generator.site.warm import WarmCaches


def cmd_serve(args: argparse.Namespace, folders: Folders) -> None:
    """Preview: rebuild the draft site on every change to gallery.yaml, content/ or the theme,
    in this process (its parsed pages and templates kept between rebuilds); an edited page body
    is shown before that (`early`)."""
    from generator.site.early import EarlyPages
    from generator.site.preview import Preview
    from generator.site.serve import serve
    from generator.site.warm import WarmCaches

    warm = WarmCaches()
    preview = Preview(folders.out, preview_rebuild(args, folders, warm),
                      [folders.manifest, folders.content, folders.theme, folders.root / "figures"],
                      early=EarlyPages(warm))
    try:
        serve(preview, host=args.bind, port=args.port)
    except KeyboardInterrupt:
        print("stopped")


def preview_rebuild(args: argparse.Namespace, folders: Folders,
                    warm: WarmCaches) -> Callable[[], frozenset[str]]:
    """The preview's rebuild: a draft build holding the site lock -> the site paths it
    changed."""
    def rebuild() -> frozenset[str]:
        reports: list[BuildReport] = []
        locked(args, folders, lambda a, f: reports.append(draft(a, f, warm)))
        return reports[0].changed

    return rebuild
