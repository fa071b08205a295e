"""The built-in `img` and `figure` shortcodes: an image of the page bundle as a responsive <figure>.

`{{<img src="images/NAME" caption="..." alt="..." class="..." link="...">}}` names a file in the
page's bundle (the extension may be left out; URLs, absolute paths and `..` are refused). Hugo's
`figure` takes the same bundle images with Hugo's parameters (FIGURE_PARAMS: a Markdown caption,
a title heading, attr/attrlink, link target and rel, width/height, loading); its `src` may also
be a URL or a site path, shown as it is. While pages render, each use becomes a token in the
page's HTML. `Figures.publish` then processes every
image once (images: resized WebP + fallback variants, cached by content hash; in a draft
build a visible placeholder for an image not generated yet), publishes it next to the page that
shows it, and `Figures.insert` puts the theme's figure.html in place of the tokens. A page
rendered again after its build (the preview's early pages) takes the images that build published
instead (`published_by`).

A page's cover (list summaries, Open Graph) is its front matter `images[0]` (a bundle file, a
site path or a URL), else the first image it shows.
"""

from __future__ import annotations

import html as htmlmod
import os
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from generator.boundaries import Boundary
from generator.bundles import IMAGE_SUFFIXES, find_image
from generator.errors import BuildError, Problem
from generator.site.content import Page
from generator.site.images import ImageProcessor, ProcessedImage, PublishedImage, inspect_image
from generator.site.markdown import inline_html, plain_text
from generator.site.shortcodes import Caption, ShortcodeCall, ShortcodeError
from generator.site.sitefiles import Files
from generator.site.theme import Theme
from generator.site.urls import folder_linker, folder_of, is_external, joined

IMG_PARAMS = ("src", "alt", "caption", "class", "link", "title")
FIGURE_PARAMS = ("src", "alt", "title", "caption", "attr", "attrlink", "link", "target", "rel",
                 "class", "width", "height", "loading")
IMAGE_SIZES = "(max-width: 44rem) 100vw, 42rem"
SAFE_SCHEMES = ("http", "https", "mailto")  # as Go's html/template (Hugo) lets through
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]")  # browsers drop these before the scheme
_TOKEN = re.compile(r"<!--gallery-image-(\d+)-->")
_MARKDOWN_IMAGE = re.compile(r'<img src="([^"]+)" alt="([^"]*)"(?: title="([^"]*)")?>')


@dataclass
class ImageUse:
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
    inline: bool = False  # a Markdown image: a bare <picture>, no figure around it
    title: str = ""
    published: PublishedImage | None = None
    placeholder: bool = False
    url: str | None = None  # a figure's external or site-absolute src, shown as it is
    heading: str = ""  # a figure's title, shown above its caption
    attr_html: str = ""  # a figure's attribution (rendered Markdown) and its link
    attrlink: str = ""
    target: str = ""  # target and rel of the figure's link
    rel: str = ""
    width: int | None = None  # the size to show (from figure's width/height), if given
    height: int | None = None


