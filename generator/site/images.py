"""Image variants for the site: resized WebP + fallback files, cached by content hash.

`ImageProcessor.process(source)` turns one bundle image into what a template needs: its size
and a list of variants (one per configured width smaller than the original, plus the original
width), each encoded as WebP and as a fallback (JPEG for opaque images, PNG for images with
transparency). Animated GIF/WebP files are passed through untouched (no variants).

Cache layout, under `cache_dir/images/<key>/`, where key = sha256(source bytes + parameters):

    meta.json            size, animated flag, variant list, the byte size of every file
    original.<ext>       a copy of the source bytes (the "click opens the full image" file)
    <width>.webp         one per variant width
    <width>.jpg|png      the fallback of each variant

An entry is built in a staging folder and renamed into place, so it is complete or absent.
A second `process()` of unchanged bytes reads only the source bytes (to hash them) and
meta.json: no decoding or encoding. A damaged entry (missing or short files) is remade.
`publish()` hard-links (or copies) the files into the output site under deterministic names
(`NAME.png`, `NAME-480.webp`, `NAME-480.jpg`). With `source_keys` from the last build, a source
whose size, mtime_ns and inode did not change is not even read to hash it, and `cached()`
answers for it with no more than a look-up (None where `process()` has more to do).
`process()`, `cached()` and `publish()` are safe to call from several threads at once.

Decoding needs about 18 bytes per pixel (the image, its RGB(A) copy, resized copies and their
encodings: a 7000x7000 PNG peaked at 0.9 GB), so an image over `MAX_PIXELS` (50 megapixels,
e.g. 8660x5773) is refused with an error, read from its header before anything is decoded
(`inspect_image`, which `check` runs too; the limit and the check live in `generator.bundles`,
shared with the manifest's figures), and the images decoded at once by all threads together
hold at most `PIXEL_BUDGET` pixels (~0.9 GB).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from generator.bundles import MAX_PIXELS, image_problem
from generator.errors import BuildError, Problem
from generator.fsutil import atomic_write_bytes, remove_stale_temporaries, temporary_folder
from generator.site.sitefiles import Files

if TYPE_CHECKING:  # Pillow is imported where images are decoded: a no-op rebuild needs none
    from PIL import Image, ImageFont

CACHE_VERSION = 1  # bump when the encoding below changes: every cached variant is remade
WEBP_QUALITY = 82  # BigSleep images are noisy textures; 82 keeps them crisp at ~1/3 of PNG size
JPEG_QUALITY = 85
PLACEHOLDER_KEY = "gallery-placeholder"  # PNG text chunk that marks a placeholder file
PIXEL_BUDGET = MAX_PIXELS  # pixels decoded at once by every thread together (190 of 512x512)


@dataclass(frozen=True)
class Variant:
    """One resized copy of an image, in the cache."""

    width: int
    height: int
    webp: Path
    fallback: Path  # .jpg, or .png when the image has transparency


@dataclass(frozen=True)
class ProcessedImage:
    """A source image and its cached variants (ascending width; empty when animated)."""

    source: Path
    key: str
    width: int
    height: int
    animated: bool
    original: Path  # cached copy of the source bytes, same extension
    variants: tuple[Variant, ...]


@dataclass(frozen=True)
class PublishedVariant:
    """A variant's URLs, relative to the output site's root (POSIX paths)."""

    width: int
    height: int
    webp: str
    fallback: str


@dataclass(frozen=True)
class PublishedImage:
    """What a template needs to write <picture>/<img>: URLs relative to the site root."""

    width: int
    height: int
    full: str  # the original file: the link target, and the src of animated images
    variants: tuple[PublishedVariant, ...]

    @property
    def src(self) -> str:
        """The `src` for browsers without srcset: the largest fallback, else the original."""
        return self.variants[-1].fallback if self.variants else self.full


class ImageProcessor:
    """Makes and caches the variants of images; counts work done for tests and benchmarks."""

    def __init__(self, cache_dir: Path, widths: tuple[int, ...]) -> None:
        self.root = cache_dir / "images"
        remove_stale_temporaries(self.root, deep=False)  # staging folders of killed runs
        self.widths = tuple(sorted(set(widths)))
        self.encoded = 0  # images decoded and encoded (cache misses)
        self.cache_hits = 0  # images served from the cache without decoding
        # source path -> [size, mtime_ns, inode, cache key]: filled as images are processed
        self.source_keys: dict[str, list[int | str]] = {}
        self._lock = threading.Lock()
        self._budget = _PixelBudget(PIXEL_BUDGET)
        self._params = json.dumps(
            {"v": CACHE_VERSION, "widths": self.widths, "webp": WEBP_QUALITY, "jpeg": JPEG_QUALITY}
        ).encode()

    @property
    def params(self) -> str:
        """The encoding parameters: cache keys are made of these and the source bytes."""
        return self._params.decode()

    def process(self, source: Path) -> ProcessedImage:
        """The variants of `source`, from the cache when its bytes were processed before."""
        key, data = self._key(source)
        entry = self.root / key
        cached = _load_entry(source, key, entry)
        if cached is not None:
            with self._lock:
                self.cache_hits += 1
            return cached
        processed = self._encode(source, _read(source) if data is None else data, key, entry)
        with self._lock:
            self.encoded += 1
        return processed

    def cached(self, source: Path) -> ProcessedImage | None:
        """`process(source)` when it is a look-up: the source is the file `source_keys` recorded
        and its cache entry is complete; else None (its bytes are to be read, or encoded)."""
        key = self._recorded_key(source, _identity(source))
        if key is None:
            return None
        cached = _load_entry(source, key, self.root / key)
        if cached is not None:
            with self._lock:
                self.cache_hits += 1
        return cached

    def _key(self, source: Path) -> tuple[str, bytes | None]:
        """The cache key of `source`'s bytes (and the bytes, when they had to be read): an image
        whose size, mtime_ns and inode are those recorded in `source_keys` is not read again."""
        identity = _identity(source)
        key = self._recorded_key(source, identity)
        if key is not None:
            return key, None
        data = _read(source)
        key = hashlib.sha256(self._params + b"\0" + data).hexdigest()
        if identity:
            with self._lock:
                self.source_keys[str(source)] = [*identity, key]
        return key, data

    def _recorded_key(self, source: Path, identity: list[int | str]) -> str | None:
        """The key `source_keys` recorded for `source` when it still has that `identity`."""
        known = self.source_keys.get(str(source))
        if identity and known is not None and known[:3] == identity:
            return str(known[3])
        return None

    def placeholder(self, name: str, width: int = 512, height: int = 512) -> ProcessedImage:
        """A processed placeholder for image `name`, which has not been generated yet."""
        path = self.root.parent / "placeholders" / f"{name}-{width}x{height}-v{CACHE_VERSION}.png"
        if not path.is_file():
            atomic_write_bytes(path, placeholder_image(name, width, height))
        return self.process(path)

    def publish(
        self, image: ProcessedImage, out: Files, folder: str, name: str
    ) -> PublishedImage:
        """Put `image`'s files in site folder `folder` as NAME.ext, NAME-W.webp, NAME-W.jpg|png."""
        def put(path: Path, filename: str) -> str:
            site_path = f"{folder}/{filename}" if folder else filename
            out.put_link(site_path, path)
            return site_path

        full = put(image.original, f"{name}{image.original.suffix}")
        variants = tuple(
            PublishedVariant(
                v.width,
                v.height,
                put(v.webp, f"{name}-{v.width}.webp"),
                put(v.fallback, f"{name}-{v.width}{v.fallback.suffix}"),
            )
            for v in image.variants
        )
        return PublishedImage(image.width, image.height, full, variants)

    def _encode(self, source: Path, data: bytes, key: str, entry: Path) -> ProcessedImage:
        """Decode `data`, encode every variant, and install the finished cache entry."""
        from PIL import Image, ImageOps, UnidentifiedImageError

        try:
            unusable = image_problem(io.BytesIO(data))  # what check refuses, refused alike
            if unusable:
                raise BuildError(Problem(source, None, None, *unusable))
            with (Image.open(io.BytesIO(data)) as opened,
                  self._budget.hold(opened.width * opened.height)):
                animated = bool(getattr(opened, "is_animated", False))
                image = opened if animated else ImageOps.exif_transpose(opened)
                image.load()
                width, height = image.size
                encoded = [] if animated else self._variants(image)
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as err:
            raise _unreadable(source, err) from err
        original = f"original{source.suffix.lower()}"
        files = {original: data}
        rows = []
        for w, h, webp, fallback_ext, fallback in encoded:
            files[f"{w}.webp"], files[f"{w}.{fallback_ext}"] = webp, fallback
            rows.append([w, h, f"{w}.webp", f"{w}.{fallback_ext}"])
        meta = {
            "width": width,
            "height": height,
            "animated": animated,
            "original": original,
            "variants": rows,
            "sizes": {name: len(content) for name, content in files.items()},
        }
        _install_entry(self.root, entry, files, meta)
        return _entry_image(source, key, entry, meta)

    def _variants(self, image: Image.Image) -> list[tuple[int, int, bytes, str, bytes]]:
        """(width, height, WebP, fallback extension, fallback) for each width below the
        original (never upscaled) and for the original width."""
        from PIL import Image

        alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        image = image.convert("RGBA" if alpha else "RGB")
        width, height = image.size
        variants = []
        for target in [w for w in self.widths if w < width] + [width]:
            scaled_height = max(1, round(height * target / width))
            resized = (
                image if target == width
                else image.resize((target, scaled_height), Image.Resampling.LANCZOS)
            )
            webp = encode_bytes(resized, "WEBP", quality=WEBP_QUALITY)
            if alpha:
                variants.append((target, scaled_height, webp, "png", encode_bytes(resized, "PNG")))
            else:
                jpeg = encode_bytes(resized, "JPEG", quality=JPEG_QUALITY, progressive=True)
                variants.append((target, scaled_height, webp, "jpg", jpeg))
        return variants


