"""The RSS feed stays well-formed XML whatever the settings hold (`build` needs no manifest, so
base_url may come unvalidated)."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree

from generator.settings import SiteSettings
from generator.site.feeds import FeedItem, rss


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
