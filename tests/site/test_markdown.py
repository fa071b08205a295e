"""The Markdown renderer: the seed post as its author meant it, shortcodes, Hugo's typography."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.errors import BuildError
from generator.site.markdown import RenderedMarkdown, plain_text, render_markdown
from generator.site.shortcodes import Caption, ShortcodeCall, ShortcodeError, ThemeShortcodes

ROOT = Path(__file__).resolve().parents[2]
SEED_POST = ROOT / "tests" / "data" / "seed_original.md"  # shared/seeds/000_3a8b3b0e729a99ed.txt
SOURCE = Path("content/posts/p/index.md")


class Recorder:
    """A stub handler: records calls, renders img as a small <figure>, refuses other names."""

    def __init__(self) -> None:
        self.calls: list[tuple[ShortcodeCall, Caption | None]] = []

    def __call__(self, call: ShortcodeCall, caption: Caption | None) -> str:
        self.calls.append((call, caption))
        if call.name == "unknown":
            raise ShortcodeError("unknown shortcode 'unknown'", "known shortcodes: img")
        if call.name == "box":
            return f"<div class=box>{call.inner}</div>"
        figcaption = f"<figcaption>{caption.html}</figcaption>" if caption else ""
        alt = caption.text if caption else ""
        return f'<figure><img src="{call.params.get("src")}" alt="{alt}">{figcaption}</figure>'


def render(text: str, first_line: int = 1) -> tuple[RenderedMarkdown, Recorder]:
    handler = Recorder()
    return render_markdown(text, source=SOURCE, first_line=first_line, shortcodes=handler), handler


def html(text: str) -> str:
    return render(text)[0].html


@pytest.fixture(scope="module")
def seed() -> tuple[Path, str, int]:
    """(path, body, file line of the body's first line) of the seed post."""
    path = SEED_POST
    lines = path.read_text(encoding="utf-8").split("\n")
    closing = lines.index("---", 1)
    return path, "\n".join(lines[closing + 1 :]), closing + 2


@pytest.fixture(scope="module")
def seed_render(seed: tuple[Path, str, int]) -> tuple[RenderedMarkdown, Recorder]:
    _, body, first_line = seed
    return render(body, first_line)


def test_seed_has_sixty_captioned_figures(seed_render) -> None:
    rendered, handler = seed_render
    assert len(handler.calls) == 60
    assert all(call.name == "img" for call, _ in handler.calls)
    captions = [caption for _, caption in handler.calls if caption is not None]
    assert len(captions) == 60
    assert sum("<em><strong>" in c.html for c in captions) == 58
    assert "<center>" not in rendered.html  # the caption line is inside the figure
    assert rendered.html.count("<figcaption>") == 60


def test_seed_caption_markdown_is_rendered(seed_render) -> None:
    rendered, handler = seed_render
    assert "_**" not in rendered.html and "**_" not in rendered.html
    first_game = handler.calls[2][1]
    assert first_game.html == (
        "<em><strong>Baldur’s Gate II: Shadows of Amn</strong> – "
        "я в принципе вполне способен разглядеть здесь скриншот из игры</em>"
    )
    assert first_game.text == (
        "Baldur’s Gate II: Shadows of Amn – я в принципе вполне способен разглядеть здесь "
        "скриншот из игры"
    )
    assert '<a href="https://wandb.ai/' in handler.calls[0][1].html


def test_seed_spacers_are_vertical_space(seed_render) -> None:
    page = seed_render[0].html
    assert "<p>\\</p>" not in page and "\\" not in page
    assert page.count('<div class="vspace" style="--lines:2" aria-hidden="true"></div>') >= 60
    assert page.startswith('<div class="vspace" style="--lines:1"')


def test_seed_typography_and_footnote(seed_render) -> None:
    rendered = seed_render[0]
    assert "двух моделей – <strong>CLIP</strong>" in rendered.html
    assert " -- " not in rendered.html
    assert "“Bioshock”" in rendered.html
    assert '<sup class="footnote-ref"><a href="#fn1" id="fnref1">1</a></sup>' in rendered.html
    assert '<li id="fn1" class="footnote-item"><p>Захотите поиграться' in rendered.html
    assert '<a href="#fnref1" class="footnote-backref" role="doc-backlink"' in rendered.html
    assert rendered.warnings == ()
    assert rendered.summary.startswith("Посты такого рода обычно начинаются")
    assert rendered.summary.endswith("синтетическую пяту.")


def test_seed_shortcode_lines_are_file_lines(seed, seed_render) -> None:
    path = seed[0]
    file_lines = [
        n
        for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1)
        if line.startswith("{{<")
    ]
    assert [call.line for call, _ in seed_render[1].calls] == file_lines


