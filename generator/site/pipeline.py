"""The build pipeline: content/ pages in, the files of one site out (`build_languages`).

Read the pages (`content`), give each its address (`urls`), render its Markdown (`markdown`;
the `img` and `figure` shortcodes are `figures`, `ref` and `relref` are `refs`, `highlight`,
`param`, `qr` and inline ones `builtin_shortcodes`, others the theme's), publish the images,
write the posts, then the pages made from them (`listings`: lists, taxonomies, their feeds,
aliases, 404), /sitemap.xml (`feeds`), the site's static/ files and the theme's. What the site's
Hugo config says (`config`: taxonomies, permalinks, menus, params, disableKinds, build options)
shapes all of it. Internal links are relative and name the file; `output` writes the files,
`theme` renders the templates. With no files to write into, the same pipeline only checks.

`build` decides whether to run it at all, and swaps its result in; this module is imported only
when something changed.
"""

from __future__ import annotations

import functools
import html as htmlmod
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

from generator.boundaries import Boundary
from generator.errors import BuildError, Problem
from generator.folders import PACKAGE_THEME
from generator.settings import SiteSettings
from generator.site.body_check import body_problems, unloaded_bodies
from generator.site.builtin_shortcodes import BUILTIN_SHORTCODES, BuiltinShortcodes
from generator.site.cascade import with_cascade
from generator.site.config import SiteConfig
from generator.site.content import (
    LIST_FIELDS,
    STRING_FIELDS,
    Page,
    is_markdown,
    load_pages,
    page_from_bytes,
    with_sections,
)
from generator.site.feeds import SitemapEntry, sitemap
from generator.site.figures import Figures
from generator.site.images import ImageProcessor
from generator.site.languages import LanguageSite, Translations, language_sites, sitemap_index
from generator.site.listings import (
    collect_terms,
    hugo_order,
    menu,
    post_terms,
    write_404,
    write_aliases,
    write_lists,
    write_taxonomies,
)
from generator.site.markdown import (
    FootnoteLabels,
    MarkdownOptions,
    RenderedMarkdown,
    render_markdown,
)
from generator.site.markdown.divider import MORE_MARKER
from generator.site.output import Deferred, Rendered, SiteOutput
from generator.site.reading import reading_time, share_links, table_of_contents
from generator.site.refs import REF_SHORTCODES, PageRefs
from generator.site.report import BuildReport
from generator.site.shortcodes import Caption, ShortcodeCall, ThemeShortcodes
from generator.site.sitefiles import Files, FilesUnder, SiteFiles
from generator.site.theme import Theme
from generator.site.urls import (
    absolute,
    folder_of,
    is_external,
    joined,
    linker,
    page_path,
    relative_links,
)

if TYPE_CHECKING:
    from jinja2 import BytecodeCache

    from generator.site.warm import WarmCaches

Made = TypeVar("Made")
MarkdownRender = Callable[..., RenderedMarkdown]  # render_markdown, or a preview's cached one
SUMMARY_WORDS = 70
_LOCAL_REF = re.compile(r'\s(?:href|src)="([^"#?]+)[^"]*"')


def report_of(builders: list[Builder], out_dir: Path, written: int,
              changed: frozenset[str] = frozenset()) -> BuildReport:
    """The report of a build made by `builders` (one per language) that wrote `written` files
    and changed the site paths `changed`."""
    processor = builders[0].processor
    return BuildReport(
        out_dir=out_dir, pages=sum(b.output.pages for b in builders),
        posts=sum(b.posts for b in builders), written=written,
        images=sum(b.figures.published for b in builders),
        processed=processor.encoded if processor else 0,
        placeholders=tuple(p for b in builders for p in b.figures.placeholders),
        warnings=tuple(warnings_of(builders)), changed=changed,
    )


def warnings_of(builders: list[Builder]) -> list[Problem]:
    """Every warning of these builders' build, language by language."""
    return [warning for builder in builders for warning in builder.all_warnings()]


def valid_until(builders: list[Builder]) -> float | None:
    """When the site these builders made stops being right: the first publishDate or
    expiryDate still to come that decided a page's fate (POSIX time; None: never)."""
    moments = [b.changes_at.timestamp() for b in builders if b.changes_at is not None]
    return min(moments, default=None)


