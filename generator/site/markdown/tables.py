"""Tables as goldmark (Hugo) reads them: body rows may be indented any amount.

markdown-it ends a table at a row indented four spaces or more (it reads it as a code block),
so `   Name | Age` over `    Bob | 27` kept only its header; goldmark keeps such rows in the
table. Its alignment styles are written `text-align: left`, as goldmark writes them, and a
cell a short row lacks is an empty `<td></td>` without one.
"""

from __future__ import annotations

from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.common.utils import mdTrim
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block.table import escapedSplit, getLine, table
from markdown_it.token import Token


def tables_plugin(md: MarkdownIt) -> None:
    """Replace markdown-it's table rule with the goldmark-like one."""
    md.block.ruler.at("table", goldmark_table, {"alt": ["paragraph", "reference"]})


def goldmark_table(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """markdown-it's table rule, with the body rows' indentation capped below a code block's."""
    if state.is_code_block(start):
        return False
    saved: dict[int, int] = {}
    line = start + 2
    while line < end and not state.isEmpty(line) and state.sCount[line] >= state.blkIndent:
        if state.sCount[line] - state.blkIndent >= 4:
            saved[line] = state.sCount[line]
            state.sCount[line] = state.blkIndent + 3
        line += 1
    first_token = len(state.tokens)
    try:
        found = table(state, start, end, silent)
    finally:
        for line, indent in saved.items():
            state.sCount[line] = indent
    if found and not silent:
        _goldmark_cells(state, state.tokens[first_token:])
    return found


def _goldmark_cells(state: StateBlock, tokens: Sequence[Token]) -> None:
    """Alignment written `text-align: left`; no alignment on cells a short row lacks."""
    written = 0  # cells the current row's source line has
    for token in tokens:
        if token.type == "tr_open" and token.map:
            written = _cells_written(state, token.map[0])
        elif token.type in ("th_open", "td_open"):
            style = token.attrGet("style")
            if written <= 0 and token.type == "td_open":
                token.attrs.pop("style", None)
            elif isinstance(style, str) and style.startswith("text-align:"):
                token.attrSet("style", style.replace(":", ": ", 1))
            written -= 1


def _cells_written(state: StateBlock, line: int) -> int:
    """How many cells the table row on `line` has, as markdown-it's table rule splits it."""
    columns = escapedSplit(mdTrim(getLine(state, line)))
    if columns and columns[0] == "":
        columns.pop(0)
    if columns and columns[-1] == "":
        columns.pop()
    return len(columns)
