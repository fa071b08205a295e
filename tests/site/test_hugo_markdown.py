"""Markdown as Hugo renders it: tables, code, emoji, raw HTML; measured against the Hugo binary.

tests/data/hugo_markdown.md holds the hugoBasicExample's tables (rows indented as there), fenced
code with Hugo's attributes, the highlight and details shortcodes and emoji shortcodes.
"""

from __future__ import annotations

import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.site.builtin_shortcodes import BuiltinShortcodes
from generator.site.markdown import MarkdownOptions, render_markdown
from generator.site.shortcodes import Caption, ShortcodeCall, ThemeShortcodes
from tests.site.helpers import THEME
from tests.site.test_hugo_parity import hugo_binary

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "hugo_markdown.md"
SOURCE = Path("content/p.md")
HUGO_CONFIG = """\
baseURL = "https://example.org/"
enableEmoji = true
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "home", "section", "404"]
[markup.highlight]
noClasses = false
"""
STRUCTURE = {"table", "thead", "tbody", "tr", "th", "td", "pre", "code", "details", "summary",
             "p", "em", "strong", "h2", "h4"}
CHROMA = {"highlight", "chroma", "line", "hl", "ln", "lnt", "lntable", "lntd"}
INDENTED_TABLE = "   Name | Age\n--------|------\n    Bob | 27\n  Alice | 23\n"


class _Structure(HTMLParser):
    """Elements that carry meaning (with Chroma's layout classes and styles) and text, in order;
    Pygments' and Chroma's token spans differ and are left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = [c for c in (found.get("class") or "").split()
                   if c in CHROMA or c.startswith("language-")]
        if tag in STRUCTURE or classes:
            extra = "".join(f" {k}={found[k]}" for k in ("style", "data-lang", "open")
                            if k in found)
            self.items.append(f"<{tag} {' '.join(classes)}{extra}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in STRUCTURE:
            self.items.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if data.split():
            self.items.append(" ".join(data.split()))


def structure(html: str) -> list[str]:
    parser = _Structure()
    parser.feed(html)
    return parser.items


def render(text: str, **options: bool) -> str:
    builtins, theme = BuiltinShortcodes(SOURCE, {}, {}), ThemeShortcodes(THEME)

    def handler(call: ShortcodeCall, caption: Caption | None) -> str:
        return builtins(call) if builtins.handles(call.name) else theme(call, caption)

    return render_markdown(text, source=SOURCE, first_line=4, shortcodes=handler,
                           options=MarkdownOptions(**options)).html


@pytest.fixture(scope="module")
def hugo_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    site = tmp_path_factory.mktemp("hugo-markdown")
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "layouts" / "_default" / "single.html").write_text("{{ .Content }}")
    (site / "content").mkdir()
    (site / "content" / "p.md").write_text("---\ntitle: p\n---\n" + SAMPLE.read_text("utf-8"),
                                           encoding="utf-8")
    (site / "hugo.toml").write_text(HUGO_CONFIG)
    subprocess.run([str(hugo_binary()), "--quiet", "--source", str(site), "--destination",
                    str(site / "public")], check=True, capture_output=True, timeout=120)
    return (site / "public" / "p" / "index.html").read_text(encoding="utf-8")


def test_sample_renders_with_hugos_structure(hugo_html: str) -> None:
    ours = render(SAMPLE.read_text(encoding="utf-8"), enable_emoji=True)
    assert structure(ours) == structure(hugo_html)
    assert structure(ours).count("<table >") == 3
    assert structure(ours).count("<table lntable>") == 2  # line numbers in a table


def test_table_rows_indented_four_spaces_stay_in_the_table() -> None:
    out = render(INDENTED_TABLE)
    assert "<pre" not in out and out.count("<tr>") == 3
    assert " ".join(structure(out)).endswith(
        "<tr > <td > Alice </td> <td > 23 </td> </tr> </tbody> </table>")


def test_table_alignment_is_written_as_goldmark_writes_it() -> None:
    out = render("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n")
    assert '<td style="text-align: left">1</td>' in out
    assert '<td style="text-align: center">2</td>' in out
    assert '<td style="text-align: right">3</td>' in out


def test_an_indented_block_before_a_table_is_still_code() -> None:
    out = render("    Name | Age\n    -----|----\n")
    assert out.startswith("<pre") and "<table" not in out


def test_emoji_only_when_the_site_enables_them() -> None:
    text = "Hi :smile: `:smile:` :nope:\n"
    assert render(text) == "<p>Hi :smile: <code>:smile:</code> :nope:</p>\n"
    assert render(text, enable_emoji=True) == (
        "<p>Hi \U0001f604 <code>:smile:</code> :nope:</p>\n")


def test_raw_html_is_omitted_when_unsafe_is_off() -> None:
    text = "<div>raw</div>\n\nInline <b>x</b> here.\n"
    assert render(text) == "<div>raw</div>\n<p>Inline <b>x</b> here.</p>\n"
    assert render(text, unsafe_html=False) == (  # goldmark's words, as Hugo prints them
        "<!-- raw HTML omitted -->\n"
        "<p>Inline <!-- raw HTML omitted -->x<!-- raw HTML omitted --> here.</p>\n")
    assert "<details>" in render("{{< details >}}\nx\n{{< /details >}}\n", unsafe_html=False)


def test_heading_ids_are_kept() -> None:
    assert render("## Code Blocks\n") == '<h2 id="code-blocks">Code Blocks</h2>\n'