def inspect_image(source: Path) -> None:
    """Raise the BuildError a build would for `source` (unreadable, damaged, or over
    MAX_PIXELS), reading its chunks without decoding the pixels."""
    problem = image_problem(source)
    if problem is not None:
        raise BuildError(Problem(source, None, None, *problem))


def _unreadable(source: Path, err: Exception) -> BuildError:
    return BuildError(Problem(
        source, None, None, f"cannot read this image ({err})",
        "replace it with a valid PNG, JPEG, WebP or GIF file, "
        "or delete it and run `make generate` to make it again"))


class _PixelBudget:
    """Bounds the pixels decoded at once across threads: `hold(n)` waits until n fit (one
    image alone always fits, so a single large image never waits forever)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._free = threading.Condition()

    @contextmanager
    def hold(self, pixels: int) -> Iterator[None]:
        with self._free:
            self._free.wait_for(lambda: self.used == 0 or self.used + pixels <= self.limit)
            self.used += pixels
        try:
            yield
        finally:
            with self._free:
                self.used -= pixels
                self._free.notify_all()


def placeholder_image(name: str, width: int = 512, height: int = 512) -> bytes:
    """PNG bytes of a grey, striped image that says it is a placeholder for image `name`.

    Drawn lines: "PLACEHOLDER", "not generated yet" and the name (DejaVu Sans when installed,
    for Cyrillic names; Pillow's default font otherwise). A PNG text chunk marks the file too.
    """
    from PIL import Image, ImageDraw
    from PIL.PngImagePlugin import PngInfo

    image = Image.new("RGB", (width, height), (206, 206, 206))
    draw = ImageDraw.Draw(image)
    for offset in range(-height, width, 32):
        draw.line([(offset, height), (offset + height, 0)], fill=(190, 190, 190), width=10)
    draw.rectangle([0, 0, width - 1, height - 1], outline=(150, 40, 40), width=4)
    size = max(8, min(width, height) // 12)
    lines = ["PLACEHOLDER", "not generated yet", name]
    y = (height - len(lines) * size * 3 // 2) / 2
    line_font = _font(size)
    for line in lines:
        font = line_font
        text_width = draw.textlength(line, font=font)
        if text_width > width - 12:  # too wide (a long name): shrink this line to fit
            font = _font(max(6, int(size * (width - 12) / text_width)))
        x = (width - draw.textlength(line, font=font)) / 2
        draw.text((x, y), line, fill=(120, 20, 20), font=font)
        y += size * 3 // 2
    info = PngInfo()
    info.add_itxt(PLACEHOLDER_KEY, name)
    return encode_bytes(image, "PNG", pnginfo=info)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def encode_bytes(image: Image.Image, fmt: str, **options: object) -> bytes:
    """`image` encoded as `fmt` ("PNG", "WEBP", "JPEG") with Pillow's save `options`."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _identity(source: Path) -> list[int | str]:
    """[size, mtime_ns, inode] of `source`, as `source_keys` records it; [] when it cannot be
    stat'ed."""
    try:
        stat = source.stat()
    except OSError:
        return []
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


def _read(source: Path) -> bytes:
    try:
        return source.read_bytes()
    except OSError as err:
        raise BuildError(
            Problem(source, None, None, f"cannot read this image ({err.strerror})",
                    "check that the file exists and is readable")
        ) from err


def _load_entry(source: Path, key: str, entry: Path) -> ProcessedImage | None:
    """The cached result for `key`, or None when it is missing or damaged."""
    meta = _complete_meta(entry)
    return None if meta is None else _entry_image(source, key, entry, meta)


def _complete_meta(entry: Path) -> dict | None:
    """An entry's meta.json when every file it lists is there with its recorded size."""
    try:  # os.path, not pathlib: a rebuild asks this of every image
        meta = json.loads(Path(entry, "meta.json").read_text(encoding="utf-8"))
        if all(os.stat(os.path.join(entry, name)).st_size == size
               for name, size in meta["sizes"].items()):
            return meta
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


def _entry_image(source: Path, key: str, entry: Path, meta: dict) -> ProcessedImage:
    variants = tuple(
        Variant(width, height, entry / webp, entry / fallback)
        for width, height, webp, fallback in meta["variants"]
    )
    return ProcessedImage(
        source, key, meta["width"], meta["height"], meta["animated"], entry / meta["original"],
        variants,
    )


def _install_entry(root: Path, entry: Path, files: dict[str, bytes], meta: dict) -> None:
    """Write a cache entry into a staging folder, then rename it into place in one step.

    One atomic rename per image instead of an fsync per file (6 fsyncs cost about as much
    as encoding): after a crash an entry is there complete or not at all, and meta.json's
    file sizes catch files that a power loss left short, so such an entry is remade.
    """
    staging = temporary_folder(root, entry.name[:16])  # makes `root` too
    try:
        for name, content in files.items():
            (staging / name).write_bytes(content)
        (staging / "meta.json").write_text(json.dumps(meta))
        try:
            os.rename(staging, entry)
        except OSError:  # an entry is there: made meanwhile by another thread, or damaged
            if _complete_meta(entry) is not None:
                return
            shutil.rmtree(entry, ignore_errors=True)
            os.rename(staging, entry)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
