"""Block rules for `<center>` lines and `\\` spacer paragraphs, and helpers for block rules.

- a `<center>...</center>` line: its inner Markdown rendered in `<p class="center">`;
- a `<center>` line ... `</center>` line: the Markdown between in `<div class="center">`;
- a paragraph of only `\\` lines: `<div class="vspace" style="--lines:N">`, not `<p>\\</p>`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

CENTER_LINE_RE = re.compile(r"<center>(.*)</center>\s*$", re.IGNORECASE)
CENTER_OPEN_RE = re.compile(r"<center>\s*$", re.IGNORECASE)
CENTER_CLOSE_RE = re.compile(r"</center>\s*$", re.IGNORECASE)
INTERRUPTS = {"alt": ["paragraph", "reference", "blockquote"]}  # block rules that may cut these


def blocks_plugin(md: MarkdownIt) -> None:
    """Add the `<center>` and spacer rules (after any rule already placed before html_block)."""
    md.block.ruler.before("html_block", "center", center_block, INTERRUPTS)
    md.block.ruler.before("paragraph", "vspace", vspace_block)
    md.add_render_rule("vspace", _render_vspace)


# ---------------------------------------------------------------- helpers for block rules


def line_text(state: StateBlock, line: int) -> str:
    """Body line `line` without its indentation."""
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]


def center_line(state: StateBlock, line: int) -> re.Match[str] | None:
    """The match of a one-line `<center>...</center>` at `line` (not in a code block)."""
    if state.is_code_block(line):
        return None
    return CENTER_LINE_RE.fullmatch(line_text(state, line).rstrip())


def push_inline(state: StateBlock, content: str, line: int) -> None:
    """An inline token for `content`, found on body line `line`."""
    inline = state.push("inline", "", 0)
    inline.content = content
    inline.map = [line, line + 1]
    inline.children = []


def tokenize_between(state: StateBlock, start: int, end: int, parent: str) -> None:
    """Parse lines [start, end) as blocks inside a container block of type `parent`."""
    old_parent, old_max = state.parentType, state.lineMax
    state.parentType, state.lineMax = parent, end  # type: ignore[assignment]
    state.md.block.tokenize(state, start, end)
    state.parentType, state.lineMax = old_parent, old_max


# ---------------------------------------------------------------- <center>


def center_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    one_line = center_line(state, start)
    if one_line is not None:
        if not silent:
            _push_center_line(state, one_line.group(1).strip(), start)
        return True
    close = _center_close(state, start, end)
    if close is None:
        return False
    if not silent:
        token = state.push("center_open", "div", 1)
        token.attrSet("class", "center")
        token.map = [start, close + 1]
        tokenize_between(state, start + 1, close, "center")
        state.push("center_close", "div", -1)
        state.line = close + 1
    return True


def _push_center_line(state: StateBlock, content: str, line: int) -> None:
    token = state.push("center_open", "p", 1)
    token.attrSet("class", "center")
    token.map = [line, line + 1]
    push_inline(state, content, line)
    state.push("center_close", "p", -1)
    state.line = line + 1


def _center_close(state: StateBlock, start: int, end: int) -> int | None:
    """The `</center>` line closing a `<center>` line at `start`, if `start` is one."""
    if state.is_code_block(start) or not CENTER_OPEN_RE.fullmatch(line_text(state, start).rstrip()):
        return None
    lines = range(start + 1, end)
    return next((n for n in lines if CENTER_CLOSE_RE.fullmatch(line_text(state, n))), None)


# ---------------------------------------------------------------- \ spacers


def vspace_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    line = start
    while line < end and _is_backslash_line(state, line):
        line += 1
    if line == start or not _paragraph_ends_at(state, line, end):
        return False
    if not silent:
        token = state.push("vspace", "div", 0)
        token.meta = {"lines": line - start}
        token.map = [start, line]
        state.line = line
    return True


def _is_backslash_line(state: StateBlock, line: int) -> bool:
    return not state.is_code_block(line) and line_text(state, line).strip() == "\\"


def _paragraph_ends_at(state: StateBlock, line: int, end: int) -> bool:
    """Whether a paragraph reaching `line` would stop there (blank, end, or a new block)."""
    if line >= end or state.isEmpty(line):
        return True
    if state.sCount[line] - state.blkIndent > 3 or state.sCount[line] < 0:
        return False
    old_parent = state.parentType
    state.parentType = "paragraph"
    try:
        return any(
            rule(state, line, end, True) for rule in state.md.block.ruler.getRules("paragraph")
        )
    finally:
        state.parentType = old_parent


def _render_vspace(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    lines = tokens[idx].meta["lines"]
    return f'<div class="vspace" style="--lines:{lines}" aria-hidden="true"></div>\n'
