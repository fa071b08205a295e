"""The problems in the Markdown body of a page that will not be built, so that a build reports
every problem of every file at once: a bad front-matter value, or a page that loses its
address to another, no longer hides the same file's body problems until it is fixed.

The body is rendered with the shortcodes that need no page around them (the built-in and the
theme's, which see every `page` value as empty); `img`, `figure`, `ref` and `relref` are left to
the real build, which needs the page.
A body whose front matter cannot be parsed at all cannot be placed in its file and is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from generator.boundaries import Boundary
from generator.errors import BuildError, Problem
from generator.site.builtin_shortcodes import BuiltinShortcodes
from generator.site.content import is_markdown, split_front_matter
from generator.site.markdown import MarkdownOptions, render_markdown
from generator.site.shortcodes import Caption, ShortcodeCall, ThemeShortcodes

PAGE_SHORTCODES = ("img", "figure", "ref", "relref")  # need the built page; left to the build


class _UnknownPage(dict[str, Any]):
    """The `page` a theme shortcode sees while only its problems matter: every value, at any
    depth, is empty."""

    def __missing__(self, key: str) -> _UnknownPage:
        return _UnknownPage()

    def __str__(self) -> str:
        return ""


def unloaded_bodies(problems: list[Problem], content: Boundary,
                    ) -> list[tuple[Path, str, int]]:
    """(file, body, file line of the body) of each Markdown file named by `problems` whose
    front matter parses; a file that leads outside `content` (a link) is never read."""
    bodies = []
    for source in sorted({Path(p.file) for p in problems if is_markdown(Path(p.file))}):
        if not content.contains(source):
            continue
        try:
            text = source.read_text(encoding="utf-8-sig")
            _, _, body, body_line = split_front_matter(text, source)
        except (OSError, UnicodeDecodeError, BuildError):
            continue
        bodies.append((source, body, body_line))
    return bodies


def body_problems(source: Path, body: str, body_line: int, *, theme: ThemeShortcodes,
                  site_params: Mapping[str, Any], options: MarkdownOptions,
                  inline_shortcodes: bool = True) -> list[Problem]:
    """Every problem rendering `body` (line `body_line` of `source`) would hit."""
    builtins = BuiltinShortcodes(source, {}, site_params, inline_enabled=inline_shortcodes)

    def handler(call: ShortcodeCall, caption: Caption | None) -> str:
        if call.name in PAGE_SHORTCODES or call.name == "param":  # page params are unknown
            return ""
        if builtins.handles(call.name) and not theme.overrides(call.name):
            return builtins(call)
        return theme(call, caption, page=_UnknownPage())

    try:
        render_markdown(body, source=source, first_line=body_line, shortcodes=handler,
                        options=options)
    except BuildError as error:
        return error.problems
    return []
