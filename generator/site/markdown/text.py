"""Plain text from parsed tokens: for captions' alt text, plain_text() and page summaries."""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it.token import Token

from generator.site.markdown.divider import is_divider

SPACES_RE = re.compile(r"\s+")


def inline_text(children: Sequence[Token]) -> str:
    """The text of an inline token's children, whitespace collapsed; markup dropped."""
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return SPACES_RE.sub(" ", "".join(parts)).strip()


def summary(tokens: Sequence[Token]) -> str:
    """Plain text of every paragraph before a top-level <!--more-->, else of the first
    top-level paragraph."""
    paragraphs: list[tuple[int, str]] = []  # (nesting level, text)
    for i, token in enumerate(tokens):
        if token.level == 0 and is_divider(token):
            return " ".join(text for _, text in paragraphs)
        if token.type == "paragraph_open":
            text = inline_text(tokens[i + 1].children or [])
            if text:
                paragraphs.append((token.level, text))
    return next((text for level, text in paragraphs if level == 0), "")