class Figures:
    """Every image one build shows: collected while pages render, published once they all have.

    With no processor or no output folder (check_content) images are resolved and checked only.
    """

    def __init__(self, theme: Theme, processor: ImageProcessor | None, out: Files | None,
                 placeholder_size: int = 512,
                 placeholder_sizes: Mapping[Path, int] | None = None) -> None:
        self.theme = theme
        # the side of a missing image's stand-in: by its path without extension, else the default
        self.placeholder_size = placeholder_size
        self.placeholder_sizes = {path.resolve(): side
                                  for path, side in (placeholder_sizes or {}).items()}
        self.processor = processor
        self.out = out
        self.uses: list[ImageUse] = []
        self.warnings: list[Problem] = []  # Markdown images of bundle files that do not exist
        self._bundles: dict[Path, Boundary] = {}

    def shortcode(self, page: Page, path: str, call: ShortcodeCall, caption: Caption | None,
                  shown: list[ImageUse]) -> str:
        """The token standing for an `img` call until `insert`; `shown`: the page's images."""
        return self._token(self._image_use(page, path, call, caption), shown)

    def figure(self, page: Page, path: str, call: ShortcodeCall, shown: list[ImageUse]) -> str:
        """The token standing for a Hugo `figure` call until `insert`."""
        params = call.params
        _check_params(call, FIGURE_PARAMS)
        src = _src(call)
        if is_external(src) or src.startswith("/"):
            _safe_url(call, "src")
            use = ImageUse(page, call.line, src, None, "", "", url=src)
        else:
            source, rel = self._bundle_image(page, src)
            use = ImageUse(page, call.line, src, source, _folder(page, call.line, path, rel),
                           _stem(source, rel))
        use.alt = params.get("alt") or plain_text(params.get("caption", ""))
        use.caption_html = inline_html(params.get("caption", ""))
        use.attr_html = inline_html(params.get("attr", ""))
        use.heading, use.attrlink = params.get("title", ""), _safe_url(call, "attrlink") or ""
        use.css_class, use.link = params.get("class", ""), _safe_url(call, "link")
        use.target, use.rel = params.get("target", ""), params.get("rel", "")
        use.width, use.height = _pixels(call, "width"), _pixels(call, "height")
        loading = params.get("loading")
        if loading not in (None, "lazy", "eager"):
            raise ShortcodeError(f"loading {loading!r} is not lazy or eager",
                                 'write loading="lazy" or leave it out')
        return self._token(use, shown, None if loading is None else loading == "eager")

    def markdown_images(self, page: Page, path: str, html: str, shown: list[ImageUse]) -> str:
        """`html` with its Markdown images of bundle files (`![alt](images/x.png)`) as tokens,
        so they get sizes, variants and lazy loading like `img`; other images stay as they are.
        One naming a bundle file that does not exist is left as it is, with a warning.
        """
        def one(match: re.Match[str]) -> str:
            src = unquote(htmlmod.unescape(match[1]))
            if page.bundle is None or is_external(src) or src.startswith("/"):
                return match[0]
            try:
                source, rel = self._bundle_image_or_none(page, src)
            except ShortcodeError:
                return match[0]
            if source is None:
                if not (page.bundle / src).exists():
                    self.warnings.append(_missing_markdown_image(page, src, page.bundle / src))
                return match[0]
            line = page.line_of_text(src)
            use = ImageUse(page, line, src, source, _folder(page, line, path, rel), source.stem,
                           alt=htmlmod.unescape(match[2]), inline=True,
                           title=htmlmod.unescape(match[3] or ""))
            return self._token(use, shown)

        return _MARKDOWN_IMAGE.sub(one, html)

    def cover(self, page: Page, path: str,
              shown: list[ImageUse]) -> tuple[ImageUse | None, str | None]:
        """(the cover image to publish, or the external or site-absolute cover URL)."""
        if page.images:
            first = page.images[0]
            if is_external(first) or first.startswith("/"):
                return None, first
            try:
                source, rel = self._bundle_image_or_none(page, first)
            except ShortcodeError as error:
                raise BuildError(Problem(page.source, page.line_of("images"), "images",
                                         error.message, error.hint)) from error
            if source is not None:
                line = page.line_of("images")
                use = ImageUse(page, line, first, source, _folder(page, line, path, rel),
                               source.stem, alt=page.title)
                self.uses.append(use)
                return use, None
        return (shown[0] if shown else None), None

    def missing(self) -> list[Problem]:
        """One problem per use of an image that is not in its bundle."""
        return [_missing_problem(u) for u in self.uses if u.source is None and u.url is None]

    def publish(self) -> None:
        """Process every used image (from the cache here, the others in parallel) and publish it
        into the site."""
        jobs: dict[tuple[str, str], list[ImageUse]] = {}
        for use in self.uses:
            if use.url is not None:
                continue
            jobs.setdefault((use.folder, use.name), []).append(use)

        def publish(group: list[ImageUse], processed: ProcessedImage | None) -> None:
            use = group[0]
            if processed is None:
                return
            published = (self.processor.publish(processed, self.out, use.folder, use.name)
                         if self.processor and self.out else None)
            for other in group:
                other.published = published
                other.placeholder = use.source is None

        # An image the cache holds is a look-up, done here: among threads, each waiting for
        # the GIL, 2,000 of them took twice as long. Threads are for reading and encoding.
        uncached = []
        for group in jobs.values():
            source = group[0].source
            cached = self.processor.cached(source) if self.processor and source else None
            if cached is None:
                uncached.append(group)
            else:
                publish(group, cached)
        with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
            list(pool.map(lambda group: publish(group, self._process(group[0])), uncached))

    def published_by(self, finished: Figures) -> bool:
        """Give every use the image that `finished` (a finished build's figures) published
        for the same file under the same site name, as `publish` would now; False when it
        published none for one of them (nothing is processed here)."""
        by_name = {(use.folder, use.name): use for use in finished.uses if use.url is None}
        for use in self.uses:
            if use.url is not None:
                continue
            known = by_name.get((use.folder, use.name))
            if known is None or known.source != use.source or known.published is None:
                return False
            use.published, use.placeholder = known.published, known.placeholder
        return True

    def insert(self, html: str, from_path: str) -> str:
        """`html` of the page at `from_path` with its image tokens replaced by figures, each
        with an id of its own on the page (the viewer's URL fragment names it)."""
        ids: set[str] = set()
        return _TOKEN.sub(lambda m: self._figure(self.uses[int(m[1])], from_path, ids), html)

    @property
    def published(self) -> int:
        """Image files published (one per site folder and name, however often shown)."""
        return len({(u.folder, u.name) for u in self.uses if u.published is not None})

    @property
    def placeholders(self) -> tuple[str, ...]:
        """Every placeholder shown, as "file:line src"."""
        return tuple(f"{u.page.source}:{u.line} {u.src}" for u in self.uses if u.placeholder)

    def _token(self, use: ImageUse, shown: list[ImageUse], eager: bool | None = None) -> str:
        """Record `use` as the page's next image (eager when first, unless told) -> its token."""
        use.eager = not shown if eager is None else eager
        shown.append(use)
        self.uses.append(use)
        return f"<!--gallery-image-{len(self.uses) - 1}-->"

    def _bundle_image(self, page: Page, src: str) -> tuple[Path | None, PurePosixPath]:
        """(the bundle's image file or None when missing, src as a bundle-relative path)."""
        rel = PurePosixPath(src)
        if is_external(src) or rel.is_absolute() or ".." in rel.parts or "\\" in src:
            raise ShortcodeError(f"src {src!r} leaves the page bundle",
                                 "put the image in the post's folder, e.g. images/NAME.png, "
                                 'and write src="images/NAME"')
        if page.bundle is None:
            raise ShortcodeError(f"{page.source.name} is not a page bundle",
                                 f"move it to {page.source.stem}/index.md and put images beside it")
        return self._bundle_image_or_none(page, src)

    def _bundle_image_or_none(self, page: Page, src: str) -> tuple[Path | None, PurePosixPath]:
        rel = PurePosixPath(src)
        if page.bundle is None:
            return None, rel
        exact = page.bundle / rel
        if rel.suffix.lower() in IMAGE_SUFFIXES and exact.is_file():
            found: Path | None = exact
        else:
            found = find_image(exact.parent, rel.name)
        inside = self._bundles.get(page.bundle)
        if inside is None:  # one per bundle and build: a bundle has many images
            inside = self._bundles[page.bundle] = Boundary(page.bundle, name="the page bundle")
        if found is not None and not inside.contains(found):
            raise ShortcodeError(f"src {src!r} leaves the page bundle (through a link)",
                                 "copy the image into the post's folder")
        return found, rel

    def _image_use(self, page: Page, path: str, call: ShortcodeCall,
                   caption: Caption | None) -> ImageUse:
        _check_params(call, IMG_PARAMS)
        src = _src(call)
        source, rel = self._bundle_image(page, src)
        text = call.params.get("caption", "")
        caption_html = caption.html if caption else htmlmod.escape(text)
        alt = (caption.text if caption else "") or call.params.get("alt", "") or text
        return ImageUse(page, call.line, src, source, _folder(page, call.line, path, rel),
                        _stem(source, rel),
                        alt=alt, caption_html=caption_html,
                        css_class=call.params.get("class", ""), link=_safe_url(call, "link"))

    def _process(self, use: ImageUse) -> ProcessedImage | None:
        if self.processor is None:  # a check: the header alone says if the build can read it
            if use.source is not None:
                inspect_image(use.source)
            return None
        if use.source is None:
            side = self._placeholder_side(use)
            return self.processor.placeholder(use.name, side, side)
        return self.processor.process(use.source)

    def _placeholder_side(self, use: ImageUse) -> int:
        """The size the missing image of `use` will have once generated."""
        if use.page.bundle is None:
            return self.placeholder_size
        expected = use.page.bundle / use.src
        if expected.suffix.lower() in IMAGE_SUFFIXES:
            expected = expected.with_suffix("")
        return self.placeholder_sizes.get(expected.resolve(), self.placeholder_size)

    def _figure(self, use: ImageUse, from_path: str, ids: set[str]) -> str:
        viewer: dict[str, Any] | None = None
        if use.url is not None:
            image = _url_view(use.url, use.alt, use.width, use.height)
        elif use.published is None:
            return ""
        else:
            image = image_view(use.published, from_path, use.alt)
            image["width"], image["height"] = _shown_size(use.published, use.width, use.height)
            if not use.link:
                viewer = viewer_view(use.published, from_path)
        if use.inline:
            return self.theme.render("picture.html", image={**image, "title": use.title},
                                     eager=use.eager).strip()
        if use.link:
            image["href"] = use.link
        return self.theme.render(
            "figure.html", image=image, eager=use.eager, id=_figure_id(use, ids), viewer=viewer,
            placeholder=use.placeholder, t=self.theme.strings, caption_html=use.caption_html,
            css_class=use.css_class, heading=use.heading, attr_html=use.attr_html,
            attrlink=use.attrlink, target=use.target, rel=use.rel).strip()


