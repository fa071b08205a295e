"""Write manifest posts as Hugo page bundles: content/posts/<slug>/index.md plus copied figures.

The Markdown follows the seed post's format: YAML front matter, then the intro, then every item
as `{{<img src="images/NAME">}}` with a `<center>_..._</center>` caption line, items separated
by a `\\` spacer paragraph, then the outro and `[^name]: ...` footnotes. Output is a pure
function of the post, so the same manifest gives byte-identical files.

Every write goes through `Ownership`: a file the tool did not write (a hand-written index.md, an
image the author put in images/) or a generated file edited since is never overwritten; all such
conflicts are found before anything is written, and so is a post folder or images/ folder that
is a link leading elsewhere (see generator.boundaries).

Below MARKER, every index.md carries a FINGERPRINT line: a hash of the post's slug and of the
rest of the file. A page whose fingerprint still matches is the tool's own, unedited, even when
its `.generated.json` does not say so (a run killed between writing the two): it is recognised
again rather than reported as "not written by this tool", and unpublished when its post goes.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from generator.bundles import IMAGE_SUFFIXES, PENDING_NAME, bundle_dir
from generator.errors import GalleryError, Problem, disk_problem
from generator.fsutil import atomic_write_text, remove_stale_temporaries
from generator.gallery.model import Entry, Figure, Item, Manifest, Post, Text
from generator.gallery.ownership import Ownership

MARKER = ("# Generated from gallery.yaml: edit the post there, not here "
          "(a hand-edited copy is never overwritten).")
FINGERPRINT = "# Fingerprint: "  # + the sha256 of the slug and of the file without this line
SPACER = "\\\n\\"  # a paragraph of `\` lines: vertical space between items, as in the seed
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<])")


class _FrontMatterDumper(yaml.SafeDumper):
    """safe_dump that writes dates as plain ISO 8601 with offset (2021-03-30T15:00:00+03:00)."""


_FrontMatterDumper.add_representer(
    datetime, lambda dumper, value: dumper.represent_scalar(
        "tag:yaml.org,2002:timestamp", value.isoformat()))


def front_matter(post: Post) -> dict[str, Any]:
    """The front-matter fields of a post, in the seed's order, unset ones left out."""
    fields: dict[str, Any] = {
        "title": post.title, "subtitle": post.subtitle, "date": post.date, "draft": post.draft,
        "comments": post.comments, "author": post.author, "type": post.type, "url": post.url,
        "aliases": list(post.aliases), "summary": post.summary, "description": post.description,
        "images": [f"images/{post.cover}"] if post.cover else [],
        "categories": list(post.categories), "tags": list(post.tags),
    }
    return {key: value for key, value in fields.items() if value is not None and value != []}


