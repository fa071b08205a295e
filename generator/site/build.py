"""content/ -> site/: render every page with the theme, then swap the new site in whole.

`build_site` renders into a fresh folder beside `out_dir` and swaps it in only when everything
succeeded, so a failed build leaves the previous site untouched. `check_content` runs the same
pipeline without writing anything and returns every problem found.

This module is the pipeline: read the pages (`content`), give each its address (`urls`),
render its Markdown (`markdown`; the `img` and `figure` shortcodes are `figures`, `ref` and
`relref` are `refs`, others the theme's), publish the images, write the posts, then the pages
made from them (`listings`: lists, taxonomies, aliases, 404), /index.xml and /sitemap.xml
(`feeds`), and the theme's static files. Internal links are relative and name the file; `output`
writes the files, `theme` renders the templates.
"""

from __future__ import annotations

import contextlib
import html as htmlmod
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from generator.site.content import Page, is_markdown, load_pages
from generator.errors import BuildError, Problem, disk_problem, failed_folder
from generator.site.feeds import FeedItem, SitemapEntry, rss, sitemap
from generator.site.figures import Figures
from generator.site.images import ImageProcessor
from generator.site.listings import (
    menu,
    post_terms,
    write_404,
    write_aliases,
    write_lists,
    write_taxonomies,
)
from generator.site.markdown import render_markdown
from generator.site.buildstate import BuildState, discard_state, load_state, save_state
from generator.site.outdir import clean_leftovers, put_in_place, spare_folder, work_folder
from generator.site.output import Rendered, SiteOutput, linker
from generator.site.refs import REF_SHORTCODES, PageRefs
from generator.settings import SiteSettings
from generator.site.sitefiles import SiteFiles
from generator.site.shortcodes import Caption, ShortcodeCall, ThemeShortcodes
from generator.site.theme import Theme
from generator.site.urls import absolute, is_external, page_path, relative_links

SUMMARY_WORDS = 70
_LOCAL_REF = re.compile(r'\s(?:href|src)="([^"#?]+)[^"]*"')


@dataclass(frozen=True)
class BuildReport:
    """What a build produced."""

    out_dir: Path
    pages: int  # HTML pages written (aliases not counted)
    posts: int
    images: int  # images published
    processed: int  # images decoded and resized this time (0 when all came from the cache)
    written: int = 0  # files whose bytes changed (the others were kept from the last builds)
    placeholders: tuple[str, ...] = ()  # "file:line src" of every placeholder shown
    warnings: tuple[Problem, ...] = ()  # things worth fixing that did not stop the build

    def __str__(self) -> str:
        text = (f"site: {self.pages} pages ({self.posts} posts), {self.images} images "
                f"({self.processed} processed, {self.images - self.processed} from cache), "
                f"{self.written} file(s) changed -> {self.out_dir}")
        if self.placeholders:
            text += f"\nsite: {len(self.placeholders)} placeholder image(s) shown (draft build)"
        return "\n".join([text, *(f"warning: {w}" for w in self.warnings)])


def build_site(content_dir: Path, out_dir: Path, settings: SiteSettings, *, theme_dir: Path,
               cache_dir: Path, drafts: bool = False, placeholders: bool = False,
               full: bool = False) -> BuildReport:
    """Render content_dir into out_dir (replaced whole, only on success).

    Drafts and future-dated pages are left out unless `drafts` (a preview of everything not
    public yet). Files whose bytes did not change are reused from the last builds (`sitefiles`,
    `buildstate`) unless `full`, which starts from an empty folder and forgets the build state.
    """
    out_dir, cache_dir = Path(out_dir).absolute(), Path(cache_dir)
    clean_leftovers(out_dir)
    processor = ImageProcessor(cache_dir, settings.image_widths)
    spare = spare_folder(out_dir)
    if full:
        discard_state(cache_dir, out_dir)
    state = load_state(cache_dir, out_dir, spare, processor.params)
    processor.source_keys = state.image_keys
    fresh = work_folder(out_dir, reuse_spare=state.spare is not None)
    files = SiteFiles(fresh, known=state.spare, live=out_dir, live_records=state.site,
                      renders=state.renders)
    try:
        builder = _Builder(Path(content_dir), settings, Path(theme_dir), drafts=drafts,
                           placeholders=placeholders, out=files, processor=processor)
        try:
            builder.build()
            records = files.finish()
        except OSError as error:
            folder = failed_folder(error, fresh, out_dir)
            if folder is None:
                raise
            raise BuildError(disk_problem(error, folder, "write the site")) from error
        kept_spare = put_in_place(fresh, out_dir)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    with contextlib.suppress(OSError):  # the state is a hint: without it the next build redoes more
        save_state(cache_dir, out_dir, spare, BuildState(
            site=records, spare=state.site if kept_spare else None,
            image_keys=processor.source_keys, renders=files.rendered), processor.params)
    return builder.report(out_dir, written=files.written)


