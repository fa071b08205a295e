"""Hugo-compatible Markdown rendering on markdown-it-py, fixed where Hugo misreads the seed post.

CommonMark with raw HTML, tables, strikethrough, footnotes with back-links, heading ids and
Hugo's typographer (`--`, `---`, `...`, `<<`, `>>`, smart quotes; no `(c)`/`(tm)`/`+-`), plus:

- shortcodes (`{{< name key="value" >}}`, see generator.shortcodes): block-level when alone on
  a line, inline otherwise, paired `{{< x >}}...{{< /x >}}` either way; also expanded inside raw
  HTML as Hugo does; left literal inside code;
- an `img` shortcode line directly followed by a `<center>...</center>` line: the handler gets
  the caption (Hugo would print its `_**` literally) and returns the whole figure;
- any other `<center>` line: its inner Markdown rendered in `<p class="center">` (or a
  `<div class="center">` for a `<center>` ... `</center>` block);
- a paragraph of only `\\` lines: `<div class="vspace" style="--lines:N">`, not `<p>\\</p>`.

Every problem (bad or unknown shortcode) is collected and raised together as one BuildError
whose problems name the real file line (`first_line` + line within the body).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin

from generator.errors import BuildError, Problem
from generator.shortcodes import (
    OPENERS,
    Caption,
    ShortcodeCall,
    ShortcodeError,
    ShortcodeHandler,
    ShortcodeSyntaxError,
    ShortcodeTag,
    escaped_shortcode,
    find_closing,
    parse_shortcode,
)

__all__ = [
    "CAPTIONED_SHORTCODES",
    "Caption",
    "RenderedMarkdown",
    "ShortcodeCall",
    "ShortcodeHandler",
    "render_markdown",
]

CAPTIONED_SHORTCODES = frozenset({"img"})
CENTER_LINE_RE = re.compile(r"<center>(.*)</center>\s*$", re.IGNORECASE)
CENTER_OPEN_RE = re.compile(r"<center>\s*$", re.IGNORECASE)
CENTER_CLOSE_RE = re.compile(r"</center>\s*$", re.IGNORECASE)
TYPOGRAPHY_RE = re.compile(r"---|--|\.\.\.|<<|>>")
TYPOGRAPHY = {"---": "\u2014", "--": "\u2013", "...": "\u2026", "<<": "\u00ab", ">>": "\u00bb"}
FOOTNOTE_REF_RE = re.compile(r"\[\^([^\]\s]+)\]")
MORE_MARKER = "<!--more-->"
ENV_KEY = "generator.markdown"


@dataclass(frozen=True)
class RenderedMarkdown:
    """A rendered body: its HTML, a plain-text summary and non-fatal warnings."""

    html: str
    summary: str  # text before <!--more-->, else the first paragraph's text
    warnings: tuple[Problem, ...] = ()


@dataclass
class _Context:
    """Per-render state carried in markdown-it's env."""

    source: Path
    first_line: int
    handler: ShortcodeHandler
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    body_line: int = 0  # 0-based body line of the inline token being parsed

    def file_line(self, body_line: int) -> int:
        return self.first_line + body_line

    def problem(self, body_line: int, key: str | None, message: str, hint: str | None) -> None:
        found = Problem(self.source, self.file_line(body_line), key, message, hint)
        if found not in self.problems:
            self.problems.append(found)

    def call(
        self,
        tag: ShortcodeTag,
        body_line: int,
        caption: Caption | None = None,
        inner: str | None = None,
        inner_source: str | None = None,
    ) -> str:
        shortcode = ShortcodeCall(
            tag.name, dict(tag.params), self.file_line(body_line), inner, inner_source
        )
        try:
            return self.handler(shortcode, caption)
        except ShortcodeError as exc:
            self.problem(body_line, tag.name, exc.message, exc.hint)
        except BuildError as exc:
            self.problems.extend(p for p in exc.problems if p not in self.problems)
        return ""


def render_markdown(
    text: str, *, source: Path, first_line: int, shortcodes: ShortcodeHandler
) -> RenderedMarkdown:
    """Render a post body whose first line is line `first_line` (1-based) of `source`."""
    context = _Context(Path(source), first_line, shortcodes)
    env: EnvType = {ENV_KEY: context}
    md = _parser()
    tokens = md.parse(text, env)
    html = md.renderer.render(tokens, md.options, env)
    if context.problems:
        raise BuildError(sorted(context.problems, key=lambda p: p.line or 0))
    return RenderedMarkdown(html, _summary(tokens), tuple(context.warnings))