def _escape(text: str) -> str:
    """Plain text (an entry title) made safe inside the Markdown of a caption."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _image(name: str, caption: str | None) -> str:
    shortcode = f'{{{{<img src="images/{name}">}}}}'
    return f"{shortcode}\n<center>_{caption}_</center>" if caption else shortcode


def render_item(item: Item) -> str:
    """The Markdown of one item."""
    if isinstance(item, Entry):
        title = f"**{_escape(item.title)}**"
        return _image(item.image, f"{title} -- {item.comment}" if item.comment else title)
    if isinstance(item, Text):
        return item.markdown.strip("\n")
    return _image(item.image, item.caption)  # a figure, strip or animation


def _footnote(name: str, text: str) -> str:
    """`[^name]: text`, continuation lines indented so they stay in the footnote."""
    lines = text.strip("\n").split("\n")
    rest = (f"    {line}" if line else "" for line in lines[1:])
    return "\n".join([f"[^{name}]: {lines[0]}", *rest])


def render_post(post: Post) -> str:
    """The complete index.md of a post (deterministic: a pure function of `post`)."""
    header = yaml.dump(front_matter(post), Dumper=_FrontMatterDumper, allow_unicode=True,
                       sort_keys=False, default_flow_style=False, width=1_000_000)
    blocks = [block for block in (post.intro, *map(render_item, post.items), post.outro)
              if block and block.strip()]
    body = f"\n\n{SPACER}\n\n".join(block.strip("\n") for block in blocks)
    notes = "\n\n".join(_footnote(name, text) for name, text in post.footnotes.items())
    parts = [f"---\n{MARKER}\n{header}---", body, notes]
    text = "\n\n".join(part for part in parts if part) + "\n"
    return text.replace(f"{MARKER}\n", f"{MARKER}\n{FINGERPRINT}{_fingerprint(post.slug, text)}\n",
                        1)


def _fingerprint(slug: str, text: str) -> str:
    return hashlib.sha256(f"{slug}\n{text}".encode()).hexdigest()


def is_own_page(page: Path, slug: str) -> bool:
    """True when `page` is the index.md this tool wrote for post `slug`, unedited since: its
    FINGERPRINT line matches the rest of its text."""
    try:
        text = page.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    head, marker, line, rest = [*text.split("\n", 3), "", "", ""][:4]
    unsigned = f"{head}\n{marker}\n{rest}"
    return (head == "---" and marker == MARKER
            and line == f"{FINGERPRINT}{_fingerprint(slug, unsigned)}")


def _recognise_page(bundle: Path, slug: str, ownership: Ownership) -> None:
    """Claim the bundle's index.md when it is the tool's own by its fingerprint but the record
    does not say so (a run was killed between writing the page and the record)."""
    page = bundle / "index.md"
    if (ownership.outside(page) is None and not ownership.owns(page)
            and is_own_page(page, slug)):
        ownership.claim(page)


@dataclass(frozen=True)
class _Write:
    """One planned write into a bundle: text, or a copy of a source file."""

    path: Path
    text: str | None = None
    source: Path | None = None


def _plan(post: Post, bundle: Path) -> list[_Write]:
    writes = [_Write(bundle / "index.md", text=render_post(post))]
    for item in post.items:
        if isinstance(item, Figure):
            target = bundle / "images" / f"{item.image}{item.file.suffix.lower()}"
            writes.append(_Write(target, source=item.file))
    return writes


def _bytes(write: _Write) -> bytes:
    return write.source.read_bytes() if write.source else (write.text or "").encode("utf-8")


def _adopt_identical(write: _Write, ownership: Ownership) -> None:
    """Claim a target that already holds exactly what this write would put there: a run
    interrupted after writing it but before saving the bundle's record left it."""
    if (ownership.outside(write.path) is None and write.path.is_file()
            and not ownership.owns(write.path) and write.path.read_bytes() == _bytes(write)):
        ownership.claim(write.path)


def _siblings(path: Path) -> list[Path]:
    """Existing files of the same image name with another suffix (they would compete)."""
    others = (path.with_name(path.stem + suffix) for suffix in IMAGE_SUFFIXES)
    return [other for other in others if other != path and other.exists()]


def _not_ours(path: Path, ownership: Ownership) -> Problem:
    if ownership.recorded(path):
        return Problem(path, None, None, "edited by hand since this tool wrote it",
                       "it is left untouched: make the change in gallery.yaml, then delete this "
                       "file so the tool writes it again")
    return Problem(path, None, None, "exists and was not written by this tool",
                   "it is left untouched: move, rename or delete it, or change the post's slug")


def _conflicts(write: _Write, ownership: Ownership) -> list[Problem]:
    """Files in the way of a planned write that are not the tool's to replace."""
    problems = []
    if not ownership.may_write(write.path):
        problems.append(_not_ours(write.path, ownership))
    if write.source is not None:
        problems += [
            Problem(other, None, None, f"an image of the same name as the figure {write.source}",
                    "rename or delete it, or give the figure another `image:` name")
            for other in _siblings(write.path) if not ownership.owns(other)]
    return problems


def _plans(manifest: Manifest, content_dir: Path) -> list[tuple[Ownership, list[_Write]]]:
    plans = []
    for post in manifest.posts:
        bundle = bundle_dir(content_dir, post.slug)
        ownership = Ownership.load(bundle)
        writes = _plan(post, bundle)
        _recognise_page(bundle, post.slug, ownership)
        for write in writes:
            _adopt_identical(write, ownership)
        plans.append((ownership, writes))
    return plans


