"""Where every page of the site lives, and how pages link to each other.

A site path is a POSIX path relative to the site root naming a file ("index.html",
"2021/gaming-gave-me-an-aneurysm/index.html", "tags/технологии/index.html"). Files are written
under their Unicode names; links between pages are relative to the linking page's folder,
percent-encoded and always name the file (`../tags/%D1%82.../index.html`), so the site works
under any sub-path and straight from file://. Absolute URLs (feeds, sitemap, canonical and Open
Graph tags) join base_url with the page's folder URL.
"""

from __future__ import annotations

import functools
import posixpath
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urljoin, urlsplit

from generator.addresses import PAGER, url_file

if TYPE_CHECKING:
    from generator.site.content import Page

_URLIZE_DROP = re.compile(r"[^\w\s\-.+~]")
_ABSOLUTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//|#)")
_UNQUOTED = re.compile(r"[A-Za-z0-9_.~/-]*")  # what quote(safe="/") leaves as it is
# a path of names: no empty part, `.`, `..` or fragment (what `_relpath` takes as it is)
_PLAIN = re.compile(r"(?:(?!\.\.?(?:/|\Z))[^/#]+/)*(?!\.\.?\Z)[^/#]+")
LINK_ATTR = re.compile(r'(\s(?:href|src)=")([^"]*)(")')  # groups: ' href="', URL, '"'
PERMALINK_TOKENS = ("year", "month", "monthname", "day", "weekday", "weekdayname", "yearday",
                    "section", "sections", "title", "slug", "slugorfilename", "filename",
                    "slugorcontentbasename", "contentbasename")  # what _permalink fills in


@functools.lru_cache(maxsize=16384)  # pure; every post's page and lists urlize its terms
def urlize(term: str) -> str:
    """A taxonomy term as a path segment, like Hugo's urlize: lowercase, spaces -> '-',
    punctuation dropped, letters of every script kept ("Технологии" -> "технологии")."""
    text = _URLIZE_DROP.sub("", unicodedata.normalize("NFC", term).lower())
    return "-".join(text.split()).lstrip(".") or "-"


def clean_path(url: str) -> str | None:
    """A front-matter `url`/alias as a site path of a file, or None when it leaves the site.

    "/2021/post" and "/2021/post/" -> "2021/post/index.html"; "/about.html" -> "about.html".
    """
    if ".." in url.strip().split("/") or "\\" in url:
        return None
    return url_file(url)


def ugly(path: str) -> str:
    """A page's site path as Hugo's uglyURLs write it: "posts/a/index.html" -> "posts/a.html"
    (the home page stays index.html)."""
    return path[: -len("/index.html")] + ".html" if path.endswith("/index.html") else path


def page_path(page: Page, permalinks: Mapping[str, str] | None = None,
              ugly_urls: bool = False) -> str | None:
    """The site path of a content page (None when its `url` leaves the site).

    Like Hugo: `url` is taken exactly; then a `permalinks` pattern of the page's top-level
    section (posts = "/:year/:slug/"); otherwise the content folders and the slug (default: the
    bundle folder or file name) are lowercased and urlized: content/posts/My Post.md ->
    posts/my-post/index.html (posts/my-post.html with `ugly_urls`, for single pages).
    """
    path = _page_path(page, permalinks)
    return ugly(path) if ugly_urls and path and page.kind == "page" and page.url is None else path


def _page_path(page: Page, permalinks: Mapping[str, str] | None) -> str | None:
    if page.url is not None:
        return clean_path(page.url)
    if page.kind == "home":
        return "index.html"
    if page.kind == "section":
        return "/".join([*map(urlize, page.section_path.split("/")), "index.html"])
    pattern = (permalinks or {}).get(page.section.lower() or "/")
    if pattern is not None:
        return clean_path(_permalink(pattern, page))
    folders = page.rel.split("/")[:-1]
    if page.bundle is not None:
        folders = folders[:-1]
    segments = [urlize(part) for part in [*folders, page.slug or page.name]]
    return "/".join([*segments, "index.html"])