def image_view(image: PublishedImage, from_path: str, alt: str) -> dict[str, Any]:
    """A published image for templates (picture.html), its URLs relative to `from_path`."""
    rel = folder_linker(from_path, folder_of(image.full))
    return {
        "href": rel(image.full), "src": rel(image.src), "alt": alt,
        "width": image.width, "height": image.height, "sizes": IMAGE_SIZES,
        "webp_srcset": ", ".join(f"{rel(v.webp)} {v.width}w" for v in image.variants),
        "srcset": ", ".join(f"{rel(v.fallback)} {v.width}w" for v in image.variants),
    }


def viewer_view(image: PublishedImage, from_path: str) -> dict[str, Any]:
    """The large image the gallery viewer shows: its full size, and a srcset of its WebP variants
    (the largest is the original's size), from which the browser picks the one that fits."""
    rel = folder_linker(from_path, folder_of(image.full))
    candidates = ([(rel(v.webp), v.width) for v in image.variants]
                  or [(rel(image.full), image.width)])  # animated: the original
    return {"width": image.width, "height": image.height,
            "srcset": ", ".join(f"{url} {width}w" for url, width in candidates)}


def _figure_id(use: ImageUse, taken: set[str]) -> str:
    """An id for the figure of `use` that no earlier figure of the page has: "image-NAME",
    numbered when the page shows the same name twice (NAME: letters, digits, - and _ only)."""
    name = re.sub(r"[^\w-]+", "-", use.name or PurePosixPath(use.src).stem).strip("-") or "figure"
    ident, number = f"image-{name}", 1
    while ident in taken:
        number += 1
        ident = f"image-{name}-{number}"
    taken.add(ident)
    return ident


