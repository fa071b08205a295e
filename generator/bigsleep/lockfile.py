"""gallery.lock: what every generated image was made from, so only changed images are remade.

For each image (key `<post slug>/<image name>`) the lock records the *spec* (every input that
determines the pixels: prompt, penalised texts, resolved seed, the image-determining settings, the
image prompt's file hash, model names), its hash, the SHA-256 of each model's weights, the
SHA-256 of the image file the tool wrote, and the candidates it chose from. Settings that do not
change the pixels (`pick`, `progress`, `progress_every`, `checkpoint_every`, `batch_size`) and the
entry's title or comment are left out, so editing them regenerates nothing.

Model hashes are kept apart from the spec hash: on a machine without the weights (building the
site from committed images) they cannot be computed, and are then not compared.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from generator.errors import GenerationError, Problem
from generator.fsutil import atomic_write_text
from generator.settings import GenerationSettings

LOCK_NAME = "gallery.lock"
LOCK_VERSION = 1
# Bump when the optimiser changes what a given spec produces: every image is then outdated.
METHOD_VERSION = 1
# Settings that do not change the image's pixels.
NON_IMAGE_SETTINGS = frozenset(
    {"pick", "progress", "progress_every", "checkpoint_every", "batch_size"}
)


def canonical_json(value: Any) -> str:
    """One byte-exact JSON text per value: sorted keys, no spaces, Unicode kept, strict JSON (a
    NaN or infinity raises ValueError)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_seed(prompt: str) -> int:
    """A stable seed from the prompt: the same on every machine and Python run."""
    return int.from_bytes(hashlib.sha256(prompt.encode("utf-8")).digest()[:8], "big") >> 2


def clip_label(name: str | None) -> str | None:
    """How CLIP is named in the spec: a library name as is, a local file by its base name.

    The weights hash pins the weights, so moving a local weights file regenerates nothing.
    """
    if name is None:
        return None
    local = name.endswith((".pt", ".pth")) or name.startswith((".", "~", "/"))
    return Path(name).name if local else name


def image_spec(prompt: str, settings: GenerationSettings, *,
               image_prompt_hash: str | None) -> dict[str, Any]:
    """Everything (but the model weights) that determines an entry's image."""
    values = {
        f.name: getattr(settings, f.name)
        for f in fields(settings)
        if f.name not in NON_IMAGE_SETTINGS
    }
    values["seed"] = settings.seed if settings.seed is not None else default_seed(prompt)
    values["penalize"] = list(settings.penalize)
    values["image_prompt"] = image_prompt_hash
    values["clip"] = clip_label(settings.clip)
    values["biggan"] = Path(settings.biggan).name if settings.biggan else None
    if settings.biggan is not None:
        values.pop("image_size")  # the local folder's config decides the size
    return {"method": METHOD_VERSION, "prompt": prompt, **values}


def spec_hash(spec: dict[str, Any]) -> str:
    return sha256_text(canonical_json(spec))


@dataclass
class Candidate:
    """One seed optimised for an entry."""

    seed: int
    similarity: float
    sha256: str  # of its PNG file (the image, or alternates/<name>-<i>.png)


@dataclass
class ImageRecord:
    """What the lock knows about one generated image."""

    inputs: str  # spec_hash(spec)
    spec: dict[str, Any]
    models: dict[str, str]  # "clip"/"biggan" -> weights SHA-256
    image: str  # SHA-256 of the image file the tool wrote
    chosen: int = 0
    candidates: list[Candidate] = field(default_factory=list)

    def wanted(self, pick: int | None) -> int:
        """The candidate that should be the image: `pick`, else the most similar one."""
        if pick is not None:
            return pick
        similarity = [candidate.similarity for candidate in self.candidates]
        return max(range(len(similarity)), key=similarity.__getitem__, default=0)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImageRecord:
        return cls(
            inputs=str(data["inputs"]),
            spec=dict(data["spec"]),
            models={str(k): str(v) for k, v in data.get("models", {}).items()},
            image=str(data["image"]),
            chosen=int(data.get("chosen", 0)),
            candidates=[Candidate(int(c["seed"]), float(c["similarity"]), str(c["sha256"]))
                        for c in data.get("candidates", [])],
        )


class Lockfile:
    """gallery.lock, read once and written back atomically after every change."""

    def __init__(self, path: Path, records: dict[str, ImageRecord] | None = None) -> None:
        self.path = path
        self.records: dict[str, ImageRecord] = dict(records or {})

    @classmethod
    def load(cls, path: Path) -> Lockfile:
        if not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != LOCK_VERSION:
                raise ValueError(f"version {data.get('version')!r}, expected {LOCK_VERSION}")
            records = {str(k): ImageRecord.from_json(v) for k, v in data["images"].items()}
            # a NaN similarity (from a version that accepted it) is no image: make it again
            records = {key: record for key, record in records.items()
                       if all(math.isfinite(c.similarity) for c in record.candidates)}
        except OSError as exc:  # a folder, no permission...
            raise GenerationError(Problem(
                path, None, None, f"unreadable lock file ({exc.strerror or exc})",
                "it must be the file the tool writes: remove whatever is there instead",
            )) from exc
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise GenerationError(Problem(
                path, None, None, f"unreadable lock file ({exc})",
                "restore it from version control, or delete it: every image is then generated "
                "again (the tool's old ones are kept in each post's replaced/ folder)",
            )) from exc
        return cls(path, records)

    def get(self, key: str) -> ImageRecord | None:
        return self.records.get(key)

    def set(self, key: str, record: ImageRecord) -> None:
        self.records[key] = record

    def text(self) -> str:
        """The file's text: deterministic (sorted keys), one line per value, diff-friendly."""
        images = {key: self.records[key].to_json() for key in sorted(self.records)}
        payload = {"version": LOCK_VERSION, "images": images}
        return json.dumps(payload, sort_keys=True, indent=2, ensure_ascii=False,
                          allow_nan=False) + "\n"

    def save(self) -> None:
        atomic_write_text(self.path, self.text())


def changed_keys(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The spec keys whose values differ, for a message saying why an image is remade."""
    return sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
