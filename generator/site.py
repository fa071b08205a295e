"""content/ -> site/: render every page with the theme, then swap the new site in whole.

`build_site` renders into a fresh folder beside `out_dir` and swaps it in only when everything
succeeded, so a failed build leaves the previous site untouched. `check_content` runs the same
pipeline without writing anything and returns every problem found.

Pages: the home list (paginated: /, /page/2/, ...), one list per section (/posts/), every
post at its Hugo URL, taxonomy lists (/tags/) and term lists (/tags/технологии/), alias
redirects, /404.html, /index.xml (RSS) and /sitemap.xml. Internal links are relative and name
the file (see generator.urls). Images of the built-in `img` shortcode are resized by
generator.images (cached by content hash) and published next to the page that shows them.
"""

from __future__ import annotations

import html as htmlmod
import os
import re
import secrets
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2

from generator.content import Page, load_pages
from generator.errors import BuildError, Problem
from generator.feeds import FeedItem, SitemapEntry, rss, sitemap
from generator.fsutil import swap_in_directory
from generator.images import ImageProcessor, ProcessedImage, PublishedImage
from generator.imagestep import IMAGE_SUFFIXES, find_image
from generator.markdown import render_markdown
from generator.settings import SiteSettings
from generator.shortcodes import Caption, ShortcodeCall, ShortcodeError, ThemeShortcodes
from generator.urls import absolute, clean_path, is_external, list_path, page_path, relative, urlize

TAXONOMIES = (("categories", "categories"), ("tags", "tags"))
IMG_PARAMS = ("src", "alt", "caption", "class", "link", "title")
IMAGE_SIZES = "(max-width: 44rem) 100vw, 42rem"
SUMMARY_WORDS = 70
STRINGS = {
    "en": {"tags": "Tags", "categories": "Categories", "read_more": "Read more",
           "newer": "Newer", "older": "Older", "no_posts": "No posts yet.",
           "not_found": "Page not found", "go_home": "Go to the home page",
           "placeholder": "placeholder: not generated yet",
           "months": ["January", "February", "March", "April", "May", "June", "July",
                      "August", "September", "October", "November", "December"]},
    "ru": {"tags": "Теги", "categories": "Категории", "read_more": "Читать дальше",
           "newer": "Новее", "older": "Старше", "no_posts": "Постов пока нет.",
           "not_found": "Страница не найдена", "go_home": "На главную",
           "placeholder": "placeholder: not generated yet",
           "months": ["января", "февраля", "марта", "апреля", "мая", "июня", "июля",
                      "августа", "сентября", "октября", "ноября", "декабря"]},
}
_TOKEN = re.compile(r"<!--gallery-image-(\d+)-->")
_LOCAL_REF = re.compile(r'\s(?:href|src)="([^"#?]+)[^"]*"')


@dataclass(frozen=True)
class BuildReport:
    """What a build produced."""

    out_dir: Path
    pages: int  # HTML pages written (aliases not counted)
    posts: int
    images: int  # images published
    processed: int  # images decoded and resized this time (0 when all came from the cache)
    placeholders: tuple[str, ...] = ()  # "file:line src" of every placeholder shown
    warnings: tuple[Problem, ...] = ()  # things worth fixing that did not stop the build

    def __str__(self) -> str:
        text = (f"site: {self.pages} pages ({self.posts} posts), {self.images} images "
                f"({self.processed} processed, {self.images - self.processed} from cache) "
                f"-> {self.out_dir}")
        if self.placeholders:
            text += f"\nsite: {len(self.placeholders)} placeholder image(s) shown (draft build)"
        return "\n".join([text, *(f"warning: {w}" for w in self.warnings)])


@dataclass
class _ImageUse:
    """One image a page shows, resolved after every page is rendered."""

    page: Page
    line: int
    src: str  # as written
    source: Path | None  # the bundle file; None when missing
    folder: str  # site folder to publish into
    name: str  # file stem to publish as
    alt: str = ""
    caption_html: str = ""
    css_class: str = ""
    link: str | None = None
    eager: bool = False
    published: PublishedImage | None = None
    placeholder: bool = False


