"""Per-render state that the parse rules and the renderer share through markdown-it's env.

It maps body lines to file lines, collects problems (raised together by render_markdown) and
warnings, calls the shortcode handler, turning its errors into problems at the right line, and
carries the site's Markdown options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from markdown_it.utils import EnvType

from generator.errors import BuildError, Problem
from generator.site.markdown.divider import body_line as written_line
from generator.site.shortcodes import (
    Caption,
    ShortcodeCall,
    ShortcodeError,
    ShortcodeHandler,
    ShortcodeSyntaxError,
    ShortcodeTag,
)

ENV_KEY = "generator.site.markdown"


@dataclass(frozen=True)
class MarkdownOptions:
    """Site switches that change how Markdown renders, as Hugo's config names them."""

    enable_emoji: bool = False  # enableEmoji: `:smile:` -> the emoji
    unsafe_html: bool = True  # markup.goldmark.renderer.unsafe: raw HTML kept, else omitted


@dataclass(frozen=True)
class FootnoteLabels:
    """The words of the footnotes section, in the site's language (from the theme's UI strings)."""

    heading: str = "Notes"  # the section's heading
    back: str = "back to reference {ref}"  # the back-link's label; {ref} is the footnote's mark


@dataclass
class RenderContext:
    """Per-render state carried in markdown-it's env under ENV_KEY."""

    source: Path
    first_line: int
    handler: ShortcodeHandler
    options: MarkdownOptions = field(default_factory=MarkdownOptions)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    body_line: int = 0  # 0-based body line of the inline token being parsed
    footnotes: FootnoteLabels = field(default_factory=FootnoteLabels)
    divider_line: int | None = None  # where `divider.at_divider` moved <!--more--> from

    def file_line(self, body_line: int) -> int:
        return self.first_line + written_line(body_line, self.divider_line)

    def problem(self, body_line: int, key: str | None, message: str, hint: str | None) -> None:
        _add_new(self.problems, Problem(self.source, self.file_line(body_line), key, message, hint))

    def warn(self, body_line: int, key: str | None, message: str, hint: str | None) -> None:
        _add_new(self.warnings, Problem(self.source, self.file_line(body_line), key, message, hint))

    def malformed(self, body_line: int, error: ShortcodeSyntaxError) -> None:
        self.problem(body_line, None, f"malformed shortcode: {error.message}", error.hint)

    def call(
        self,
        tag: ShortcodeTag,
        body_line: int,
        caption: Caption | None = None,
        inner: str | None = None,
        inner_source: str | None = None,
    ) -> str:
        """The handler's HTML for `tag`; "" (and a problem recorded) if it cannot render it."""
        shortcode = ShortcodeCall(
            tag.name, dict(tag.params), self.file_line(body_line), inner, inner_source,
            tag.delimiter,
        )
        try:
            return self.handler(shortcode, caption)
        except ShortcodeError as exc:
            self.problem(body_line, tag.name, exc.message, exc.hint)
        except BuildError as exc:
            for found in exc.problems:
                _add_new(self.problems, found)
        return ""


def context(env: EnvType) -> RenderContext:
    """The RenderContext of the render that `env` belongs to."""
    return env[ENV_KEY]


def _add_new(problems: list[Problem], found: Problem) -> None:
    if found not in problems:
        problems.append(found)