def _url_view(url: str, alt: str, width: int | None, height: int | None) -> dict[str, Any]:
    """A figure's image given by URL, for picture.html: no variants, a size only if given."""
    return {"href": url, "src": url, "alt": alt, "width": width, "height": height,
            "sizes": "", "webp_srcset": "", "srcset": ""}


def _shown_size(image: PublishedImage, width: int | None,
                height: int | None) -> tuple[int, int]:
    """The width and height to show `image` at: as given, the missing one keeping its shape."""
    if width and height:
        return width, height
    if width:
        return width, round(width * image.height / image.width)
    if height:
        return round(height * image.width / image.height), height
    return image.width, image.height


def _check_params(call: ShortcodeCall, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(call.params) - set(allowed))
    if unknown:
        raise ShortcodeError(f"unknown parameter {unknown[0]!r}",
                             f"{call.name} takes {', '.join(allowed)}")


def _src(call: ShortcodeCall) -> str:
    src = call.params.get("src", "").strip()
    if not src:
        raise ShortcodeError("src missing", f'write {{{{<{call.name} src="images/NAME">}}}}')
    return src


def _safe_url(call: ShortcodeCall, key: str) -> str | None:
    """A link parameter, refused when its scheme could run script (`javascript:`, `data:`,
    `vbscript:`...): like Hugo's templates, only http(s), mailto and relative URLs pass."""
    value = call.params.get(key)
    if value is None:
        return None
    scheme = _SCHEME.match(_IGNORED_IN_URL.sub("", value))
    if scheme and scheme[1].lower() not in SAFE_SCHEMES:
        raise ShortcodeError(f"{key} {value!r} is a {scheme[1].lower()}: URL, which could run "
                             "script in the reader's browser",
                             f"link to an http(s), mailto or relative URL, or leave {key} out")
    return value


