"""Every problem in every file at once: a bad front matter or a lost address no longer hides the
same file's body problems."""

from __future__ import annotations

import shutil
from pathlib import Path

from generator.settings import SiteSettings
from generator.site.build import check_content
from tests.site.helpers import THEME, write_post

BAD_BODY = 'Text.\n\n{{< nosuch >}}\n\n```go {linenos=sometimes}\nx\n```\n\n{{< qr text="x'


def problems_of(content: Path) -> list[tuple[str, int | None, str | None]]:
    found = check_content(content, SiteSettings(), theme_dir=THEME)
    return [(Path(p.file).parent.name, p.line, p.key) for p in found]


def test_bad_front_matter_values_and_body_problems_are_reported_together(tmp_path: Path) -> None:
    write_post(tmp_path, "a", title="A", date="not-a-date", body=BAD_BODY, draft="maybe")
    assert problems_of(tmp_path) == [
        ("a", 3, "date"), ("a", 4, "draft"),  # front matter
        ("a", 9, "nosuch"), ("a", 11, None), ("a", 15, None),  # body: unknown, option, syntax
    ]


def test_a_page_that_loses_its_address_still_has_its_body_checked(tmp_path: Path) -> None:
    write_post(tmp_path, "a", title="A", date="2021-01-01", url='"/same/"')
    write_post(tmp_path, "b", title="B", date="2021-01-01", url='"/same/"', body=BAD_BODY)
    found = problems_of(tmp_path)
    assert ("b", 4, "url") in found and ("b", 9, "nosuch") in found and len(found) == 4


def test_unparsable_front_matter_is_reported_alone(tmp_path: Path) -> None:
    page = tmp_path / "posts" / "c.md"
    page.parent.mkdir(parents=True)
    page.write_text("---\ntitle: [unclosed\n---\n{{< nosuch >}}\n", encoding="utf-8")
    assert [(line, key) for _, line, key in problems_of(tmp_path)] == [(2, None)]


def test_theme_shortcodes_reading_the_page_are_no_false_problems(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    shutil.copytree(THEME, theme)
    (theme / "shortcodes" / "byline.html").write_text("By {{ page.title }} {{ page.params.x }}")
    content = tmp_path / "content"
    write_post(content, "a", title="A", date="not-a-date", body="{{< byline >}}\n{{< nosuch >}}")
    found = check_content(content, SiteSettings(), theme_dir=theme)
    assert [(p.line, p.key) for p in found] == [(3, "date"), (7, "nosuch")]
