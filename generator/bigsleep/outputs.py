"""Writing an entry's files into its page bundle, atomically and only over the tool's own files.

`write_entry` turns an entry's finished candidates into its image (a PNG whose text chunks carry
the prompt, seed, settings and models), its alternates and its progress files, after copying
the image it replaces to replaced/. `copy_entry` does the same from another bundle's files made
from the same inputs (see `reuse`). `apply_pick` makes another candidate the image by swapping
files, without generating. `retire_entry` moves the files of an image no entry names any more (its
prompt was edited, so its name changed) to replaced/. gallery.lock is saved before the files, so a
run killed while writing still knows them as its own (see `bundle.ours`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from generator import __version__
from generator.bigsleep import progress
from generator.bigsleep.bundle import (
    alternate,
    bundle_of,
    ours,
    progress_files,
    progress_paths,
)
from generator.bigsleep.lockfile import Candidate, ImageRecord, Lockfile, canonical_json
from generator.bigsleep.planning import Action, Plan
from generator.bigsleep.resume import TaskResult
from generator.errors import GenerationError, Problem
from generator.fsutil import atomic_copy, sha256_file
from generator.gallery.ownership import Ownership
from generator.site.images import encode_bytes


def write_entry(plan: Plan, results: list[TaskResult], hashes: dict[str, str],
                lock: Lockfile) -> int:
    """Write `plan`'s files from its candidates' results; returns the candidate chosen."""
    best = max(range(len(results)), key=lambda i: results[i].similarity)
    chosen = plan.settings.pick if plan.settings.pick is not None else best
    pngs = [_png(plan, i, result) for i, result in enumerate(results)]
    digests = [hashlib.sha256(png).hexdigest() for png in pngs]
    record = ImageRecord(
        inputs=plan.inputs, spec=plan.spec, models=hashes, image=digests[chosen], chosen=chosen,
        candidates=[Candidate(plan.seed + i, round(result.similarity, 6), digests[i])
                    for i, result in enumerate(results)])
    files = {chosen: pngs[chosen]} | dict(enumerate(pngs))  # the image first
    ownership = _write_candidates(plan, record, files, lock)
    if plan.settings.progress:
        _write_progress(plan, results[chosen], ownership, record)
    return chosen


def copy_entry(plan: Plan, lock: Lockfile) -> None:
    """Write `plan`'s files and record as copies of `plan.source`'s; the source is left as is.

    The candidate `plan` wants is the image (its `pick` may differ from the source's), the others
    are alternates, and the progress files are copied when the entry has `progress`.
    """
    source = plan.source
    assert source is not None  # planned as "reuse" only then
    wanted = source.record.wanted(plan.settings.pick)
    candidates = source.record.candidates
    record = dataclasses.replace(
        source.record, chosen=wanted, candidates=list(candidates),
        image=candidates[wanted].sha256 if candidates else source.record.image)
    files = {index: _read(path, candidates[index].sha256 if candidates else record.image)
             for index, path in source.candidates.items()}
    ownership = _write_candidates(plan, record, files, lock)
    if plan.settings.progress and source.progress:
        for path, target in zip(source.progress, progress_paths(plan.job), strict=True):
            _write(ownership, target, path.read_bytes(), record)


def _write_candidates(plan: Plan, record: ImageRecord, files: dict[int, bytes],
                      lock: Lockfile) -> Ownership:
    """Make `record` `plan`'s lock record and write its candidates' `files` (in that order).

    Candidate `record.chosen` is the image, the others alternates. The files replaced are kept in
    replaced/ first, and gallery.lock is saved before any file is written: the files are then
    known as ours whenever a kill comes. Returns the bundle's ownership record.
    """
    bundle = bundle_of(plan.job)
    ownership = Ownership.load(bundle)
    old = plan.record
    if old is None or (old.inputs, old.models) != (record.inputs, record.models):
        _keep_replaced(plan, bundle, ownership, len(record.candidates))
    lock.set(plan.key, record)
    lock.save()
    for index, data in files.items():
        target = (plan.job.path if index == record.chosen
                  else alternate(bundle, plan.job.entry.image, index))
        _write(ownership, target, data, record)
    _drop_old_alternates(plan, bundle, ownership, record)
    return ownership


def _read(path: Path, digest: str) -> bytes:
    """The bytes of a file to copy, if still what planning found there."""
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:
        raise GenerationError(Problem(path, None, None, "changed while it was being copied",
                                      "run again"))
    return data


def apply_pick(plan: Plan, lock: Lockfile) -> Plan:
    """Swap the image with alternate `plan.wanted`; any kill leaves both. Returns the plan moved
    on: current, or to generate when that alternate is gone.
    """
    record, job, wanted = plan.record, plan.job, plan.wanted
    assert record is not None and plan.current is not None  # planned as "pick" only then
    bundle = bundle_of(job)
    ownership = Ownership.load(bundle)
    wanted_file = alternate(bundle, job.entry.image, wanted)
    wanted_sha = record.candidates[wanted].sha256
    wanted_data = wanted_file.read_bytes() if wanted_file.is_file() else None
    if wanted_data is None or hashlib.sha256(wanted_data).hexdigest() != wanted_sha:
        return plan.now(Action.GENERATE, f"alternate {wanted_file.name} is missing")
    _write(ownership, alternate(bundle, job.entry.image, plan.current), job.path.read_bytes(),
           record)
    _write(ownership, job.path, wanted_data, record)
    wanted_file.unlink()
    ownership.forget(wanted_file)
    ownership.save()
    record.chosen, record.image = wanted, wanted_sha
    lock.save()
    return plan.now(Action.CURRENT)


def _png(plan: Plan, candidate: int, result: TaskResult) -> bytes:
    """The candidate's PNG with what made it in text chunks."""
    return png_with_text(result.png, plan.spec, plan.seed + candidate,
                         result.similarity)


def png_with_text(png: bytes, spec: dict[str, Any], seed: int, similarity: float) -> bytes:
    """The PNG with what made it (prompt, seed, settings, models, similarity) in iTXt chunks.

    Models are named as in the spec (local weights by their file name only), so a published
    image does not reveal the author's folders.
    """
    text = {
        "prompt": spec["prompt"],
        "seed": str(seed),
        "settings": canonical_json(spec),
        "models": canonical_json({"clip": spec["clip"],
                                  "biggan": spec["biggan"] or spec["image_size"]}),
        "similarity": f"{similarity:.6f}",
        "Software": f"bigsleep-gallery {__version__}",
    }
    info = PngInfo()
    for key, value in text.items():
        info.add_itxt(key, value)
    return encode_bytes(Image.open(io.BytesIO(png)), "PNG", pnginfo=info)


def _keep_replaced(plan: Plan, bundle: Path, ownership: Ownership, candidates: int) -> None:
    """Copy the image being replaced (and its alternates) to <bundle>/replaced/.

    Without a lock record (gallery.lock deleted) the tool's files are known from the bundle's
    ownership record alone; every alternate the new `candidates` would overwrite is kept too.
    """
    existing = plan.job.existing
    if existing is None:  # nothing to keep
        return
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = plan.job.entry.image
    old = len(plan.record.candidates) if plan.record else candidates
    olds = [(existing, f"{name}-{stamp}{existing.suffix}")]
    olds += [(alternate(bundle, name, i), f"{name}-{stamp}-{i}.png") for i in range(old)]
    for source, target in olds:
        if source.is_file() and ours(ownership, source, plan.record):
            atomic_copy(source, bundle / "replaced" / target)


def retire_entry(bundle: Path, name: str, record: ImageRecord) -> list[Path]:
    """Move image `name`'s files the tool wrote (image, alternates, progress files) from
    `bundle` to <bundle>/replaced/, the author's files staying where they are; returns the
    files moved there."""
    ownership = Ownership.load(bundle)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    image = bundle / "images" / f"{name}.png"
    files = [(image, f"{name}-{stamp}.png")]
    files += [(alternate(bundle, name, i), f"{name}-{stamp}-{i}.png")
              for i in range(len(record.candidates))]
    files += [(path, f"{path.stem}-{stamp}{path.suffix}")
              for path in progress_files(image.parent, name)]
    moved = []
    for source, target_name in files:
        if source.is_file() and ours(ownership, source, record):
            target = bundle / "replaced" / target_name
            atomic_copy(source, target)
            source.unlink()
            ownership.forget(source)
            ownership.save()
            moved.append(target)
    return moved


def _drop_old_alternates(plan: Plan, bundle: Path, ownership: Ownership,
                         record: ImageRecord) -> None:
    """Remove the previous run's alternates that are not `record`'s now (kept in replaced/)."""
    old = len(plan.record.candidates) if plan.record else 0
    for index in range(old):
        path = alternate(bundle, plan.job.entry.image, index)
        if ownership.owns(path) and not _is_alternate(record, index, path):
            path.unlink()
            ownership.forget(path)
            ownership.save()


def _is_alternate(record: ImageRecord, index: int, path: Path) -> bool:
    """`path` holds candidate `index` of `record`, and that candidate is not the image."""
    return (index != record.chosen and index < len(record.candidates)
            and sha256_file(path) == record.candidates[index].sha256)


def _write_progress(plan: Plan, result: TaskResult, ownership: Ownership,
                    record: ImageRecord) -> None:
    strip_png, animation = progress.encode(result.frames)
    strip_path, animation_path = progress_paths(plan.job)
    _write(ownership, strip_path, strip_png, record)
    _write(ownership, animation_path, animation, record)


def _write(ownership: Ownership, path: Path, data: bytes, record: ImageRecord) -> None:
    """Write a file of an entry through its bundle's ownership record, saving the record."""
    if path.exists() and not ownership.may_write(path) and ours(ownership, path, record):
        path.unlink()  # our own file from an interrupted run, unknown to the ownership record
    ownership.write_bytes(path, data)
    ownership.save()