def test_lone_center_line_renders_its_markdown() -> None:
    assert html("<center>_**Bold** -- [link](https://x.org)_</center>") == (
        '<p class="center"><em><strong>Bold</strong> – <a href="https://x.org">link</a></em></p>\n'
    )


def test_center_line_interrupts_a_paragraph() -> None:
    assert html("text\n<center>_x_</center>\nmore") == (
        '<p>text</p>\n<p class="center"><em>x</em></p>\n<p>more</p>\n'
    )


def test_center_block_renders_block_markdown() -> None:
    assert html("<center>\n\n**a**\n\n- b\n</center>") == (
        '<div class="center">\n<p><strong>a</strong></p>\n<ul>\n<li>b</li>\n</ul>\n</div>\n'
    )


def test_caption_only_attaches_to_the_line_right_after_img() -> None:
    rendered, handler = render('{{< img src="a" >}}\n\n<center>later</center>')
    assert handler.calls[0][1] is None
    assert '<p class="center">later</p>' in rendered.html


def test_backslash_paragraphs_and_hard_breaks() -> None:
    assert html("\\\n\\\n\\\n\ntext") == (
        '<div class="vspace" style="--lines:3" aria-hidden="true"></div>\n<p>text</p>\n'
    )
    assert html("line\\\nnext") == "<p>line<br>\nnext</p>\n"
    assert html("text\n\\") == "<p>text\n\\</p>\n"  # a trailing lone \ stays Markdown's
    assert html("- a\n\n  \\\n") == (
        '<ul>\n<li>\n<p>a</p>\n<div class="vspace" style="--lines:1" aria-hidden="true">'
        "</div>\n</li>\n</ul>\n"
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a -- b", "a – b"),
        ("a--b", "a–b"),
        ("a --- b", "a — b"),
        ("wait...", "wait…"),
        ("\"quoted\" and 'single'", "“quoted” and ‘single’"),
        ("it's 1990's", "it’s 1990’s"),
        ("<< x >>", "« x »"),
        ("(c) (tm) (r) +- ?!!!!", "(c) (tm) (r) +- ?!!!!"),
    ],
)
def test_typographer_matches_hugo(source: str, expected: str) -> None:
    assert html(source) == f"<p>{expected}</p>\n"


def test_typographer_leaves_code_and_autolinks_alone() -> None:
    assert html('`a -- "b"...`') == "<p><code>a -- &quot;b&quot;...</code></p>\n"
    assert html("<https://x.org/a--b>") == (
        '<p><a href="https://x.org/a--b">https://x.org/a--b</a></p>\n'
    )
    assert html("```\na -- b\n```") == '<pre tabindex="0"><code>a -- b\n</code></pre>\n'


def test_hugo_defaults_tables_strikethrough_raw_html_no_linkify() -> None:
    page = html("| a |\n|---|\n| ~~b~~ |\n\n<div class=x>raw</div>\n\nhttps://x.org")
    assert "<td><s>b</s></td>" in page
    assert "<div class=x>raw</div>" in page
    assert "<p>https://x.org</p>" in page


def test_headings_get_hugo_style_ids() -> None:
    assert html("## Заголовок тут\n\n## Заголовок тут") == (
        '<h2 id="заголовок-тут">Заголовок тут</h2>\n<h2 id="заголовок-тут-1">Заголовок тут</h2>\n'
    )


def test_inline_and_block_shortcodes() -> None:
    rendered, handler = render('a {{< img src="x" >}} b\n\n{{<img src="y"/>}}', first_line=5)
    assert rendered.html == (
        '<p>a <figure><img src="x" alt=""></figure> b</p>\n<figure><img src="y" alt=""></figure>\n'
    )
    assert [(c.params["src"], c.line) for c, _ in handler.calls] == [("x", 5), ("y", 7)]


def test_paired_shortcodes_get_rendered_inner() -> None:
    rendered, handler = render(
        "{{< box >}}\n**bold** -- x\n{{< /box >}}\n\nin {{< box >}}_y_{{< /box >}}"
    )
    assert rendered.html == (
        "<div class=box><p><strong>bold</strong> – x</p>\n</div>\n"
        "<p>in <div class=box><em>y</em></div></p>\n"
    )
    block, inline = (call for call, _ in handler.calls)
    assert (block.inner_source, block.line) == ("**bold** -- x\n", 1)
    assert (inline.inner_source, inline.line) == ("_y_", 5)