def build_languages(content_dir: Path, settings: SiteSettings, theme_dir: Path,
                     config: SiteConfig | None, *, drafts: bool, placeholders: bool,
                     out: SiteFiles | None, processor: ImageProcessor | None,
                     placeholder_size: int = 512,
                     placeholder_sizes: Mapping[Path, int] | None = None,
                     overlay: Mapping[Path, str | None] | None = None,
                     warm: WarmCaches | None = None,
                     compiled: BytecodeCache | None = None) -> list[Builder]:
    """Build the site of every language (one for most sites) into `out`, then what they
    share: static files, and for several languages the root sitemap index; every problem of
    every language is raised together. `compiled`: where compiled templates are kept."""
    config = replace(config or SiteConfig(), settings=settings)
    builders = [Builder(site, theme_dir, drafts=drafts, placeholders=placeholders,
                         out=FilesUnder(out, site.prefix) if out and site.prefix else out,
                         processor=processor, placeholder_size=placeholder_size,
                         placeholder_sizes=placeholder_sizes, warm=warm, compiled=compiled)
                for site in language_sites(config, content_dir)]
    for builder in builders:
        builder.overlay = overlay or {}
    problems: list[Problem] = []
    for builder in builders:
        problems += builder.prepare()
    translations = Translations()
    for builder in builders:
        translations.add(builder.site, builder.paths)
        builder.translations = translations
    for builder in builders:
        try:
            builder.write()
        except BuildError as error:
            problems += error.problems
    if builders[0].site.prefix == "":
        root = builders[0].output
    else:
        root = SiteOutput(content_dir, settings, builders[0].theme, out)
        if config.enabled("home"):  # defaultContentLanguageInSubdir: / sends to /en/
            root.alias("index.html", builders[0].site.prefix + "index.html")
    try:
        _copy_static(root, config, builders[0].theme)
        if config.languages and config.enabled("sitemap"):
            root.text("sitemap.xml", sitemap_index(settings.base_url,
                                                   (b.site for b in builders)))
    except BuildError as error:
        problems += error.problems
    if problems:
        raise BuildError(problems)
    return builders


def _copy_static(output: SiteOutput, config: SiteConfig, theme: Theme) -> None:
    """The site's static/ files, then the theme's that the site does not replace (Hugo's
    order); a link leading out of static/ is refused, never followed."""
    site = config.static_files()
    if isinstance(site, Problem):
        raise BuildError(site)
    for path, source in site:
        output.copy(path, source)
    replaced = {path for path, _ in site}
    for path, source in theme.static_files():
        if path not in replaced:
            output.copy(path, source)


