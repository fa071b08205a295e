"""What a post page shows around its body: reading time, table of contents and share links.

Reading time counts the words of the rendered body at WORDS_PER_MINUTE and adds time for each
image, as Medium does (12 s for the first, one second less for each next, 3 s from the tenth on),
since a gallery is read by looking. The table of contents lists the body's h2/h3 headings (their
ids come from the Markdown renderer). Share links are plain links to each service's share page:
nothing is loaded from it, and it learns of the post only when a reader clicks.
"""

from __future__ import annotations

import html as htmlmod
import re
from math import ceil
from typing import Any
from urllib.parse import quote

from generator.site.i18n import Strings

WORDS_PER_MINUTE = 230
TOC_MIN_HEADINGS = 3  # fewer headings than this: the post is short enough to need no contents
_TAG = re.compile(r"<[^>]+>")
_IMAGE = re.compile(r"<img\b")
_HEADING = re.compile(r'<h([23]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
_SHARE_TARGETS = (  # (name, URL template): {url} and {title} are filled in URL-encoded
    ("Telegram", "https://t.me/share/url?url={url}&text={title}"),
    ("VK", "https://vk.com/share.php?url={url}&title={title}"),
    ("X", "https://x.com/intent/post?url={url}&text={title}"),
    ("Facebook", "https://www.facebook.com/sharer/sharer.php?u={url}"),
    ("Reddit", "https://www.reddit.com/submit?url={url}&title={title}"),
)


def reading_minutes(body_html: str) -> int:
    """Minutes to read a rendered body (at least 1): its words, plus a look at each image."""
    words = len(htmlmod.unescape(_TAG.sub(" ", body_html)).split())
    images = len(_IMAGE.findall(body_html))
    image_seconds = sum(max(12 - index, 3) for index in range(images))
    return max(1, ceil(words / WORDS_PER_MINUTE + image_seconds / 60))


def reading_time(body_html: str, strings: Strings) -> str:
    """"N min read" in the site's language."""
    return str(strings["reading_time"]).replace("{minutes}", str(reading_minutes(body_html)))


def table_of_contents(body_html: str) -> list[dict[str, Any]]:
    """The body's h2 and h3 headings ({level, id, text}), or [] when there are too few."""
    headings = [{"level": int(level), "id": ident,
                 "text": " ".join(htmlmod.unescape(_TAG.sub("", inner)).split())}
                for level, ident, inner in _HEADING.findall(body_html)]
    return headings if len(headings) >= TOC_MIN_HEADINGS else []


def share_links(url: str, title: str, strings: Strings) -> list[dict[str, str]]:
    """Links that share the post at absolute `url` ({name, href}), e-mail last."""
    fill = {"url": quote(url, safe=""), "title": quote(title, safe="")}
    links = [{"name": name, "href": template.format(**fill)} for name, template in _SHARE_TARGETS]
    links.append({"name": str(strings["share_email"]),
                  "href": f"mailto:?subject={fill['title']}&body={fill['url']}"})
    return links
