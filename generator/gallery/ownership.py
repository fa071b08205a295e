"""Which files in a page bundle this tool wrote, so it never overwrites or deletes anyone else's.

Each bundle the tool writes into keeps `.generated.json`: the relative path and SHA-256 of every
file the tool wrote there. A file may be (over)written only if it does not exist yet, or if its
bytes are still exactly what the tool wrote: a hand-written post, an image the author dropped in,
or a generated file edited by hand are left alone and reported.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from generator.errors import GalleryError, Problem
from generator.fsutil import atomic_copy, atomic_write_bytes, atomic_write_text, sha256_file

RECORD_NAME = ".generated.json"


class Ownership:
    """The record of files the tool wrote in one bundle folder."""

    def __init__(self, bundle: Path, files: dict[str, str] | None = None) -> None:
        self.bundle = bundle
        self.files: dict[str, str] = dict(files or {})

    @classmethod
    def load(cls, bundle: Path) -> Ownership:
        record = bundle / RECORD_NAME
        if not record.exists():
            return cls(bundle)
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
            files = {str(k): str(v) for k, v in data["files"].items()}
        except OSError as exc:  # a folder, unreadable
            raise GalleryError(Problem(
                record, None, None, f"unreadable ownership record ({exc.strerror or exc})",
                "it must be the file the tool writes: remove whatever is there instead",
            )) from exc
        except (ValueError, KeyError, AttributeError, TypeError) as exc:  # not {"files": {...}}
            raise GalleryError(Problem(
                record, None, None, f"unreadable ownership record ({type(exc).__name__}: {exc})",
                "delete it: the tool then treats every existing file as yours and leaves it alone",
            )) from exc
        return cls(bundle, files)

    def _key(self, path: Path) -> str:
        return path.resolve().relative_to(self.bundle.resolve()).as_posix()

    def recorded(self, path: Path) -> bool:
        """True if the tool once wrote `path` (whether or not it was changed since)."""
        return self._key(path) in self.files

    def owns(self, path: Path) -> bool:
        """True if the tool wrote `path` and nobody changed it since."""
        digest = self.files.get(self._key(path))
        return digest is not None and path.is_file() and sha256_file(path) == digest

    def may_write(self, path: Path) -> bool:
        return not path.exists() or self.owns(path)

    def _check(self, path: Path) -> None:
        if not self.may_write(path):
            raise GalleryError(Problem(
                path, None, None, "exists and was not written by this tool (or was edited since)",
                "it is left untouched: move or rename it, or delete it to let the tool write it",
            ))

    def write_bytes(self, path: Path, data: bytes) -> bool:
        """Atomically write `data` unless unchanged; returns True when the file changed."""
        return self._put(path, hashlib.sha256(data).hexdigest(),
                         lambda: atomic_write_bytes(path, data))

    def write_text(self, path: Path, text: str) -> bool:
        return self.write_bytes(path, text.encode("utf-8"))

    def copy(self, source: Path, path: Path) -> bool:
        """Atomically copy `source` to `path` unless already identical; True when it changed."""
        return self._put(path, sha256_file(source), lambda: atomic_copy(source, path))

    def _put(self, path: Path, digest: str, write: Callable[[], None]) -> bool:
        """Run `write` to give `path` the bytes of `digest`, unless it already holds them."""
        self._check(path)
        if path.exists() and self.files.get(self._key(path)) == digest:
            return False
        write()
        self.files[self._key(path)] = digest
        return True

    def claim(self, path: Path) -> None:
        """Record `path`, as it is now, as the tool's (it holds exactly what the tool writes)."""
        self.files[self._key(path)] = sha256_file(path)

    def forget(self, path: Path) -> None:
        """Stop claiming `path` (after the tool moved or removed it)."""
        self.files.pop(self._key(path), None)

    def save(self) -> None:
        payload = json.dumps({"files": dict(sorted(self.files.items()))}, indent=2)
        atomic_write_text(self.bundle / RECORD_NAME, payload + "\n")