def plain_text(text: str) -> str:
    """The plain text of a Markdown fragment (no HTML, typographer applied); for alt and titles."""
    env: EnvType = {ENV_KEY: _Context(Path("<text>"), 1, _no_shortcodes)}
    tokens = _parser().parseInline(text, env)
    return _inline_text(tokens[0].children or []) if tokens else ""


def _no_shortcodes(call: ShortcodeCall, caption: Caption | None) -> str:
    return ""


@cache
def _parser() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {"html": True, "xhtmlOut": False, "typographer": True, "linkify": False},
        renderer_cls=_Renderer,
    )
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin, inline=False)
    md.use(anchors_plugin, min_level=1, max_level=6)
    md.add_render_rule("footnote_caption", _footnote_caption)
    md.add_render_rule("footnote_anchor", _footnote_backref)
    md.core.ruler.at("inline", _core_inline)
    md.core.ruler.at("replacements", _hugo_replacements)
    md.core.ruler.after("inline", "footnote_warnings", _footnote_warnings)
    alt = {"alt": ["paragraph", "reference", "blockquote"]}
    md.block.ruler.before("html_block", "shortcode_block", _shortcode_block, alt)
    md.block.ruler.before("html_block", "center", _center_block, alt)
    md.block.ruler.before("paragraph", "vspace", _vspace_block)
    md.inline.ruler.before("newline", "shortcode", _shortcode_inline)
    return md


