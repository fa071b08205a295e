"""Images already made from the same inputs: gallery.lock is content-addressed as well.

A job with no usable image of its own copies another lock record's files instead of generating:
a post whose slug or url changed (its old bundle keeps its images), an entry moved to another post,
the same prompt and settings in two posts. That record must have the same spec hash (prompt,
seed, settings, model names) and the same weights hashes where both are known, and its files
must still be in their bundle as the tool wrote them (`bundle.ours`, and the hash the lock
recorded). Finding one reads and hashes files only: it needs neither CUDA nor the weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.bigsleep.bundle import alternate, ours, progress_files
from generator.bigsleep.lockfile import ImageRecord, Lockfile
from generator.errors import GalleryError
from generator.fsutil import sha256_file
from generator.gallery.ownership import Ownership


@dataclass(frozen=True)
class Source:
    """Another record's files, checked to be the tool's and to hold what the record says."""

    key: str  # its lock key, "<post slug>/<image name>"
    record: ImageRecord
    candidates: dict[int, Path]  # candidate -> the file holding it (the image or an alternate)
    progress: tuple[Path, Path] | None  # its strip and animation, when the tool's and present


def same_inputs(lock: Lockfile, key: str, inputs: str) -> list[tuple[str, ImageRecord]]:
    """The other records made from `inputs`, in key order (the first usable one is copied)."""
    return sorted((other, record) for other, record in lock.records.items()
                  if record.inputs == inputs and other != key)


def usable(key: str, record: ImageRecord, posts: Path, *, models: dict[str, str],
           pick: int | None, progress: bool) -> Source | None:
    """`record`'s files under the posts folder `posts`, if they can stand in for a new run's.

    `models`: the weights hashes known here; `pick`: the candidate the job wants as its image
    (None: the most similar); `progress`: whether the job needs the progress files too.
    """
    if any(record.models.get(name, digest) != digest for name, digest in models.items()):
        return None
    slug, _, name = key.rpartition("/")
    bundle = posts / slug
    try:
        ownership = Ownership.load(bundle)
    except GalleryError:  # an unreadable record: nothing there is known to be the tool's
        return None
    image = bundle / "images" / f"{name}.png"
    if not _holds(ownership, image, record, record.image):
        return None
    files = {index: image if index == record.chosen else alternate(bundle, name, index)
             for index in range(len(record.candidates))} or {0: image}
    candidates = {index: path for index, path in files.items()
                  if not record.candidates
                  or _holds(ownership, path, record, record.candidates[index].sha256)}
    shown = progress_files(image.parent, name)
    tools = all(path.is_file() and ours(ownership, path, record) for path in shown)
    if record.wanted(pick) not in candidates or (progress and not tools):
        return None
    return Source(key, record, candidates, shown if tools else None)


def _holds(ownership: Ownership, path: Path, record: ImageRecord, digest: str) -> bool:
    """`path` is the tool's and holds exactly `digest`."""
    return path.is_file() and ours(ownership, path, record) and sha256_file(path) == digest