def _pixels(call: ShortcodeCall, key: str) -> int | None:
    """A figure's width or height in pixels (Hugo writes it as a bare number), if given."""
    value = call.params.get(key, "").strip().removesuffix("px")
    if not value:
        return None
    if not value.isdigit() or int(value) == 0:
        raise ShortcodeError(f"{key} {call.params[key]!r} is not a number of pixels",
                             f'write {key}="640" or leave it out')
    return int(value)


def _folder(page: Page, line: int, page_path: str, rel: PurePosixPath) -> str:
    """The site folder an image at bundle path `rel` is published into; a BuildError at the
    page's `line` when its `..` lead outside the site."""
    folder = joined(folder_of(page_path), str(rel.parent))
    if folder is None:
        raise BuildError(Problem(page.source, line, None,
                                 f"image {str(rel)!r} would be published outside the site",
                                 f'name it from the page\'s folder, e.g. "images/{rel.name}"'))
    return folder


def _stem(source: Path | None, rel: PurePosixPath) -> str:
    if source is not None:
        return source.stem
    return rel.stem if rel.suffix.lower() in IMAGE_SUFFIXES else rel.name


def _missing_markdown_image(page: Page, src: str, expected: Path) -> Problem:
    return Problem(page.source, page.line_of_text(src), None,
                   f"image {src!r} not found in the page's folder: it shows as a broken image",
                   f"put the file at {expected} or fix the path (letter case matters)")


def _missing_problem(use: ImageUse) -> Problem:
    return Problem(use.page.source, use.line, "img", f"image {use.src!r} not found "
                   f"(looked for {', '.join(IMAGE_SUFFIXES)})",
                   "add the file or generate it (make site); `build --placeholders` "
                   "(or make draft) shows a marked placeholder instead")
