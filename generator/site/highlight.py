"""Code highlighting as Hugo prints it (Chroma's class-based HTML), made with Pygments.

`highlight_code` gives the HTML of one code block: `<div class="highlight"><pre tabindex="0"
class="chroma"><code class="language-X" data-lang="X">`, one `<span class="line">` per line
(`line hl` for highlighted ones), token spans with Pygments' short classes (the same names as
Chroma's: `k`, `nf`, `s`...), and line numbers inline (`<span class="ln">`) or in a table
(`lntable`), as Hugo's `linenos=inline|table|true` give them. A language Pygments does not
know is printed plain in `<pre><code class="language-X">`, as Hugo does.

The options come from a fence's attributes (```` ```go {linenos=true,hl_lines=[2,"4-5"]} ````)
or the `highlight` shortcode's third parameter (`linenos=table,hl_lines=2 4-5,linenostart=9`);
`code_options` reads both forms and says what is wrong with a bad one (CodeOptionError).

`stylesheet` is the CSS for these classes: a light style, and a dark one under
`prefers-color-scheme: dark` (theme/static/syntax.css is its output; a test keeps them equal).
Pygments is imported on the first code block, not by a build of pages without one.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pygments.lexer import Lexer
    from pygments.token import _TokenType

LIGHT_STYLE = "friendly"
DARK_STYLE = "monokai"
_FENCE_ATTRS_RE = re.compile(r"\{([^{}]*)\}\s*$")
_ATTR_RE = re.compile(r"""\s*([A-Za-z_][\w-]*)\s*=\s*("[^"]*"|'[^']*'|\[[^\]]*\]|[^,\s]+)\s*,?""")
_RANGE_RE = re.compile(r"(\d+)(?:-(\d+))?")
_CLASS_RE = re.compile(r"(?:^|[\s,])\.([A-Za-z][\w-]*)")
_TRUE = ("true", "table")
USED_OPTIONS = ("linenos", "hl_lines", "linenostart")
IGNORED_OPTIONS = ("anchorlinenos", "lineanchors", "style", "noclasses", "hl_inline",
                   "linenumbersintable", "tabwidth", "guesssyntax")  # Hugo's; no effect here


class CodeOptionError(ValueError):
    """A highlighting option with a value that cannot be used."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class CodeOptions:
    """How to print one code block: line numbers (None, "inline" or "table"), lines to mark."""

    linenos: str | None = None
    hl_lines: tuple[tuple[int, int], ...] = ()  # (first, last) 1-based, within the block
    linenostart: int = 1
    classes: tuple[str, ...] = ()  # from `{.name}` fence attributes, added to the outer div

    def marked_lines(self, count: int) -> list[bool]:
        """For each line of a block of `count` lines, whether hl_lines marks it; in time
        proportional to lines plus ranges, however many and however long the ranges are."""
        starts = [0] * (count + 2)
        for first, last in self.hl_lines:
            first, last = max(first, 1), min(last, count)
            if first <= last:
                starts[first] += 1
                starts[last + 1] -= 1
        marked, depth = [], 0
        for line in range(1, count + 1):
            depth += starts[line]
            marked.append(depth > 0)
        return marked


def split_fence_info(info: str) -> tuple[str, str]:
    """A fence's info string -> (language, the text inside its `{...}` attributes or "")."""
    match = _FENCE_ATTRS_RE.search(info)
    attributes = match.group(1) if match else ""
    language = (info[: match.start()] if match else info).strip().split(maxsplit=1)
    return (language[0] if language else ""), attributes


def fence_options(attributes: str) -> CodeOptions:
    """Options from fence attributes: `linenos=true,hl_lines=[2,"4-5"],linenostart=3`, and
    classes written `.name`."""
    options = code_options({key: value for key, value in _ATTR_RE.findall(attributes)})
    return replace(options, classes=tuple(_CLASS_RE.findall(attributes)))


def shortcode_options(text: str) -> CodeOptions:
    """Options from the `highlight` shortcode: `linenos=table,hl_lines=2 4-5,linenostart=9`."""
    pairs = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, equals, value = part.partition("=")
        if not equals:
            raise CodeOptionError(f"option {part.strip()!r} has no value",
                                  'write options as "linenos=table,hl_lines=2 4-5"')
        pairs[key.strip()] = value.strip()
    return code_options(pairs)


def code_options(raw: Mapping[str, str]) -> CodeOptions:
    """CodeOptions from raw option values (quotes allowed); CodeOptionError if one is bad."""
    values = {key.lower(): value.strip("\"'") for key, value in raw.items()}
    for key in values:
        if key not in (*USED_OPTIONS, *IGNORED_OPTIONS):
            raise CodeOptionError(f"unknown highlighting option {key!r}",
                                  "use linenos, hl_lines or linenostart")
    return CodeOptions(_linenos(values.get("linenos", "false")),
                       _line_ranges(values.get("hl_lines", "")),
                       _whole_number("linenostart", values.get("linenostart", "1")))


def _linenos(value: str) -> str | None:
    value = value.lower()
    if value in ("false", ""):
        return None
    if value in _TRUE:
        return "table"
    if value == "inline":
        return "inline"
    raise CodeOptionError(f"linenos {value!r} is not true, false, table or inline",
                          "write linenos=true")