def check_content(content_dir: Path, settings: SiteSettings, *, theme_dir: Path,
                  drafts: bool = True, missing_images: bool = False) -> list[Problem]:
    """Every problem a build of content_dir would hit, without writing anything.

    Images that do not exist yet are not problems unless `missing_images` (they are what the
    generator makes); set it to check a tree whose images should all be there.
    """
    builder = _Builder(Path(content_dir), settings, Path(theme_dir), drafts=drafts,
                       placeholders=not missing_images, out=None, processor=None)
    try:
        builder.build()
    except BuildError as error:
        return error.problems
    return []


class _Builder:
    """One build: pages in, files out (or, with out=None, only the checks)."""

    def __init__(self, content_dir: Path, settings: SiteSettings, theme_dir: Path, *,
                 drafts: bool, placeholders: bool, out: SiteFiles | None,
                 processor: ImageProcessor | None) -> None:
        self.content_dir = content_dir
        self.settings = settings
        self.drafts = drafts
        self.placeholders = placeholders
        self.out = out
        self.processor = processor
        self.theme = Theme(theme_dir, settings.language)
        self.shortcodes = ThemeShortcodes(theme_dir,
                                          builtins=("img", "figure", *REF_SHORTCODES))
        self.figures = Figures(self.theme, processor, out)
        self.output = SiteOutput(content_dir, settings, self.theme, out)
        self.warnings: list[Problem] = []
        self.posts = 0

    def build(self) -> None:
        pages, problems = load_pages(self.content_dir)
        pages = [p for p in pages if self.drafts or not p.draft]
        if not self.drafts:
            pages = self._published(pages)
        paths = self._paths(pages, problems)
        rendered = self._render_all(pages, paths, problems)
        self.figures.publish()
        for result in rendered:
            result.html = relative_links(self.figures.insert(result.html, result.path),
                                         result.path, self.settings.base_url)
        posts = sorted((r for r in rendered if r.page.kind == "page" and r.page.section),
                       key=_newest_first)
        self.posts = len(posts)
        self.output.year = max((r.page.date.year for r in posts if r.page.date), default=None)
        self.output.menu = menu(rendered, posts, self.theme.strings)
        self._write_posts(rendered, posts)
        write_lists(self.output, rendered, posts)
        write_taxonomies(self.output, posts)
        write_aliases(self.output, rendered)
        write_404(self.output)
        self.output.text("index.xml", rss(self.settings, [
            FeedItem(r.page.title, r.path, r.page.date, r.html, r.page.categories)
            for r in posts]))
        self.output.text("sitemap.xml", sitemap(self.settings, self.output.sitemap))
        for path, source in self.theme.static_files():
            self.output.copy(path, source)

    def _published(self, pages: list[Page]) -> list[Page]:
        """Pages whose date has come (Hugo leaves future-dated pages out); warns of the rest."""
        now = datetime.now(UTC)
        for page in pages:
            if page.date is not None and page.date > now:
                self.warnings.append(Problem(
                    page.source, page.line_of("date"), "date",
                    f"dated in the future ({page.date.date()}): left out until then",
                    "rebuild after that date; a draft build (--drafts) previews it"))
        return [p for p in pages if p.date is None or p.date <= now]

    def report(self, out_dir: Path, written: int) -> BuildReport:
        return BuildReport(
            out_dir=out_dir, pages=self.output.pages, posts=self.posts, written=written,
            images=self.figures.published,
            processed=self.processor.encoded if self.processor else 0,
            placeholders=self.figures.placeholders,
            warnings=(*self.warnings, *self.figures.warnings),
        )

    def _paths(self, pages: list[Page], problems: list[Problem]) -> dict[Page, str]:
        """Site path of every page; two pages at one path, or a url leaving the site, fail."""
        paths: dict[Page, str] = {}
        owners: dict[str, Page] = {}
        for page in pages:
            path = page_path(page)
            if path is None:
                problems.append(Problem(page.source, page.line_of("url"), "url",
                                        f"url {page.url!r} leaves the site",
                                        'write a path inside the site, e.g. "/2021/my-post/"'))
                continue
            if path in owners:
                problems.append(Problem(page.source, page.line_of("url"), "url",
                                        f"same address /{path} as {owners[path].source}",
                                        "give one of them another url or slug"))
                continue
            owners[path] = page
            paths[page] = path
        return paths

    def _render_all(self, pages: list[Page], paths: dict[Page, str],
                    problems: list[Problem]) -> list[Rendered]:
        """Every page's body as HTML; raises one BuildError with all problems found so far."""
        rendered: list[Rendered] = []
        refs = PageRefs(paths, self.settings.base_url)
        for page in pages:
            if page not in paths:
                continue
            try:
                rendered.append(self._render_page(page, paths[page], refs))
            except BuildError as error:
                problems.extend(error.problems)
        if not self.placeholders:
            problems += self.figures.missing()
        if problems:
            raise BuildError(problems)
        return rendered

    def _render_page(self, page: Page, path: str, refs: PageRefs) -> Rendered:
        result = Rendered(page, path, "", "")

        def handler(call: ShortcodeCall, caption: Caption | None) -> str:
            if call.name == "img":
                return self.figures.shortcode(page, path, call, caption, result.images)
            if call.name == "figure":
                return self.figures.figure(page, path, call, result.images)
            return self.shortcodes(call, caption, page={"title": page.title, "path": path,
                                                        "params": page})

        body = refs.expand(page, path, page.body)
        rendered = render_markdown(body, source=page.source, first_line=page.body_line,
                                   shortcodes=handler)
        self.warnings.extend(rendered.warnings)
        result.html = self.figures.markdown_images(page, path, rendered.html, result.images)
        self._publish_bundle_files(page, path, result.html)
        result.summary = page.summary or page.description or shorten(rendered.summary)
        result.cover, result.cover_url = self.figures.cover(page, path, result.images)
        return result

    def _publish_bundle_files(self, page: Page, path: str, body: str) -> None:
        """Copy bundle files that the body links to directly (Markdown images, downloads).

        Links are HTML-escaped and percent-encoded (`files/%D0%BE.pdf`); files have the names
        they decode to, as in Figures.markdown_images."""
        if page.bundle is None or self.out is None:
            return
        root = page.bundle.resolve()
        for ref in {unquote(htmlmod.unescape(m[1])) for m in _LOCAL_REF.finditer(body)}:
            if is_external(ref) or ref.startswith("/"):
                continue
            source = (page.bundle / ref).resolve()
            if source.is_file() and root in source.parents and not is_markdown(source):
                self.out.put_copy(str(PurePosixPath(path).parent / PurePosixPath(ref)), source)

    def _write_posts(self, rendered: list[Rendered], posts: list[Rendered]) -> None:
        """Every page of its own; posts link the next newer and older post."""
        order = {id(r): i for i, r in enumerate(posts)}
        for result in rendered:
            if result.page.kind != "page":
                continue
            index = order.get(id(result))
            newer = posts[index - 1] if index else None
            older = posts[index + 1] if index is not None and index + 1 < len(posts) else None
            link = linker(result.path)
            post = {
                "title": result.page.title, "subtitle": result.page.subtitle,
                "date": self.output.date(result.page.date),
                "author": result.page.author or self.settings.author, "html": result.html,
                "type": result.page.type, "comments": bool(result.page.comments),
                "taxonomies": post_terms(result, self.theme.strings),
                "newer": newer and {"title": newer.page.title, "href": link(newer.path)},
                "older": older and {"title": older.page.title, "href": link(older.path)},
            }
            # Hugo's lookup: a page of `type: gallery` uses templates/gallery/single.html if any
            layouts = [f"{result.page.type}/single.html", "single.html"]
            self.output.page(result.path, layouts if result.page.type else "single.html",
                             self._meta(result), source=result.page.source, post=post)
            self.output.sitemap.append(SitemapEntry(result.path,
                                                    result.page.lastmod or result.page.date))

    def _meta(self, result: Rendered) -> dict[str, Any]:
        """Head tags of a post: description, canonical URL, Open Graph image."""
        page = result.page
        og_image = None
        if result.cover_url:
            og_image = {"url": _absolute_url(self.settings.base_url, result.cover_url),
                        "width": None, "height": None, "alt": page.title}
        elif result.cover and result.cover.published:
            image = result.cover.published
            og_image = {"url": absolute(self.settings.base_url, image.src),
                        "width": image.width, "height": image.height,
                        "alt": result.cover.alt}
        return {
            "title": page.title, "description": page.description or result.summary,
            "canonical": absolute(self.settings.base_url, result.path), "og_type": "article",
            "og_image": og_image, "published": page.date.isoformat() if page.date else None,
        }


def _absolute_url(base_url: str, url: str) -> str:
    return url if is_external(url) else absolute(base_url, url.lstrip("/"))


def _newest_first(result: Rendered) -> tuple[int, float, str]:
    date = result.page.date
    return (date is None, -date.timestamp() if date else 0.0, result.page.title.lower())


def shorten(text: str, words: int = SUMMARY_WORDS) -> str:
    """`text` cut to about `words` words, with an ellipsis when cut."""
    split = text.split()
    return text if len(split) <= words else " ".join(split[:words]) + " …"
