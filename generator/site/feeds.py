"""RSS 2.0 feed and sitemap.xml, with absolute URLs built from base_url.

Post HTML goes into the feed with its relative links made absolute (feed readers show it away
from the site), escaped as XML text.
"""

from __future__ import annotations

import functools
import hashlib
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import urljoin, urlsplit

from generator.settings import SiteSettings
from generator.site.urls import LINK_ATTR, absolute, is_external

_SRCSET_ATTR = re.compile(r'(\ssrcset=")([^"]*)(")')
# a relative path with no scheme, query, fragment, parameters (urljoin drops an empty ";"),
# backslash, space or control character (which urljoin would strip); dot segments checked apart
_PLAIN_PATH = re.compile(r"[^/:;?#\\\x00-\x20\x7f][^:;?#\\\x00-\x20\x7f]*")
# characters XML 1.0 forbids (C0 controls but tab/newline/CR, surrogates, U+FFFE/U+FFFF)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape(text: str) -> str:
    """`text` as XML character data: escaped, characters XML cannot hold dropped."""
    # xml.sax.saxutils.escape's three replacements, without importing urllib.request for them
    return _NOT_XML.sub("", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attribute(text: str) -> str:
    """`text` as the value of a double-quoted XML attribute."""
    return escape(text).replace('"', "&quot;")


@dataclass(frozen=True)
class FeedItem:
    """One post in the feed."""

    title: str
    path: str  # site path of the post page
    date: datetime | None
    html: str  # the post's HTML, links relative to the post page
    categories: tuple[str, ...] = ()


def items_digest(items: Sequence[FeedItem], known: dict[FeedItem, bytes]) -> str:
    """SHA-256 of every field of `items`: what a feed is made from, for its fingerprint, without
    a repr of every post's HTML (eight feeds of 1,000 posts were 13 MB of repr in each rebuild).
    `known`: each item's own digest, kept by the caller for the other feeds showing it."""
    digest = hashlib.sha256()
    for item in items:
        one = known.get(item)
        if one is None:
            html = item.html.encode("utf-8", "surrogatepass")
            fields = {name: value for name, value in vars(item).items() if name != "html"}
            one = known[item] = hashlib.sha256(
                repr((fields, len(html))).encode("utf-8", "surrogatepass") + html).digest()
        digest.update(one)
    return digest.hexdigest()


@dataclass(frozen=True)
class SitemapEntry:
    path: str
    lastmod: datetime | None = None


def absolutize(html: str, page_url: str) -> str:
    """`html` with every relative href/src/srcset URL resolved against `page_url`."""
    base = urlsplit(page_url)
    folder = base.path[: base.path.rfind("/") + 1]
    # the short way only from an http(s) folder urljoin would not normalise (no empty or dot
    # segments); else urljoin resolves every URL
    clean = folder and not any(part in folder for part in ("//", "/./", "/../"))
    origin = f"{base.scheme}://{base.netloc}"
    folder_url = (origin + folder
                  if base.scheme in ("http", "https") and base.netloc and clean else None)

    def one(url: str) -> str:
        if not url or (is_external(url) and not url.startswith("#")):
            return url
        if folder_url and _PLAIN_PATH.fullmatch(url) and "//" not in url:
            # what urljoin gives, a few times faster (feeds of 1,000 posts)
            if "/." not in f"/{url}":
                return folder_url + url
            return origin + _without_dot_segments(folder + url)  # links to other posts: ../
        return urljoin(page_url, url)

    def attr(match: re.Match[str]) -> str:
        return match.group(1) + one(match.group(2)) + match.group(3)

    def srcset(match: re.Match[str]) -> str:
        candidates = []
        for candidate in match.group(2).split(","):
            url, _, descriptor = candidate.strip().partition(" ")
            candidates.append(f"{one(url)} {descriptor}".strip())
        return match.group(1) + ", ".join(candidates) + match.group(3)

    return _SRCSET_ATTR.sub(srcset, LINK_ATTR.sub(attr, html))


def _without_dot_segments(path: str) -> str:
    """An absolute URL path with its `.` and `..` segments resolved as RFC 3986 does (a `..`
    above the root is dropped; a path ending in a folder or a dot segment keeps its "/")."""
    resolved = posixpath.normpath(path)
    last = path.rpartition("/")[2]
    if (path.endswith("/") or last in (".", "..")) and resolved != "/":
        resolved += "/"
    return resolved


def rss(settings: SiteSettings, items: Sequence[FeedItem], *, feed_path: str = "index.xml",
        limit: int | None = None, title: str | None = None) -> str:
    """An RSS 2.0 document of the newest `limit` items, or all (already sorted newest first);
    `title`: of the feed (default: the site's), its link the folder of `feed_path`."""
    home = absolute(settings.base_url, feed_path.replace("index.xml", "index.html"))
    newest = next((i.date for i in items if i.date is not None), None)
    head = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">',
        "<channel>",
        f"<title>{escape(title or settings.title)}</title>",
        f"<link>{escape(home)}</link>",
        f"<description>{escape(settings.description or settings.title)}</description>",
        f"<language>{escape(settings.language)}</language>",
        f'<atom:link href="{escape_attribute(absolute(settings.base_url, feed_path))}" rel="self" '
        'type="application/rss+xml"/>',
    ]
    if newest is not None:
        head.append(f"<lastBuildDate>{format_datetime(newest)}</lastBuildDate>")
    body = [_rss_item(settings.base_url, item, item.date and item.date.isoformat())
            for item in items[:limit]]
    return "\n".join([*head, *body, "</channel>", "</rss>", ""])


@functools.lru_cache(maxsize=4096)  # a post is in several feeds (home, section, its terms)
def _rss_item(base_url: str, item: FeedItem, written_date: str | None) -> str:
    """One post of a feed. `written_date`: the date as written, with its UTC offset, which
    the item's own equality ignores (12:00Z equals 15:00+03:00) but its pubDate shows."""
    url = absolute(base_url, item.path)
    parts = [
        "<item>",
        f"<title>{escape(item.title)}</title>",
        f"<link>{escape(url)}</link>",
        f'<guid isPermaLink="true">{escape(url)}</guid>',
    ]
    if item.date is not None:
        parts.append(f"<pubDate>{format_datetime(item.date)}</pubDate>")
    parts += [f"<category>{escape(c)}</category>" for c in item.categories]
    parts.append(f"<description>{escape(absolutize(item.html, url))}</description>")
    parts.append("</item>")
    return "\n".join(parts)



def sitemap(settings: SiteSettings, entries: Sequence[SitemapEntry]) -> str:
    """A sitemaps.org urlset of every page."""
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for entry in entries:
        lines.append("<url>")
        lines.append(f"<loc>{escape(absolute(settings.base_url, entry.path))}</loc>")
        if entry.lastmod is not None:
            lines.append(f"<lastmod>{entry.lastmod.isoformat()}</lastmod>")
        lines.append("</url>")
    lines += ["</urlset>", ""]
    return "\n".join(lines)
