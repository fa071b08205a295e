"""Reading time, table of contents and share links of a post page (generator/site/reading.py)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from generator.site.reading import reading_minutes, reading_time, share_links, table_of_contents

STRINGS = {"reading_time": "{minutes} мин чтения", "share_email": "Почта"}


def test_reading_time_counts_words_and_a_look_at_each_image() -> None:
    assert reading_minutes("<p>" + "слово " * 230 + "</p>") == 1
    assert reading_minutes("<p>" + "word " * 1000 + "</p>") == 5  # 4.3 minutes, rounded up
    gallery = '<figure><img src="a.webp" alt="x"></figure>' * 58
    assert reading_minutes(gallery) == 4  # 12 + 11 + ... + 4 s, then 3 s for each of 49 more
    assert reading_minutes("") == 1
    assert reading_time("<p>text</p>", STRINGS) == "1 мин чтения"


def test_table_of_contents_lists_h2_and_h3_only_for_long_posts() -> None:
    body = ('<h2 id="one">One &amp; <em>only</em></h2><p>x</p><h3 id="two">Two</h3>'
            '<h4 id="deep">Deep</h4><h2 class="footnotes-heading">Notes</h2>')
    assert table_of_contents(body) == []  # two headings: short enough without contents
    body += '<h2 id="three">Three</h2>'
    assert table_of_contents(body) == [{"level": 2, "id": "one", "text": "One & only"},
                                       {"level": 3, "id": "two", "text": "Two"},
                                       {"level": 2, "id": "three", "text": "Three"}]


def test_share_links_are_plain_links_carrying_only_the_address_and_title() -> None:
    url, title = "https://example.org/2021/пост/?a=1&b=2", "Пост & co"
    links = share_links(url, title, STRINGS)
    assert [link["name"] for link in links] == ["Telegram", "VK", "X", "Facebook", "Reddit",
                                                "Почта"]
    for link in links:
        parts = urlsplit(link["href"])
        assert parts.scheme in ("https", "mailto")
        values = [v for vs in parse_qs(parts.query).values() for v in vs]
        assert url in values  # the whole address, encoded so it arrives intact
        assert set(values) <= {url, title}  # nothing else: no tracking parameters
