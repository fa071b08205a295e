"""Hugo-compatible Markdown rendering on markdown-it-py, fixed where Hugo misreads the seed post.

CommonMark with raw HTML, tables, strikethrough, footnotes with back-links, heading ids and
Hugo's typographer (`--`, `---`, `...`, `<<`, `>>`, smart quotes; no `(c)`/`(tm)`/`+-`), plus:

- shortcodes (`{{< name key="value" >}}`, see shortcodes): block-level when alone on
  a line, inline otherwise, paired `{{< x >}}...{{< /x >}}` either way; also expanded inside raw
  HTML as Hugo does; left literal inside code;
- an `img` shortcode line directly followed by a `<center>...</center>` line: the handler gets
  the caption (Hugo would print its `_**` literally) and returns the whole figure;
- any other `<center>` line: its inner Markdown rendered in `<p class="center">` (or a
  `<div class="center">` for a `<center>` ... `</center>` block);
- a paragraph of only `\\` lines: `<div class="vspace" style="--lines:N">`, not `<p>\\</p>`;
- tables as goldmark reads them (tables), fenced code highlighted (renderer, with
  site.highlight), emoji shortcodes and omitted raw HTML as the MarkdownOptions say;
- a `<!--more-->` inside a paragraph ends the blocks it is in, as in Hugo (divider).

Every problem (bad or unknown shortcode) is collected and raised together as one BuildError
whose problems name the real file line (`first_line` + line within the body).

The parts: context (per-render state and handler calls), shortcode_rules, blocks and tables (parse
rules), emojis, typography, footnotes, divider, renderer (HTML output) and text (plain text,
summaries).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.utils import EnvType
from mdit_py_plugins.anchors import anchors_plugin

from generator.errors import BuildError, Problem
from generator.site.markdown.blocks import blocks_plugin
from generator.site.markdown.context import (
    ENV_KEY,
    FootnoteLabels,
    MarkdownOptions,
    RenderContext,
)
from generator.site.markdown.divider import at_divider
from generator.site.markdown.emojis import emoji_plugin
from generator.site.markdown.footnotes import footnotes_plugin
from generator.site.markdown.renderer import Renderer
from generator.site.markdown.shortcode_rules import CAPTIONED_SHORTCODES, shortcode_plugin
from generator.site.markdown.tables import tables_plugin
from generator.site.markdown.text import inline_text, summary
from generator.site.markdown.typography import typography_plugin
from generator.site.shortcodes import Caption, ShortcodeCall, ShortcodeHandler

__all__ = [
    "CAPTIONED_SHORTCODES",
    "Caption",
    "FootnoteLabels",
    "MarkdownOptions",
    "RenderedMarkdown",
    "ShortcodeCall",
    "ShortcodeHandler",
    "inline_html",
    "plain_text",
    "render_markdown",
]


DEFAULT_OPTIONS = MarkdownOptions()


@dataclass(frozen=True)
class RenderedMarkdown:
    """A rendered body: its HTML, a plain-text summary and non-fatal warnings."""

    html: str
    summary: str  # text before <!--more-->, else the first paragraph's text
    warnings: tuple[Problem, ...] = ()


def render_markdown(
    text: str,
    *,
    source: Path,
    first_line: int,
    shortcodes: ShortcodeHandler,
    options: MarkdownOptions = DEFAULT_OPTIONS,
    footnotes: FootnoteLabels | None = None,
) -> RenderedMarkdown:
    """Render a post body whose first line is line `first_line` (1-based) of `source`;
    `footnotes`: the footnotes section's words in the site's language (English if not given)."""
    text, divider_line = at_divider(text)
    context = RenderContext(Path(source), first_line, shortcodes, options,
                            footnotes=footnotes or FootnoteLabels(), divider_line=divider_line)
    env: EnvType = {ENV_KEY: context}
    md = _parser()
    tokens = md.parse(text, env)
    html = md.renderer.render(tokens, md.options, env)
    if context.problems:
        raise BuildError(sorted(context.problems, key=lambda p: p.line or 0))
    return RenderedMarkdown(html, summary(tokens), tuple(context.warnings))


def plain_text(text: str) -> str:
    """The plain text of a Markdown fragment (no HTML, typographer applied); for alt and titles."""
    env: EnvType = {ENV_KEY: RenderContext(Path("<text>"), 1, _no_shortcodes)}
    tokens = _parser().parseInline(text, env)
    return inline_text(tokens[0].children or []) if tokens else ""


def inline_html(text: str) -> str:
    """A Markdown fragment rendered as inline HTML, like Hugo's `markdownify` (for captions).

    Shortcodes in it are not expanded.
    """
    env: EnvType = {ENV_KEY: RenderContext(Path("<text>"), 1, _no_shortcodes)}
    md = _parser()
    return md.renderer.render(md.parseInline(text, env), md.options, env)


def _no_shortcodes(call: ShortcodeCall, caption: Caption | None) -> str:
    return ""


@cache
def _parser() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {"html": True, "xhtmlOut": False, "typographer": True, "linkify": False},
        renderer_cls=Renderer,
    )
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(tables_plugin)
    md.use(emoji_plugin)
    md.use(footnotes_plugin)
    md.use(anchors_plugin, min_level=1, max_level=6)
    md.use(typography_plugin)
    md.use(shortcode_plugin)  # before blocks_plugin: a shortcode line is tried before <center>
    md.use(blocks_plugin)
    return md
