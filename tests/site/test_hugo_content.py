"""The content model as Hugo reads it: front matter formats and fields, sections, summaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import BuildError
from generator.settings import SiteSettings
from generator.site.build import build_site
from generator.site.config import SiteConfig
from generator.site.content import read_page, read_pages
from tests.site.helpers import THEME


def page_file(root: Path, rel: str, text: str) -> Path:
    path = root / "content" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def site(tmp_path: Path, config: SiteConfig | None = None) -> Path:
    out = tmp_path / "out"
    build_site(tmp_path / "content", out, SiteSettings(), theme_dir=THEME,
               cache_dir=tmp_path / ".cache", config=config)
    return out


def test_json_front_matter(tmp_path: Path) -> None:
    path = page_file(tmp_path, "posts/j.md", '{\n  "title": "JSON",\n  "Tags": ["a"],\n'
                     '  "author": ["Ann", "Bob"]\n}\n\nBody here.\n')
    page = read_page(path, tmp_path / "content")
    assert (page.title, page.tags, page.author) == ("JSON", ("a",), "Ann, Bob")
    assert (page.body.strip(), page.body_line) == ("Body here.", 6)


def test_a_body_opening_with_a_shortcode_is_not_json(tmp_path: Path) -> None:
    path = page_file(tmp_path, "posts/s.md", '{{< note >}}Hi{{< /note >}}\n')
    page = read_page(path, tmp_path / "content")
    assert (page.title, page.body) == ("", "{{< note >}}Hi{{< /note >}}\n")


@pytest.mark.parametrize("text, line, key", [
    ('{\n  "title": "J",\n  "weight": "heavy"\n}\n', 3, "weight"),
    ('{\n  "title": "J",\n  oops\n}\n', 3, None),
    ("---\ntitle: T\nbuild:\n  list: sometimes\n---\n", 3, "build"),
    ("---\ntitle: T\nexpiryDate: someday\n---\n", 3, "expirydate"),
])
def test_bad_front_matter_names_file_and_line(tmp_path: Path, text: str, line: int,
                                              key: str | None) -> None:
    path = page_file(tmp_path, "posts/bad.md", text)
    with pytest.raises(BuildError) as caught:
        read_page(path, tmp_path / "content")
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.key) == (path, line, key)


def test_nested_sections_each_have_their_list(tmp_path: Path) -> None:
    page_file(tmp_path, "blog/_index.md", "---\ntitle: Blog\n---\n")
    page_file(tmp_path, "blog/sub/_index.md", "---\ntitle: Sub\n---\n")
    page_file(tmp_path, "blog/sub/deep.md", "---\ntitle: Deep\ndate: 2021-01-01\n---\nD.\n")
    page_file(tmp_path, "blog/sub/plain/note.md", "---\ntitle: Note\ndate: 2021-01-02\n---\n")
    pages = {p.rel: p.section_path for p in read_pages(tmp_path / "content")}
    assert pages["blog/sub/plain/note.md"] == "blog/sub"  # no _index.md: not a section
    out = site(tmp_path)
    sub = (out / "blog" / "sub" / "index.html").read_text(encoding="utf-8")
    assert "Deep" in sub and "Note" in sub
    assert "Sub" in (out / "blog" / "index.html").read_text(encoding="utf-8")
    assert (out / "blog" / "sub" / "plain" / "note" / "index.html").is_file()


def test_publish_expiry_and_build_options(tmp_path: Path) -> None:
    page_file(tmp_path, "posts/old.md", "---\ntitle: Old\ndate: 2020-01-01\n"
              "expiryDate: 2021-01-01\n---\n")
    page_file(tmp_path, "posts/later.md", "---\ntitle: Later\npublishDate: 2999-01-01\n---\n")
    page_file(tmp_path, "posts/quiet.md", "---\ntitle: Quiet\ndate: 2021-01-01\n"
              "build:\n  list: never\n---\nQ.\n")
    page_file(tmp_path, "posts/unrendered.md", "---\ntitle: Listed only\ndate: 2021-01-01\n"
              "build:\n  render: never\n---\nL.\n")
    out = site(tmp_path)
    assert not (out / "posts" / "old").exists() and not (out / "posts" / "later").exists()
    assert (out / "posts" / "quiet" / "index.html").is_file()
    assert not (out / "posts" / "unrendered").exists()
    listing = (out / "posts" / "index.html").read_text(encoding="utf-8")
    assert "Quiet" not in listing and "Listed only" in listing
    assert "Quiet" not in (out / "index.xml").read_text(encoding="utf-8")
    kept = site(tmp_path, SiteConfig(build_expired=True, build_future=True))
    assert (kept / "posts" / "old").is_dir() and (kept / "posts" / "later").is_dir()


def test_summaries_in_hugo_order(tmp_path: Path) -> None:
    """The text before <!--more--> first, then front matter `summary`, then the first words
    (summaryLength of them)."""
    page_file(tmp_path, "posts/a.md", "---\ntitle: A\ndate: 2021-01-03\nsummary: Given.\n---\n"
              "Before divider.\n<!--more-->\nAfter.\n")
    page_file(tmp_path, "posts/b.md", "---\ntitle: B\ndate: 2021-01-02\nsummary: Given B.\n"
              "---\nFirst words of b.\n")
    page_file(tmp_path, "posts/c.md", "---\ntitle: C\ndate: 2021-01-01\n---\n"
              "one two three four five six\n")
    listing = (site(tmp_path, SiteConfig(summary_length=3)) / "index.html").read_text(
        encoding="utf-8")
    assert "Before divider." in listing and "Given." not in listing
    assert "Given B." in listing and "First words of b." not in listing
    assert "one two three …" in listing


def test_a_relative_alias_is_beside_the_page_folder(tmp_path: Path) -> None:
    page_file(tmp_path, "post/x.md", "---\ntitle: X\ndate: 2021-01-01\n"
              "aliases: [old-x, /top/]\n---\n")
    out = site(tmp_path)
    assert "../x/index.html" in (out / "post" / "old-x" / "index.html").read_text("utf-8")
    assert (out / "top" / "index.html").is_file()


def test_quoted_flags_and_numbers_read_as_hugo_reads_them(tmp_path: Path) -> None:
    path = page_file(tmp_path, "posts/q.md", '---\ntitle: Q\ndraft: "false"\nweight: "5"\n---\n')
    page = read_page(path, tmp_path / "content")
    assert (page.draft, page.weight) == (False, 5)