def _footnote_caption(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """The reference mark: `1`, as Hugo prints it, not markdown-it's `[1]`."""
    return str(tokens[idx].meta["id"] + 1)


def _footnote_backref(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """The back-link at the end of a footnote, with its ARIA role."""
    meta = tokens[idx].meta
    ident = str(meta["id"] + 1) + (f":{meta['subId']}" if meta["subId"] > 0 else "")
    return (
        f' <a href="#fnref{ident}" class="footnote-backref" role="doc-backlink"'
        f' aria-label="back to reference {ident}">\u21a9\ufe0e</a>'
    )


def _context(env: EnvType) -> _Context:
    return env[ENV_KEY]


# ---------------------------------------------------------------- block rules


def _line(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]


def _lone_tag(state: StateBlock, line: int) -> ShortcodeTag | None:
    """The shortcode tag that is alone on `line`, if it is."""
    if state.is_code_block(line):
        return None
    text = _line(state, line).rstrip()
    if not text.startswith(OPENERS) or escaped_shortcode(text):
        return None
    try:
        tag = parse_shortcode(text)
    except ShortcodeSyntaxError:
        return None
    return tag if tag.end == len(text) else None


CLOSING_TAG_RE = re.compile(r"\{\{[<%]\s*/\s*([^\s>%/]+)")


def _closing_names(state: StateBlock) -> frozenset[str]:
    """Names that have a closing tag anywhere in the document (computed once per document)."""
    names = state.env.get("_closing_names")
    if names is None:
        names = state.env["_closing_names"] = frozenset(CLOSING_TAG_RE.findall(state.src))
    return names


def _closing_line(state: StateBlock, start: int, end: int, name: str) -> int | None:
    if name not in _closing_names(state):  # the common case: no scan of the rest of the page
        return None
    depth = 0
    for line in range(start + 1, end):
        tag = _lone_tag(state, line)
        if tag is None or tag.name != name or tag.self_closing:
            continue
        if not tag.closing:
            depth += 1
        elif depth == 0:
            return line
        else:
            depth -= 1
    return None


def _caption_follows(state: StateBlock, line: int, end: int) -> re.Match[str] | None:
    if line >= end or state.is_code_block(line):
        return None
    return CENTER_LINE_RE.fullmatch(_line(state, line).rstrip())


def _shortcode_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    tag = _lone_tag(state, start)
    if tag is None or tag.closing:
        return False
    close = None if tag.self_closing else _closing_line(state, start, end, tag.name)
    if silent:
        return True
    if close is not None:
        _push_paired_block(state, tag, start, close)
        return True
    caption = _caption_follows(state, start + 1, end) if tag.name in CAPTIONED_SHORTCODES else None
    token = state.push("shortcode_block", "", 0)
    token.meta = {"tag": tag, "captioned": caption is not None}
    token.map = [start, start + (2 if caption else 1)]
    if caption:
        inline = state.push("inline", "", 0)
        inline.content = caption.group(1).strip()
        inline.map = [start + 1, start + 2]
        inline.children = []
    state.line = token.map[1]
    return True


def _push_paired_block(state: StateBlock, tag: ShortcodeTag, start: int, close: int) -> None:
    open_token = state.push("shortcode_block_open", "", 1)
    open_token.meta = {
        "tag": tag,
        "inner_source": state.getLines(start + 1, close, state.blkIndent, True),
    }
    open_token.map = [start, close + 1]
    _tokenize_between(state, start + 1, close, "shortcode")
    state.push("shortcode_block_close", "", -1)
    state.line = close + 1


def _tokenize_between(state: StateBlock, start: int, end: int, parent: str) -> None:
    old_parent, old_max = state.parentType, state.lineMax
    state.parentType, state.lineMax = parent, end  # type: ignore[assignment]
    state.md.block.tokenize(state, start, end)
    state.parentType, state.lineMax = old_parent, old_max


def _center_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    if state.is_code_block(start):
        return False
    text = _line(state, start).rstrip()
    one_line = CENTER_LINE_RE.fullmatch(text)
    close = None
    if one_line is None:
        if not CENTER_OPEN_RE.fullmatch(text):
            return False
        close = next(
            (n for n in range(start + 1, end) if CENTER_CLOSE_RE.fullmatch(_line(state, n))),
            None,
        )
        if close is None:
            return False
    if silent:
        return True
    if one_line is not None:
        token = state.push("center_open", "p", 1)
        token.attrSet("class", "center")
        token.map = [start, start + 1]
        inline = state.push("inline", "", 0)
        inline.content = one_line.group(1).strip()
        inline.map = [start, start + 1]
        inline.children = []
        state.push("center_close", "p", -1)
        state.line = start + 1
        return True
    assert close is not None
    token = state.push("center_open", "div", 1)
    token.attrSet("class", "center")
    token.map = [start, close + 1]
    _tokenize_between(state, start + 1, close, "center")
    state.push("center_close", "div", -1)
    state.line = close + 1
    return True


def _is_backslash_line(state: StateBlock, line: int) -> bool:
    return not state.is_code_block(line) and _line(state, line).strip() == "\\"


def _vspace_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
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


# ---------------------------------------------------------------- inline rule


def _shortcode_inline(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if not src.startswith(OPENERS, pos):
        return False
    escaped = escaped_shortcode(src[: state.posMax], pos)
    if escaped is not None:
        if not silent:
            state.push("text_special", "", 0).content = escaped[0]
        state.pos = escaped[1]
        return True
    context = _context(state.env)
    body_line = context.body_line + src.count("\n", 0, pos)
    try:
        tag = parse_shortcode(src[: state.posMax], pos)
    except ShortcodeSyntaxError as exc:
        if silent:
            return False
        line = context.body_line + src.count("\n", 0, exc.offset)
        context.problem(line, None, f"malformed shortcode: {exc.message}", exc.hint)
        return _push_literal(state, src[pos : pos + 3])
    if tag.closing:
        if silent:
            return False
        context.problem(
            body_line,
            tag.name,
            "closing tag without an opening tag",
            f"add {{{{< {tag.name} >}}}} before it or remove it",
        )
        return _push_literal(state, src[pos : tag.end])
    close = None if tag.self_closing else find_closing(src[: state.posMax], tag.name, tag.end)
    if silent:
        state.pos = close.end if close else tag.end
        return True
    if close is None:
        state.push("shortcode_inline", "", 0).meta = {"tag": tag, "line": body_line}
        state.pos = tag.end
        return True
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


# ---------------------------------------------------------------- core rules


def _core_inline(state: StateCore) -> None:
    """markdown-it's inline step, telling the shortcode rule which body line it is on."""
    context = _context(state.env)
    for token in state.tokens:
        if token.type == "inline":
            if token.map:
                context.body_line = token.map[0]
            token.children = []
            state.md.inline.parse(token.content, state.md, state.env, token.children)
            _locate_raw_html(token, context.body_line)


def _locate_raw_html(token: Token, body_line: int) -> None:
    """Record the body line of inline raw HTML that may hold shortcodes."""
    cursor = 0
    for child in token.children or []:
        if child.type == "html_inline" and "{{" in child.content:
            cursor = max(token.content.find(child.content, cursor), cursor)
            child.meta = {"line": body_line + token.content.count("\n", 0, cursor)}


def _hugo_replacements(state: StateCore) -> None:
    """Hugo's (goldmark's) typographer substitutions, which are fewer than markdown-it's."""
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
                child.content = TYPOGRAPHY_RE.sub(lambda m: TYPOGRAPHY[m.group()], child.content)


def _footnote_warnings(state: StateCore) -> None:
    """Warn about `[^name]` references that have no `[^name]: ...` definition."""
    context = _context(state.env)
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        text = "".join(c.content for c in token.children if c.type in ("text", "text_special"))
        for match in FOOTNOTE_REF_RE.finditer(text):
            body_line = token.map[0] if token.map else 0
            found = Problem(
                context.source,
                context.file_line(body_line),
                match.group(),
                "footnote reference has no definition; it is printed as is",
                f"add a line `{match.group()}: footnote text` at the end of the post",
            )
            if found not in context.warnings:
                context.warnings.append(found)


# ---------------------------------------------------------------- rendering


class _Renderer(RendererHTML):
    """markdown-it's HTML renderer, plus shortcodes, captions, spacers and raw-HTML expansion."""

    def render(self, tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> str:
        out: list[str] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.type == "shortcode_block":
                out.append(self._block_shortcode(tokens, i, options, env))
                i += 2 if token.meta["captioned"] else 1
                continue
            if token.type == "shortcode_block_open":
                close = _matching_close(tokens, i)
                inner = self.render(tokens[i + 1 : close], options, env)
                out.append(self._paired(token, inner, env) + "\n")
                i = close + 1
                continue
            out.append(self._one(tokens, i, options, env))
            i += 1
        return "".join(out)

    def renderInline(self, tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> str:
        out: list[str] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.type == "shortcode_inline":
                out.append(_context(env).call(token.meta["tag"], token.meta["line"]))
            elif token.type == "shortcode_inline_open":
                close = _matching_close(tokens, i)
                out.append(
                    self._paired(token, self.renderInline(tokens[i + 1 : close], options, env), env)
                )
                i = close
            else:
                out.append(self._one(tokens, i, options, env))
            i += 1
        return "".join(out)

    def _one(self, tokens: Sequence[Token], i: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[i]
        if token.type == "inline":
            return self.renderInline(token.children or [], options, env)
        if token.type in self.rules:
            return self.rules[token.type](tokens, i, options, env)
        return self.renderToken(tokens, i, options, env)

    def _block_shortcode(
        self, tokens: Sequence[Token], i: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[i]
        caption = None
        if token.meta["captioned"]:
            children = tokens[i + 1].children or []
            caption = Caption(self.renderInline(children, options, env), _inline_text(children))
        return _context(env).call(token.meta["tag"], token.map[0], caption) + "\n"

    def _paired(self, token: Token, inner: str, env: EnvType) -> str:
        line = token.meta["line"] if "line" in token.meta else token.map[0]
        return _context(env).call(token.meta["tag"], line, None, inner, token.meta["inner_source"])

    def vspace(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        lines = tokens[idx].meta["lines"]
        return f'<div class="vspace" style="--lines:{lines}" aria-hidden="true"></div>\n'

    def html_block(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[idx]
        return _expand_in_html(token.content, token.map[0] if token.map else 0, env)

    def html_inline(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[idx]
        return _expand_in_html(token.content, token.meta.get("line", 0), env)


def _matching_close(tokens: Sequence[Token], open_index: int) -> int:
    depth = 0
    for i in range(open_index, len(tokens)):
        depth += tokens[i].nesting if tokens[i].type.startswith("shortcode_") else 0
        if depth == 0:
            return i
    raise AssertionError("shortcode open token without close")  # the parser always pairs them


def _expand_in_html(html: str, body_line: int, env: EnvType) -> str:
    """Replace standalone shortcodes inside raw HTML (Hugo expands them before Markdown)."""
    if "{{" not in html:
        return html
    context = _context(env)
    out: list[str] = []
    pos = 0
    for match in re.finditer(r"\{\{[<%]", html):
        start = match.start()
        if start < pos:
            continue
        out.append(html[pos:start])
        line = body_line + html.count("\n", 0, start)
        escaped = escaped_shortcode(html, start)
        if escaped is not None:
            out.append(escaped[0])
            pos = escaped[1]
            continue
        try:
            tag = parse_shortcode(html, start)
        except ShortcodeSyntaxError as exc:
            context.problem(line, None, f"malformed shortcode: {exc.message}", exc.hint)
            out.append(html[start : start + 3])
            pos = start + 3
            continue
        out.append(context.call(tag, line))
        pos = tag.end
    out.append(html[pos:])
    return "".join(out)


# ---------------------------------------------------------------- plain text


def _inline_text(children: Sequence[Token]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _summary(tokens: Sequence[Token]) -> str:
    """Plain text before a top-level <!--more-->, else of the first top-level paragraph."""
    paragraphs: list[str] = []
    for i, token in enumerate(tokens):
        if token.level != 0:
            continue
        if token.type == "html_block" and token.content.strip() == MORE_MARKER:
            return " ".join(paragraphs)
        if token.type == "paragraph_open":
            text = _inline_text(tokens[i + 1].children or [])
            if text:
                paragraphs.append(text)
    return paragraphs[0] if paragraphs else ""
