"""Hugo's (goldmark's) typographer: `--`, `---`, `...`, `<<`, `>>`; no `(c)`, `(tm)` or `+-`.

It replaces markdown-it's `replacements` core rule, which does more than Hugo does; smart
quotes stay markdown-it's `smartquotes` rule. Text inside autolinks is left as written.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

TYPOGRAPHY_RE = re.compile(r"---|--|\.\.\.|<<|>>")
TYPOGRAPHY = {"---": "\u2014", "--": "\u2013", "...": "\u2026", "<<": "\u00ab", ">>": "\u00bb"}


def typography_plugin(md: MarkdownIt) -> None:
    """Use Hugo's substitutions in place of markdown-it's `replacements` rule."""
    md.core.ruler.at("replacements", hugo_replacements)


def hugo_replacements(state: StateCore) -> None:
    """Substitute dashes, ellipses and guillemets in text outside autolinks."""
    if not state.md.options["typographer"]:
        return
    for token in state.tokens:
        if token.type != "inline":
            continue
        in_autolink = 0
        for child in token.children or []:
            if child.type == "link_open" and child.info == "auto":
                in_autolink += 1
            elif child.type == "link_close" and child.info == "auto":
                in_autolink -= 1
            elif child.type == "text" and not in_autolink:
                child.content = TYPOGRAPHY_RE.sub(_substitute, child.content)


def _substitute(match: re.Match[str]) -> str:
    return TYPOGRAPHY[match.group()]