def _permalink(pattern: str, page: Page) -> str:
    """`pattern` with its :tokens filled in for `page` (Hugo's permalink tokens)."""
    date = page.date
    name = page.name
    values = {
        "section": urlize(page.section), "sections": "/".join(
            urlize(p) for p in page.section_path.split("/") if p),
        "title": urlize(page.title), "slug": urlize(page.slug or page.title or name),
        "slugorfilename": urlize(page.slug or name), "filename": urlize(name),
        "slugorcontentbasename": urlize(page.slug or name), "contentbasename": urlize(name),
        "year": f"{date:%Y}" if date else "", "month": f"{date:%m}" if date else "",
        "monthname": f"{date:%B}".lower() if date else "", "day": f"{date:%d}" if date else "",
        "weekday": str(date.isoweekday() % 7) if date else "",
        "weekdayname": f"{date:%A}".lower() if date else "",
        "yearday": str(date.timetuple().tm_yday) if date else "",
    }
    return re.sub(r":(\w+)", lambda m: values.get(m[1].lower(), m[0]), pattern)


def alias_path(alias: str, page_path: str, ugly_urls: bool = False) -> str | None:
    """Site path of an alias redirect: a relative alias sits beside the page's address, as in
    Hugo (`migrate-from-jekyl` on posts/a/ or posts/a.html -> posts/migrate-from-jekyl/, or
    posts/migrate-from-jekyl.html with `ugly_urls`)."""
    if not alias.startswith("/") and not is_external(alias):
        address = page_path.removesuffix("index.html").rstrip("/").removesuffix(".html")
        parent = posixpath.dirname(address)
        alias = f"/{parent}/{alias}" if parent else f"/{alias}"
    path = clean_path(alias)
    return ugly(path) if ugly_urls and path else path


def list_path(base: str, number: int) -> str:
    """Page `number` (1-based) of a paginated list whose first page is folder `base` ("" = root)."""
    prefix = f"{base}/" if base else ""
    if number == 1:
        return f"{prefix}index.html"
    return f"{prefix}{PAGER}/{number}/index.html"


def folder_of(path: str) -> str:
    """The folder part of a site path ("" for the root)."""
    return posixpath.dirname(path)


def joined(folder: str, rel: str) -> str | None:
    """The site path of `rel` (a relative path) from site folder `folder` ("" = the root),
    normalised; None when its `..` lead outside the site."""
    path = posixpath.normpath(posixpath.join(folder, rel))
    if path == ".." or path.startswith("../"):
        return None
    return "" if path == "." else path


@functools.lru_cache(maxsize=16384)  # pure; lists and feeds ask it again and again
def relative(from_path: str, to_path: str) -> str:
    """Percent-encoded link from the page at site path `from_path` to the file `to_path`."""
    fragment = ""
    if "#" in to_path:
        to_path, fragment = to_path.split("#", 1)
        fragment = "#" + fragment
    start = folder_of(from_path) or "."
    target = to_path or from_path
    if ".." in target or ".." in start or target.startswith("/") or start.startswith("/"):
        rel = posixpath.relpath(target, start)
    else:
        rel = _relpath(target, start)
    return _quoted(rel) + fragment


@functools.lru_cache(maxsize=16384)  # pages at one depth link the same "../../tags/x/index.html"
def _quoted(rel: str) -> str:
    """`rel` percent-encoded as a link's path."""
    return rel if _UNQUOTED.fullmatch(rel) else quote(rel, safe="/")


