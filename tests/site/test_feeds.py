"""The RSS feed stays well-formed XML whatever the settings hold (`build` needs no manifest, so
base_url may come unvalidated)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urljoin
from xml.etree import ElementTree

import pytest

from generator.settings import SiteSettings
from generator.site import feeds
from generator.site.feeds import FeedItem, absolutize, rss
from generator.site.urls import is_external


def test_quotes_and_ampersands_in_base_url_are_escaped_in_attributes_and_text() -> None:
    settings = SiteSettings(title='A "quoted" & <odd> title',
                            base_url='https://example.org/a"b&c<d>/')
    item = FeedItem("Post", "2021/post/index.html", datetime(2021, 3, 30, tzinfo=UTC),
                    '<p><a href="../other/">x</a></p>')
    feed = ElementTree.fromstring(rss(settings, [item]))
    self_link = feed.find("channel/{http://www.w3.org/2005/Atom}link")
    assert self_link is not None
    assert self_link.get("href") == 'https://example.org/a"b&c<d>/index.xml'
    assert feed.findtext("channel/title") == settings.title
    assert feed.findtext("channel/item/link") == 'https://example.org/a"b&c<d>/2021/post/'


def test_a_posts_relative_links_and_srcset_are_absolute_in_the_feed() -> None:
    """Feed readers show a post away from the site: each relative URL must name the site."""
    html = ('<a href="../other/">o</a><a href="#note">n</a><a href="https://x.org/">x</a>'
            '<a href="mailto:a@b.c">m</a><a href="">e</a>'
            '<img src="images/a.webp" srcset="images/a-320.webp 320w, images/a-640.webp 640w">')
    assert absolutize(html, "https://example.org/2021/post/") == (
        '<a href="https://example.org/2021/other/">o</a>'
        '<a href="https://example.org/2021/post/#note">n</a><a href="https://x.org/">x</a>'
        '<a href="mailto:a@b.c">m</a><a href="">e</a>'
        '<img src="https://example.org/2021/post/images/a.webp" '
        'srcset="https://example.org/2021/post/images/a-320.webp 320w, '
        'https://example.org/2021/post/images/a-640.webp 640w">')


@pytest.mark.parametrize("page_url", [
    "https://example.org/2021/post/", "https://example.org/a/b.html", "https://example.org/",
    "https://example.org", "http://example.org/blog/posts/x/?q=1", "http://example.org/x/?q=a/b",
    "https://example.org/a/b.html#part/two", "https://example.org/a//b/",
    "https://example.org/a/../b/", "https://example.org/a/./b/c.html", "ftp://example.org/a/",
    "foo://example.org/a/"])
def test_relative_urls_in_a_feed_are_resolved_as_urljoin_resolves_them(
        page_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain relative paths take a short way (a feed of 1,000 posts resolves 10,000 URLs): the
    answer must be urljoin's for every kind of URL."""
    urls = ["images/a.png", "a.png", "a//b.png", "images/../a.png", "./a.png", "../a.png",
            ".hidden/a.png", "a/.", "a/..", " a.png", "a\tb.png", "a%20b.png", "я/ж.png",
            "a.png?x=1", "a.png#top", "#top", "?q", "a:b", "b/c:d.png", "a.png;", "a/b;",
            "a;b;", "a\\b.png", "//cdn/x.png", "/abs/a.png", "mailto:x@example.org",
            "data:image/png;base64,AAAA", "../../../../x.png", "../../b/index.html",
            "a/./b.png", "..", ".", "./", "../", "a/../../b/", "a/b/..", "../x/.."]
    joined: list[str] = []
    monkeypatch.setattr(feeds, "urljoin",
                        lambda base, url: joined.append(url) or urljoin(base, url))
    for url in urls:
        html = f'<a href="{url}">x</a>'
        kept = is_external(url) and not url.startswith("#")  # what absolutize always did
        expected = url if kept else urljoin(page_url, url)
        assert absolutize(html, page_url) == f'<a href="{expected}">x</a>', url
    if page_url in SHORT_WAY:  # from a clean folder URL, plain paths take the short way
        assert "images/a.png" not in joined and "../a.png" not in joined


SHORT_WAY = {"https://example.org/2021/post/", "https://example.org/a/b.html",
             "https://example.org/", "http://example.org/blog/posts/x/?q=1",
             "http://example.org/x/?q=a/b", "https://example.org/a/b.html#part/two"}


def test_items_digest_tells_every_field_of_every_item_apart() -> None:
    """A feed is rendered again when its digest changes: any field of any item, the order of the
    items and where one post's HTML ends and the next begins all change it; equal items do not,
    and each post is digested once however many feeds show it."""
    date = datetime(2021, 1, 1, tzinfo=UTC)
    first = FeedItem("Title", "posts/a/index.html", date, "<p>ab</p>", ("news",))
    second = FeedItem("Other", "posts/b/index.html", None, "c")
    known: dict[FeedItem, bytes] = {}
    digest = feeds.items_digest([first, second], known)
    assert feeds.items_digest([FeedItem(*vars(first).values()), second], {}) == digest
    assert len(known) == 2
    changed = [replace(first, title="Title!"), replace(first, path="posts/c/index.html"),
               replace(first, date=datetime(2021, 1, 2, tzinfo=UTC)), replace(first, date=None),
               replace(first, html="<p>ab!</p>"), replace(first, categories=())]
    for item in changed:
        assert feeds.items_digest([item, second], known) != digest, item
    assert feeds.items_digest([second, first], known) != digest
    assert feeds.items_digest([replace(first, html="<p>a"), replace(second, html="b</p>c")],
                              known) != digest
