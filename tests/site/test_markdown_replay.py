"""A body kept with its shortcodes apart gives, replayed, exactly what a cold render gives."""

from __future__ import annotations

import pytest

from generator.site.markdown import FootnoteLabels, MarkdownOptions, render_markdown
from generator.site.markdown.replay import record
from generator.site.shortcodes import Caption, ShortcodeCall, ShortcodeError
from tests.site.test_markdown import SEED_POST, SOURCE

OPTIONS = MarkdownOptions()
NOTES = FootnoteLabels()


class Numbered:
    """A handler whose answers depend on the order of the calls, as figures' numbering may."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.count = 0
        self.fail_on = fail_on

    def __call__(self, call: ShortcodeCall, caption: Caption | None) -> str:
        self.count += 1
        if call.name == self.fail_on:
            raise ShortcodeError(f"cannot render {call.name}", "fix it")
        text = caption.html if caption else ""
        return (f'<figure data-n="{self.count}" data-line="{call.line}">{call.name} '
                f'{sorted(call.params.items())} {call.inner or ""}{text}</figure>')


BODIES = {
    "block images with captions": (
        'Intro[^1].\n\n{{<img src="images/a">}}\n<center>_**A** -- one_</center>\n\n'
        '{{<img src="images/b">}}\n\n## Heading\n\n- item\n\n  {{<img src="images/c">}}\n\n'
        '[^1]: A note.\n'),
    "inline shortcode": 'Text {{< param name >}} and more.\n',
    "shortcode in raw html": '<div>\n{{< param name >}}\n</div>\n\nAfter.\n',
    "paired shortcode": '{{< box >}}\nInner *text*.\n{{< /box >}}\n',
    "percent shortcode": '{{% box %}}\nInner.\n{{% /box %}}\n',
    "nested shortcodes": '{{< box >}}\n{{< param name >}}\n{{< /box >}}\n',
    "no shortcodes": "# Title\n\nJust *text*, \"quoted\" -- dashed.\n",
    "the seed post": SEED_POST.read_text(encoding="utf-8").split("---", 2)[2],
}


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_a_kept_body_replays_to_the_cold_render(body: str) -> None:
    kept = record(body, source=SOURCE, first_line=5, options=OPTIONS, footnotes=NOTES)
    cold = render_markdown(body, source=SOURCE, first_line=5, shortcodes=Numbered(),
                           options=OPTIONS, footnotes=NOTES)
    if kept is None:
        return  # rendered cold each time: nothing to compare
    for _ in range(2):  # a kept body is replayed at every build
        assert kept.replay(Numbered()) == cold


def test_gallery_posts_are_kept_and_what_could_differ_is_not() -> None:
    kept = {name: record(body, source=SOURCE, first_line=5, options=OPTIONS, footnotes=NOTES)
            for name, body in BODIES.items()}
    assert {name for name, found in kept.items() if found is None} == {
        "percent shortcode", "nested shortcodes"}
    assert len(kept["the seed post"].calls) == 60  # type: ignore[union-attr]


def test_a_call_that_fails_on_replay_gives_none_for_a_cold_render() -> None:
    kept = record(BODIES["block images with captions"], source=SOURCE, first_line=5,
                  options=OPTIONS, footnotes=NOTES)
    assert kept is not None and kept.replay(Numbered(fail_on="img")) is None
