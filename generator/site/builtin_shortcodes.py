"""Hugo's built-in shortcodes that need code, not a theme template: highlight, param, qr, and
inline shortcodes (`{{< name.inline >}}...{{< /name.inline >}}`).

- `{{< highlight go "linenos=table,hl_lines=2 4-5" >}}code{{< /highlight >}}`: the code as a
  fenced block with those options would print it (highlight);
- `{{< param "key" >}}` / `{{< param "a.b" >}}`: the page's front-matter value, else the site's
  `params` value (dotted keys reach into nested mappings, case-insensitively, as Hugo's
  `.Param`); a key found in neither is an error;
- `{{< qr text="..." >}}` (or the text between paired tags): the QR code as an inline PNG
  `<img>` made by segno (Hugo writes a file; a data URL needs none), with Hugo's `level`,
  `scale`, `alt`, `class`, `title` and `loading`;
- inline shortcodes: Hugo runs their body as a Go template, which this tool cannot. A body
  without template actions (`{{`) is printed as it is (for `{{% %}}`, rendered as Markdown, as
  Hugo does); one with them is left out with a warning naming file, line and shortcode, and so
  is each later `{{< name.inline />}}` reuse of it. A Hugo site whose config does not set
  `enableInlineShortcodes = true` (Hugo's default) has them off: Hugo then drops them silently;
  here they are dropped too, with a warning naming file, line and the setting to turn on.

One `BuiltinShortcodes` serves one page: it remembers the page's inline shortcodes and collects
its warnings.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from markupsafe import escape

from generator.errors import Problem
from generator.site.highlight import CodeOptionError, highlight_code, shortcode_options
from generator.site.shortcodes import ShortcodeCall, ShortcodeError

BUILTIN_SHORTCODES = ("highlight", "param", "qr")
INLINE_SUFFIX = ".inline"
QR_LEVELS = {"low": "l", "medium": "m", "quartile": "q", "high": "h"}
QR_PARAMS = ("text", "level", "scale", "targetDir", "alt", "class", "title", "loading")
MAX_QR_SCALE = 100


class BuiltinShortcodes:
    """The built-in shortcodes of one page (see the module docstring)."""

    def __init__(self, source: Path, page_params: Mapping[str, Any],
                 site_params: Mapping[str, Any], *, inline_enabled: bool = True) -> None:
        self.source = source
        self.inline_enabled = inline_enabled
        self.page_params = page_params
        self.site_params = site_params
        self.warnings: list[Problem] = []
        self._inline_bodies: dict[str, str | None] = {}  # name -> output, None: not renderable

    @staticmethod
    def handles(name: str) -> bool:
        """Whether `name` is one of these shortcodes (else the theme's)."""
        return name in BUILTIN_SHORTCODES or name.endswith(INLINE_SUFFIX)

    def __call__(self, call: ShortcodeCall) -> str:
        """The HTML of one call; ShortcodeError when it cannot be rendered."""
        if call.name.endswith(INLINE_SUFFIX):
            return self._inline(call)
        if call.name == "highlight":
            return _highlight(call)
        if call.name == "param":
            return self._param(call)
        return _qr(call)

    def _param(self, call: ShortcodeCall) -> str:
        key = call.params.get("0") or call.params.get("name")
        if not key:
            raise ShortcodeError("param needs the name of a parameter",
                                 'write {{< param "key" >}}')
        for params in (self.page_params, self.site_params):
            found, value = _lookup(params, key)
            if found and value is not None:
                return str(escape(_display(value)))
        raise ShortcodeError(f"param {key!r} is not in the page's front matter or the site's "
                             "params", f"add {key.split('.')[0]}: to the front matter or to "
                             "params in the site config")

    def _inline(self, call: ShortcodeCall) -> str:
        if not self.inline_enabled:
            self._warn(call, "inline shortcodes are off in this Hugo site; left out, as Hugo does",
                       "set enableInlineShortcodes = true in the site config")
            return ""
        if call.inner_source is None:
            if call.name not in self._inline_bodies:
                tags = f"{{{{< {call.name} >}}}}...{{{{< /{call.name} >}}}}"
                self._warn(call, "inline shortcode used before its body is given; left out",
                           f"give the body first: {tags}")
                return ""
            body = self._inline_bodies[call.name]
            if body is None:
                self._warn(call, "inline shortcode has Go template actions this tool cannot run; "
                           "left out", "write the text itself, or a theme shortcode")
            return body or ""
        if "{{" in call.inner_source:
            self._inline_bodies[call.name] = None
            self._warn(call, "inline shortcode has Go template actions this tool cannot run; "
                       "left out", f"write the text itself, or a theme shortcode in "
                       f"theme/shortcodes/{call.name.removesuffix(INLINE_SUFFIX)}.html")
            return ""
        body = call.inner if call.delimiter == "%" and call.inner is not None else call.inner_source
        self._inline_bodies[call.name] = body
        return body

    def _warn(self, call: ShortcodeCall, message: str, hint: str) -> None:
        self.warnings.append(Problem(self.source, call.line, call.name, message, hint))


def _highlight(call: ShortcodeCall) -> str:
    if call.inner_source is None:
        raise ShortcodeError("highlight needs the code between tags",
                             "write {{< highlight go >}}code{{< /highlight >}}")
    language = call.params.get("0") or call.params.get("lang", "")
    try:
        options = shortcode_options(call.params.get("1") or call.params.get("options", ""))
    except CodeOptionError as exc:
        raise ShortcodeError(exc.message, exc.hint) from exc
    return highlight_code(call.inner_source.strip("\n"), language, options).rstrip("\n")


def _lookup(params: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """(found, value) of a dotted, case-insensitive key in nested mappings."""
    value: Any = params
    for part in key.split("."):
        if not isinstance(value, Mapping):
            return False, None
        matches = [v for k, v in value.items() if str(k).lower() == part.lower()]
        if not matches:
            return False, None
        value = matches[0]
    return True, value


def _display(value: Any) -> str:
    """A value as Hugo prints it in a template: lists as `[a b]`, booleans lowercase."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + " ".join(_display(v) for v in value) + "]"
    return str(value)


def _qr(call: ShortcodeCall) -> str:
    import segno  # 30 ms to import: only for pages with a QR code

    params = call.params
    unknown = sorted(set(params) - set(QR_PARAMS))
    if unknown:
        raise ShortcodeError(f"qr has no parameter {unknown[0]!r}",
                             f"use {', '.join(QR_PARAMS)}")
    text = params.get("text") or (call.inner_source or "").strip()
    if not text:
        raise ShortcodeError("qr needs the text to encode",
                             'write {{< qr text="https://example.org/" />}}')
    level = params.get("level", "medium")
    if level not in QR_LEVELS:
        raise ShortcodeError(f"qr level {level!r} is not one of {', '.join(QR_LEVELS)}",
                             'write level="medium"')
    scale_text = params.get("scale", "4")
    if not scale_text.isdigit() or not 1 <= int(scale_text) <= MAX_QR_SCALE:
        raise ShortcodeError(f"qr scale {scale_text!r} is not a whole number from 1 to "
                             f"{MAX_QR_SCALE}", 'write scale="4"')
    try:
        code = segno.make(text, error=QR_LEVELS[level], boost_error=False)
    except segno.DataOverflowError as exc:
        raise ShortcodeError(f"qr text is too long to encode: {exc}",
                             'shorten it or use level="low"') from exc
    scale = int(scale_text)
    size = code.symbol_size(scale=scale)[0]
    attributes = "".join(f' {name}="{escape(params[name])}"'
                         for name in ("alt", "class", "title", "loading") if name in params)
    return (f'<img src="{code.png_data_uri(scale=scale)}" width="{size}" height="{size}"'
            f"{attributes}>")
