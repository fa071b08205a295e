"""The addresses the site generates itself, which no page of the author may take.

The site side writes its home page, feed, sitemap, 404 page, paginated lists, taxonomy lists and
the theme's static files at the names below; the gallery side refuses a post `url`, alias or
slug that lands on one of them, so `check` finds the clash before `write` puts the post in
content/. Both sides take the names from here. Site paths are POSIX paths of files relative to
the site root, as `generator.site.urls.clean_path` makes them ("2021/post/index.html").
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path, PurePosixPath

HOME = "index.html"
FEED = "index.xml"
SITEMAP = "sitemap.xml"
NOT_FOUND = "404.html"
PAGER = "page"  # page N of a list lives at <list>/page/N/
TAXONOMIES = ("categories", "tags")  # each with its own list pages under /<taxonomy>/
POSTS_SECTION = "posts"  # the section the gallery writes its posts into (content/posts/)

PAGE_SUFFIXES = (".html", ".htm", ".xml")  # a url ending in these names a file, not a folder

_FIXED = {HOME: "the home page", FEED: "the RSS feed", SITEMAP: "the sitemap",
          NOT_FOUND: "the 404 page", f"{POSTS_SECTION}/{HOME}": "the list of posts"}


def url_file(url: str) -> str:
    """The site path of the file a page `url` or alias names, which must not leave the site:
    "/2021/post" and "/2021/post/" -> "2021/post/index.html"; "/about.html" -> "about.html"."""
    parts = [part for part in url.strip().split("/") if part not in ("", ".")]
    if not parts:
        return HOME
    if not url.rstrip().endswith("/") and PurePosixPath(parts[-1]).suffix in PAGE_SUFFIXES:
        return "/".join(parts)
    return "/".join([*parts, HOME])


def theme_static_paths(theme_dir: Path) -> tuple[str, ...]:
    """The site paths of the files in `theme_dir`/static/, a theme's or the site's own (both are
    copied to the site root: static/style.css -> "style.css")."""
    static = theme_dir / "static"
    if not static.is_dir():
        return ()
    return tuple(sorted(file.relative_to(static).as_posix()
                        for file in static.rglob("*") if file.is_file()))


def generated_by_site(path: str, static_paths: Iterable[str] = ()) -> str | None:
    """What generated page or file takes site path `path` (or a folder it needs), else None.
    Compared case-insensitively: case-insensitive file systems and hosts make them one file."""
    folded = path.casefold()
    parts = PurePosixPath(folded).parts
    taken = {**_FIXED, **{static.casefold(): f"the theme's static file /{static}"
                          for static in static_paths}}
    for reserved, what in taken.items():
        if folded == reserved or folded.startswith(f"{reserved}/"):
            return what
    if parts and parts[0] in TAXONOMIES:
        return f"the {parts[0]} lists under /{parts[0]}/"
    if any(part == PAGER and following.isdigit() for part, following in pairwise(parts)):
        return f"the pages of a paginated list (/{PAGER}/N/)"
    return None
