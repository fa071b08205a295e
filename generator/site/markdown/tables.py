"""Tables as goldmark (Hugo) reads them: body rows may be indented any amount.

markdown-it ends a table at a row indented four spaces or more (it reads it as a code block),
so `   Name | Age` over `    Bob | 27` kept only its header; goldmark keeps such rows in the
table. Its alignment styles are written `text-align: left`, as goldmark writes them.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block.table import table


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
    for token in state.tokens[first_token:]:
        style = token.attrGet("style")
        if isinstance(style, str) and style.startswith("text-align:"):
            token.attrSet("style", style.replace(":", ": ", 1))
    return found