def test_nested_paired_shortcodes_of_one_name_close_in_order() -> None:
    rendered, _ = render(
        "{{< box >}}\na\n\n{{< box >}}\nb\n{{< /box >}}\n\nc\n{{< /box >}}\n\n"
        "in {{< box >}}x {{< box >}}y{{< /box >}} z{{< /box >}}"
    )
    assert rendered.html == (
        "<div class=box><p>a</p>\n<div class=box><p>b</p>\n</div>\n<p>c</p>\n</div>\n"
        "<p>in <div class=box>x <div class=box>y</div> z</div></p>\n"
    )


def test_shortcodes_inside_code_stay_literal() -> None:
    rendered, handler = render(
        '`{{< img src="a" >}}`\n\n    {{< img >}}\n\n```\n{{< unknown\n```\n\n{{</* img */>}}'
    )
    assert handler.calls == []
    assert "<code>{{&lt; img src=&quot;a&quot; &gt;}}</code>" in rendered.html
    assert "<pre><code>{{&lt; img &gt;}}\n</code></pre>" in rendered.html
    assert "<p>{{&lt; img &gt;}}</p>" in rendered.html


def test_shortcodes_inside_raw_html_are_expanded() -> None:
    rendered, handler = render('<div>\n{{< img src="a" >}}\n</div>', first_line=3)
    assert rendered.html == '<div>\n<figure><img src="a" alt=""></figure>\n</div>'
    assert handler.calls[0][0].line == 4


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ('text\n\nmore {{< img src="a >}}', 12, 'unterminated "'),
        ('one\ntwo\n{{< img src="a"', 12, "never closed"),
        ("a\n\n{{< unknown >}}", 12, "unknown shortcode 'unknown'"),
        ("x\n\ny\nz {{< /box >}}", 13, "closing tag without an opening tag"),
        ("<p>\n\n{{< img src=`x >}}</p>", 12, "unterminated `"),
    ],
)
def test_bad_shortcodes_are_build_errors_at_the_file_line(
    body: str, line: int, message: str
) -> None:
    with pytest.raises(BuildError) as info:
        render(body, first_line=10)
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == (SOURCE, line)
    assert message in problem.message


def test_every_bad_shortcode_is_reported_at_once() -> None:
    with pytest.raises(BuildError) as info:
        render("{{< unknown >}}\n\n{{< unknown >}}\n\nok {{< img x=`y >}}")
    assert [p.line for p in info.value.problems] == [1, 3, 5]


def test_theme_shortcodes_plug_in_as_the_handler() -> None:
    theme = ThemeShortcodes(ROOT / "theme")
    rendered = render_markdown(
        "{{< youtube w7Ft2ymGmfc >}}", source=SOURCE, first_line=1, shortcodes=theme
    )
    assert "youtube-nocookie.com/embed/w7Ft2ymGmfc" in rendered.html
    with pytest.raises(BuildError, match=r"index\.md:4: nope: unknown shortcode 'nope'"):
        render_markdown("{{< nope >}}", source=SOURCE, first_line=4, shortcodes=theme)


def test_undefined_footnote_is_a_warning_not_an_error() -> None:
    rendered, _ = render("a\n\nb[^gone]", first_line=20)
    assert "b[^gone]" in rendered.html
    (warning,) = rendered.warnings
    assert (warning.line, warning.key) == (22, "[^gone]")


def test_summary_uses_more_marker_when_present() -> None:
    rendered, _ = render("# T\n\nFirst -- one.\n\nSecond *two*.\n\n<!--more-->\n\nThird.")
    assert rendered.summary == "First – one. Second two."
    assert render('\\\n\n{{< img src=a >}}\n\nOnly "this".\n\nNot this.')[0].summary == (
        "Only “this”."
    )


def test_plain_text_of_markdown() -> None:
    assert plain_text("_**Title** -- [a `b`](u)_") == "Title – a b"


def test_output_is_deterministic(seed_render, seed) -> None:
    assert render(seed[1], seed[2])[0].html == seed_render[0].html
    assert not re.search(r"HAHAHUGO|\{\{<", seed_render[0].html)
