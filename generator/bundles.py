"""The page-bundle layout that the gallery side writes and the site side reads.

A post is a leaf bundle `content/posts/<slug>/index.md` with its images in `images/`; an image is
named without its extension and found under any of `IMAGE_SUFFIXES`. Both sides agree on this
through this module alone, so neither needs to import the other. Both also refuse the same
images: unreadable ones and those over `MAX_PIXELS` (`image_problem`). While the gallery side
rewrites content/, `PENDING_NAME` marks it, and the site side refuses to build from it until a
run has finished the write (`interrupted_write`).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import BinaryIO

from generator.errors import Problem

PENDING_NAME = ".write-in-progress"  # in content/ while posts are written; gone once complete
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif")
# The largest image accepted (width x height): decoding takes about 18 bytes per pixel.
MAX_PIXELS = 50_000_000


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


def pixel_problem(width: int, height: int) -> tuple[str, str] | None:
    """(message, hint) when an image of width x height is over MAX_PIXELS."""
    if width * height <= MAX_PIXELS:
        return None
    return (f"image of {width}x{height} pixels is over the limit of "
            f"{MAX_PIXELS // 1_000_000} megapixels",
            "scale it down (a web page shows at most a few thousand pixels across): "
            "e.g. `convert in.png -resize 4000x4000 out.png`")


def image_problem(image_file: Path | BinaryIO) -> tuple[str, str] | None:
    """(message, hint) when an image file (a path, or its bytes opened) cannot be used: it is
    no image, it is damaged, or it is over MAX_PIXELS. Reads the file's chunks, never decodes
    its pixels."""
    from PIL import Image, UnidentifiedImageError

    # MAX_PIXELS is ours, reported as a Problem: Pillow's own warning for images it thinks
    # large (89 megapixels) would only repeat it, as noise on stderr.
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    try:
        with Image.open(image_file) as image:
            too_large = pixel_problem(*image.size)
            if too_large:
                return too_large
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError) as err:
        return (f"cannot read this image ({err})",
                "replace it with a valid PNG, JPEG, WebP or GIF file, "
                "or delete it and run `make generate` to make it again")
    return None


def interrupted_write(content_dir: Path) -> Problem | None:
    """The problem of a content folder a killed `write` left half old, half new, if it is one."""
    marker = content_dir / PENDING_NAME
    if not marker.exists():
        return None
    return Problem(marker, None, None, "a write of the posts was interrupted: content/ holds some "
                   "posts from an older gallery.yaml",
                   "run `make posts` (python -m generator write) or `make draft` to finish it")