@dataclass
class _Rendered:
    page: Page
    path: str
    html: str  # the body, image tokens replaced once images are published
    summary: str
    images: list[_ImageUse] = field(default_factory=list)
    cover: _ImageUse | None = None
    cover_url: str | None = None  # an external or site-absolute cover from front matter


def build_site(content_dir: Path, out_dir: Path, settings: SiteSettings, *, theme_dir: Path,
               cache_dir: Path, drafts: bool = False, placeholders: bool = False) -> BuildReport:
    """Render content_dir into out_dir (replaced whole, only on success)."""
    out_dir = Path(out_dir).absolute()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    fresh = out_dir.with_name(f".{out_dir.name}-build-{os.getpid()}-{secrets.token_hex(4)}")
    fresh.mkdir()
    try:
        builder = _Builder(Path(content_dir), settings, Path(theme_dir), drafts=drafts,
                           placeholders=placeholders, out=fresh,
                           processor=ImageProcessor(Path(cache_dir), settings.image_widths))
        builder.build()
        swap_in_directory(fresh, out_dir)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return builder.report(out_dir)


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
                 drafts: bool, placeholders: bool, out: Path | None,
                 processor: ImageProcessor | None) -> None:
        self.content_dir = content_dir
        self.settings = settings
        self.theme_dir = theme_dir
        self.drafts = drafts
        self.placeholders = placeholders
        self.out = out
        self.processor = processor
        self.strings = STRINGS.get(settings.language.split("-")[0].lower(), STRINGS["en"])
        self.env = _environment(theme_dir)
        self.shortcodes = ThemeShortcodes(theme_dir)
        self.uses: list[_ImageUse] = []
        self.written: set[str] = set()
        self.pages_written = 0
        self.sitemap: list[SitemapEntry] = []
        self.warnings: list[Problem] = []
        self.menu: list[dict[str, str]] = []
        self.posts = 0
        self.year: int | None = None  # of the newest post: the output depends on content only

    # -- the pipeline -------------------------------------------------------------------------

    def build(self) -> None:
        pages, problems = load_pages(self.content_dir)
        pages = [p for p in pages if self.drafts or not p.draft]
        paths = self._paths(pages, problems)
        rendered = self._render_all(pages, paths, problems)
        self._publish_images(rendered)
        posts = sorted((r for r in rendered if r.page.kind == "page" and r.page.section),
                       key=_newest_first)
        self.posts = len(posts)
        self.year = max((r.page.date.year for r in posts if r.page.date), default=None)
        self.menu = self._menu(rendered, posts)
        self._write_posts(rendered, posts)
        self._write_lists(rendered, posts)
        self._write_taxonomies(posts)
        self._write_aliases(rendered)
        self._write_404()
        self._write_text("index.xml", rss(self.settings, [
            FeedItem(r.page.title, r.path, r.page.date, r.html, r.page.categories)
            for r in posts]))
        self._write_text("sitemap.xml", sitemap(self.settings, self.sitemap))
        self._copy_static()

    def report(self, out_dir: Path) -> BuildReport:
        published = {(u.folder, u.name) for u in self.uses if u.published is not None}
        return BuildReport(
            out_dir=out_dir, pages=self.pages_written,
            posts=self.posts,
            images=len(published), processed=self.processor.encoded if self.processor else 0,
            placeholders=tuple(f"{u.page.source}:{u.line} {u.src}" for u in self.uses
                               if u.placeholder),
            warnings=tuple(self.warnings),
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
                    problems: list[Problem]) -> list[_Rendered]:
        """Every page's body as HTML; raises one BuildError with all problems found so far."""
        rendered: list[_Rendered] = []
        for page in pages:
            if page not in paths:
                continue
            try:
                rendered.append(self._render_page(page, paths[page]))
            except BuildError as error:
                problems.extend(error.problems)
        missing = [u for u in self.uses if u.source is None and not self.placeholders]
        problems += [_missing_problem(u) for u in missing]
        if problems:
            raise BuildError(problems)
        return rendered

    def _render_page(self, page: Page, path: str) -> _Rendered:
        result = _Rendered(page, path, "", "")

        def handler(call: ShortcodeCall, caption: Caption | None) -> str:
            if call.name == "img":
                use = self._image_use(page, path, call, caption)
                use.eager = not result.images
                result.images.append(use)
                return f"<!--gallery-image-{len(self.uses) - 1}-->"
            return self.shortcodes(call, caption, page={"title": page.title, "path": path,
                                                        "params": page})

        rendered = render_markdown(page.body, source=page.source, first_line=page.body_line,
                                   shortcodes=handler)
        self.warnings.extend(rendered.warnings)
        result.html = self._publish_bundle_files(page, path, rendered.html)
        result.summary = page.summary or page.description or shorten(rendered.summary)
        self._choose_cover(result)
        return result

    def _image_use(self, page: Page, path: str, call: ShortcodeCall,
                   caption: Caption | None) -> _ImageUse:
        unknown = sorted(set(call.params) - set(IMG_PARAMS))
        if unknown:
            raise ShortcodeError(f"img: unknown parameter {unknown[0]!r}",
                                 f"img takes {', '.join(IMG_PARAMS)}")
        src = call.params.get("src", "").strip()
        if not src:
            raise ShortcodeError("img: src missing", 'write {{<img src="images/NAME">}}')
        source, rel = _bundle_image(page, src)
        text = call.params.get("caption", "")
        caption_html = caption.html if caption else htmlmod.escape(text)
        alt = (caption.text if caption else "") or call.params.get("alt", "") or text
        use = _ImageUse(page, call.line, src, source, _folder(path, rel), _stem(source, rel),
                        alt=alt, caption_html=caption_html,
                        css_class=call.params.get("class", ""), link=call.params.get("link"))
        self.uses.append(use)
        return use

    def _choose_cover(self, result: _Rendered) -> None:
        """Front matter images[0] (a bundle file, /site/path or URL), else the first image."""
        page = result.page
        if page.images:
            first = page.images[0]
            if is_external(first) or first.startswith("/"):
                result.cover_url = first
                return
            try:
                source, rel = _bundle_image_or_none(page, first)
            except ShortcodeError as error:
                raise BuildError(Problem(page.source, page.line_of("images"), "images",
                                         error.message, error.hint)) from error
            if source is not None:
                result.cover = _ImageUse(page, page.line_of("images"), first, source,
                                         _folder(result.path, rel), source.stem, alt=page.title)
                self.uses.append(result.cover)
                return
        if result.images:
            result.cover = result.images[0]

    def _publish_images(self, rendered: list[_Rendered]) -> None:
        """Process every used image (in parallel; cached) and put the figures in the pages."""
        jobs: dict[tuple[str, str], list[_ImageUse]] = {}
        for use in self.uses:
            jobs.setdefault((use.folder, use.name), []).append(use)

        def publish(group: list[_ImageUse]) -> None:
            use = group[0]
            processed = self._process(use)
            if processed is None:
                return
            published = (self.processor.publish(processed, self.out, use.folder, use.name)
                         if self.processor and self.out else None)
            for other in group:
                other.published = published
                other.placeholder = use.source is None

        with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
            list(pool.map(publish, jobs.values()))
        for result in rendered:
            result.html = _TOKEN.sub(lambda m, r=result: self._figure(self.uses[int(m[1])], r),
                                     result.html)

    def _process(self, use: _ImageUse) -> ProcessedImage | None:
        if self.processor is None:
            return None
        if use.source is None:
            return self.processor.placeholder(use.name)
        return self.processor.process(use.source)

    def _figure(self, use: _ImageUse, result: _Rendered) -> str:
        if use.published is None:
            return ""
        image = self._image_view(use.published, result.path, use.alt)
        if use.link:
            image["href"] = use.link
        return self._template("figure.html",
            image=image, eager=use.eager, placeholder=use.placeholder, t=self.strings,
            caption_html=use.caption_html, css_class=use.css_class).strip()

    def _image_view(self, image: PublishedImage, from_path: str, alt: str) -> dict[str, Any]:
        def rel(url: str) -> str:
            return relative(from_path, url)

        return {
            "href": rel(image.full), "src": rel(image.src), "alt": alt,
            "width": image.width, "height": image.height, "sizes": IMAGE_SIZES,
            "webp_srcset": ", ".join(f"{rel(v.webp)} {v.width}w" for v in image.variants),
            "srcset": ", ".join(f"{rel(v.fallback)} {v.width}w" for v in image.variants),
        }

    def _publish_bundle_files(self, page: Page, path: str, body: str) -> str:
        """Copy bundle files that the body links to directly (Markdown images, downloads)."""
        if page.bundle is None or self.out is None:
            return body
        root = page.bundle.resolve()
        for match in _LOCAL_REF.finditer(body):
            ref = match[1]
            if is_external(ref) or ref.startswith("/"):
                continue
            source = (page.bundle / ref).resolve()
            if source.is_file() and root in source.parents and source.suffix != ".md":
                target = self.out / PurePosixPath(path).parent / PurePosixPath(ref)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
        return body

    # -- pages --------------------------------------------------------------------------------

    def _write_posts(self, rendered: list[_Rendered], posts: list[_Rendered]) -> None:
        order = {id(r): i for i, r in enumerate(posts)}
        for result in rendered:
            if result.page.kind != "page":
                continue
            index = order.get(id(result))
            newer = posts[index - 1] if index else None
            older = posts[index + 1] if index is not None and index + 1 < len(posts) else None
            link = self._linker(result.path)
            post = {
                "title": result.page.title, "subtitle": result.page.subtitle,
                "date": self._date(result.page.date),
                "author": result.page.author or self.settings.author, "html": result.html,
                "taxonomies": self._post_terms(result),
                "newer": newer and {"title": newer.page.title, "href": link(newer.path)},
                "older": older and {"title": older.page.title, "href": link(older.path)},
            }
            self._render(result.path, "single.html", self._meta(result), post=post)
            self.sitemap.append(SitemapEntry(result.path,
                                             result.page.lastmod or result.page.date))

    def _write_lists(self, rendered: list[_Rendered], posts: list[_Rendered]) -> None:
        intros = {r.page.section if r.page.kind == "section" else "": r
                  for r in rendered if r.page.kind in ("home", "section")}
        home = intros.get("")
        self._write_list("", posts, heading=None, intro=home,
                         title=home.page.title if home else self.settings.title)
        for section in sorted({r.page.section for r in posts}):
            intro = intros.get(section)
            title = intro.page.title if intro and intro.page.title else section.capitalize()
            self._write_list(urlize(section), [r for r in posts if r.page.section == section],
                             heading=title, intro=intro, title=title)

    def _write_list(self, base: str, posts: list[_Rendered], *, heading: str | None,
                    intro: _Rendered | None, title: str) -> None:
        size = self.settings.paginate
        chunks = [posts[i:i + size] for i in range(0, len(posts), size)] or [[]]
        for number, chunk in enumerate(chunks, start=1):
            path = list_path(base, number)
            link = self._linker(path)
            pager = {"number": number, "total": len(chunks),
                     "newer": link(list_path(base, number - 1)) if number > 1 else None,
                     "older": link(list_path(base, number + 1)) if number < len(chunks) else None}
            items = [self._summary_item(r, path) for r in chunk]
            meta = self._list_meta(path, title, intro)
            self._render(path, "list.html", meta, heading=heading, items=items, pager=pager,
                         intro_html=intro.html if intro and number == 1 else "")
            self.sitemap.append(SitemapEntry(path))
        if len(chunks) > 1 or base == "":
            self._write_alias(list_path(base, 1).replace("index.html", "page/1/index.html"),
                              list_path(base, 1))

    def _summary_item(self, result: _Rendered, from_path: str) -> dict[str, Any]:
        cover = result.cover
        return {
            "title": result.page.title, "subtitle": result.page.subtitle,
            "href": relative(from_path, result.path), "date": self._date(result.page.date),
            "summary": result.summary,
            "cover": self._image_view(cover.published, from_path, result.page.title)
            if cover and cover.published else None,
        }

    def _write_taxonomies(self, posts: list[_Rendered]) -> None:
        for taxonomy, key in TAXONOMIES:
            terms: dict[str, tuple[str, list[_Rendered]]] = {}
            for result in posts:
                for term in getattr(result.page, taxonomy):
                    terms.setdefault(urlize(term), (term, []))[1].append(result)
            if not terms:
                continue
            path = f"{taxonomy}/index.html"
            link = self._linker(path)
            listing = [{"title": title, "count": len(items),
                        "href": link(f"{taxonomy}/{slug}/index.html")}
                       for slug, (title, items) in sorted(terms.items(),
                                                           key=lambda kv: kv[1][0].lower())]
            heading = self.strings[key]
            self._render(path, "taxonomy.html", self._list_meta(path, heading, None),
                         heading=heading, terms=listing)
            self.sitemap.append(SitemapEntry(path))
            for slug, (title, items) in terms.items():
                self._write_list(f"{taxonomy}/{slug}", items, heading=title, intro=None,
                                 title=title)

    def _menu(self, rendered: list[_Rendered], posts: list[_Rendered]) -> list[dict[str, str]]:
        """Header links: top-level pages (about...), then the taxonomies that have terms."""
        menu = [{"title": r.page.title, "path": r.path} for r in rendered
                if r.page.kind == "page" and not r.page.section]
        menu.sort(key=lambda item: item["title"].lower())
        for taxonomy, key in TAXONOMIES:
            if any(getattr(r.page, taxonomy) for r in posts):
                menu.append({"title": self.strings[key], "path": f"{taxonomy}/index.html"})
        return menu

    def _post_terms(self, result: _Rendered) -> list[dict[str, Any]]:
        link = self._linker(result.path)
        out = []
        for taxonomy, key in TAXONOMIES:
            terms = getattr(result.page, taxonomy)
            if terms:
                out.append({"name": taxonomy, "title": self.strings[key], "terms": [
                    {"title": t, "href": link(f"{taxonomy}/{urlize(t)}/index.html")}
                    for t in terms]})
        return out

    def _write_aliases(self, rendered: list[_Rendered]) -> None:
        problems = []
        for result in rendered:
            for alias in result.page.aliases:
                path = clean_path(alias)
                if path is None or path in self.written:
                    problems.append(Problem(result.page.source, result.page.line_of("aliases"),
                                            "aliases", f"alias {alias!r} "
                                            + ("leaves the site" if path is None
                                               else "is the address of another page"),
                                            "remove it or pick a free address"))
                    continue
                self._write_alias(path, result.path)
        if problems:
            raise BuildError(problems)

    def _write_alias(self, path: str, target: str) -> None:
        html = self._template("alias.html",
            site=self.settings, target=relative(path, target),
            canonical=absolute(self.settings.base_url, target))
        self._write_text(path, html)

    def _write_404(self) -> None:
        self._render("404.html", "404.html", self._list_meta("404.html", self.strings["not_found"],
                                                             None),
                     base_url=self.settings.base_url.rstrip("/") + "/")

    def _copy_static(self) -> None:
        static = self.theme_dir / "static"
        if self.out is None or not static.is_dir():
            return
        for source in sorted(static.rglob("*")):
            if source.is_file():
                target = self.out / source.relative_to(static)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)

    # -- helpers ------------------------------------------------------------------------------

    def _meta(self, result: _Rendered) -> dict[str, Any]:
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

    def _list_meta(self, path: str, title: str, intro: _Rendered | None) -> dict[str, Any]:
        description = (intro.page.description if intro else None) or self.settings.description
        return {"title": title, "description": description,
                "canonical": absolute(self.settings.base_url, path), "og_type": "website",
                "og_image": None, "published": None}

    def _render(self, path: str, template: str, meta: dict[str, Any], **context: Any) -> None:
        html = self._template(template,
            site=self.settings, link=self._linker(path), t=self.strings, menu=self.menu,
            year=self.year, **meta, **context)
        self._write_text(path, html)
        self.pages_written += 1

    def _template(self, name: str, **context: Any) -> str:
        """Render theme template `name`; a broken template is a BuildError at its line."""
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateSyntaxError as error:
            raise BuildError(Problem(error.filename or name, error.lineno, None,
                                     f"template error: {error.message}")) from error
        except jinja2.TemplateError as error:
            raise BuildError(Problem(self.theme_dir / "templates" / name, _template_line(error),
                                     None, f"template error: {error}",
                                     "fix the theme template")) from error

    def _write_text(self, path: str, text: str) -> None:
        if path in self.written:
            raise BuildError(Problem(self.content_dir, None, None,
                                     f"two outputs want the address /{path}",
                                     "a page's url or alias collides with a generated page"))
        self.written.add(path)
        if self.out is not None:
            target = self.out / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")

    def _linker(self, from_path: str) -> Callable[[str], str]:
        return lambda to_path: relative(from_path, to_path)

    def _date(self, value: datetime | None) -> dict[str, str] | None:
        if value is None:
            return None
        month = self.strings["months"][value.month - 1]
        return {"iso": value.isoformat(), "text": f"{value.day} {month} {value.year}"}


