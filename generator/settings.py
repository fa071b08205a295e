"""Typed settings: the site section and the BigSleep generation defaults of gallery.yaml.

Each field's metadata says what the manifest accepts for it (`doc`, and for numbers `min`/`max`
with `exclusive_min` when the minimum itself is not allowed, for choices `choices`), so
validation (`in_range`, `allowed_range`) and documentation come from this one place.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*")  # en, ru, pt-BR, zh-Hant


def language_problem(value: str) -> tuple[str, str] | None:
    """(message, hint) when `value` is not a language tag: a name such as en, ru or pt-BR,
    which also names the theme's i18n file, so never a path."""
    if LANGUAGE_TAG.fullmatch(value):
        return None
    return (f"`{value}` is not a language tag",
            "write a language code such as en, ru or pt-BR (letters, digits and `-` only)")


BASE_URL = re.compile(r"https?://[^\s/\\\"'<>`{|}^?#@]+(/[^\s\\\"'<>`{|}^]*)?")


def base_url_problem(value: str) -> tuple[str, str] | None:
    """(message, hint) when `value` is not an http(s) URL with a host and no characters that
    would need escaping in HTML or XML (the site's address, in feeds and head tags)."""
    if BASE_URL.fullmatch(value):
        return None
    return f"`{value}` is not an absolute URL", "write it like https://example.org/blog/"


def option(default: Any, doc: str, **limits: Any) -> Any:
    """A dataclass field carrying its manifest documentation and value limits."""
    return field(default=default, metadata={"doc": doc, **limits})


@dataclass(frozen=True)
class SiteSettings:
    """The `site:` section: what every page of the built site shares."""

    title: str = option("My gallery", "Site title, shown in the header and feeds.")
    base_url: str = option("https://example.org/", "Absolute URL the site is served from.")
    language: str = option("en", "Language tag (en, ru, pt-BR) for <html lang>, the feed and "
                           "the theme's UI strings.")
    author: str = option("", "Default author of posts.")
    description: str = option("", "Site description for the home page, feed and social cards.")
    paginate: int = option(10, "Posts per home page.", min=1, max=1000)
    image_widths: tuple[int, ...] = option(
        (480, 960, 1600), "Widths of the resized image variants (never upscaled).", min=16, max=8192
    )
    deploy: str | None = option(None, "Where `make deploy` publishes: a folder or host:path "
                                "(rsync), git+ssh://host/repo.git#branch or s3://bucket/prefix.")
    toc: bool = option(False, "Show a table of contents at the top of posts with three or more "
                       "headings (## and ###).")
    comments: str | None = option(None, "HTML of a comment widget (giscus, utterances, a mailto "
                                  "link...) shown under posts with `comments: true`.")
    enable_emoji: bool = option(False, "Render emoji shortcodes such as `:smile:` (Hugo's "
                                "enableEmoji).")
    unsafe_html: bool = option(True, "Keep raw HTML written in Markdown; false omits it (Hugo's "
                               "markup.goldmark.renderer.unsafe).")
    params: dict[str, str] = field(default_factory=dict, metadata={
        "doc": "Site parameters, read by the `param` shortcode (Hugo's params)."})


@dataclass(frozen=True)
class GenerationSettings:
    """The `generation:` section (global defaults); every entry may override any field.

    Defaults follow lucidrains' big-sleep 0.9.1 `Imagine` except `iterations` and `image_size`
    (every difference is listed in the README's "Differences from big-sleep").
    """

    image_size: int = option(256, "BigGAN-deep resolution when no local `biggan` folder is given.",
                             choices=(128, 256, 512))
    biggan: str | None = option(None, "Local BigGAN folder (config.json + pytorch_model.bin); "
                                "its config decides the size.")
    clip: str = option("ViT-B/32", "CLIP model name or local weights file.")
    iterations: int = option(1000, "Optimisation steps per image.", min=1, max=1_000_000)
    lr: float = option(0.07, "Adam learning rate.", min=0.0, max=10.0)
    cutouts: int = option(128, "Random square crops scored by CLIP each step.", min=1, max=1024)
    center_bias: bool = option(False, "Bias cutout offsets towards the centre.")
    max_classes: int | None = option(None, "Differentiable top-k over BigGAN classes.",
                                     min=1, max=1000)
    class_temperature: float = option(2.0, "Temperature of the top-k class softmax.",
                                      min=0.0, exclusive_min=True, max=100.0)
    ema_decay: float = option(0.99, "Decay of the EMA latents images are saved from.",
                              min=0.0, max=1.0)
    seed: int | None = option(None, "Random seed; default is a stable hash of the prompt.",
                              min=0, max=2**63 - 1)
    penalize: tuple[str, ...] = option((), "Texts the image should not look like.")
    image_prompt: str | None = option(None, "Image file (relative to gallery.yaml) to match too.")
    save_best: bool = option(False, "Keep the image with the best similarity, not the last.")
    candidates: int = option(1, "Seeds optimised together; the best becomes the image.",
                             min=1, max=64)
    pick: int | None = option(None, "Use candidate number `pick` instead of the best.",
                              min=0, max=63)
    progress: bool = option(False, "Save frames: an iterations strip and an animated WebP.")
    progress_every: int = option(100, "Iterations between progress frames.", min=1)
    checkpoint_every: int = option(50, "Iterations between resumable checkpoints.", min=1)
    batch_size: int | None = option(None, "Images optimised together; default fits GPU memory.",
                                    min=1, max=4096)


def in_range(value: float, limits: Mapping[str, Any]) -> bool:
    """Whether a number is finite and within a field's `min`/`max` (see `exclusive_min`)."""
    low, high = limits.get("min"), limits.get("max")
    if isinstance(value, float) and not math.isfinite(value):
        return False
    if low is not None and (value < low or (limits.get("exclusive_min") and value == low)):
        return False
    return high is None or value <= high


def allowed_range(limits: Mapping[str, Any]) -> str:
    """The numbers a field accepts, in words: "from 1 to 64", "above 0 up to 100", "from 1 or
    more"."""
    low, high = limits.get("min"), limits.get("max")
    start = f"above {low}" if limits.get("exclusive_min") else f"from {low}"
    if high is None:
        return f"{start} or more"
    return f"{start} {'up to' if limits.get('exclusive_min') else 'to'} {high}"
