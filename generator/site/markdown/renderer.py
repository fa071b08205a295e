"""markdown-it's HTML renderer, plus shortcode calls, captions and shortcodes in raw HTML,
fenced code highlighted (highlight) and raw HTML omitted when the site is not `unsafe`.

A shortcode token renders as whatever the handler returns (through RenderContext.call): a
captioned one gets the following caption token as a Caption, a paired one the rendered HTML of
the tokens between its open and close tokens; a paragraph that is one shortcode prints without
its `<p>`, as in Hugo. Raw HTML is passed through with its standalone
shortcodes expanded, as Hugo expands them before Markdown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markdown_it.common.utils import unescapeAll
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from generator.site.highlight import (
    CodeOptionError,
    CodeOptions,
    fence_options,
    highlight_code,
    split_fence_info,
)
from generator.site.markdown.context import context
from generator.site.markdown.divider import is_divider
from generator.site.markdown.text import inline_text
from generator.site.shortcodes import (
    OPENER_RE,
    Caption,
    ShortcodeSyntaxError,
    escaped_shortcode,
    parse_shortcode,
)

RAW_HTML_OMITTED = "<!-- raw HTML omitted -->"  # what goldmark prints when unsafe is off


class Renderer(RendererHTML):
    """markdown-it's HTML renderer, plus shortcodes, captions and raw-HTML expansion."""

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
                html, close = _paired(tokens, i, self.render, options, env)
                out.append(html + "\n")
                i = close + 1
                continue
            if _is_lone_shortcode_paragraph(tokens, i):  # Hugo prints no <p> around it
                out.append(self.renderInline(tokens[i + 1].children or [], options, env) + "\n")
                i += 3
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
                out.append(context(env).call(token.meta["tag"], token.meta["line"]))
            elif token.type == "shortcode_inline_open":
                html, i = _paired(tokens, i, self.renderInline, options, env)
                out.append(html)
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
            caption = Caption(self.renderInline(children, options, env), inline_text(children))
        return context(env).call(token.meta["tag"], token.meta["line"], caption) + "\n"

    def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        """A fenced code block highlighted as Hugo does, with its `{linenos=...}` attributes."""
        token = tokens[idx]
        language, attributes = split_fence_info(unescapeAll(token.info))
        try:
            code_options = fence_options(attributes)
        except CodeOptionError as exc:
            context(env).problem(token.map[0] if token.map else 0, None,
                                 f"code block: {exc.message}", exc.hint)
            code_options = CodeOptions()
        return highlight_code(token.content, language, code_options)

    def html_block(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[idx]
        if is_divider(token):
            return ""  # the summary divider: Hugo prints nothing for it
        if not context(env).options.unsafe_html:
            return RAW_HTML_OMITTED + "\n"
        return expand_in_html(token.content, token.map[0] if token.map else 0, env)

    def html_inline(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[idx]
        if not context(env).options.unsafe_html:
            return RAW_HTML_OMITTED
        return expand_in_html(token.content, token.meta.get("line", 0), env)


def _is_lone_shortcode_paragraph(tokens: Sequence[Token], i: int) -> bool:
    """Whether tokens[i] opens a paragraph holding only one shortcode (paired or not)."""
    if tokens[i].type != "paragraph_open" or tokens[i].hidden:
        return False
    children = tokens[i + 1].children or []
    if len(children) == 1:
        return children[0].type == "shortcode_inline"
    return (bool(children) and children[0].type == "shortcode_inline_open"
            and _matching_close(children, 0) == len(children) - 1)


def _paired(tokens: Sequence[Token], i: int,
            render: Callable[[Sequence[Token], OptionsDict, EnvType], str],
            options: OptionsDict, env: EnvType) -> tuple[str, int]:
    """The paired shortcode opened at tokens[i], its inner tokens rendered by `render`;
    and the index of its closing token."""
    close = _matching_close(tokens, i)
    inner = render(tokens[i + 1 : close], options, env)
    meta = tokens[i].meta
    html = context(env).call(meta["tag"], meta["line"], None, inner, meta["inner_source"])
    return html, close


def _matching_close(tokens: Sequence[Token], open_index: int) -> int:
    depth = 0
    for i in range(open_index, len(tokens)):
        depth += tokens[i].nesting if tokens[i].type.startswith("shortcode_") else 0
        if depth == 0:
            return i
    raise AssertionError("shortcode open token without close")  # the parser always pairs them


def expand_in_html(html: str, body_line: int, env: EnvType) -> str:
    """Replace standalone shortcodes inside raw HTML (Hugo expands them before Markdown)."""
    if "{{" not in html:
        return html
    render = context(env)
    out: list[str] = []
    pos = 0
    for match in OPENER_RE.finditer(html):
        start = match.start()
        if start < pos:
            continue
        out.append(html[pos:start])
        escaped = escaped_shortcode(html, start)
        if escaped is not None:
            out.append(escaped[0])
            pos = escaped[1]
            continue
        line = body_line + html.count("\n", 0, start)
        try:
            tag = parse_shortcode(html, start)
        except ShortcodeSyntaxError as exc:
            render.malformed(line, exc)
            out.append(html[start : start + 3])
            pos = start + 3
            continue
        out.append(render.call(tag, line))
        pos = tag.end
    out.append(html[pos:])
    return "".join(out)
