"""The gallery's site lock around a command: two runs never write content/ or site/ together."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from generator.errors import GalleryError
from generator.folders import Folders

Handler = Callable[[argparse.Namespace, Folders], None]


def locked(args: argparse.Namespace, folders: Folders, handler: Handler) -> None:
    """Run `handler` holding the gallery's site lock: two runs never write content/ or site/
    together; the second waits (or stops, with --no-wait)."""
    from generator.runlock import run_lock

    with run_lock(folders.cache / "site.lock", wait=not vars(args).get("no_wait", False),
                  out=sys.stderr, what="run writing content/ and site/", error=GalleryError):
        handler(args, folders)
