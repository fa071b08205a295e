"""Whether a build would remake exactly the site already in place, told from file stats alone.

Before it imports anything heavy, a build takes the `Stamp` of everything it reads: each file
and folder under the folders it reads from (the content folders, the theme, the bundled theme,
static/) by name, type, size, mtime_ns, ctime_ns and inode; the settings and options it was
given; the renderer's code and the installed libraries' versions (`tool_digest`). The build
state keeps the stamp of the last successful build, its report and the moment its site stops
being right (the next publishDate or expiryDate to pass). When the stamp is the same, that
moment has not come and every file of the live site is still the one recorded (`site_intact`),
the build has nothing to do: it gives the last report again without reading a page, importing
Jinja2, markdown-it or Pillow, or touching the site.

Stats cannot tell two saves apart that fall within one tick of the file system's clock and
leave the same size (2 s on FAT, 1 s on HFS+). As git does for its index, a file changed less
than `RACY_SECONDS` before the stamp is taken is "racy": the stamp keeps its bytes' digest too,
and the next build reads it again to compare (`Stamp.still`), so a second save within the tick
is seen, and a fresh tree costs one hash per file once, not a real build.

The test is conservative: any new stat (a file saved with the same bytes, an editor's swap file
come and gone) makes a real build, which is incremental and writes only files that differ.
`tests/site/test_unchanged.py` builds under an audit hook and fails if the build opens or lists
anything outside the stamped folders, so the stamp cannot drift from what a build reads.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.site.sitefiles import Records

RACY_SECONDS = 2  # the coarsest timestamps in use (FAT), so no tick can hide a second save
_RENDERER = Path(__file__).resolve().parent  # generator/site
_SHARED = _RENDERER.parent  # generator/: the shared ground the renderer imports


@dataclass(frozen=True)
class Stamp:
    """What a build read, told by stats (`stats`), and the digests of the files that were racy
    when it was taken (path -> SHA-256 hex)."""

    stats: str
    racy: Mapping[str, str] = field(default_factory=dict)

    def still(self, now: Stamp) -> bool:
        """True when `now`, a stamp taken later, shows the same inputs: the same stats, and
        each file racy when this stamp was taken still holds the bytes it held then."""
        return self.stats == now.stats and all(
            _file_digest(path) == digest for path, digest in self.racy.items())

    def to_json(self) -> dict[str, Any]:
        return {"stats": self.stats, "racy": dict(self.racy)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stamp:
        stats, racy = data["stats"], data["racy"]
        if not (isinstance(stats, str) and isinstance(racy, dict)
                and all(isinstance(v, str) for v in racy.values())):
            raise ValueError("not a stamp")
        return cls(stats, {str(k): v for k, v in racy.items()})


def input_stamp(folders: Iterable[Path], options: object, skip: Iterable[Path] = ()) -> Stamp:
    """The stamp of everything under `folders` (not under `skip`), of `options` (settings,
    config, flags) and of the renderer itself."""
    digest = hashlib.sha256(tool_digest().encode())
    digest.update(json.dumps(canonical(options), ensure_ascii=False).encode())
    walk = _Walk({os.fspath(path) for path in skip},
                 time.time_ns() - RACY_SECONDS * 1_000_000_000, digest)
    for folder in sorted({os.fspath(Path(f).absolute()) for f in folders}):
        try:
            stat = os.stat(folder)
        except OSError:
            digest.update(f"{folder}\0missing\n".encode())
            continue
        digest.update(f"{folder}\0{_stat_line(stat)}".encode())
        walk.folder(folder)
    return Stamp(digest.hexdigest(), {path: _file_digest(path) for path in walk.racy})


def site_intact(out_dir: Path, records: Records) -> bool:
    """True when `out_dir` holds exactly the files of `records`, each still the recorded file
    (size, mtime_ns, inode), and nothing else."""
    found = 0
    pending = [(os.fspath(out_dir), "")]
    try:
        while pending:
            folder, prefix = pending.pop()
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append((entry.path, f"{prefix}{entry.name}/"))
                        continue
                    record = records.get(prefix + entry.name)
                    stat = entry.stat(follow_symlinks=False)
                    if (record is None or not entry.is_file(follow_symlinks=False)
                            or (stat.st_size, stat.st_mtime_ns, stat.st_ino)
                            != (record.size, record.mtime_ns, record.inode)):
                        return False
                    found += 1
    except OSError:
        return False
    return found == len(records)


@functools.cache
def tool_digest() -> str:
    """SHA-256 of the renderer's code (generator/site/ and the shared modules beside it) and of
    the installed libraries' names and versions: a site or build state left by other code may
    have been rendered differently from the same inputs."""
    digest = hashlib.sha256()
    sources = [*_SHARED.glob("*.py"), *_RENDERER.rglob("*.py")]
    for path in sorted(sources):
        digest.update(path.relative_to(_SHARED).as_posix().encode() + b"\0" + path.read_bytes())
    libraries = {Path(folder) for folder in sys.path if folder.endswith("-packages")}
    for folder in sorted(libraries):
        try:
            names = sorted(n for n in os.listdir(folder) if n.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
        digest.update("\0".join(names).encode())
    return digest.hexdigest()


@dataclass
class _Walk:
    """Feeds the stats under a folder to `digest`, noting the racy files."""

    skip: set[str]
    racy_after: int  # ns: files changed at or after this are racy
    digest: Any  # a hashlib object
    racy: list[str] = field(default_factory=list)

    def folder(self, folder: str) -> None:
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as error:  # unreadable: stamped as such, so a later change is seen
            self.digest.update(f"{folder}\0{error.errno}\n".encode())
            return
        for entry in entries:
            if entry.path in self.skip:
                continue
            try:
                stat = entry.stat(follow_symlinks=False)
            except OSError:
                self.digest.update(f"{entry.path}\0gone\n".encode())
                continue
            self.digest.update(f"{entry.name}\0{_stat_line(stat)}".encode())
            if entry.is_dir(follow_symlinks=False):
                self.folder(entry.path)
                self.digest.update(b"\0end\n")
            elif (max(stat.st_mtime_ns, stat.st_ctime_ns) >= self.racy_after
                  and entry.is_file(follow_symlinks=False)):
                self.racy.append(entry.path)


def _file_digest(path: str) -> str:
    try:
        with open(path, "rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()
    except OSError as error:
        return f"unreadable {error.errno}"


def _stat_line(stat: os.stat_result) -> str:
    return (f"{stat.st_mode}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ctime_ns}"
            f"\0{stat.st_ino}\n")


def canonical(value: object) -> object:
    """`value` as JSON-able data that is equal across processes exactly when `value` is (sets
    sorted, since their order changes with each process's string hashing)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__, [[field.name, canonical(getattr(value, field.name))]
                                       for field in dataclasses.fields(value)]]
    if isinstance(value, Mapping):
        return ["map", [[canonical(k), canonical(v)] for k, v in value.items()]]
    if isinstance(value, set | frozenset):
        return ["set", sorted((canonical(v) for v in value), key=repr)]
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)  # paths, dates: their repr names them whole
