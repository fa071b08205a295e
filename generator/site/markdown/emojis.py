"""Emoji shortcodes (`:see_no_evil:`) as Hugo's enableEmoji renders them, when the site has it.

Names are GitHub's (gemoji) aliases, as Hugo's; an unknown `:name:` stays as written. Code spans,
code blocks and raw HTML are left alone.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

from generator.site.markdown.context import context


def emoji_plugin(md: MarkdownIt) -> None:
    """Replace emoji shortcodes in text after the inline parse, if the render enables them."""
    md.core.ruler.after("inline", "emoji", replace_emoji)


def replace_emoji(state: StateCore) -> None:
    if not context(state.env).options.enable_emoji:
        return
    import emoji  # 40 ms to import: only for sites that enable emoji

    for token in state.tokens:
        if token.type != "inline":
            continue
        for child in token.children or []:
            if child.type == "text" and ":" in child.content:
                child.content = emoji.emojize(child.content, language="alias")
