"""Parse rules that turn shortcode tags (see shortcodes) into markdown-it tokens.

- a tag alone on a line is a block (`shortcode_block`, or `shortcode_block_open` ... `_close`
  around the blocks up to its closing tag); a captioned one (`img`) takes the `<center>` line
  that directly follows it as its caption, an inline token after it;
- any other tag is inline (`shortcode_inline`, or `shortcode_inline_open` ... `_close`);
- `{{</* x */>}}` is Hugo's escape: the tag is shown literally;
- tags in code are left alone; tags in raw HTML are expanded by the renderer, at the lines
  recorded here.

Each token's meta holds the tag and its 0-based body line (`line`); paired ones also hold the
raw text between the tags (`inner_source`).
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from generator.site.markdown.blocks import (
    INTERRUPTS,
    center_line,
    line_text,
    push_inline,
    tokenize_between,
)
from generator.site.markdown.context import context
from generator.site.shortcodes import (
    OPENERS,
    ShortcodeSyntaxError,
    ShortcodeTag,
    escaped_shortcode,
    find_closing,
    matching_close,
    parse_shortcode,
)

CAPTIONED_SHORTCODES = frozenset({"img"})
CLOSING_TAG_RE = re.compile(r"\{\{[<%]\s*/\s*([^\s>%/]+)")
CLOSING_NAMES_KEY = "_closing_names"  # env key: names with a closing tag in the document


def shortcode_plugin(md: MarkdownIt) -> None:
    """Add the block and inline shortcode rules and the line-tracking inline step."""
    md.core.ruler.at("inline", _core_inline)
    md.block.ruler.before("html_block", "shortcode_block", shortcode_block, INTERRUPTS)
    md.inline.ruler.before("newline", "shortcode", shortcode_inline)


# ---------------------------------------------------------------- block rule


def shortcode_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    tag = _lone_tag(state, start)
    if tag is None or tag.closing:
        return False
    close = None if tag.self_closing else _closing_line(state, start, end, tag.name)
    if silent:
        return True
    if close is not None:
        _push_paired_block(state, tag, start, close)
        return True
    caption = None
    if tag.name in CAPTIONED_SHORTCODES and start + 1 < end:
        caption = center_line(state, start + 1)
    token = state.push("shortcode_block", "", 0)
    token.meta = {"tag": tag, "line": start, "captioned": caption is not None}
    token.map = [start, start + (2 if caption else 1)]
    if caption:
        push_inline(state, caption.group(1).strip(), start + 1)
    state.line = token.map[1]
    return True


def _lone_tag(state: StateBlock, line: int) -> ShortcodeTag | None:
    """The shortcode tag that is alone on `line`, if it is."""
    if state.is_code_block(line):
        return None
    text = line_text(state, line).rstrip()
    if not text.startswith(OPENERS) or escaped_shortcode(text):
        return None
    try:
        tag = parse_shortcode(text)
    except ShortcodeSyntaxError:
        return None
    return tag if tag.end == len(text) else None


def _closing_names(state: StateBlock) -> frozenset[str]:
    """Names that have a closing tag anywhere in the document (computed once per document)."""
    names = state.env.get(CLOSING_NAMES_KEY)
    if names is None:
        names = state.env[CLOSING_NAMES_KEY] = frozenset(CLOSING_TAG_RE.findall(state.src))
    return names


def _closing_line(state: StateBlock, start: int, end: int, name: str) -> int | None:
    """The line of the lone tag closing `name` below line `start`, if any."""
    if name not in _closing_names(state):  # the common case: no scan of the rest of the page
        return None
    return matching_close(name, ((line, _lone_tag(state, line)) for line in range(start + 1, end)))


def _push_paired_block(state: StateBlock, tag: ShortcodeTag, start: int, close: int) -> None:
    open_token = state.push("shortcode_block_open", "", 1)
    open_token.meta = {
        "tag": tag,
        "line": start,
        "inner_source": state.getLines(start + 1, close, state.blkIndent, True),
    }
    open_token.map = [start, close + 1]
    tokenize_between(state, start + 1, close, "shortcode")
    state.push("shortcode_block_close", "", -1)
    state.line = close + 1


# ---------------------------------------------------------------- inline rule


def shortcode_inline(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if not src.startswith(OPENERS, pos):
        return False
    text = src[: state.posMax]  # what the tag parser may read
    escaped = escaped_shortcode(text, pos)
    if escaped is not None:
        if not silent:
            state.push("text_special", "", 0).content = escaped[0]
        state.pos = escaped[1]
        return True
    render = context(state.env)
    body_line = render.body_line + src.count("\n", 0, pos)
    try:
        tag = parse_shortcode(text, pos)
    except ShortcodeSyntaxError as exc:
        if silent:
            return False
        render.malformed(render.body_line + src.count("\n", 0, exc.offset), exc)
        return _push_literal(state, src[pos : pos + 3])
    if tag.closing:
        if silent:
            return False
        render.problem(
            body_line,
            tag.name,
            "closing tag without an opening tag",
            f"add {{{{< {tag.name} >}}}} before it or remove it",
        )
        return _push_literal(state, src[pos : tag.end])
    close = None if tag.self_closing else find_closing(text, tag.name, tag.end)
    if silent:
        state.pos = close.end if close else tag.end
    elif close is None:
        state.push("shortcode_inline", "", 0).meta = {"tag": tag, "line": body_line}
        state.pos = tag.end
    else:
        _push_paired_inline(state, tag, close, body_line)
    return True


def _push_literal(state: StateInline, text: str) -> bool:
    state.push("text_special", "", 0).content = text
    state.pos += len(text)
    return True


def _push_paired_inline(
    state: StateInline, tag: ShortcodeTag, close: ShortcodeTag, body_line: int
) -> None:
    token = state.push("shortcode_inline_open", "", 1)
    token.meta = {"tag": tag, "line": body_line, "inner_source": state.src[tag.end : close.start]}
    old_max = state.posMax
    state.pos, state.posMax = tag.end, close.start
    state.md.inline.tokenize(state)
    state.pos, state.posMax = close.end, old_max
    state.push("shortcode_inline_close", "", -1)


# ---------------------------------------------------------------- inline step


def _core_inline(state: StateCore) -> None:
    """markdown-it's inline step, telling the shortcode rule which body line it is on."""
    render = context(state.env)
    for token in state.tokens:
        if token.type == "inline":
            if token.map:
                render.body_line = token.map[0]
            token.children = []
            state.md.inline.parse(token.content, state.md, state.env, token.children)
            _locate_raw_html(token, render.body_line)


def _locate_raw_html(token: Token, body_line: int) -> None:
    """Record the body line of inline raw HTML that may hold shortcodes."""
    cursor = 0
    for child in token.children or []:
        if child.type == "html_inline" and "{{" in child.content:
            cursor = max(token.content.find(child.content, cursor), cursor)
            child.meta = {"line": body_line + token.content.count("\n", 0, cursor)}