def _line_ranges(value: str) -> tuple[tuple[int, int], ...]:
    """`[2,"4-5"]`, `2 4-5` or `2` -> ((2, 2), (4, 5))."""
    ranges: list[tuple[int, int]] = []
    for item in re.split(r"[\s,\[\]]+", value.strip()):
        item = item.strip("\"'")
        if not item:
            continue
        match = _RANGE_RE.fullmatch(item)
        if match is None:
            raise CodeOptionError(f"hl_lines item {item!r} is not a line or a range",
                                  'write hl_lines=[2,"4-5"] (fence) or hl_lines=2 4-5')
        first = int(match.group(1))
        ranges.append((first, int(match.group(2) or first)))
    return tuple(ranges)


def _whole_number(key: str, value: str) -> int:
    if not value.isdigit() or len(value) > 9:
        raise CodeOptionError(f"{key} {value!r} is not a whole number", f"write {key}=1")
    return int(value)


def highlight_code(code: str, language: str, options: CodeOptions = CodeOptions()) -> str:
    """The HTML of one code block, as Hugo prints it (see the module docstring)."""
    lexer = _lexer(language)
    if lexer is None:
        lang = html.escape(language)
        attrs = f' class="language-{lang}" data-lang="{lang}"' if language else ""
        return f'<pre tabindex="0"><code{attrs}>{html.escape(code, quote=False)}</code></pre>\n'
    lines = list(_highlighted_lines(code, lexer))
    numbers = range(options.linenostart, options.linenostart + len(lines))
    rows = []
    marked_lines = options.marked_lines(len(lines))
    for number, line, marked_line in zip(numbers, lines, marked_lines, strict=True):
        marked = " hl" if marked_line else ""
        number_span = f'<span class="ln">{number}</span>' if options.linenos == "inline" else ""
        rows.append(f'<span class="line{marked}">{number_span}<span class="cl">{line}</span>'
                    "</span>")
    lang = html.escape(language)
    code_html = (f'<pre tabindex="0" class="chroma"><code class="language-{lang}" '
                 f'data-lang="{lang}">{"".join(rows)}</code></pre>')
    div_class = " ".join(("highlight", *options.classes))
    if options.linenos != "table":
        return f'<div class="{div_class}">{code_html}</div>\n'
    gutter = "".join(
        f'<span class="hl"><span class="lnt">{n}\n</span></span>' if marked_line
        else f'<span class="lnt">{n}\n</span>'
        for n, marked_line in zip(numbers, marked_lines, strict=True))
    return (f'<div class="{div_class}"><div class="chroma">\n<table class="lntable"><tr>'
            '<td class="lntd">\n'
            f'<pre tabindex="0" class="chroma"><code>{gutter}</code></pre></td>\n'
            f'<td class="lntd">\n{code_html}</td></tr></table>\n</div>\n</div>\n')


@cache
def _lexer(language: str) -> Lexer | None:
    if not language:
        return None
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language.lower(), stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def _highlighted_lines(code: str, lexer: Lexer) -> Iterator[str]:
    """Each line of `code` as token spans, its newline (if any) kept at its end, as Chroma."""
    from pygments import lex

    line: list[tuple[str, str]] = []  # (css class, text); runs of one class merged
    for token_type, value in lex(code, lexer):
        css = _css_class(token_type)
        for piece in re.split(r"(?<=\n)", value):
            if not piece:
                continue
            if line and line[-1][0] == css:
                line[-1] = (css, line[-1][1] + piece)
            else:
                line.append((css, piece))
            if piece.endswith("\n"):
                yield _spans(line)
                line = []
    if line:
        yield _spans(line)


def _spans(line: list[tuple[str, str]]) -> str:
    return "".join(f'<span class="{css}">{html.escape(text, quote=False)}</span>' if css
                   else html.escape(text, quote=False) for css, text in line)


def _css_class(token_type: _TokenType) -> str:
    from pygments.token import STANDARD_TYPES, Token

    while token_type not in STANDARD_TYPES:
        token_type = token_type.parent
    return "" if token_type is Token.Text else STANDARD_TYPES[token_type]


def stylesheet() -> str:
    """CSS for the classes above: LIGHT_STYLE, and DARK_STYLE when the reader prefers dark."""
    light, dark = _style_rules(LIGHT_STYLE), _style_rules(DARK_STYLE)
    dark = "\n".join("  " + line for line in dark.splitlines())
    layout = (".chroma .lntable { border-spacing: 0; padding: 0; margin: 0; border: 0; }\n"
              ".chroma .lntd { vertical-align: top; padding: 0; margin: 0; border: 0; }\n"
              ".chroma .line { display: flex; }\n"
              ".chroma .ln, .chroma .lnt "
              "{ user-select: none; margin-right: 0.8em; opacity: 0.6; }\n"
              ".chroma .lntable pre { padding: 0; margin: 0; }\n")
    return (f"/* Code highlighting (generator/site/highlight.py: stylesheet()); "
            f"Pygments styles {LIGHT_STYLE} and {DARK_STYLE}. */\n{layout}{light}\n"
            f"@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n")


def _style_rules(style: str) -> str:
    """A Pygments style's token rules for `.chroma`, and Chroma's `hl` for marked lines (the
    block's background stays the theme's code background)."""
    from pygments.formatters import HtmlFormatter

    formatter = HtmlFormatter(style=style)
    marked = f".chroma .hl {{ background-color: {formatter.style.highlight_color} }}"
    return "\n".join([marked, *formatter.get_token_style_defs(".chroma")])
