"""A rendered body that calls shortcodes, kept so a rebuild calls only its shortcodes again.

A shortcode's output depends on more than the body (the page, the theme, the images), so a body
that calls one cannot be kept as HTML. But the Markdown around the calls never depends on what
they return: the renderer puts each output into the HTML as it is, and the summary, anchors and
captions come from the parsed tokens. So `record` renders the body once with every call answered
by a placeholder (`\\x00shortcode-N\\x00`: a NUL, which no body text can hold), and keeps the HTML
with its placeholders and the calls in the order they were made. `Replayable.replay` makes the
same calls, in the same order, to the handler of this build and puts each answer where its
placeholder stands: the HTML a cold render gives.

Kept only where that holds: every placeholder appears exactly once in the HTML, in the order of
the calls; no call's inner content holds another's placeholder (nested shortcodes); no `{{% %}}`
call (its output is read as Markdown); no problem while recording. A replay whose calls report
a problem gives None, and the caller renders cold, so errors are reported exactly as a cold
render reports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.errors import BuildError, Problem
from generator.site.markdown import (
    FootnoteLabels,
    MarkdownOptions,
    RenderedMarkdown,
    render_markdown,
)
from generator.site.shortcodes import Caption, ShortcodeCall, ShortcodeError, ShortcodeHandler


@dataclass(frozen=True)
class Replayable:
    """A body rendered with placeholders for its shortcode calls, and those calls."""

    pieces: tuple[str, ...]  # the HTML between the placeholders: one more than `calls`
    calls: tuple[tuple[ShortcodeCall, Caption | None], ...]
    summary: str
    warnings: tuple[Problem, ...]

    def replay(self, handler: ShortcodeHandler) -> RenderedMarkdown | None:
        """The body as a cold render with `handler` gives it; None if a call fails."""
        html = [self.pieces[0]]
        try:
            for (call, caption), after in zip(self.calls, self.pieces[1:], strict=True):
                html += [handler(call, caption), after]
        except (ShortcodeError, BuildError):
            return None
        return RenderedMarkdown("".join(html), self.summary, self.warnings)


def record(text: str, *, source: Path, first_line: int, options: MarkdownOptions,
           footnotes: FootnoteLabels) -> Replayable | None:
    """`text` rendered with placeholders for its shortcode calls; None where the result could
    differ from a cold render's (see the module's docstring)."""
    calls: list[tuple[ShortcodeCall, Caption | None]] = []

    def placeholder(call: ShortcodeCall, caption: Caption | None) -> str:
        calls.append((call, caption))
        return _placeholder(len(calls) - 1)

    try:
        rendered = render_markdown(text, source=source, first_line=first_line,
                                   shortcodes=placeholder, options=options, footnotes=footnotes)
    except BuildError:
        return None
    if any(call.delimiter == "%" or "\x00" in (call.inner or "") for call, _ in calls):
        return None
    pieces, rest = [], rendered.html
    for n in range(len(calls)):
        mark = _placeholder(n)
        if rest.count(mark) != 1:
            return None
        before, rest = rest.split(mark)
        pieces.append(before)
    return Replayable((*pieces, rest), tuple(calls), rendered.summary, rendered.warnings)


def _placeholder(n: int) -> str:
    return f"\x00shortcode-{n}\x00"
