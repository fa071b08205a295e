"""The new site folder as one build fills it: pages through theme templates, alias redirects.

Every file has a site path ("posts/index.html"); a second file at one address is a BuildError.
With no folder (check_content) nothing is written, but templates still render and addresses are
still checked. The output also counts the pages and collects their sitemap entries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from generator.errors import BuildError, Problem
from generator.settings import SiteSettings
from generator.site.content import Page
from generator.site.feeds import FeedItem, SitemapEntry, items_digest, rss
from generator.site.figures import ImageUse
from generator.site.i18n import date_view
from generator.site.sitefiles import Files
from generator.site.theme import Theme
from generator.site.urls import absolute, linker, relative


@dataclass
class Rendered:
    """A content page with its body rendered, waiting to be written."""

    page: Page
    path: str
    html: str  # the body, image tokens replaced once images are published
    summary: str
    images: list[ImageUse] = field(default_factory=list)
    cover: ImageUse | None = None
    cover_url: str | None = None  # an external or site-absolute cover from front matter
    warnings: list[Problem] = field(default_factory=list)  # of its body


@dataclass(frozen=True)
class Deferred:
    """A template value made only when its page is rendered: `key` (everything the value is
    made from, as plain values) stands for it in the page's fingerprint."""

    key: Any
    make: Callable[[], Any] = field(compare=False)

    def __repr__(self) -> str:
        return f"Deferred({self.key!r})"


class SiteOutput:
    """Writes one build's files through `out` (or, with out=None, only checks them)."""

    def __init__(self, content_dir: Path, settings: SiteSettings, theme: Theme,
                 out: Files | None) -> None:
        self.content_dir = content_dir
        self.settings = settings
        self.theme = theme
        self.out = out
        self.written: set[str] = set()
        self.sources: dict[str, Path] = {}  # site path -> the content file of the page there
        self.pages = 0  # HTML pages written (aliases not counted)
        self.sitemap: list[SitemapEntry] = []
        self.menu: list[dict[str, str | None]] = []  # header links on every page
        self.params: dict[str, Any] = {}  # the site config's params, for every template
        self.prefix = ""  # where `out` is in the whole site ("fr/"): static files are above
        self.year: int | None = None  # of the newest post: the output depends on content only
        self._item_digests: dict[FeedItem, bytes] = {}  # one per post shown in this build's feeds
        # A page is a pure function of its templates, the settings, the UI strings and its
        # context: their fingerprint tells when the file of the last build can be kept as is.
        self._inputs = repr((settings, theme.strings)).encode() + tree_digest(
            theme.dir / "templates")

    def page(self, path: str, template: str | list[str], meta: dict[str, Any],
             source: Path | None = None, **context: Any) -> None:
        """Render a page template (head tags from `meta`) and write it at `path`.

        `source`: the content file of the page, named if another output wants `path` too.
        """
        self._rendered(path, (template, self.menu, self.year, self.params, meta, context),
                       lambda: self.render_page(path, template, meta, **context))
        self.pages += 1
        if source is not None:
            self.sources[path] = source

    def render_page(self, path: str, template: str | list[str], meta: dict[str, Any],
                    **context: Any) -> str:
        """The HTML `page` writes at `path`, written nowhere."""
        context = {name: value.make() if isinstance(value, Deferred) else value
                   for name, value in context.items()}
        return self.theme.render(template,
            site=self.settings, link=linker(path), static=linker(self.prefix + path),
            t=self.theme.strings, menu=self.menu, year=self.year, params=self.params,
            **meta, **context)

    def alias(self, path: str, target: str) -> None:
        """A redirect page at `path` to the page at `target`."""
        def render() -> str:
            return self.theme.render("alias.html",
                site=self.settings, target=relative(path, target),
                canonical=absolute(self.settings.base_url, target))

        self._rendered(path, ("alias.html", target), render)

    def feed(self, path: str, items: Sequence[FeedItem], *, title: str,
             limit: int | None) -> None:
        """The RSS feed at `path` of the first `limit` of `items` (newest first), or all; like
        a page, not made again when the file the last build made from the same items is there
        (most feeds of a rebuild: one per term)."""
        every = tuple(items)  # the newest of all dates the feed, whatever `limit` shows
        self._rendered(path, lambda: ("rss", title, limit, items_digest(every, self._item_digests)),
                       lambda: rss(self.settings, every, feed_path=path, title=title, limit=limit))

    def _rendered(self, path: str, inputs: tuple[Any, ...] | Callable[[], tuple[Any, ...]],
                  render: Callable[[], str]) -> None:
        """Write what `render` makes from `inputs` (or what the function `inputs` returns) at
        `path`; not rendered again when the file the last build made from the same inputs is
        still there. Their fingerprint is made only when it is asked for (`put_rendered`)."""
        if self.out is None:
            self.text(path, render())
            return
        self._check_free(path)
        self.written.add(path)

        def fingerprint() -> str:
            made = inputs() if callable(inputs) else inputs
            return hashlib.sha256(self._inputs + repr((path, made)).encode()).hexdigest()

        self.out.put_rendered(path, fingerprint, lambda: render().encode("utf-8"))

    def text(self, path: str, text: str) -> None:
        """Write `text` at site path `path`, which no other output may have."""
        self._check_free(path)
        self.written.add(path)
        if self.out is not None:
            self.out.put_bytes(path, text.encode("utf-8"))

    def _check_free(self, path: str) -> None:
        """A BuildError if another output has site path `path` already."""
        if path in self.written:
            source = self.sources.get(path)
            raise BuildError(Problem(source or self.content_dir, None, None,
                                     f"this page's address /{path} is also that of a page the "
                                     f"site generates (a list, feed or redirect)"
                                     if source else f"two outputs want the address /{path}",
                                     "give the page another url or slug"
                                     if source else
                                     "a page's url or alias collides with a generated page"))

    def copy(self, path: str, source: Path) -> None:
        """Copy `source` to site path `path`; refused when a page is at or under that address."""
        if path in self.written or any(w.startswith(f"{path}/") for w in self.written):
            raise BuildError(Problem(self.content_dir, None, None,
                                     f"a page's address /{path} collides with the theme's "
                                     f"static file {source}",
                                     "change that page's url or alias"))
        self.written.add(path)
        if self.out is not None:
            self.out.put_copy(path, source)

    def list_meta(self, path: str, title: str, intro: Rendered | None) -> dict[str, Any]:
        """Head tags of a list page; `intro`: the _index.md page introducing it, if any."""
        description = (intro.page.description if intro else None) or self.settings.description
        return {"title": title, "description": description,
                "canonical": absolute(self.settings.base_url, path), "og_type": "website",
                "og_image": None, "published": None}

    def date(self, value: datetime | None) -> dict[str, str] | None:
        """`value` for templates, in the site's language."""
        return date_view(value, self.theme.strings)


def tree_digest(folder: Path) -> bytes:
    """SHA-256 of every file's name and bytes under `folder`."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(f"{path.relative_to(folder).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.digest()