def linker(from_path: str) -> Callable[[str], str]:
    """`relative(from_path, to_path)` as a function of `to_path`: the `link` of templates. A
    page links mostly to files outside its own top folder (the home page, the feeds, style
    sheets), and such a link is the way up from the page's folder to the root, then the file's
    path; it is made so at once (relative's cache cannot help: every page's links are its own,
    30,000 of them from a cold build's 2,500 pages)."""
    start = folder_of(from_path)
    if start and not _PLAIN.fullmatch(start):
        return functools.partial(relative, from_path)
    top = start.partition("/")[0]
    up = "../" * (start.count("/") + 1) if start else ""

    def link(to_path: str) -> str:
        if to_path.partition("/")[0] != top and _PLAIN.fullmatch(to_path):
            return up + _quoted(to_path)
        return relative(from_path, to_path)

    return link


def folder_linker(from_path: str, folder: str) -> Callable[[str], str]:
    """`relative(from_path, to_path)` for files of site folder `folder` ("" = the root), its
    folder part worked out once: an image's variants, shown on thousands of pages, share one."""
    prefix = relative(from_path, posixpath.join(folder, "index.html")).removesuffix("index.html")

    def link(to_path: str) -> str:
        at, _, name = to_path.rpartition("/")
        if at != folder or "#" in name:
            return relative(from_path, to_path)
        return prefix + _quoted(name)

    return link


def _relpath(target: str, start: str) -> str:
    """posixpath.relpath for two paths under one root with no `..` (a few times faster: it
    needs neither the working folder nor normalisation; lists link thousands of images)."""
    to = [part for part in target.split("/") if part not in ("", ".")]
    at = [part for part in start.split("/") if part not in ("", ".")]
    common = 0
    while common < min(len(to), len(at)) and to[common] == at[common]:
        common += 1
    return "/".join([".."] * (len(at) - common) + to[common:]) or "."


@functools.lru_cache(maxsize=16384)  # pure; lists and feeds ask it again and again
def absolute(base_url: str, path: str) -> str:
    """The absolute URL of site path `path`; ".../index.html" becomes its folder URL."""
    if path == "index.html" or path.endswith("/index.html"):
        path = path[: -len("index.html")]
    root, quoted = base_url.rstrip("/") + "/", quote(path, safe="/")
    if _joins_plainly(root) and not quoted.startswith("/") and "/." not in "/" + quoted:
        return root + quoted  # what urljoin gives, 20 times faster: thousands a build
    return urljoin(root, quoted)


@functools.lru_cache(maxsize=64)
def _joins_plainly(root: str) -> bool:
    """True when urljoin(root, rel) is root + rel for a relative `rel` without `.` segments:
    `root` is a base URL ending in "/" with no dot segments, query or fragment."""
    return urljoin(root, "a/b") == root + "a/b"


def is_external(url: str) -> bool:
    """True for URLs with a scheme, protocol-relative URLs and same-page fragments."""
    return bool(_ABSOLUTE.match(url))


def relative_links(html: str, from_path: str, base_url: str) -> str:
    """`html` of the page at `from_path` with its links to this site made relative file links.

    Hugo-style content links name a page's folder from the site root (`/posts/b/`, also with
    base_url's path in front: `/blog/posts/b/`) or relatively (`../b/`); they break under a
    sub-path or from file://. Such links become relative and name the file
    (`../b/index.html#top`). Links to files relative to the page, and external links, stay.
    """
    base_path = urlsplit(base_url).path.rstrip("/")

    def one(url: str) -> str:
        if not url or is_external(url):
            return url
        parts = urlsplit(url)
        path = unquote(parts.path)
        if path.startswith("/"):
            if base_path and (path + "/").startswith(base_path + "/"):
                path = path[len(base_path):]
            target = path.lstrip("/")
        elif path.endswith("/") or posixpath.basename(path) in (".", ".."):
            target = posixpath.normpath(posixpath.join(folder_of(from_path), path))
            if target.startswith(".."):
                return url
            target = "" if target == "." else target + "/"
        else:
            return url
        if target == "" or target.endswith("/"):
            target += "index.html"
        query = f"?{parts.query}" if parts.query else ""
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        return relative(from_path, target) + query + fragment

    return LINK_ATTR.sub(lambda m: m.group(1) + one(m.group(2)) + m.group(3), html)
