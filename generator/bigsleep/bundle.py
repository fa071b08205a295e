"""An entry's files in its page bundle: where they go, and which of them the tool wrote.

- images/<name>.png: the image; images/<name>-iterations.png and <name>-animation.webp: the
  progress files of a `progress: true` entry;
- alternates/<name>-<i>.png: the candidates not chosen;
- replaced/<name>-<UTC stamp>[-<i>].png: images (and their alternates) a new run replaced.
"""

from __future__ import annotations

from pathlib import Path

from generator.bigsleep.lockfile import ImageRecord
from generator.fsutil import sha256_file
from generator.gallery.jobs import ImageJob
from generator.gallery.model import Animation, Strip
from generator.gallery.ownership import Ownership


def bundle_of(job: ImageJob) -> Path:
    """The page-bundle folder of a job (its image lies in <bundle>/images/)."""
    return job.path.parent.parent


def alternate(bundle: Path, name: str, index: int) -> Path:
    return bundle / "alternates" / f"{name}-{index}.png"


def progress_paths(job: ImageJob) -> tuple[Path, Path]:
    """The iterations strip and the animation of an entry (names the manifest's items use)."""
    return progress_files(job.path.parent, job.entry.image)


def progress_files(images: Path, name: str) -> tuple[Path, Path]:
    """The iterations strip and the animation of image `name` in an images/ folder."""
    return images / f"{Strip(name).image}.png", images / f"{Animation(name).image}.webp"


def candidate_of(record: ImageRecord, digest: str) -> int | None:
    """Which candidate of `record` a file with this hash is (the image may be any of them)."""
    if not record.candidates:
        return 0 if digest == record.image else None
    return next((i for i, c in enumerate(record.candidates) if c.sha256 == digest), None)


def ours(ownership: Ownership, path: Path, record: ImageRecord | None) -> bool:
    """The tool wrote `path`: its ownership record says so, or gallery.lock does.

    The lock is saved just before the image is written; a run killed between the image and the
    ownership record leaves a file only the lock knows.
    """
    if ownership.owns(path):
        return True
    known = {record.image, *(c.sha256 for c in record.candidates)} if record else set()
    return path.is_file() and sha256_file(path) in known
