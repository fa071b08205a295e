"""Shortcode tags as Hugo writes them, and theme shortcodes rendered from Jinja2 templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import BuildError
from generator.site.shortcodes import (
    ShortcodeCall,
    ShortcodeError,
    ShortcodeSyntaxError,
    ThemeShortcodes,
    escaped_shortcode,
    find_closing,
    parse_shortcode,
)

THEME = Path(__file__).resolve().parents[2] / "theme"


@pytest.mark.parametrize(
    ("text", "name", "params"),
    [
        ('{{<img src="images/howitworks">}}', "img", {"src": "images/howitworks"}),
        ('{{< img src="a b" alt="x" >}}', "img", {"src": "a b", "alt": "x"}),
        ('{{< img src=`say "hi"` >}}', "img", {"src": 'say "hi"'}),
        ("{{< img src=images/x >}}", "img", {"src": "images/x"}),
        ("{{<img src=images/x>}}", "img", {"src": "images/x"}),
        ('{{< img src="q\\"uote" >}}', "img", {"src": 'q"uote'}),
        ('{{% note title = "T" %}}', "note", {"title": "T"}),
        ("{{< youtube w7Ft2ymGmfc >}}", "youtube", {"0": "w7Ft2ymGmfc"}),
        ('{{< gallery/strip\n  src="a" >}}', "gallery/strip", {"src": "a"}),
        ("{{< toc >}}", "toc", {}),
    ],
)
def test_parse_shortcode_reads_name_and_params(text: str, name: str, params: dict) -> None:
    tag = parse_shortcode(text)
    assert (tag.name, tag.params, tag.end) == (name, params, len(text))
    assert not tag.closing and not tag.self_closing


def test_self_closing_and_closing_tags() -> None:
    assert parse_shortcode('{{< img src="a" />}}').self_closing
    assert parse_shortcode("{{<img src=a/>}}").params == {"src": "a"}
    closing = parse_shortcode("{{< /note >}}")
    assert closing.closing and closing.name == "note"


def test_parse_starts_at_offset() -> None:
    text = 'before {{< x a="1" >}} after'
    tag = parse_shortcode(text, 7)
    assert text[tag.start : tag.end] == '{{< x a="1" >}}'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{{< img src="a >}}', 'unterminated "'),
        ("{{< img src=`a >}}", "unterminated `"),
        ('{{< img src="a"', "never closed"),
        ('{{< img src="a" %}}', "not >}}"),
        ("{{< >}}", "name missing"),
        ('{{< img src="a" b >}}', "mixed"),
        ('{{< img a b="c" >}}', "mixed"),
        ('{{< img a="1" a="2" >}}', "given twice"),
        ('{{< /img src="a" >}}', "closing tag takes no parameters"),
        ('{{< img src="a"alt="b" >}}', "unexpected"),
        ("{{< img src= >}}", "value missing"),
        ("{{< img src=a=b >}}", "unexpected '='"),
    ],
)
def test_malformed_tags_are_errors(text: str, message: str) -> None:
    with pytest.raises(ShortcodeSyntaxError, match=message):
        parse_shortcode(text)


def test_escaped_shortcode_is_shown_literally() -> None:
    assert escaped_shortcode('{{</* img src="a" */>}} x') == ('{{< img src="a" >}}', 23)
    assert escaped_shortcode('{{< img src="a" >}}') is None


def test_find_closing_skips_nested_pairs_of_the_same_name() -> None:
    text = "{{< n >}}a{{< n >}}b{{< /n >}}c{{< /n >}}"
    close = find_closing(text, "n", parse_shortcode(text).end)
    assert close is not None and close.end == len(text)
    assert find_closing("{{< n >}} no close", "n", 9) is None


def call(name: str, line: int = 7, inner: str | None = None, **params: str) -> ShortcodeCall:
    return ShortcodeCall(name, params, line, inner)


def test_youtube_uses_the_privacy_friendly_domain() -> None:
    theme = ThemeShortcodes(THEME)
    html = theme(call("youtube", id="w7Ft2ymGmfc", title="A <b> video"))
    assert "https://www.youtube-nocookie.com/embed/w7Ft2ymGmfc" in html
    assert 'loading="lazy"' in html
    assert "A &lt;b&gt; video" in html  # params are escaped
    assert "youtube-nocookie.com/embed/abc?start=30" in theme(
        ShortcodeCall("youtube", {"0": "abc", "start": "30"}, 1)
    )


def test_youtube_without_id_is_an_error() -> None:
    with pytest.raises(ShortcodeError, match="video id"):
        ThemeShortcodes(THEME)(call("youtube"))


def test_note_wraps_rendered_inner_html() -> None:
    html = ThemeShortcodes(THEME)(call("note", inner="<p><em>x</em></p>", title="Heads up"))
    assert html.startswith('<aside class="note">')
    assert "<p><em>x</em></p>" in html  # inner is HTML already, not escaped again
    assert "Heads up" in html


def test_unknown_shortcode_lists_the_known_ones() -> None:
    with pytest.raises(ShortcodeError) as info:
        ThemeShortcodes(THEME)(call("gallery"))
    assert "unknown shortcode 'gallery'" in info.value.message
    assert "img" in info.value.hint and "youtube" in info.value.hint


def test_template_gets_params_inner_and_page(tmp_path: Path) -> None:
    (tmp_path / "shortcodes").mkdir()
    (tmp_path / "shortcodes" / "hello.html").write_text(
        "<b>{{ params.who }}</b> on {{ page.title }}{% if inner %}: {{ inner }}{% endif %}\n"
    )
    theme = ThemeShortcodes(tmp_path)
    html = theme(call("hello", inner="<i>hi</i>", who="<you>"), page={"title": "Post"})
    assert html == "<b>&lt;you&gt;</b> on Post: <i>hi</i>"
    assert theme.names() == ["hello"]


def test_template_failures_are_reported(tmp_path: Path) -> None:
    (tmp_path / "shortcodes").mkdir()
    (tmp_path / "shortcodes" / "broken.html").write_text("{% if %}")
    (tmp_path / "shortcodes" / "strict.html").write_text("{{ params.missing.deeper }}")
    theme = ThemeShortcodes(tmp_path)
    with pytest.raises(BuildError, match=r"broken\.html:1: template syntax error"):
        theme(call("broken"))
    with pytest.raises(ShortcodeError, match=r"strict\.html failed"):
        theme(call("strict"))
