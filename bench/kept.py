"""Trees the benchmarks make once and keep between runs, under .cache/bench/.

A generated corpus, and a corpus with both sides' cold builds beside it, take minutes to make at
1,000 posts with images (Hugo's cold build most of all), and nothing in them changes from one run
to the next. Each is made once in a work folder, then kept under a key of everything it was made
from (the bench code that writes it, the renderer's code and libraries, the Hugo binary); a later
run gets a work folder of links to (and copies of) the kept files, in seconds, and with the same
absolute paths as when it was made.

Small files (pages, settings, lock files, build records) are copied, and only files of
LINKED_FROM bytes or more (images and their variants) are linked: a change in a work folder must
replace such a file (written aside, then renamed over it), as editors that save atomically and
both builders do, for a write in place would reach the kept file through its link. Each kept
tree records every file's size and mtime, and one found changed is made again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KEPT = Path(__file__).resolve().parent.parent / ".cache" / "bench"
FACTS = "kept.json"  # what the maker recorded, and the files' stats; written last
LINKED_FROM = 64 * 1024  # bytes: smaller files are copied (both tools write some in place)


@dataclass(frozen=True)
class Prepared:
    """A work folder ready for a benchmark, and what was recorded when its tree was made."""

    folder: Path
    facts: dict[str, Any]
    reused: bool  # kept from an earlier run, not made in this one


def key_of(*parts: object) -> str:
    """A short digest of everything a kept tree was made from (reprs of plain values)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def source_digest(*paths: Path) -> str:
    """A digest of files' bytes: the code that writes a tree is part of its key."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def prepared(name: str, key: str, make: Callable[[Path], dict[str, Any]],
             root: Path = KEPT) -> Prepared:
    """The work folder root/work/NAME holding the tree kept under NAME and `key`; made first
    by `make(folder)`, which returns the facts to keep with it, when no such tree is kept."""
    work = root / "work" / name
    kept = root / f"{name}-{key}"
    _remove(work)
    record = _record(kept)
    if record is not None:
        _link_tree(kept, work)
        return Prepared(work, record["facts"], True)
    for stale in root.glob(f"{name}-*"):  # other keys, a changed tree, a killed run's partial
        _remove(stale)
    work.mkdir(parents=True)
    facts = make(work)
    _keep(work, kept, facts)
    return Prepared(work, facts, False)


def replace_text(path: Path, text: str) -> None:
    """Save `text` as `path` the way an atomic editor does: aside, then renamed over it."""
    aside = path.with_name(f".{path.name}.saving")
    aside.write_text(text, encoding="utf-8")
    os.replace(aside, path)


def _record(kept: Path) -> dict[str, Any] | None:
    """What `kept` was kept with, or None when it is missing, unfinished or changed since."""
    try:
        record = json.loads((kept / FACTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if record.get("files") == _stats(kept) else None


def _keep(work: Path, kept: Path, facts: dict[str, Any]) -> None:
    partial = kept.with_name(f"{kept.name}.partial")
    _remove(partial)
    _link_tree(work, partial)
    record = {"facts": facts, "files": _stats(partial)}
    (partial / FACTS).write_text(json.dumps(record), encoding="utf-8")
    os.rename(partial, kept)


def _stats(tree: Path) -> dict[str, list[int]]:
    """Size and mtime of every file under `tree` (but the record), by relative path."""
    stats = {}
    for folder, _, files in os.walk(tree):
        for file in files:
            path = os.path.join(folder, file)
            found = os.lstat(path)
            stats[os.path.relpath(path, tree)] = [found.st_size, found.st_mtime_ns]
    stats.pop(FACTS, None)
    return stats


def _link_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, symlinks=True, copy_function=_link_or_copy,
                    ignore=lambda folder, names: [FACTS] if Path(folder) == source else [])


def _link_or_copy(source: str, target: str) -> None:
    if os.lstat(source).st_size >= LINKED_FROM:
        os.link(source, target)
    else:
        shutil.copy2(source, target)  # with its mtime: the record compares it


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