def _all_conflicts(plans: list[tuple[Ownership, list[_Write]]]) -> list[Problem]:
    """Files in the way of the plans, or a post's folder or images/ (where its figures and
    generated images go) leading outside through a link."""
    problems = []
    for ownership, writes in plans:
        outside = ownership.outside(ownership.bundle / "images")
        if outside is not None:
            problems.append(outside)
            continue
        problems += [p for write in writes for p in _conflicts(write, ownership)]
    return problems


def check_posts(manifest: Manifest, content_dir: Path) -> list[Problem]:
    """What would stop `write_posts` (files in content/ it may not replace); writes nothing."""
    try:
        return _all_conflicts(_plans(manifest, content_dir))
    except GalleryError as error:  # an unreadable ownership record
        return error.problems


def write_posts(manifest: Manifest, content_dir: Path) -> list[Path]:
    """Write every post's bundle; remove bundles of posts gone from the manifest.

    Returns the paths written or removed. Raises GalleryError (writing nothing) when any target
    is a file the tool does not own, and a one-line GalleryError naming content_dir when it
    cannot be written (read-only, disk full). Each file is replaced atomically, but a run killed
    half-way leaves some posts old and some new: the `PENDING_NAME` marker says so until a later
    run (which writes the whole manifest again) finishes the job.
    """
    plans = _plans(manifest, content_dir)
    problems = _all_conflicts(plans)
    if problems:
        raise GalleryError(problems)
    try:
        remove_stale_temporaries(content_dir)
        atomic_write_text(content_dir / PENDING_NAME, f"{os.getpid()}\n")
        changed = _write_plans(plans) + _remove_stale(content_dir,
                                                      {post.slug for post in manifest.posts})
        (content_dir / PENDING_NAME).unlink()
    except OSError as error:
        raise GalleryError(disk_problem(error, content_dir, "write the posts")) from error
    return changed


def _write_plans(plans: list[tuple[Ownership, list[_Write]]]) -> list[Path]:
    changed: list[Path] = []
    for ownership, writes in plans:
        for write in writes:
            for old in _siblings(write.path) if write.source else []:  # figure changed suffix
                old.unlink()
                ownership.forget(old)
                changed.append(old)
            if (ownership.copy(write.source, write.path) if write.source
                    else ownership.write_text(write.path, write.text or "")):
                changed.append(write.path)
        ownership.save()
    return changed


def planned_pages(manifest: Manifest, content_dir: Path) -> dict[Path, str | None]:
    """The pages `write_posts` is about to change: every post's index.md with its new text, and
    None for each page it will remove, so `check` can check the tree as `write` will leave it."""
    pages: dict[Path, str | None] = {
        bundle_dir(content_dir, post.slug) / "index.md": render_post(post)
        for post in manifest.posts}
    slugs = {post.slug for post in manifest.posts}
    pages.update({page: None for page, _ in _stale_pages(content_dir, slugs)})
    return pages



def _stale_pages(content_dir: Path, slugs: set[str]) -> list[tuple[Path, Ownership]]:
    """The pages of posts gone from the manifest that the tool wrote and nobody changed since
    (known by the record, or by the page's fingerprint when a kill lost the record)."""
    stale = []
    for page in sorted((content_dir / "posts").glob("*/index.md")):
        bundle = page.parent
        if bundle.name in slugs:
            continue
        ownership = Ownership.load(bundle)
        _recognise_page(bundle, bundle.name, ownership)
        if ownership.owns(page):
            stale.append((page, ownership))
    return stale


def _remove_stale(content_dir: Path, slugs: set[str]) -> list[Path]:
    """Unpublish posts gone from the manifest: delete their page if the tool wrote it, unchanged.

    Their images stay (generated ones cost GPU time): the author deletes the folder when sure.
    """
    removed: list[Path] = []
    for page, ownership in _stale_pages(content_dir, slugs):
        page.unlink()
        ownership.forget(page)
        ownership.save()
        removed.append(page)
    return removed
