"""The preview's state between `make serve`'s threads: what changed, the early pages shown for
it, the rebuilds, and which of them last changed each page (for the tabs' reload script).

`look` compares the watched files with the last look (`snapshot`). When they changed, it shows
the early pages of that edit at once, if it has any (`early`: pages rendered again from the
last build's state, as the full rebuild will write them), and asks for a rebuild. `build` runs
the rebuild asked for (in whichever thread calls it; `serve` has one look while another builds)
and then retires the early pages it covers: the served folder now holds them. A failed rebuild
prints its problems and retires them too, so the last good site is what is served.

Early pages answer for the site paths they have; every other page is the live site's file until
the rebuild swaps the new site in. Each look that finds a change is numbered; a rebuild covers
the looks asked for before it began, since it reads the files after them. Early pages are made
from every change since the look the last successful rebuild covered, so the state they are
rendered from (that rebuild's, or a newer one) has seen every other file as it is now.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from stat import S_ISREG

from generator.errors import GalleryError

Snapshot = dict[str, tuple[int, int]]
# the files changed since the last successful rebuild -> {site path: bytes}, or None
EarlyRender = Callable[[Collection[str]], dict[str, bytes] | None]
PAGE_SUFFIXES = (".html", ".xml")  # files that are pages of their own; others any page may show


def snapshot(folders: Iterable[Path]) -> Snapshot:
    """(mtime, size) of every visible file under `folders` (files or folders); names starting
    with "." below them (editor swap files, .git) are not looked at."""
    state: Snapshot = {}
    pending = []
    for folder in folders:
        if folder.is_file():
            stat = folder.stat()
            state[str(folder)] = (stat.st_mtime_ns, stat.st_size)
        elif folder.is_dir():
            pending.append(str(folder))
    while pending:  # os.scandir: a third of the time of Path.rglob + stat at 1,000 posts
        with contextlib.suppress(OSError), os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.is_file():
                    stat = entry.stat()
                    state[entry.path] = (stat.st_mtime_ns, stat.st_size)
    return state


def updated(seen: Snapshot, paths: Iterable[str]) -> Snapshot | None:
    """`seen` with the files at `paths` (as `snapshot` names them) looked at again; None when one
    of them is, or was, a folder: only a whole `snapshot` tells what is in it now."""
    now = dict(seen)
    for path in paths:
        try:
            stat = os.stat(path)
        except OSError:
            if path not in now and any(name.startswith(path + os.sep) for name in now):
                return None  # a folder gone, files and all
            now.pop(path, None)
            continue
        if not S_ISREG(stat.st_mode):
            return None
        now[path] = (stat.st_mtime_ns, stat.st_size)
    return now


class Preview:
    """Rebuilds `site` when the watched files change, shows early pages meanwhile, and tells the
    reload script which change last changed each page.

    `rebuild` returns the site paths the build added, changed or removed ("posts/a/index.html"),
    or None when it cannot tell (every page then counts as changed).
    """

    def __init__(self, site: Path, rebuild: Callable[[], Iterable[str] | None],
                 watched: list[Path], say: Callable[[str], None] = print,
                 early: EarlyRender | None = None) -> None:
        self.site = site
        self.rebuild = rebuild
        self.watched = [path.absolute() for path in watched]  # as the watcher reports changes
        self.say = say
        self.early = early
        self.version = 0  # the last change shown (early pages or a rebuild)
        self.wanted = threading.Event()  # set while a rebuild is asked for
        self._lock = threading.Lock()  # over everything below, shared by the threads
        self._building = threading.Lock()  # one rebuild at a time
        self._changed_in: dict[str, int] = {}  # site path -> the change that last changed it
        self._every_page_in = 0  # the last change to what any page may show
        self._seen: Snapshot | None = None
        self._looks = 0  # looks that found a change
        self._asked = 0  # the last of them that asked for a rebuild
        self._good = 0  # the last look covered by a successful rebuild
        self._changes: list[tuple[int, frozenset[str]]] = []  # (look, files) after `_good`
        self._early: dict[str, bytes] = {}  # site path -> the early page served there
        self._early_look = 0  # the look the early pages are up to

    def page_version(self, site_path: str) -> int:
        """The last change to the page at `site_path` ("a/index.html") or to a file every
        page may show."""
        with self._lock:
            return max(self._changed_in.get(site_path, 0), self._every_page_in)

    def early_page(self, site_path: str) -> bytes | None:
        """The early page served at `site_path`, if there is one."""
        with self._lock:
            return self._early.get(site_path)

    def refresh(self) -> bool:
        """Look, and rebuild if anything changed, in this thread; True when a new site is
        out."""
        return self.look() and self.build()

    def look(self, hint: Collection[str] = ()) -> bool:
        """Compare the watched files with the last look (only those at the absolute paths
        `hint`, when given and none is a folder); when they changed, show the early pages of
        the change, if it has any, and ask for a rebuild. True when they changed."""
        seen = self._seen
        now = updated(seen, hint) if hint and seen is not None else None
        if now is None:
            now = snapshot(self.watched)
        self._seen = now
        if now == seen:
            return False
        with self._lock:
            self._looks += 1
            look = self._looks
            if seen is not None:
                self._changes.append((look, frozenset(
                    path for path in seen.keys() | now.keys() if seen.get(path) != now.get(path))))
            since_good = frozenset().union(*(files for _, files in self._changes))
        pages = self.early(since_good) if self.early and seen is not None else None
        with self._lock:
            if pages is not None:
                fresh = {path: data for path, data in pages.items()
                         if self._early.get(path) != data}
                self._early = {**self._early, **pages}  # replaced whole: `_built` reads it
                self._early_look = look
                if fresh:
                    self.version += 1
                    self._changed_in.update(dict.fromkeys(fresh, self.version))
            self._asked = look  # after the early pages are out: the rebuild retires them
            self.wanted.set()
        return True

    def build(self) -> bool:
        """Run the rebuild asked for, if any, in this thread; True when a new site is out."""
        with self._building:
            with self._lock:
                if not self.wanted.is_set():
                    return False
                self.wanted.clear()
                covers = self._asked
            try:
                changed = self.rebuild()
            except GalleryError as error:
                self.say("rebuild failed; still serving the last good site:")
                for problem in error.problems:
                    self.say(f"  {problem}")
                self._built(covers, frozenset())
                return False
            with self._lock:
                self._good = covers
                self._changes = [(look, files) for look, files in self._changes
                                 if look > covers]
            return self._built(covers, changed)

    def _built(self, covers: int, changed: Iterable[str] | None) -> bool:
        """Show what a rebuild covering the looks up to `covers` changed (all of the site when
        None), retiring the early pages it covers. True when a new site is out."""
        with self._lock:
            retired = self._early if self._early_look <= covers else {}
            if retired:
                self._early = {}
            kept = self._early
        # a retired early page reloads its tab only if the rebuilt file differs from it
        reloads = {path for path, data in retired.items() if self._served(path) != data}
        if changed is not None:
            changed = set(changed)
            reloads |= {path for path in changed if path not in retired and path not in kept}
        with self._lock:
            if changed is None:
                self.version += 1
                self._every_page_in = self.version
                return True
            if reloads:
                self.version += 1
                self._changed_in.update(dict.fromkeys(reloads, self.version))
                if any(not path.endswith(PAGE_SUFFIXES) for path in reloads):
                    self._every_page_in = self.version
        return bool(changed)

    def _served(self, site_path: str) -> bytes | None:
        """The bytes of the site's file at `site_path`, None when it has none."""
        try:
            return (self.site / site_path).read_bytes()
        except OSError:
            return None
