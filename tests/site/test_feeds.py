"""The RSS feed stays well-formed XML whatever the settings hold (`build` needs no manifest, so
base_url may come unvalidated)."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree

from generator.settings import SiteSettings
from generator.site.feeds import FeedItem, absolutize, rss


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
