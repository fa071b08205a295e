"""Which files in a page bundle this tool wrote, so it never overwrites or deletes anyone else's.

Each bundle the tool writes into keeps `.generated.json`: the relative path and SHA-256 of every
file the tool wrote there. A file may be (over)written only if it does not exist yet, or if its
bytes are still exactly what the tool wrote: a hand-written post, an image the author dropped in,
or a generated file edited by hand are left alone and reported.

Every path is judged by `generator.boundaries` first: the tool writes a bundle's files only
inside the bundle folder, and only when that folder lies inside its content folder, after `..`
and links are resolved; a linked `images/` leading elsewhere is refused, never written through.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from generator.boundaries import Boundary
from generator.bundles import content_of
from generator.errors import GalleryError, Problem
from generator.fsutil import atomic_copy, atomic_write_bytes, atomic_write_text, sha256_file

RECORD_NAME = ".generated.json"


class Ownership:
    """The record of files the tool wrote in one bundle folder."""

    def __init__(self, bundle: Path, files: dict[str, str] | None = None) -> None:
        self.bundle = bundle
        self.files: dict[str, str] = dict(files or {})
        self._inside = Boundary(bundle, name=f"the post's folder {bundle}")
        self._bundle_outside = Boundary(
            content_of(bundle), name=f"the content folder {content_of(bundle)}",
        ).problem(bundle, hint="make the post's folder a real folder inside the content folder, "
                               "not a link to elsewhere")

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
                "delete it: the tool then treats every existing file as yours and leaves it alone "
                "(its own unedited pages it still knows by their fingerprint line)",
            )) from exc
        return cls(bundle, files)

    def outside(self, path: Path) -> Problem | None:
        """Why the tool may not write `path` as a file of this bundle: the bundle folder leads
        out of its content folder, or `path` out of the bundle folder (through a link)."""
        inner = path.is_relative_to(self.bundle)
        return self._bundle_outside or self._inside.problem(
            path, shown=path.relative_to(self.bundle).as_posix() if inner else None,
            hint="the tool writes only inside the post's folder: make this a real folder there, "
                 "not a link to elsewhere")

    def _key(self, path: Path) -> str | None:
        """`path` relative to the bundle folder; None when it leads outside (see `outside`)."""
        resolved = None if self._bundle_outside else self._inside.resolve(path)
        return None if resolved is None else self._relative(resolved)

    def recorded(self, path: Path) -> bool:
        """True if the tool once wrote `path` (whether or not it was changed since)."""
        key = self._key(path)
        return key is not None and key in self.files

    def owns(self, path: Path) -> bool:
        """True if the tool wrote `path` and nobody changed it since."""
        key = self._key(path)
        digest = self.files.get(key) if key is not None else None
        return digest is not None and path.is_file() and sha256_file(path) == digest

    def may_write(self, path: Path) -> bool:
        return self.outside(path) is None and (not path.exists() or self.owns(path))

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
        key = self._checked_key(path)  # refuses a path outside, as `may_write` does
        if path.exists() and not self.owns(path):
            raise GalleryError(Problem(
                path, None, None, "exists and was not written by this tool (or was edited since)",
                "it is left untouched: move or rename it, or delete it to let the tool write it",
            ))
        if path.exists() and self.files.get(key) == digest:
            return False
        write()
        self.files[key] = digest
        return True

    def claim(self, path: Path) -> None:
        """Record `path`, as it is now, as the tool's (it holds exactly what the tool writes)."""
        self.files[self._checked_key(path)] = sha256_file(path)

    def forget(self, path: Path) -> None:
        """Stop claiming `path` (after the tool moved or removed it)."""
        key = self._key(path)
        if key is not None:
            self.files.pop(key, None)

    def _checked_key(self, path: Path) -> str:
        """`path`'s key; a GalleryError when it leads outside (see `outside`)."""
        problem = self.outside(path)
        if problem is not None:
            raise GalleryError(problem)
        return self._relative(self._inside.check(path))

    def _relative(self, resolved: Path) -> str:
        return resolved.relative_to(self._inside.folders[0]).as_posix()

    def save(self) -> None:
        if self._bundle_outside is not None:
            raise GalleryError(self._bundle_outside)
        payload = json.dumps({"files": dict(sorted(self.files.items()))}, indent=2)
        atomic_write_text(self.bundle / RECORD_NAME, payload + "\n")
