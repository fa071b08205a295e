"""The files one build puts in its work folder, each written only when its bytes changed.

A build's work folder is not always empty: it may be the site of two builds ago (the spare kept
by `outdir`), whose files the build state describes. For every output, `SiteFiles`:

- keeps the file already in the work folder when it holds exactly these bytes (its recorded
  digest matches, and its size, mtime_ns and inode show nobody changed it since);
- else hard-links the live site's file when that one holds these bytes, so an unchanged file of
  the new site is the very file of the old one (same inode, same mtime: rsync, S3 ETags and
  browser caches see no change);
- else writes the bytes at their place as a new file (O_EXCL), after removing what was there:
  the work folder is private, so no reader needs the old and new file swapped in one rename (on
  this kind of disk a rename costs as much as the write).

A page whose render inputs have the fingerprint they had in the last build is not even rendered
(`put_rendered`) when the file made from them is still at hand, and a file copied from the
project (`put_copy`: static files, a bundle's other files) is not even read when it is the file
the last build copied (its size, mtime_ns and inode recorded in `sources`; one saved less than
`RACY_SECONDS` before the build looked at it is not recorded, as git does not trust racy index
entries).

Files are only ever replaced by new files, never rewritten in place, because the live site, the
spare and the image cache share inodes. Every file is checked to resolve inside the work folder
before it is written (`generator.boundaries`): no link, `..` or symlink writes elsewhere. A
language's pages go through `FilesUnder`, the same files under its prefix ("fr/"). `finish`
removes what this build did not produce and returns the record of every file, for the next
build. Safe to use from several threads.

Pages to render are queued and rendered by `finish`: where there are at least `PARALLEL_FROM` of
them and the build can fork, in processes that inherit the build's memory (templates,
contexts) and each render and write their share of the pages (`forking`); their records come
back to this one. A template error is raised as the first one met in page order.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from generator.boundaries import Boundary
from generator.errors import BuildError, Problem
from generator.site.forking import Claims, Forked, can_fork, in_forks

PARALLEL_FROM = 200  # pages to render at least, for a second process to pay for its fork
RACY_SECONDS = 2  # a copied file saved this recently may change again within its mtime's tick
Fingerprint = Callable[[], str]  # makes the fingerprint of a page's render inputs
# site path, fingerprint (or its function, where nothing asked for it yet), render
RenderJob = tuple[str, str | Fingerprint, Callable[[], bytes]]
Rendering = tuple[str, str, "FileRecord", int]  # site path, fingerprint, record, files written
# a process's renderings, the index and problems of its first failed page, its process id
Share = tuple[list[Rendering], tuple[int, list[Problem]] | None, int]


@dataclass(frozen=True)
class FileRecord:
    """What a site file holds (`digest`) and how to tell it is still the same file."""

    digest: str  # sha256 of the bytes, or "inode:DEV:INO" of the cache file it links to
    size: int
    mtime_ns: int
    inode: int

    def matches(self, path: Path | str) -> bool:
        """True when `path` is still the file this record describes."""
        try:
            stat = os.stat(path)
        except OSError:
            return False
        return (stat.st_size, stat.st_mtime_ns, stat.st_ino) == (
            self.size, self.mtime_ns, self.inode)

    def to_json(self) -> list[str | int]:
        return [self.digest, self.size, self.mtime_ns, self.inode]

    @classmethod
    def from_json(cls, value: list[str | int]) -> FileRecord:
        digest, size, mtime_ns, inode = value
        if not (isinstance(digest, str) and all(isinstance(n, int)
                                                for n in (size, mtime_ns, inode))):
            raise ValueError(f"not a file record: {value!r}")
        return cls(digest, int(size), int(mtime_ns), int(inode))


Records = dict[str, FileRecord]
# site path -> (fingerprint of its inputs, digest of its bytes)
Renders = dict[str, tuple[str, str]]


class SiteFiles:
    """Puts files at site paths ("posts/a/index.html") in `work`, reusing what is there."""

    def __init__(self, work: Path, known: Records | None = None, live: Path | None = None,
                 live_records: Records | None = None, renders: Renders | None = None,
                 sources: Records | None = None, parallel: bool = False) -> None:
        self.work = work
        self._root = os.fspath(work)  # files are named by strings: thousands a build
        self.inside = Boundary(work, name=f"the output folder {work}", error=BuildError)
        self.known = known or {}  # what the work folder held when the build began
        self.live = live
        self.live_records = live_records or {}
        self.renders = renders or {}  # of the last build
        self.sources = sources or {}  # files the last build copied, by absolute path
        self.records: Records = {}
        self.copied: Records = {}  # files this build copied, by absolute path, for the next
        self.rendered: Renders = {}
        self.written = 0  # files whose bytes were written (not kept or linked)
        self._lock = threading.Lock()
        self._folders: set[str] = set()  # made by this build, checked inside: not again
        self._had_files = _holds_anything(work)  # if not, `finish` has nothing to remove
        self._queued: list[RenderJob] = []
        self._ahead: tuple[list[RenderJob], Claims, Forked[Share]] | None = None  # render_ahead
        self._parallel = parallel and can_fork()  # `parallel`: no other threads (see forking)

    def put_bytes(self, path: str, data: bytes) -> None:
        """Give site path `path` the bytes `data`."""
        self._put(path, data, hashlib.sha256(data).hexdigest())

    def _put(self, path: str, data: bytes, digest: str) -> None:
        if self._reuse(path, digest):
            return
        self._record(path, digest, self._place(path, lambda file: _write_new(file, data)))

    def put_rendered(self, path: str, inputs: Fingerprint, render: Callable[[], bytes]) -> None:
        """Give site path `path` the bytes `render` makes from inputs of fingerprint `inputs()`;
        `render` is not called when the last build made a file from the same inputs and that
        file is still there (in the work folder or the live site). A path the last build did not
        render is queued with its fingerprint to make when it is rendered: in a cold build, among
        the forked processes too."""
        last = self.renders.get(path)
        fingerprint: str | Fingerprint = inputs
        if last is not None:
            fingerprint = inputs()
            if last[0] == fingerprint and self._reuse(path, last[1]):
                with self._lock:
                    self.rendered[path] = (fingerprint, last[1])
                return
        with self._lock:
            self._queued.append((path, fingerprint, render))

    def put_copy(self, path: str, source: Path) -> None:
        """Give site path `path` the bytes of the file `source`, read only when it is not the
        file the last build copied or that file's copy is not at hand."""
        name = os.path.abspath(source)
        known = self.sources.get(name)
        if known is not None and known.matches(source) and self._reuse(path, known.digest):
            with self._lock:
                self.copied[name] = known
            return
        now = time.time()  # racy is judged here: a read may take seconds
        stat = os.stat(source)  # before the bytes: a change while reading is seen next time
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        self._put(path, data, digest)
        if now - stat.st_mtime >= RACY_SECONDS:
            with self._lock:
                self.copied[name] = FileRecord(digest, stat.st_size, stat.st_mtime_ns,
                                               stat.st_ino)

    def put_link(self, path: str, source: Path) -> None:
        """Make site path `path` the file `source`, which is never changed in place (an image
        cache file): hard-linked, or copied where linking is impossible."""
        stat = source.stat()
        digest = f"inode:{stat.st_dev}:{stat.st_ino}"
        if self._reuse(path, digest):
            return
        self._record(path, digest, self._place(path, lambda file: _link_or_copy(source, file)))

    def finish(self) -> Records:
        """Render the queued pages, then remove every file and folder of the work folder this
        build did not put there (none when it began empty)."""
        self._render_queued()
        if not self._had_files:
            return dict(self.records)
        holding = {parent for path in self.records for parent in _parents(path)}
        for directory, folders, files in os.walk(self.work, topdown=False):
            at = os.path.relpath(directory, self.work).replace(os.sep, "/")
            prefix = "" if at == "." else at + "/"
            for name in files:
                if prefix + name not in self.records:
                    os.unlink(os.path.join(directory, name))
            for name in folders:
                if prefix + name not in holding:  # a folder holding a file of the site stays
                    with contextlib.suppress(OSError):  # still holds files: kept
                        os.rmdir(os.path.join(directory, name))
        return dict(self.records)

    def render_ahead(self) -> None:
        """Start rendering the pages queued so far in a forked process, while this one goes on
        queueing the others (a cold build of 1,000 posts makes its lists, term pages and feeds
        for 0.2-0.3 s after its posts are queued); `finish` renders what that process has not
        yet, then the rest. Once a build, where it forks and PARALLEL_FROM pages are queued."""
        if self._ahead is not None or not (self._parallel and len(self._queued) >= PARALLEL_FROM):
            return
        jobs, self._queued = self._queued, []
        claims = Claims(len(jobs))
        self._ahead = (jobs, claims, Forked(functools.partial(_render_share, self, jobs, claims)))

    def abandon(self) -> None:
        """Stop what `render_ahead` started (a build that failed before `finish`): its process
        ends after the page it is on."""
        if self._ahead is not None:
            _, claims, forked = self._ahead
            self._ahead = None
            claims.drain()
            forked.close()
            claims.close()

    def _render_queued(self) -> None:
        """Render what `render_ahead` left, then the pages queued after it: shared among forked
        processes where there are enough (`forking`), else here. The first template error in
        the order the pages were queued is raised; pages a process that died had claimed are
        rendered here after."""
        batches: list[tuple[list[RenderJob], list[Share]]] = []
        if self._ahead is not None:
            jobs, claims, forked = self._ahead
            self._ahead = None
            with claims:
                batches.append((jobs, [share for parts in forked.join() for share in parts]))
        jobs, self._queued = self._queued, []
        if self._parallel and len(jobs) >= PARALLEL_FROM:
            with Claims(len(jobs)) as claims:
                shares = in_forks(functools.partial(_render_share, self, jobs, claims))
            batches.append((jobs, [share for parts in shares for share in parts]))
        else:
            batches.append((jobs, list(_render_share(self, jobs, range(len(jobs)), 0))))
        failures, offset = [], 0
        for jobs, shares in batches:
            failures += [(offset + failed[0], failed[1]) for _, failed, _ in shares if failed]
            offset += len(jobs)
        if failures:
            raise BuildError(min(failures, key=lambda failed: failed[0])[1])
        with self._lock:  # what the forked processes did, told to this one
            for _, shares in batches:
                for rendered, _, by in shares:
                    for path, inputs, record, written in rendered:
                        if by != os.getpid():  # what this process rendered is recorded already
                            self.records[path] = record
                            self.written += written
                        self.rendered[path] = (inputs, record.digest)
        for jobs, _ in batches:
            for job in jobs:
                if job[0] not in self.rendered:
                    path, inputs, record, _ = self.render(job)
                    with self._lock:
                        self.rendered[path] = (inputs, record.digest)

    def render(self, job: RenderJob) -> Rendering:
        """Render and write one queued page (in this process's records)."""
        path, inputs, render = job
        inputs = inputs() if callable(inputs) else inputs
        written = self.written
        self.put_bytes(path, render())
        return path, inputs, self.records[path], self.written - written

    def _reuse(self, path: str, digest: str) -> bool:
        """Keep the work folder's file, or link the live site's, when it holds `digest`."""
        known = self.known.get(path)
        if (known is not None and known.digest == digest
                and known.matches(os.path.join(self._root, path))):  # strings: thousands a build
            self._keep(path, known)
            return True
        live = self.live_records.get(path)
        if self.live is None or live is None or live.digest != digest:
            return False
        source = os.path.join(self.live, path)
        if not live.matches(source):
            return False
        self._place(path, lambda file: os.link(source, file))
        self._keep(path, live)
        return True

    def _keep(self, path: str, record: FileRecord) -> None:
        with self._lock:
            self.records[path] = record

    def _record(self, path: str, digest: str, target: str) -> None:
        stat = os.stat(target)
        with self._lock:
            self.records[path] = FileRecord(digest, stat.st_size, stat.st_mtime_ns, stat.st_ino)
            self.written += 1

    def _place(self, path: str, make: Callable[[str], None]) -> str:
        """The file at `path`, made by `make(file)`, which must refuse an existing `file`
        (FileExistsError): made at its place, after what was there is removed (a file of the
        live site or the image cache may share that inode, so it is never written in place;
        nobody reads the private work folder, so its name may be missing a moment)."""
        target = self._prepare(path)
        try:
            make(target)
            return target
        except FileExistsError:
            pass
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)
        else:
            os.unlink(target)
        make(target)
        return target

    def _prepare(self, path: str) -> str:
        """The file to write for `path`, inside the work folder, its folder made; a file in the
        way of that folder (left from an older site) removed."""
        folder, _, name = path.rpartition("/")
        target = f"{self._root}/{path}"
        if name not in ("", ".", ".."):  # else checked below, and refused there
            if folder in self._folders:
                return target  # its folder was checked, resolved inside, when it was made
            if _made_in(self._root, folder, self._folders):
                self._folders.add(folder)
                return target
        if not self.inside.contains(target):
            self.inside.check(Path(target), hint="this is a bug in the site builder: please "
                              "report it with the page that caused it")
        try:
            _make_folder(os.path.dirname(target))
        except (FileExistsError, NotADirectoryError):
            for parent in reversed(PurePosixPath(path).parents):
                blocking = self.work / parent
                if blocking.is_file() or blocking.is_symlink():
                    if parent.as_posix() in self.records:
                        raise NotADirectoryError(
                            errno.ENOTDIR, "a file of this site is where a folder is needed",
                            str(blocking)) from None
                    blocking.unlink()
            _make_folder(os.path.dirname(target))
        self._folders.update(("", *_parents(path)))  # the root, its folder and theirs: inside
        return target


