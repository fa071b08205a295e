"""Hugo-style shortcodes: the tag parser, the call types handed to handlers, and theme templates.

A shortcode is written `{{< name key="value" >}}` (or with `%` instead of `<`). Parameters are
named (`key="value"`, `` key=`raw` ``, `key=bare`) or positional (stored under "0", "1", ...),
never both in one tag. `{{< name />}}` is self-closing, `{{< /name >}}` closes a paired one, and
`{{</* name */>}}` shows the tag literally (Hugo's escape).

The Markdown renderer (markdown) finds the tags and calls a `ShortcodeHandler`;
`ThemeShortcodes` is the handler for shortcodes written as Jinja2 templates in
`theme/shortcodes/NAME.html`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import jinja2
from markupsafe import Markup

from generator.boundaries import Boundary
from generator.errors import BuildError, Problem
from generator.site.theme import ThemeEnvironment, ThemeLoader

NAME_RE = re.compile(r"[A-Za-z0-9_][\w.-]*(?:/[A-Za-z0-9_][\w.-]*)*")
KEY_RE = re.compile(r"([A-Za-z_][\w-]*)[ \t]*=[ \t]*")
OPENERS = ("{{<", "{{%")
OPENER_RE = re.compile(r"\{\{[<%]")  # where a tag (or an escaped one) may start
CLOSERS = {"<": ">}}", "%": "%}}"}
T = TypeVar("T")


@dataclass(frozen=True)
class ShortcodeCall:
    """One shortcode use, as a handler sees it.

    `line` is the 1-based line in the source file. For a paired shortcode, `inner` is the
    rendered HTML of the Markdown between the tags and `inner_source` its raw text.
    `delimiter` is "<" for `{{< >}}` and "%" for `{{% %}}` (whose output Hugo reads as Markdown).
    """

    name: str
    params: dict[str, str]
    line: int
    inner: str | None = None
    inner_source: str | None = None
    delimiter: str = "<"


@dataclass(frozen=True)
class Caption:
    """The `<center>` caption line that follows an `img` shortcode."""

    html: str  # rendered inline Markdown
    text: str  # its plain text (for alt)


ShortcodeHandler = Callable[[ShortcodeCall, Caption | None], str]


class ShortcodeError(Exception):
    """A handler cannot render a call; the renderer turns it into a BuildError at file:line."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ShortcodeSyntaxError(ValueError):
    """A `{{<` that does not form a valid tag; `offset` is where in the text it went wrong."""

    def __init__(self, message: str, offset: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.hint = hint


@dataclass(frozen=True)
class ShortcodeTag:
    """A parsed tag occupying text[start:end]."""

    name: str
    params: dict[str, str] = field(default_factory=dict)
    start: int = 0
    end: int = 0
    closing: bool = False  # {{< /name >}}
    self_closing: bool = False  # {{< name />}}
    delimiter: str = "<"  # "<" or "%"


def escaped_shortcode(text: str, pos: int = 0) -> tuple[str, int] | None:
    """`{{</* x */>}}` at pos -> (the literal `{{< x >}}`, end offset); None if not an escape."""
    if not text.startswith(("{{</*", "{{%/*"), pos):
        return None
    delim = text[pos + 2]
    close = text.find("*/" + CLOSERS[delim], pos + 5)
    if close < 0:
        return None
    return "{{" + delim + text[pos + 5 : close] + CLOSERS[delim], close + 5


def parse_shortcode(text: str, pos: int = 0) -> ShortcodeTag:
    """Parse the tag starting at text[pos] (which must be `{{<` or `{{%`)."""
    if not text.startswith(OPENERS, pos):
        raise ShortcodeSyntaxError("not a shortcode", pos)
    delim = text[pos + 2]
    closer = CLOSERS[delim]
    i = _skip_space(text, pos + 3)
    closing = text.startswith("/", i)
    if closing:
        i = _skip_space(text, i + 1)
    name_match = NAME_RE.match(text, i)
    if not name_match:
        raise ShortcodeSyntaxError(
            "shortcode name missing", i, f'write {{{{{delim} name key="value" {closer}'
        )
    named: dict[str, str] = {}
    positional: list[str] = []
    i = name_match.end()
    while True:
        after_space = _skip_space(text, i)
        end = _close_at(text, after_space, closer)
        if end is not None:
            self_closing = text[after_space] == "/"
            if closing and (self_closing or named or positional):
                raise ShortcodeSyntaxError(
                    "a closing tag takes no parameters", pos, f"write {{{{{delim} /name {closer}"
                )
            return ShortcodeTag(
                name_match.group(),
                named or {str(n): v for n, v in enumerate(positional)},
                pos,
                end,
                closing,
                self_closing,
                delim,
            )
        if after_space >= len(text):
            raise ShortcodeSyntaxError(
                f"`{{{{{delim}` is never closed with `{closer}`",
                pos,
                f"end the tag with {closer}; to show it literally put it in `code`",
            )
        if after_space == i:
            raise ShortcodeSyntaxError(
                f"unexpected {text[i]!r} in shortcode {name_match.group()!r}",
                i,
                'separate parameters with spaces: key="value"',
            )
        i = _parse_param(text, after_space, closer, named, positional)


def find_closing(text: str, name: str, pos: int) -> ShortcodeTag | None:
    """The tag closing `name` at or after pos (skipping nested same-name pairs), if any."""
    return matching_close(name, ((tag, tag) for tag in _tags(text, pos)))


def matching_close(name: str, tags: Iterable[tuple[T, ShortcodeTag | None]]) -> T | None:
    """The place of the tag that closes `name` among `tags` (place, tag or None), in text order,
    skipping nested pairs of the same name."""
    depth = 0
    for place, tag in tags:
        if tag is None or tag.name != name or tag.self_closing:
            continue
        if not tag.closing:
            depth += 1
        elif depth == 0:
            return place
        else:
            depth -= 1
    return None


def _tags(text: str, pos: int) -> Iterator[ShortcodeTag]:
    """Every well-formed tag at or after pos."""
    for start in _tag_starts(text, pos):
        with contextlib.suppress(ShortcodeSyntaxError):
            yield parse_shortcode(text, start)


def _tag_starts(text: str, pos: int) -> Iterator[int]:
    start = text.find("{{", pos)
    while start >= 0:
        if text.startswith(OPENERS, start):
            yield start
        start = text.find("{{", start + 2)


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _close_at(text: str, i: int, closer: str) -> int | None:
    """End offset if the tag closes at i (`>}}` or `/>}}`), else None."""
    if text.startswith(closer, i):
        return i + len(closer)
    if text.startswith("/", i):
        j = _skip_space(text, i + 1)
        if text.startswith(closer, j):
            return j + len(closer)
    return None


def _parse_param(
    text: str, i: int, closer: str, named: dict[str, str], positional: list[str]
) -> int:
    key_match = KEY_RE.match(text, i)
    key = key_match.group(1) if key_match else None
    if key_match:
        i = key_match.end()
    value, i = _parse_value(text, i, closer)
    if key is None:
        if named:
            _mixed(i)
        positional.append(value)
        return i
    if positional:
        _mixed(i)
    if key in named:
        raise ShortcodeSyntaxError(f"parameter {key!r} given twice", i)
    named[key] = value
    return i


def _mixed(i: int) -> NoReturn:
    raise ShortcodeSyntaxError(
        "named and positional parameters mixed", i, 'use key="value" for every parameter'
    )


def _parse_value(text: str, i: int, closer: str) -> tuple[str, int]:
    if i >= len(text):
        raise ShortcodeSyntaxError("parameter value missing", i)
    quote = text[i]
    if quote == "`":
        end = text.find("`", i + 1)
        if end < 0:
            raise ShortcodeSyntaxError("unterminated ` in parameter value", i, "close it with `")
        return text[i + 1 : end], end + 1
    if quote == '"':
        return _parse_quoted(text, i)
    if _close_at(text, i, closer) is not None:
        raise ShortcodeSyntaxError("parameter value missing", i, 'write key="value"')
    if text.startswith(tuple(CLOSERS.values()), i):
        raise ShortcodeSyntaxError(
            f"tag ends with {text[i : i + 3]}, not {closer}",
            i,
            f"end it with {closer}",
        )
    j = i
    while j < len(text) and text[j] not in " \t\r\n" and _close_at(text, j, closer) is None:
        if text[j] in '"`=':
            raise ShortcodeSyntaxError(
                f"unexpected {text[j]!r} in parameter value", j, 'quote the value: key="value"'
            )
        j += 1
    return text[i:j], j


def _parse_quoted(text: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    j = i + 1
    while j < len(text) and text[j] != '"':
        if text[j] == "\\" and j + 1 < len(text) and text[j + 1] in '"\\':
            j += 1
        elif text[j] == "\n":
            break
        out.append(text[j])
        j += 1
    if j >= len(text) or text[j] != '"':
        raise ShortcodeSyntaxError('unterminated " in parameter value', i, 'close it with "')
    return "".join(out), j + 1


class ThemeShortcodes:
    """A ShortcodeHandler rendering `theme_dir/shortcodes/NAME.html` with Jinja2 (autoescaped).

    A template sees `name`, `params`, `inner` (rendered HTML, or None), `inner_source`,
    `caption` (a Caption or None), `page` (the mapping the caller passes), `t` (the theme's UI
    strings in the site's language) and `error(msg)`, which stops the build with the shortcode's
    file and line. Templates named `_*.html` are parts other templates include, not shortcodes.
    A template missing from the theme is looked up in `fallback_dir/shortcodes` (the bundled
    theme's, with Hugo's built-ins), so a site's own theme has them too and may override any of
    them.
    """

    def __init__(self, theme_dir: Path, builtins: Iterable[str] = ("img",),
                 fallback_dir: Path | None = None,
                 strings: Mapping[str, Any] | None = None,
                 compiled: jinja2.BytecodeCache | None = None, *, reloads: bool = False) -> None:
        """`reloads`: as `Theme`'s."""
        self.directory = Path(theme_dir) / "shortcodes"
        self.directories = [self.directory]
        if fallback_dir is not None and Path(fallback_dir).resolve() != Path(theme_dir).resolve():
            self.directories.append(Path(fallback_dir) / "shortcodes")
        self.builtins = tuple(builtins)  # names the caller handles itself (listed in errors)
        self._env = ThemeEnvironment(
            loader=ThemeLoader(self.directories, Boundary(
                *(directory.parent for directory in self.directories),
                name="the theme folder", error=BuildError)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
            bytecode_cache=compiled,
            auto_reload=reloads,  # as the theme's (theme._environment)
        )
        self._env.globals["error"] = _template_error
        self._env.globals["t"] = dict(strings or {})

    def names(self) -> list[str]:
        """Every shortcode the theme (or the fallback) provides, sorted."""
        return sorted({
            p.relative_to(directory).with_suffix("").as_posix()
            for directory in self.directories if directory.is_dir()
            for p in directory.rglob("*.html")
            if not p.name.startswith("_")  # a part other templates include
        })

    def overrides(self, name: str) -> bool:
        """Whether the theme itself has a template for `name` (which then wins over a built-in
        the caller would handle, as a site's shortcode wins over Hugo's)."""
        return not name.rpartition("/")[2].startswith("_") and (
            self.directory / f"{name}.html").is_file()

    def __call__(
        self,
        call: ShortcodeCall,
        caption: Caption | None = None,
        *,
        page: Mapping[str, Any] | None = None,
    ) -> str:
        """Render one call; ShortcodeError for unknown names and template failures."""
        template = self._template(call.name)
        try:
            html = template.render(
                name=call.name,
                params=call.params,
                inner=Markup(call.inner) if call.inner is not None else None,
                inner_source=call.inner_source,
                caption=caption,
                page={} if page is None else page,
            )
        except ShortcodeError:
            raise
        except jinja2.TemplateError as exc:
            raise ShortcodeError(
                f"shortcode template {template.filename} failed: {exc}",
                "fix the template or the shortcode's parameters",
            ) from exc
        return html.strip()

    def _template(self, name: str) -> jinja2.Template:
        try:
            if name.rpartition("/")[2].startswith("_"):
                raise jinja2.TemplateNotFound(name)
            return self._env.get_template(f"{name}.html")
        except jinja2.TemplateNotFound:
            known = ", ".join(sorted({*self.builtins, *self.names()})) or "none"
            raise ShortcodeError(
                f"unknown shortcode {name!r}",
                f"known shortcodes: {known}; add theme/shortcodes/{name}.html for a new one",
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise BuildError(
                Problem(
                    exc.filename or self.directory / f"{name}.html",
                    exc.lineno,
                    None,
                    f"template syntax error: {exc.message}",
                )
            ) from exc


def _template_error(message: str) -> NoReturn:
    raise ShortcodeError(str(message))