class Builder:
    """One language's build: pages in, files out (or, with out=None, only the checks)."""

    def __init__(self, site: LanguageSite, theme_dir: Path, *, drafts: bool,
                 placeholders: bool, out: Files | None,
                 processor: ImageProcessor | None, placeholder_size: int = 512,
                 placeholder_sizes: Mapping[Path, int] | None = None,
                 warm: WarmCaches | None = None, compiled: BytecodeCache | None = None) -> None:
        self.site = site
        self.theme_dir = theme_dir
        self.content_dir = site.content_dir
        self.config = site.config
        self.settings = settings = site.config.settings
        self.drafts = drafts
        self.placeholders = placeholders
        self.out = out
        self.processor = processor
        self.warm = warm
        kept = warm is not None and warm.keeps_themes  # its templates may change meanwhile
        self.theme = self._theme_object("theme", lambda: Theme(
            theme_dir, settings.language, compiled, reloads=kept))
        self.shortcodes = self._theme_object("shortcodes", lambda: ThemeShortcodes(
            theme_dir, builtins=("img", "figure", *REF_SHORTCODES, *BUILTIN_SHORTCODES),
            fallback_dir=PACKAGE_THEME, strings=self.theme.strings, compiled=compiled,
            reloads=kept))
        self.params = {**self.config.params, **settings.params}  # Hugo config's, gallery.yaml's
        self.markdown_options = MarkdownOptions(enable_emoji=settings.enable_emoji,
                                                unsafe_html=settings.unsafe_html)
        self.figures = Figures(self.theme, processor, out, placeholder_size, placeholder_sizes)
        self.output = SiteOutput(site.content_dir, settings, self.theme, out)
        self.output.prefix = site.prefix
        self.translations = Translations()
        self.warnings: list[Problem] = []
        self.posts = 0
        self.overlay: Mapping[Path, str | None] = {}  # pages about to change (checks only)
        self.pages: list[Page] = []
        self.paths: dict[Page, str] = {}
        self.changes_at: datetime | None = None  # the next publishDate/expiryDate to pass
        self.refs = PageRefs({}, settings.base_url)  # once prepared: every page by its file
        # once written: the posts in Hugo's order, and every rendered page by its file
        self.listed: list[Rendered] = []
        self._listed_at: dict[str, int] = {}  # a post's site path -> its place in `listed`
        self._rendered_by_source: dict[Path, Rendered] = {}

    def _theme_object(self, kind: str, make: Callable[[], Made]) -> Made:
        """What `make` builds from the theme: kept from the last build of a preview while the
        theme's files (and the bundled shortcodes) are unchanged."""
        if self.warm is None:
            return make()
        folders = (self.theme_dir, PACKAGE_THEME / "shortcodes")
        return self.warm.theme_object(kind, folders, make, self.settings.language)

    def prepare(self) -> list[Problem]:
        """Read this language's pages and give each its address -> the problems found."""
        config = self.config
        taxonomies = tuple(plural for _, plural in config.taxonomies)
        read_ahead = functools.partial(
            self.warm.read_ahead, content_dir=self.content_dir, taxonomies=taxonomies,
            languages=self.site.codes, options=self.markdown_options,
            footnotes=self._footnote_labels()) if self.warm else None
        pages, problems = load_pages(self.content_dir, taxonomies, self.site.codes, self.overlay,
                                     read=self.warm.read_page if self.warm else None,
                                     read_ahead=read_ahead)
        content = Boundary(self.content_dir, name=f"the content folder {self.content_dir}")
        for source, body, body_line in unloaded_bodies(problems, content):  # all at once
            problems += self._body_problems(source, body, body_line)
        taken = with_sections([p for p in pages if self.site.takes(p)])
        taken, cascade_problems = with_cascade(
            taken, language=self.site.code or config.default_language,
            taxonomies=tuple(plural for _, plural in config.taxonomies))
        problems += cascade_problems
        self.pages = self._published(taken)
        self.paths = self._paths(self.pages, problems)
        self.refs = PageRefs(self.paths, self.settings.base_url)
        return problems

    def write(self) -> None:
        """Render and write every page of this language and the pages made from them;
        raises one BuildError with all problems found."""
        config = self.config
        rendered = self._render_all(self.pages, self.paths, [])
        self.figures.publish()
        for result in rendered:
            result.html = self._linked(result.html, result.path, self.figures)
        posts = sorted((r for r in rendered if r.page.kind == "page" and r.page.section
                        and r.page.is_listed), key=hugo_order)
        self.posts = len(posts)
        self.listed = posts
        self._listed_at = {r.path: index for index, r in enumerate(posts)}
        self._rendered_by_source = {r.page.source: r for r in rendered}
        self.output.year = max((r.page.date.year for r in posts if r.page.date), default=None)
        terms = collect_terms(config, rendered)
        self.output.menu = menu(config, rendered, self.theme.strings, terms)
        self.output.params = config.params
        if config.enabled("page"):
            self._write_posts(rendered)
        if self.out is not None:  # their pages rendered in a forked process meanwhile
            self.out.render_ahead()
        write_lists(self.output, config, rendered, posts)
        write_taxonomies(self.output, config, terms)
        write_aliases(self.output, [r for r in rendered if r.path in self.output.written],
                      ugly_urls=config.ugly_urls)
        if config.enabled("404"):
            write_404(self.output)
        if config.enabled("sitemap"):
            self.output.text(self.site.sitemap_path,
                             sitemap(self.settings, self.output.sitemap))
        if self.site.code and not self.site.prefix and config.enabled("home"):
            self.output.alias(f"{self.site.code}/index.html", "index.html")  # /en/ -> /

    def _published(self, pages: list[Page]) -> list[Page]:
        """Pages Hugo publishes now: no drafts, nothing dated in the future (publishDate) or
        expired (expiryDate), unless `drafts` or the config's buildDrafts/buildFuture/
        buildExpired; warns of future pages."""
        now = datetime.now(UTC)
        config = self.config
        out = []
        for page in pages:
            if page.draft and not (self.drafts or config.build_drafts):
                continue
            expiry = None if self.drafts or config.build_expired else page.expirydate
            if expiry is not None and expiry <= now:
                continue
            future = page.publishdate is not None and page.publishdate > now
            if future and not (self.drafts or config.build_future):
                self._changes_at(page.publishdate)
                self.warnings.append(Problem(
                    page.source, page.line_of("publishdate" if "publishdate" in page.key_lines
                                              else "date"), "date",
                    f"dated in the future ({page.publishdate.date()}): left out until then",
                    "rebuild after that date; a draft build (--drafts) previews it"))
                continue
            if expiry is not None:
                self._changes_at(expiry)
            out.append(page)
        return out

    def _changes_at(self, moment: datetime) -> None:
        """The site changes at `moment` (a page appears or expires then)."""
        if self.changes_at is None or moment < self.changes_at:
            self.changes_at = moment

    def all_warnings(self) -> list[Problem]:
        return [*self.warnings, *self.figures.warnings]

    def _paths(self, pages: list[Page], problems: list[Problem]) -> dict[Page, str]:
        """Site path of every page; two pages at one path, or a url leaving the site, fail."""
        paths: dict[Page, str] = {}
        owners: dict[str, Page] = {}
        for page in pages:
            path = page_path(page, self.config.permalinks, self.config.ugly_urls)
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
        render = self.warm.render_markdown if self.warm else render_markdown
        for page in pages:
            if page not in paths:
                problems += self._body_problems(page.source, page.body, page.body_line)
                continue
            try:
                result = self._render_page(page, paths[page], self.figures, out=self.out,
                                           render=render)
            except BuildError as error:
                problems.extend(error.problems)
                continue
            rendered.append(result)
            self.warnings.extend(result.warnings)
        if not self.placeholders:
            problems += self.figures.missing()
        if problems:
            raise BuildError(problems)
        return rendered

    def _body_problems(self, source: Path, body: str, body_line: int) -> list[Problem]:
        """The body problems of a page that will not be built (see body_check)."""
        return body_problems(source, body, body_line, theme=self.shortcodes,
                             site_params=self.params, options=self.markdown_options,
                             inline_shortcodes=self.config.inline_shortcodes)

    def rendered_from(self, source: Path) -> bool:
        """True when this build (once written) rendered a page from content file `source`."""
        return source in self._rendered_by_source

    def render_again(self, source: Path, data: bytes) -> tuple[str, bytes] | None:
        """(site path, bytes) of the page of content file `source` whose bytes are now `data`,
        as a build would write it now, when this finished build wrote a page of its own for
        that file and the front matter is the same (`Page.head`); None when this build cannot
        tell (another front matter, a page that is not rendered alone, a body showing an image
        this build did not publish). Made from this build's state, which it leaves as it is:
        nothing is written, no warning kept. A problem of the new body is a BuildError."""
        old = self._rendered_by_source.get(source)
        if old is None or not old.page.is_single or not self.config.enabled("page"):
            return None
        new = page_from_bytes(data, source, self.content_dir,
                              tuple(plural for _, plural in self.config.taxonomies),
                              self.site.codes)
        if new.head != old.page.head:
            return None
        figures = Figures(self.theme, None, None)
        result = self._render_page(replace(old.page, body=new.body), old.path, figures,
                                   out=None, render=render_markdown)
        if not figures.published_by(self.figures):
            return None
        result.html = self._linked(result.html, result.path, figures)
        layouts, post = self._post_view(result)
        html = self.output.render_page(result.path, layouts, self._meta(result), post=post)
        return self.site.prefix + result.path, html.encode("utf-8")

    def _linked(self, html: str, path: str, figures: Figures) -> str:
        """A rendered body as written at site path `path`: its figures in place, its links
        relative (root-absolute links in content are site-wide, whatever the page's
        language)."""
        return relative_links(figures.insert(html, path), self.site.prefix + path,
                              self.settings.base_url.removesuffix(self.site.prefix))

    def _render_page(self, page: Page, path: str, figures: Figures, *, out: Files | None,
                     render: MarkdownRender) -> Rendered:
        """The body of `page` at site path `path` as HTML, its images as `figures`' tokens;
        the bundle files it links to are put into `out`."""
        result = Rendered(page, path, "", "")
        page_params = {key: getattr(page, key) for key in (*STRING_FIELDS, *LIST_FIELDS)}
        builtins = BuiltinShortcodes(page.source, page_params, self.params,
                                     inline_enabled=self.config.inline_shortcodes)

        def handler(call: ShortcodeCall, caption: Caption | None) -> str:
            if builtins.handles(call.name) and not self.shortcodes.overrides(call.name):
                return builtins(call)
            if call.name == "img":
                return figures.shortcode(page, path, call, caption, result.images)
            if call.name == "figure":
                return figures.figure(page, path, call, result.images)
            return self.shortcodes(call, caption, page={"title": page.title, "path": path,
                                                        "params": page})

        body = self.refs.expand(page, path, page.body)
        rendered = render(body, source=page.source, first_line=page.body_line,
                          shortcodes=handler, options=self.markdown_options,
                          footnotes=self._footnote_labels())
        result.warnings = [*rendered.warnings, *builtins.warnings]
        result.html = figures.markdown_images(page, path, rendered.html, result.images)
        self._publish_bundle_files(page, path, result.html, out)
        divided = MORE_MARKER in page.body
        result.summary = ((rendered.summary if divided else None) or page.summary
                          or page.description
                          or shorten(rendered.summary, self.config.summary_length))
        result.cover, result.cover_url = figures.cover(page, path, result.images)
        return result

    def _footnote_labels(self) -> FootnoteLabels:
        """The footnote heading and back-link words of this language's theme strings."""
        strings = self.theme.strings
        return FootnoteLabels(strings["footnotes"], strings["footnote_back"])

    def _publish_bundle_files(self, page: Page, path: str, body: str,
                              out: Files | None) -> None:
        """Copy bundle files that the body links to directly (Markdown images, downloads)
        into `out`.

        Links are HTML-escaped and percent-encoded (`files/%D0%BE.pdf`); files have the names
        they decode to, as in Figures.markdown_images. A link to a bundle file whose copy would
        land outside the site is a problem at its line (checked without writing, too)."""
        if page.bundle is None or not page.option("publishresources"):
            return
        links = {unquote(htmlmod.unescape(m[1])): m[1] for m in _LOCAL_REF.finditer(body)}
        if not links:  # most posts: no need to resolve the folder
            return
        bundle = Boundary(page.bundle, name=f"the page's folder {page.bundle}")
        for ref, written in links.items():
            if is_external(ref) or ref.startswith("/"):
                continue
            source = page.bundle / ref
            if not (bundle.contains(source) and source.is_file()) or is_markdown(source):
                continue
            site_path = joined(folder_of(path), ref)
            if site_path is None:
                raise BuildError(Problem(
                    page.source, page.line_of_text(written), None,
                    f"the link {written!r} to a file of this page leads outside the site",
                    f'link the file relative to the page, e.g. "{PurePosixPath(ref).name}"'))
            if out is not None:
                out.put_copy(site_path, source)

    def _write_posts(self, rendered: list[Rendered]) -> None:
        """Every page of its own."""
        for result in rendered:
            if not result.page.is_single:
                continue
            layouts, post = self._post_view(result)
            self.output.page(result.path, layouts,
                             self._meta(result), source=result.page.source, post=post)
            self.output.sitemap.append(SitemapEntry(result.path,
                                                    result.page.lastmod or result.page.date))

    def _post_view(self, result: Rendered) -> tuple[list[str], Deferred]:
        """(the templates to try, in order; the template's `post`) of a page of its own; a
        post links the next newer and older post of `listed`. The view is made only if the
        page is rendered (most posts of a rebuild are not): its key is everything it is made
        of but the build's settings and UI strings, which every page's fingerprint holds."""
        posts = self.listed
        index = self._listed_at.get(result.path)
        newer = posts[index - 1] if index else None
        older = posts[index + 1] if index is not None and index + 1 < len(posts) else None
        page, config = result.page, self.config
        translations = self.translations.of(self.site, page, result.path)
        key = (result.path, result.html, page.title, page.subtitle, page.date, page.author,
               page.type, page.comments, page.params, translations,
               newer and (newer.page.title, newer.path), older and (older.page.title, older.path),
               # what post_terms reads: the page's terms, and of the config, how to link them
               tuple(page.terms_of(plural) for _, plural in config.taxonomies),
               config.taxonomies, config.enabled("term"), config.ugly_urls)

        def make() -> dict[str, Any]:
            link = linker(result.path)
            return {
                "title": page.title, "subtitle": page.subtitle,
                "date": self.output.date(page.date),
                "author": page.author or self.settings.author, "html": result.html,
                "type": page.type, "comments": bool(page.comments),
                "taxonomies": post_terms(config, result, self.theme.strings),
                "params": page.params, "translations": translations,
                "newer": newer and {"title": newer.page.title, "href": link(newer.path)},
                "older": older and {"title": older.page.title, "href": link(older.path)},
                "reading_time": reading_time(result.html, self.theme.strings),
                "toc": table_of_contents(result.html) if self.settings.toc else [],
                "share": share_links(absolute(self.settings.base_url, result.path),
                                     page.title, self.theme.strings),
            }

        # Hugo's lookup: `type: gallery` (default: the section) uses gallery/single.html,
        # `layout: wide` gallery/wide.html or _default/wide.html, if the theme has them
        page_type = result.page.type or result.page.section
        layout = result.page.layout
        layouts = [*([f"{page_type}/{layout}.html", f"_default/{layout}.html"]
                     if layout else []),
                   *([f"{page_type}/single.html"] if page_type else []), "single.html"]
        return layouts, Deferred(key, make)

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


def shorten(text: str, words: int = SUMMARY_WORDS) -> str:
    """`text` cut to about `words` words, with an ellipsis when cut."""
    split = text.split()
    return text if len(split) <= words else " ".join(split[:words]) + " …"
