"""What the commands read first: the gallery manifest (validated before anything is written)
and the weights folder given on the command line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from generator.folders import Folders

if TYPE_CHECKING:
    from generator.gallery.model import Manifest


def read_manifest(folders: Folders) -> Manifest:
    """The validated manifest; GalleryError with every problem if it is wrong."""
    from generator.addresses import theme_static_paths
    from generator.gallery.load import load_manifest

    # the site's static/ files and the theme's are copied to the site root: no post goes there
    static = theme_static_paths(folders.root) + theme_static_paths(folders.theme)
    return load_manifest(folders.manifest, static)


def models_folder(args: argparse.Namespace) -> Path | None:
    """`--models`, or None for the default weights folder."""
    return Path(args.models) if args.models else None
