"""The page-bundle layout that the gallery side writes and the site side reads.

A post is a leaf bundle `content/posts/<slug>/index.md` with its images in `images/`; an image is
named without its extension and found under any of `IMAGE_SUFFIXES`. Both sides agree on this
through this module alone, so neither needs to import the other.
"""

from __future__ import annotations

from pathlib import Path

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif")


def bundle_dir(content_dir: Path, slug: str) -> Path:
    """The page-bundle folder of the post with this slug."""
    return content_dir / "posts" / slug


def content_of(bundle: Path) -> Path:
    """The content folder a page-bundle folder made by `bundle_dir` lies in."""
    return bundle.parent.parent


def find_image(images_dir: Path, name: str) -> Path | None:
    """The file of image `name` (without extension) in a bundle's images folder, if any."""
    for suffix in IMAGE_SUFFIXES:
        candidate = images_dir / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None
