"""The summary divider `<!--more-->` inside a paragraph, split as Hugo splits it.

Hugo 0.168 treats the first `<!--more-->` of a body as a break between blocks wherever it is:
`Lorem summo. <!--more-->Redit teque.` renders as two paragraphs, `<p>Lorem summo.</p>` (the
summary) and `<p>Redit teque.</p>`; emphasis does not run across it and a blockquote or list
it is in ends there (checked with its binary). `at_divider` rewrites the body the same way, the
divider alone on its line between blank lines, which is how the summary finds it
(`text.summary`). Unlike Hugo, a divider in a code span or code block is code, left as written
(Hugo cuts the code there), and so is one on a line of its own, which already is a block.

The rewrite adds `DIVIDER_LINES` lines; `body_line` maps a line of the rewritten body back to
the line the author wrote, so problems still name the right file line.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

MORE_MARKER = "<!--more-->"
DIVIDER_LINES = 4  # the line breaks added around the divider's own line
_LOCATOR = MarkdownIt("commonmark", {"html": True})


def at_divider(text: str) -> tuple[str, int | None]:
    """(the body with its first `<!--more-->` in prose moved onto a line of its own, the
    0-based line it was on); (text, None) when there is nothing to move."""
    if MORE_MARKER not in text:
        return text, None
    offset = _divider_offset(text, _LOCATOR.parse(text))
    if offset is None:
        return text, None
    before = text[:offset].rstrip(" \t")
    after = text[offset + len(MORE_MARKER):].lstrip(" \t")
    return f"{before}\n\n{MORE_MARKER}\n\n{after}", text.count("\n", 0, offset)


def is_divider(token: Token) -> bool:
    """True for the divider on a line of its own: an HTML block holding only `<!--more-->`."""
    return token.type == "html_block" and token.content.strip() == MORE_MARKER


def body_line(line: int, divider_line: int | None) -> int:
    """The author's body line of line `line` of a body rewritten by `at_divider`."""
    if divider_line is None or line <= divider_line:
        return line
    return max(divider_line, line - DIVIDER_LINES)


def _divider_offset(text: str, tokens: list[Token]) -> int | None:
    """Where in `text` the first divider outside code starts, unless it is a block already."""
    for token in tokens:
        if token.map is None or MORE_MARKER not in token.content:
            continue
        if token.type in ("fence", "code_block"):
            continue
        if is_divider(token):
            return None  # on a line of its own: Hugo's usual divider
        if token.type == "html_block":
            return _nth_in_lines(text, token.map, 0)
        if token.type == "inline":
            earlier = 0  # dividers in code spans and escaped text before the real one
            for child in token.children or []:
                if child.type == "html_inline" and child.content == MORE_MARKER:
                    return _nth_in_lines(text, token.map, earlier)
                earlier += child.content.count(MORE_MARKER)
    return None


def _nth_in_lines(text: str, lines: list[int], n: int) -> int | None:
    """Offset in `text` of the `n`th (0-based) divider on lines [lines[0], lines[1])."""
    start = 0
    for _ in range(lines[0]):
        start = text.index("\n", start) + 1
    end = start
    for _ in range(lines[1] - lines[0]):
        found = text.find("\n", end)
        end = len(text) if found < 0 else found + 1
    found = text.find(MORE_MARKER, start, end)
    for _ in range(n):
        if found < 0:
            return None
        found = text.find(MORE_MARKER, found + 1, end)
    return found if found >= 0 else None
