"""Wake the preview as soon as a watched file changes, instead of at its next look.

The watching is `watchfiles` (the Rust `notify` crate: inotify on Linux, FSEvents on macOS,
ReadDirectoryChangesW on Windows, polling elsewhere), run in a thread. A wake-up names the paths
reported changed: a hint of where to look, not a verdict (the preview compares what it finds
there with its last look, and looks at everything now and then, for what was not reported).
Names starting with "." below a watched folder (.git, editor swap files) wake nothing, as the
preview does not look at them either.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

import watchfiles

READY_SECONDS = 5.0  # the most to wait for the watcher to be in place
LOOK_MS = 200  # how often the watcher thread checks whether it should stop
DEBOUNCE_MS = 20  # changes this close together are one wake-up


class Waker:
    """Waits until something under the watched paths may have changed, or a timeout."""

    def __init__(self, watched: Iterable[Path]) -> None:
        self._roots = [Path(path).absolute() for path in watched if Path(path).exists()]
        self._changed = threading.Event()
        self._lock = threading.Lock()
        self._paths: set[str] = set()  # reported since the last wait
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        if self._roots:
            self._thread = threading.Thread(target=self._watch, daemon=True)
            self._thread.start()
            self._ready.wait(READY_SECONDS)  # changes made from now on are seen

    @property
    def active(self) -> bool:
        """True when changes wake `wait` early."""
        return self._thread is not None and self._ready.is_set()

    def wait(self, timeout: float) -> frozenset[str]:
        """Block up to `timeout` seconds -> the absolute paths reported changed since the last
        wait (none when the time ran out)."""
        self._changed.wait(timeout)
        with self._lock:
            paths, self._paths = self._paths, set()
            self._changed.clear()
        return frozenset(paths)

    def close(self) -> None:
        """Stop watching; a `wait` in progress returns at once."""
        self._stop.set()
        self._changed.set()
        if self._thread is not None:
            self._thread.join(READY_SECONDS)

    def _watch(self) -> None:
        for changes in watchfiles.watch(
                *self._roots, watch_filter=self._visible, debounce=DEBOUNCE_MS, step=DEBOUNCE_MS,
                stop_event=self._stop, rust_timeout=LOOK_MS, yield_on_timeout=True,
                raise_interrupt=False):
            self._ready.set()  # the first timeout: the watches are in place
            if changes:
                with self._lock:
                    self._paths.update(path for _, path in changes)
                    self._changed.set()

    def _visible(self, _change: watchfiles.Change, path: str) -> bool:
        """False for a path with a name starting with "." below the watched root it is in."""
        changed = Path(path)
        for root in self._roots:
            if changed == root or root in changed.parents:
                return not any(part.startswith(".")
                               for part in changed.relative_to(root).parts)
        return True