class Files(Protocol):
    """Where a build puts its files: `SiteFiles`, or a language's `FilesUnder` it."""

    def put_bytes(self, path: str, data: bytes) -> None: ...
    def put_rendered(self, path: str, inputs: Fingerprint,
                     render: Callable[[], bytes]) -> None: ...
    def put_copy(self, path: str, source: Path) -> None: ...
    def put_link(self, path: str, source: Path) -> None: ...
    def render_ahead(self) -> None: ...


class FilesUnder:
    """The files of one build under a folder of the site (a language's "fr/")."""

    def __init__(self, files: SiteFiles, prefix: str) -> None:
        self.files = files
        self.prefix = prefix

    def put_bytes(self, path: str, data: bytes) -> None:
        self.files.put_bytes(self.prefix + path, data)

    def put_rendered(self, path: str, inputs: Fingerprint, render: Callable[[], bytes]) -> None:
        self.files.put_rendered(self.prefix + path, inputs, render)

    def put_copy(self, path: str, source: Path) -> None:
        self.files.put_copy(self.prefix + path, source)

    def render_ahead(self) -> None:
        self.files.render_ahead()

    def put_link(self, path: str, source: Path) -> None:
        self.files.put_link(self.prefix + path, source)


def _holds_anything(folder: Path) -> bool:
    """True when `folder` exists and is not empty."""
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is not None
    except FileNotFoundError:
        return False


