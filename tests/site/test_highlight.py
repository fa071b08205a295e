"""Code highlighting: fenced code and the highlight shortcode print as Hugo's Chroma does."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from generator.errors import BuildError
from generator.settings import SiteSettings
from generator.site.build import build_site
from generator.site.builtin_shortcodes import BuiltinShortcodes
from generator.site.highlight import (
    CodeOptionError,
    fence_options,
    highlight_code,
    shortcode_options,
    stylesheet,
)
from generator.site.markdown import render_markdown
from generator.site.shortcodes import Caption, ShortcodeCall, ShortcodeError
from tests.site.helpers import write_post

THEME = Path(__file__).resolve().parents[2] / "theme"
SOURCE = Path("content/posts/p/index.md")


def render(text: str) -> str:
    builtins = BuiltinShortcodes(SOURCE, {}, {})

    def handler(call: ShortcodeCall, caption: Caption | None) -> str:
        return builtins(call)

    return render_markdown(text, source=SOURCE, first_line=5, shortcodes=handler).html


def marked_lines(code_html: str) -> list[int]:
    """1-based numbers of the code lines marked `hl`."""
    lines = re.findall(r'<span class="line( hl)?">', code_html)
    return [number for number, mark in enumerate(lines, start=1) if mark]


def test_fenced_code_gets_chroma_classes_and_language() -> None:
    out = render("```python\ndef f():\n    return 1\n```\n")
    assert out.startswith('<div class="highlight"><pre tabindex="0" class="chroma">'
                           '<code class="language-python" data-lang="python">')
    assert '<span class="k">def</span>' in out and '<span class="nf">f</span>' in out
    assert out.count('<span class="line">') == 2


def test_fence_attributes_number_and_mark_lines() -> None:
    out = render('```go {linenos=true,hl_lines=[2,"4-5"]}\na\nb\nc\nd\ne\n```\n')
    assert '<table class="lntable">' in out
    assert re.findall(r'class="lnt">(\d+)', out) == ["1", "2", "3", "4", "5"]
    assert marked_lines(out) == [2, 4, 5]
    inline = render("```go {linenos=inline, hl_lines=[1], linenostart=7}\na\nb\n```\n")
    assert "lntable" not in inline
    assert re.findall(r'<span class="ln">(\d+)</span>', inline) == ["7", "8"]
    assert marked_lines(inline) == [1]


def test_unknown_or_missing_language_is_plain_and_escaped() -> None:
    assert render("```nosuchlang\na < b\n```\n") == (
        '<pre tabindex="0"><code class="language-nosuchlang" data-lang="nosuchlang">'
        "a &lt; b\n</code></pre>\n")
    assert render("```\n<b>\n```\n") == '<pre tabindex="0"><code>&lt;b&gt;\n</code></pre>\n'


def test_code_text_survives_highlighting() -> None:
    code = 'x = "<tag> & \'quote\'"\n\n  indented = 2\n'
    code_html = highlight_code(code, "python").split("<code", 1)[1].split(">", 1)[1]
    assert html.unescape(re.sub(r"<[^>]+>", "", code_html.rstrip("\n"))) == code


def test_bad_fence_option_is_a_problem_at_its_line() -> None:
    with pytest.raises(BuildError) as error:
        render("Text.\n\n```go {linenos=sometimes}\nx\n```\n")
    (problem,) = error.value.problems
    assert (problem.file, problem.line) == (SOURCE, 7)
    assert "linenos 'sometimes'" in problem.message and problem.hint


@pytest.mark.parametrize("text", ["hl_lines=[x]", "linenostart=-1", "colour=red"])
def test_bad_options_say_what_to_write(text: str) -> None:
    with pytest.raises(CodeOptionError) as error:
        fence_options(text)
    assert error.value.hint


def test_highlight_shortcode_takes_hugos_options() -> None:
    out = render('{{< highlight python "linenos=table,hl_lines=2 3-3" >}}\na = 1\nb = 2\n'
                  "c = 3\n{{< /highlight >}}\n")
    assert 'data-lang="python"' in out and '<table class="lntable">' in out
    assert marked_lines(out) == [2, 3]
    assert shortcode_options("linenos=inline,linenostart=3").linenostart == 3


def test_highlight_shortcode_errors_name_the_line() -> None:
    with pytest.raises(BuildError) as error:
        render('Text.\n\n{{< highlight go "linenos" >}}\nx\n{{< /highlight >}}\n')
    assert error.value.problems[0].line == 7
    builtins = BuiltinShortcodes(SOURCE, {}, {})
    with pytest.raises(ShortcodeError, match="between tags"):
        builtins(ShortcodeCall("highlight", {"0": "go"}, 3))


def test_theme_stylesheet_is_the_generated_one_with_dark_colours() -> None:
    css = (THEME / "static" / "syntax.css").read_text(encoding="utf-8")
    assert css == stylesheet()  # regenerate: python -c "...highlight import stylesheet..."
    light, dark = css.split("@media (prefers-color-scheme: dark)")
    for part in (light, dark):
        assert ".chroma .k {" in part and ".chroma .hl {" in part
    assert re.search(r"\.chroma \.k \{ color: (#\w+)", light)[1] != re.search(
        r"\.chroma \.k \{ color: (#\w+)", dark)[1]


def test_pages_link_the_stylesheet_and_the_site_has_it(tmp_path: Path) -> None:
    write_post(tmp_path / "content", "p", title="P", date="2021-01-01T00:00:00Z",
               body="```python\nx = 1\n```\n")
    site = tmp_path / "site"
    build_site(tmp_path / "content", site, SiteSettings(), theme_dir=THEME,
               cache_dir=tmp_path / ".cache")
    page = next(site.rglob("p/index.html"))
    link = re.search(r'<link rel="stylesheet" href="([^"]*syntax\.css)"', page.read_text("utf-8"))
    assert link and (page.parent / link[1]).resolve().read_text("utf-8") == stylesheet()


def test_any_line_range_and_hugos_other_options_are_accepted() -> None:
    options = fence_options('hl_lines=["1-999999999"],lineNumbersInTable=false,style=monokai')
    assert options.marked_lines(3) == [True, True, True]
    assert fence_options('hl_lines=["0-1", 3, "5-2"]').marked_lines(4) == [True, False, True, False]
    assert marked_lines(highlight_code("a\nb\n", "go", options)) == [1, 2]


def test_fence_classes_go_on_the_outer_div_as_in_hugo() -> None:
    assert render("```go {.wide .dark linenos=true}\nx\n```\n").startswith(
        '<div class="highlight wide dark"><div class="chroma">')
