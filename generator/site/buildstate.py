"""What the last build of an output folder left, kept in .cache/ so the next one redoes less.

For the live site and the spare (the site before it, kept beside it by `outdir`): the folder's
inode and a record of every file in it (digest, size, mtime_ns, inode). For every source image:
its size, mtime_ns and inode and the image-cache key of its bytes, so an unchanged image is not
read and hashed again; the same for every file copied from the project (static files, a
bundle's other files), with the digest of its bytes. For every page: the fingerprint of its
render inputs and the digest of the file made from them, so an unchanged page is not rendered
again.

The state is a hint, never trusted blindly: it is versioned; a missing, unreadable or
other-version file, or one left by other renderer code, is discarded; a folder whose inode is
not the recorded one (a run killed between the swap and saving the state, a site replaced by
hand) has its record dropped; and each file's record is checked against the file itself before
it is reused (`FileRecord.matches`).

And of the last successful build: its input stamp, report and the moment its site stops being
right (`LastBuild`), so that a build with nothing to do can tell so from stats alone
(`unchanged`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.fsutil import atomic_write_text, remove_stale_temporaries
from generator.site.report import BuildReport
from generator.site.sitefiles import FileRecord, Records, Renders
from generator.site.unchanged import Stamp, tool_digest

STATE_VERSION = 5
KEPT_PAGES = "site-pages.pickle"  # in the cache folder: parsed pages and bodies (`warm`)


@dataclass(frozen=True)
class LastBuild:
    """The last successful build of the live site: what it read (`unchanged.input_stamp`),
    what it reported, and when its site stops being right (a POSIX time; None: never)."""

    stamp: Stamp
    report: BuildReport
    valid_until: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"stamp": self.stamp.to_json(), "report": self.report.to_json(),
                "valid_until": self.valid_until}

    @classmethod
    def from_json(cls, out_dir: Path, data: dict[str, Any]) -> LastBuild:
        valid_until = data["valid_until"]
        if not (valid_until is None or isinstance(valid_until, int | float)):
            raise ValueError("not a last build")
        return cls(Stamp.from_json(data["stamp"]), BuildReport.from_json(out_dir, data["report"]),
                   valid_until)


@dataclass
class BuildState:
    """The records of one output folder's live site and spare, and of the source images."""

    site: Records = field(default_factory=dict)
    spare: Records | None = None  # None: no spare, or one this state cannot vouch for
    image_keys: dict[str, list[int | str]] = field(default_factory=dict)
    renders: Renders = field(default_factory=dict)  # page path -> (inputs, digest), live site
    image_params: str = ""  # the image settings `image_keys` were made with
    copied: Records = field(default_factory=dict)  # files copied from the project (`SiteFiles`)
    last: LastBuild | None = None  # None: no build this state can vouch for


def state_file(cache_dir: Path, out_dir: Path) -> Path:
    """Where the state of `out_dir` is kept (one file per output folder)."""
    name = hashlib.sha256(os.fsencode(out_dir.absolute())).hexdigest()[:16]
    return cache_dir / "site-state" / f"{name}.json"


def load_state(cache_dir: Path, out_dir: Path, spare: Path) -> BuildState:
    """The state of `out_dir`, only the parts that still describe its folders (else empty)."""
    try:
        data = json.loads(state_file(cache_dir, out_dir).read_text(encoding="utf-8"))
        if (data["version"] != STATE_VERSION or data["out"] != str(out_dir.absolute())
                or data["tool"] != tool_digest()):
            return BuildState()
        site = _folder(data["site"], out_dir)
        return BuildState(site=site or {}, spare=_folder(data["spare"], spare),
                          image_keys={str(k): list(v) for k, v in data["image_keys"].items()},
                          renders={str(k): (str(v[0]), str(v[1]))
                                   for k, v in data["renders"].items()},
                          image_params=str(data["image_params"]),
                          copied={str(path): FileRecord.from_json(value)
                                  for path, value in data["copied"].items()},
                          last=(LastBuild.from_json(out_dir, data["last"])
                                if site is not None and data["last"] else None))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return BuildState()


def save_state(cache_dir: Path, out_dir: Path, spare: Path, state: BuildState) -> None:
    """Record the folders as they are now, after a build swapped its site in."""
    data = {
        "version": STATE_VERSION, "tool": tool_digest(), "out": str(out_dir.absolute()),
        "site": _folder_json(out_dir, state.site),
        "spare": _folder_json(spare, state.spare) if state.spare is not None else None,
        "image_params": state.image_params, "image_keys": state.image_keys,
        "renders": state.renders, "last": state.last.to_json() if state.last else None,
        "copied": {path: record.to_json() for path, record in state.copied.items()},
    }
    atomic_write_text(state_file(cache_dir, out_dir), json.dumps(data, separators=(",", ":")))


def remove_state_leftovers(cache_dir: Path) -> None:
    """Remove the temporaries a killed run left while saving the state or the kept pages (their
    names carry its process id; `fsutil.remove_stale_temporaries`)."""
    for folder in (cache_dir / "site-state", cache_dir):
        if folder.is_dir():
            remove_stale_temporaries(folder, deep=False)


def discard_state(cache_dir: Path, out_dir: Path) -> None:
    """Forget what the last build left (a --full build), so nothing of it is reused."""
    state_file(cache_dir, out_dir).unlink(missing_ok=True)
    (cache_dir / KEPT_PAGES).unlink(missing_ok=True)


def _folder(data: Any, folder: Path) -> Records | None:
    if data is None:
        return None
    try:
        if folder.stat().st_ino != data["inode"]:
            return None
    except OSError:
        return None
    return {str(path): FileRecord.from_json(value) for path, value in data["files"].items()}


def _folder_json(folder: Path, records: Records) -> dict[str, Any] | None:
    try:
        inode = folder.stat().st_ino
    except OSError:
        return None
    return {"inode": inode, "files": {path: r.to_json() for path, r in records.items()}}