def _parents(path: str) -> list[str]:
    """The folders a site path is in: "a/b/c.html" -> ["a/b", "a"]."""
    parts = path.split("/")[:-1]
    return ["/".join(parts[:n]) for n in range(len(parts), 0, -1)]


def _made_in(root: str, folder: str, checked: set[str]) -> bool:
    """True when `folder` (a site path) was just made as a new folder, in a folder of `checked`
    (resolved inside the output folder): so it is inside too, and no link, with no need to
    check it part by part (25 us for each of a cold build's 2,500 folders). False, having
    done nothing, when it is not a plain name in such a folder or is there already."""
    parent, _, name = folder.rpartition("/")
    if parent not in checked or name in ("", ".", ".."):
        return False
    try:
        os.mkdir(f"{root}/{folder}")
    except (OSError, ValueError):  # there already (maybe a link), a NUL character...
        return False
    return True


def _make_folder(folder: str) -> None:
    """Path.mkdir(parents=True, exist_ok=True): one system call when the parent is there."""
    try:
        os.mkdir(folder)
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)
    except FileExistsError:
        if not os.path.isdir(folder):
            raise


def _write_new(file: str, data: bytes) -> None:
    """`data` into a new file (never into an existing one: it may share an inode). With
    os.open and os.write, not open(): no buffered file object for a build's thousands of files
    (6 us less each: 20 ms of a cold build of 1,000 posts)."""
    handle = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view):]
    finally:
        os.close(handle)


def _link_or_copy(source: Path, file: str) -> None:
    """`file` made the same inode as `source`, or a copy where the disk cannot link."""
    try:
        os.link(source, file)
    except FileExistsError:
        raise
    except OSError:
        with open(source, "rb") as reading, open(file, "xb") as writing:
            shutil.copyfileobj(reading, writing)


def _render_share(files: SiteFiles, jobs: list[RenderJob], claims: Iterable[int],
                  share: int) -> Iterator[Share]:
    """One share of the queued pages (see `forking`): render those this process claims (all of
    them, in order, where none is forked) -> (yielded once) their renderings, the index and
    problems of the first page whose template failed, and the process that rendered them.
    Claimed in page order, so the first failure of all the shares is the first in page order:
    every page before it was rendered by one of them."""
    rendered = []
    for index in claims:
        try:
            rendered.append(files.render(jobs[index]))
        except BuildError as error:
            yield rendered, (index, error.problems), os.getpid()
            return
    yield rendered, None, os.getpid()
