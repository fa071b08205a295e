"""What a long-running process (`make serve`) keeps between rebuilds: parsed pages, rendered
Markdown bodies, the theme's Jinja2 environments, and the last build that swapped its site in
(`site`: its builders, from which `early` renders an edited page again).

Every entry is keyed by everything its value is made from, so a rebuild with a `WarmCaches`
gives the same bytes as a cold build:

- a page by its file's path and exact bytes (the file is read each time, its YAML front matter
  is parsed only when the bytes changed; a size + mtime key would miss an edit saved twice
  within the file system's timestamp granularity);
- a Markdown body by its text, file, first line, options and footnote words, with its
  shortcodes called again at each build (a shortcode's output depends on the page, the theme
  and the images; `markdown.replay` says when a body can be kept so, else it is rendered);
- a theme (`Theme`, `ThemeShortcodes`) by the digest of every file under its folders, so an
  edited template, UI string or shortcode makes fresh environments (only in a long-running
  process: a build in a process of its own has no later build to keep them for).

Entries not used by the last rebuild are dropped, so the caches hold one site's worth.
`site` is replaced whole when a build succeeds, so a reader in another thread sees one build's
builders or the next one's.

The resident builder (`generator.resident`) keeps one for the builds of `make build` it runs.
A build in a process of its own gets the pages and bodies the last one kept on
disk (`kept`, `keep`: `buildstate.KEPT_PAGES` in .cache/, written atomically, dropped whole when the
renderer's code or installed libraries changed or it cannot be read), so an edit does not parse
every front matter and render every body again. Keys are digests of what the value is made
from, the same in every process. Like Jinja2's compiled templates, the file is the build's own
cache in the project; `--full` removes it. When it holds nothing (a first or `--full` build), a
site of many pages is read ahead: front matter parsed and bodies recorded, shared with a forked
process (`read_ahead`, `forking`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import pickle
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from generator.errors import BuildError
from generator.fsutil import atomic_write_bytes
from generator.site.buildstate import KEPT_PAGES
from generator.site.content import Page, page_from_bytes
from generator.site.forking import Claims, can_fork, in_forks
from generator.site.markdown import FootnoteLabels, MarkdownOptions, RenderedMarkdown
from generator.site.markdown import render_markdown as cold_render_markdown
from generator.site.markdown.replay import Replayable, record
from generator.site.output import tree_digest
from generator.site.shortcodes import ShortcodeHandler
from generator.site.unchanged import canonical, tool_digest

if TYPE_CHECKING:
    from generator.site.pipeline import Builder

Made = TypeVar("Made")
KEPT_VERSION = 2
READ_AHEAD_FROM = 200  # pages at least, for forked processes to pay for their forks
READ_AHEAD_PART = 64  # pages a forked process sends back at once, pickled while it reads on


@dataclass
class _Generation:
    """A cache that keeps only what the last rebuild used."""

    last: dict[Hashable, Any] = field(default_factory=dict)  # what the last rebuild used
    now: dict[Hashable, Any] = field(default_factory=dict)  # what this rebuild used so far

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        if key in self.now:
            return self.now[key]
        value = self.last[key] if key in self.last else make()
        self.now[key] = value
        return value

    def put(self, key: Hashable, value: Any) -> None:
        self.now[key] = value

    def lookup(self, key: Hashable) -> Any | None:
        found = self.now.get(key, self.last.get(key))
        if found is not None:
            self.now[key] = found
        return found

    def turn(self) -> None:
        self.last, self.now = self.now, {}


class WarmCaches:
    """Pages, Markdown bodies and themes kept between the rebuilds of one process, and the last
    site built."""

    def __init__(self, keeps_themes: bool = True, forks: bool = False,
                 shows_early: bool = True) -> None:
        """`keeps_themes`: False in a build in a process of its own, where no later build
        could reuse a theme (and digesting the theme's files to key it would be wasted);
        `forks`: the build may read pages ahead in forked processes (see `forking`);
        `shows_early`: the process shows early pages (the preview), rendered from the builders
        of its last build (`site`), so its first build renders even when nothing changed."""
        self.keeps_themes = keeps_themes
        self.forks = forks
        self.shows_early = shows_early
        self._pages = _Generation()
        self._bodies = _Generation()
        self._themes = _Generation()
        self._digests: dict[Path, bytes] = {}  # of theme folders, read once per rebuild
        # (file, then read_page's other arguments) -> its page's key, of the pages read ahead
        self._read_ahead: dict[tuple[Path, Path, tuple[str, ...], frozenset[str]], str] = {}
        self.site: tuple[Builder, ...] = ()  # of the last build swapped in, one per language

    def start_build(self) -> None:
        """Begin a rebuild: forget what the one before last used and re-read theme folders."""
        for cache in (self._pages, self._bodies, self._themes):
            cache.turn()
        self._digests = {}
        self._read_ahead = {}

    def read_page(self, source: Path, content_dir: Path, taxonomies: tuple[str, ...],
                  languages: frozenset[str]) -> Page:
        """`content.read_page`, parsed again only when the file's bytes changed; a page this
        build has just read ahead is not read again (read after the build's input stamp, as
        this reading would be, so a change since is seen by the next build)."""
        key = self._read_ahead.pop((source, content_dir, taxonomies, languages), None)
        if key is not None and (ahead := self._pages.lookup(key)) is not None:
            return ahead
        data = source.read_bytes()
        key = _page_key(source, content_dir, taxonomies, languages, data)
        page: Page = self._pages.get(
            key, lambda: page_from_bytes(data, source, content_dir, taxonomies, languages))
        return page

    def read_ahead(self, sources: list[Path], content_dir: Path, taxonomies: tuple[str, ...],
                   languages: frozenset[str], *, options: MarkdownOptions,
                   footnotes: FootnoteLabels) -> None:
        """Parse the pages of `sources` and record their bodies (`markdown.replay`) shared among
        forked processes, where this build may fork and holds no page yet (a cold build of at
        least READ_AHEAD_FROM pages), so the reading and rendering that follow find them here.
        They wait among the last build's entries: only those this build then uses are kept. A
        page that cannot be read is left to the reading that follows, which reports it; a body
        whose text a build changes before rendering it (`{{< ref >}}` links) is rendered then."""
        if not self.forks or len(sources) < READ_AHEAD_FROM or self._pages.now or self._pages.last:
            return
        with Claims(len(sources)) as claims:
            for parts in in_forks(functools.partial(
                    _read_share, sources, claims, content_dir, taxonomies, languages, options,
                    footnotes)):
                for pages, bodies in parts:
                    self._pages.last.update(pages)
                    self._bodies.last.update(bodies)
                    self._read_ahead.update(
                        ((page.source, content_dir, taxonomies, languages), key)
                        for key, page in pages.items())

    def render_markdown(self, text: str, *, source: Path, first_line: int,
                        shortcodes: ShortcodeHandler, options: MarkdownOptions,
                        footnotes: FootnoteLabels) -> RenderedMarkdown:
        """`markdown.render_markdown`, from the cache: a body's HTML, with its shortcodes called
        again (`markdown.replay`); rendered cold where it cannot be kept."""
        key = _body_key(text, source, first_line, options, footnotes)
        kept: Replayable | bool | None = self._bodies.lookup(key)  # False: cannot be kept
        if kept is None:
            kept = record(text, source=source, first_line=first_line, options=options,
                          footnotes=footnotes) or False
            self._bodies.put(key, kept)
        replayed = kept.replay(shortcodes) if kept else None
        if replayed is not None:
            return replayed
        return cold_render_markdown(text, source=source, first_line=first_line,
                                    shortcodes=shortcodes, options=options, footnotes=footnotes)

    def theme_object(self, kind: str, folders: tuple[Path, ...], make: Callable[[], Made],
                     *extra: Hashable) -> Made:
        """The object `make` builds from the theme files under `folders` (`kind` and `extra`
        tell objects apart), built again when any of those files changed."""
        if not self.keeps_themes:
            return make()
        digests = tuple(self._digest(folder) for folder in folders)
        made: Made = self._themes.get((kind, folders, digests, *extra), make)
        return made

    @classmethod
    def kept(cls, cache_dir: Path, *, resident: bool = False) -> WarmCaches:
        """The pages and bodies the last build in `cache_dir` kept (none if it kept nothing
        this code can trust), for a build in a process of its own, or for the `resident`
        builder's builds (which keep themes too, and show no early pages)."""
        caches = cls(keeps_themes=resident, forks=can_fork(), shows_early=False)
        with contextlib.suppress(OSError, EOFError, ValueError, TypeError, KeyError,
                                 AttributeError, ImportError, pickle.UnpicklingError):
            data = pickle.loads((cache_dir / KEPT_PAGES).read_bytes())
            if data["version"] == KEPT_VERSION and data["tool"] == tool_digest():
                caches._pages.now, caches._bodies.now = dict(data["pages"]), dict(data["bodies"])
        return caches

    def keep(self, cache_dir: Path) -> None:
        """Keep the pages and bodies this build used for the next build in another process."""
        data = {"version": KEPT_VERSION, "tool": tool_digest(), "pages": self._pages.now,
                "bodies": self._bodies.now}
        atomic_write_bytes(cache_dir / KEPT_PAGES, pickle.dumps(data, pickle.HIGHEST_PROTOCOL))

    def _digest(self, folder: Path) -> bytes:
        if folder not in self._digests:
            self._digests[folder] = tree_digest(folder) if folder.is_dir() else b""
        return self._digests[folder]


def _read_share(sources: list[Path], claims: Claims, content_dir: Path,
                taxonomies: tuple[str, ...], languages: frozenset[str], options: MarkdownOptions,
                footnotes: FootnoteLabels, share: int
                ) -> Iterator[tuple[dict[str, Page], dict[str, Replayable | bool]]]:
    """One share of `read_ahead` (see `forking`): the pages of `sources` this process claims
    and their recorded bodies, by their cache keys, READ_AHEAD_PART pages at a time (a page a
    dead process had claimed is read by the reading that follows)."""
    pages: dict[str, Page] = {}
    bodies: dict[str, Replayable | bool] = {}
    for source in map(sources.__getitem__, claims):
        try:
            data = source.read_bytes()
            page = page_from_bytes(data, source, content_dir, taxonomies, languages)
        except (OSError, BuildError):
            continue
        pages[_page_key(source, content_dir, taxonomies, languages, data)] = page
        bodies[_body_key(page.body, source, page.body_line, options, footnotes)] = record(
            page.body, source=source, first_line=page.body_line, options=options,
            footnotes=footnotes) or False
        if len(pages) == READ_AHEAD_PART:
            yield pages, bodies
            pages, bodies = {}, {}
    yield pages, bodies


def _page_key(source: Path, content_dir: Path, taxonomies: tuple[str, ...],
              languages: frozenset[str], data: bytes) -> str:
    return _digest_of(source, _canonical_json((str(content_dir), taxonomies, languages)), data)


def _body_key(text: str, source: Path, first_line: int, options: MarkdownOptions,
              footnotes: FootnoteLabels) -> str:
    return _digest_of(source, _canonical_json((first_line, options, footnotes)), text.encode())


@functools.lru_cache(maxsize=256)
def _canonical_json(parts: tuple[Hashable, ...]) -> str:
    """`parts` as `canonical` writes them, in JSON: the same for most pages of a build, so
    written once (a build asks two keys of every page)."""
    return json.dumps(canonical(parts), ensure_ascii=False)


def _digest_of(source: Path, parts: str, data: bytes) -> str:
    """A cache key: SHA-256 of the file `source`, `parts` (see `_canonical_json`) and `data`."""
    digest = hashlib.sha256(json.dumps([str(source), parts], ensure_ascii=False).encode())
    digest.update(b"\0")
    digest.update(data)
    return digest.hexdigest()
