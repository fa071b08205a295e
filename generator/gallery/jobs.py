"""The image step of the pipeline: which entry images a manifest needs, and the generator's seat.

The pipeline only needs to know, for every entry, where its image must be and whether it is
there. An `ImageGenerator` (BigSleep, in `generator.bigsleep`) plugs in behind this interface.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from generator.bundles import bundle_dir, find_image
from generator.errors import GalleryError
from generator.gallery.model import Entry, Manifest, Post
from generator.gallery.ownership import Ownership


@dataclass(frozen=True)
class ImageJob:
    """One entry image the site needs."""

    post: Post
    entry: Entry
    path: Path  # where a generated image goes: <bundle>/images/<name>.png

    @property
    def existing(self) -> Path | None:
        """The image file present now (generated, or put there by the author), if any."""
        return find_image(self.path.parent, self.entry.image)


def image_jobs(manifest: Manifest, content_dir: Path) -> list[ImageJob]:
    """Every entry image of every post, in manifest order; a GalleryError, before anything is
    generated, when a post's folder or images/ is a link leading elsewhere (the images would
    land outside content/, see generator.boundaries)."""
    jobs = [
        ImageJob(post, entry, bundle_dir(content_dir, post.slug) / "images" / f"{entry.image}.png")
        for post in manifest.posts
        for entry in post.entries
    ]
    folders = dict.fromkeys(job.path.parent for job in jobs)  # each images/ once, in order
    problems = [problem for folder in folders
                if (problem := Ownership(folder.parent).outside(folder)) is not None]
    if problems:
        raise GalleryError(problems)
    return jobs


class ImageGenerator(Protocol):
    """What the pipeline asks of an image generator."""

    def outdated(self, jobs: Sequence[ImageJob]) -> list[ImageJob]:
        """The jobs whose image is missing or whose determining inputs changed."""
        ...

    def generate(self, jobs: Sequence[ImageJob]) -> None:
        """Produce the images of `jobs` (atomically, resumably) at their `path`."""
        ...