def _environment(theme_dir: Path) -> jinja2.Environment:
    templates = theme_dir / "templates"
    if not templates.is_dir():
        raise BuildError(Problem(templates, None, None, "theme templates not found",
                                 "pass the theme folder (--theme DIR) holding templates/"))
    return jinja2.Environment(loader=jinja2.FileSystemLoader(templates), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True)


def _template_line(error: Exception) -> int | None:
    """The template line of a Jinja2 render error, from its traceback."""
    tb = error.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".html"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _bundle_image(page: Page, src: str) -> tuple[Path | None, PurePosixPath]:
    """(the bundle's image file or None when missing, src as a bundle-relative path)."""
    rel = PurePosixPath(src)
    if is_external(src) or rel.is_absolute() or ".." in rel.parts or "\\" in src:
        raise ShortcodeError(f"img: src {src!r} leaves the page bundle",
                             "put the image in the post's folder, e.g. images/NAME.png, "
                             'and write src="images/NAME"')
    if page.bundle is None:
        raise ShortcodeError(f"img: {page.source.name} is not a page bundle",
                             f"move it to {page.source.stem}/index.md and put images beside it")
    source, rel = _bundle_image_or_none(page, src)
    return source, rel


def _bundle_image_or_none(page: Page, src: str) -> tuple[Path | None, PurePosixPath]:
    rel = PurePosixPath(src)
    if page.bundle is None:
        return None, rel
    exact = page.bundle / rel
    if rel.suffix.lower() in IMAGE_SUFFIXES and exact.is_file():
        found: Path | None = exact
    else:
        found = find_image(exact.parent, rel.name)
    if found is not None and page.bundle.resolve() not in found.resolve().parents:
        raise ShortcodeError(f"img: src {src!r} leaves the page bundle (through a link)",
                             "copy the image into the post's folder")
    return found, rel


def _folder(page_path: str, rel: PurePosixPath) -> str:
    """The site folder an image at bundle path `rel` is published into."""
    folder = str(PurePosixPath(page_path).parent / rel.parent)
    return "" if folder == "." else folder


def _stem(source: Path | None, rel: PurePosixPath) -> str:
    if source is not None:
        return source.stem
    return rel.stem if rel.suffix.lower() in IMAGE_SUFFIXES else rel.name


def _missing_problem(use: _ImageUse) -> Problem:
    return Problem(use.page.source, use.line, "img", f"image {use.src!r} not found "
                   f"(looked for {', '.join(IMAGE_SUFFIXES)})",
                   "generate the missing images (make site), or preview with placeholders "
                   "(make draft)")


def _absolute_url(base_url: str, url: str) -> str:
    return url if is_external(url) else absolute(base_url, url.lstrip("/"))


def _newest_first(result: _Rendered) -> tuple[int, float, str]:
    date = result.page.date
    return (date is None, -date.timestamp() if date else 0.0, result.page.title.lower())


def shorten(text: str, words: int = SUMMARY_WORDS) -> str:
    """`text` cut to about `words` words, with an ellipsis when cut."""
    split = text.split()
    return text if len(split) <= words else " ".join(split[:words]) + " …"
