"""Footnotes as Hugo prints them: marks `1` (not `[1]`), back-links with an ARIA role, and a
warning for each `[^name]` reference that has no definition (it is printed as is). The section
has a heading, and it and the back-links' labels are in the site's language (FootnoteLabels).
"""


from __future__ import annotations

import html
import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.footnote import footnote_plugin

from generator.site.markdown.context import context

FOOTNOTE_REF_RE = re.compile(r"\[\^([^\]\s]+)\]")


def footnotes_plugin(md: MarkdownIt) -> None:
    """mdit-py-plugins' footnotes, rendered like Hugo's, with undefined-reference warnings."""
    md.use(footnote_plugin, inline=False)
    md.add_render_rule("footnote_caption", _footnote_caption)
    md.add_render_rule("footnote_anchor", _footnote_backref)
    md.add_render_rule("footnote_block_open", _footnote_section)
    md.core.ruler.after("inline", "footnote_warnings", _footnote_warnings)


def _footnote_caption(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """The reference mark: `1`, as Hugo prints it, not markdown-it's `[1]`."""
    return str(tokens[idx].meta["id"] + 1)


def _footnote_section(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """The footnotes section, opened with its heading."""
    heading = html.escape(context(env).footnotes.heading)
    return (f'<section class="footnotes" role="doc-endnotes">\n'
            f'<h2 class="footnotes-heading">{heading}</h2>\n<ol class="footnotes-list">\n')


def _footnote_backref(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """The back-link at the end of a footnote, with its ARIA role."""
    meta = tokens[idx].meta
    ident = str(meta["id"] + 1) + (f":{meta['subId']}" if meta["subId"] > 0 else "")
    label = html.escape(context(env).footnotes.back.replace("{ref}", ident))
    return (
        f' <a href="#fnref{ident}" class="footnote-backref" role="doc-backlink"'
        f' aria-label="{label}">\u21a9\ufe0e</a>'
    )


def _footnote_warnings(state: StateCore) -> None:
    """Warn about `[^name]` references that have no `[^name]: ...` definition."""
    render = context(state.env)
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        text = "".join(c.content for c in token.children if c.type in ("text", "text_special"))
        body_line = token.map[0] if token.map else 0
        for match in FOOTNOTE_REF_RE.finditer(text):
            render.warn(
                body_line,
                match.group(),
                "footnote reference has no definition; it is printed as is",
                f"add a line `{match.group()}: footnote text` at the end of the post",
            )
