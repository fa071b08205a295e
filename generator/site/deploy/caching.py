"""Content-Type and Cache-Control of a published file, by its name.

Pages, feeds and other documents change in place: browsers and CDNs recheck them after five
minutes. Files whose name carries a content hash (Hugo's `_hu<hash>` resources, `name.<hash>.css`)
never change under that name: a year, immutable. Other assets (images, CSS, fonts) keep their name
when they change, so a day.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import PurePosixPath

from generator.addresses import FEED

SHORT = "public, max-age=300, must-revalidate"
DAY = "public, max-age=86400"
IMMUTABLE = "public, max-age=31536000, immutable"
DOCUMENTS = {".html", ".htm", ".xml", ".txt", ".json", ".webmanifest", ""}
HASHED = re.compile(r"(?:_hu[0-9a-f]{16,}|[._-][0-9a-f]{16,})(?=[._-]|$)")
TYPES = {
    ".html": "text/html", ".htm": "text/html", ".css": "text/css",
    ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json",
    ".xml": "application/xml", ".txt": "text/plain", ".svg": "image/svg+xml",
    ".webp": "image/webp", ".avif": "image/avif", ".png": "image/png", ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg", ".gif": "image/gif", ".ico": "image/x-icon", ".woff2": "font/woff2",
    ".woff": "font/woff", ".webmanifest": "application/manifest+json",
}
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/rss+xml",
              "image/svg+xml", "application/manifest+json")


def content_type(key: str) -> str:
    """The file's media type (with `charset=utf-8` for text); `index.xml` is an RSS feed."""
    path = PurePosixPath(key)
    if path.name == FEED:
        kind = "application/rss+xml"
    else:
        kind = (TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
                or "application/octet-stream")
    return f"{kind}; charset=utf-8" if kind.startswith(TEXT_TYPES) else kind


def cache_control(key: str) -> str:
    """How long browsers and CDNs may keep the file without asking again."""
    path = PurePosixPath(key)
    if HASHED.search(path.stem):
        return IMMUTABLE
    return SHORT if path.suffix.lower() in DOCUMENTS else DAY
