"""Reading content/: front matter (YAML and TOML) with file lines, bundles, and Hugo-like URLs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote, urljoin

import pytest

from generator.errors import BuildError
from generator.site.content import read_page, read_pages
from generator.site.urls import (
    PERMALINK_TOKENS,
    absolute,
    clean_path,
    page_path,
    relative,
    urlize,
)
from tests.site.helpers import write_seed_bundle


def page_file(tmp_path: Path, rel: str, text: str) -> Path:
    path = tmp_path / "content" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def kinds_and_paths(tmp_path: Path) -> dict[str, tuple[str, str | None]]:
    """Each page read from tmp_path/content, by its file: its kind and where it is written."""
    return {p.rel: (p.kind, page_path(p)) for p in read_pages(tmp_path / "content")}


def test_seed_front_matter(tmp_path: Path) -> None:
    bundle = write_seed_bundle(tmp_path / "content")
    page = read_page(bundle / "index.md", tmp_path / "content")
    assert page.title == "Один из этих постов про нейросети"
    assert page.subtitle == "Ну, в смысле, с картиночками"
    assert page.date == datetime(2021, 3, 30, 15, tzinfo=timezone(timedelta(hours=3)))
    assert page.url == "/2021/gaming-gave-me-an-aneurysm"
    assert page.tags == ("Шитпостинг", "Пргрмрвнне", "Технологии")
    assert page.categories == ("Шитпостинг", "Технологии")
    assert (page.draft, page.comments, page.type) == (False, True, "post")
    assert page.author == "Юрий Крупенин"
    assert page.bundle == bundle and page.section == "posts"
    assert page.body_line == 18  # the seed's closing --- is line 17
    assert page.body.splitlines()[2] == "\\"  # line 20
    assert page_path(page) == "2021/gaming-gave-me-an-aneurysm/index.html"


def test_toml_front_matter(tmp_path: Path) -> None:
    path = page_file(tmp_path, "posts/x.md", "+++\ntitle = \"T\"\ndate = 2021-01-02T03:04:05Z\n"
                     "tags = [\"a\", \"b\"]\n+++\nBody\n")
    page = read_page(path, tmp_path / "content")
    assert (page.title, page.tags, page.body, page.body_line) == ("T", ("a", "b"), "Body\n", 6)
    assert page.date == datetime(2021, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert page.bundle is None and page_path(page) == "posts/x/index.html"


def test_every_permalink_token_the_config_accepts_is_filled_in(tmp_path: Path) -> None:
    path = page_file(tmp_path, "posts/x.md", "---\ntitle: T\ndate: 2021-01-02\n---\n")
    pattern = "/" + "/".join(f":{token}" for token in PERMALINK_TOKENS) + "/"
    site_path = page_path(read_page(path, tmp_path / "content"), {"posts": pattern})
    assert site_path == ("2021/01/january/02/6/saturday/2/posts/posts/t/t/x/x/x/x/index.html")


def test_no_front_matter_is_a_page_with_body_from_line_1(tmp_path: Path) -> None:
    page = read_page(page_file(tmp_path, "note.md", "Just text.\n"), tmp_path / "content")
    assert (page.title, page.body_line, page.body) == ("", 1, "Just text.\n")


@pytest.mark.parametrize(("text", "line", "key", "words"), [
    ("---\ntitle: ok\ntags: [a\n---\n", 3, None, "not valid YAML"),
    ('---\ntitle: "Never closed\ndate: 2021-01-01\n---\n', 2, None, "quoted scalar"),
    ("---\ntitle: ok\ndate: someday\n---\n", 3, "date", "not a date"),
    ("---\ntitle: ok\n\ndraft: maybe\n---\n", 4, "draft", "true or false"),
    ("---\ntitle: ok\ntags:\n  - a: b\n---\n", 3, "tags", "list of texts"),
    ("---\ntitle: [1, 2]\n---\n", 2, "title", "must be text"),
    ("---\ntitle: ok\nweight: true\n---\n", 3, "weight", "whole number"),
    ("---\n- a\n- b\n---\n", 2, None, "mapping"),
    ("---\ntitle: never closed\n", 1, None, "never closed"),
    ("+++\ntitle = \n+++\n", 2, None, "not valid TOML"),
])
def test_bad_front_matter_names_file_and_line(tmp_path: Path, text: str, line: int,
                                              key: str | None, words: str) -> None:
    path = page_file(tmp_path, "posts/bad/index.md", text)
    with pytest.raises(BuildError) as caught:
        read_page(path, tmp_path / "content")
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.key) == (path, line, key)
    assert words in problem.message
    assert "line" not in problem.message  # the file line is the problem's; no other line number


def test_every_bad_front_matter_field_is_reported_at_once(tmp_path: Path) -> None:
    text = "---\ntitle: {a: 1}\ndraft: maybe\nweight: 1.5\nauthor: Me\n---\n"
    path = page_file(tmp_path, "posts/bad/index.md", text)
    with pytest.raises(BuildError) as caught:
        read_page(path, tmp_path / "content")
    assert [(p.line, p.key) for p in caught.value.problems] == [
        (2, "title"), (3, "draft"), (4, "weight")]


def test_read_pages_finds_bundles_plain_pages_and_sections(tmp_path: Path) -> None:
    page_file(tmp_path, "posts/a/index.md", "---\ntitle: A\n---\n")
    page_file(tmp_path, "posts/a/notes/readme.md", "a bundle resource, not a page\n")
    page_file(tmp_path, "posts/b.md", "---\ntitle: B\nslug: Bee Two\n---\n")
    page_file(tmp_path, "posts/_index.md", "---\ntitle: Posts\n---\n")
    page_file(tmp_path, "_index.md", "---\ntitle: Home\n---\n")
    page_file(tmp_path, "about.md", "---\ntitle: About\n---\n")
    page_file(tmp_path, ".hidden/x.md", "x\n")
    kinds = kinds_and_paths(tmp_path)
    assert sorted(kinds) == ["_index.md", "about.md", "posts/_index.md", "posts/a/index.md",
                             "posts/b.md"]
    assert kinds == {
        "_index.md": ("home", "index.html"),
        "about.md": ("page", "about/index.html"),
        "posts/_index.md": ("section", "posts/index.html"),
        "posts/a/index.md": ("page", "posts/a/index.html"),
        "posts/b.md": ("page", "posts/bee-two/index.html"),
    }


def test_markdown_extensions_in_any_case_are_pages_like_hugo(tmp_path: Path) -> None:
    """Hugo reads .MD, .Markdown (and .mdown...) too; skipping them silently lost posts."""
    page_file(tmp_path, "posts/c/index.MD", "---\ntitle: C\n---\n")
    page_file(tmp_path, "posts/c/notes.Markdown", "a bundle resource, not a page\n")
    page_file(tmp_path, "posts/D.Markdown", "---\ntitle: D\n---\n")
    page_file(tmp_path, "posts/e.mdown", "---\ntitle: E\n---\n")
    page_file(tmp_path, "posts/_index.markdown", "---\ntitle: Posts\n---\n")
    page_file(tmp_path, "posts/notes.txt", "not content\n")
    assert kinds_and_paths(tmp_path) == {
        "posts/c/index.MD": ("page", "posts/c/index.html"),
        "posts/D.Markdown": ("page", "posts/d/index.html"),
        "posts/e.mdown": ("page", "posts/e/index.html"),
        "posts/_index.markdown": ("section", "posts/index.html"),
    }


def test_read_pages_reports_every_bad_page(tmp_path: Path) -> None:
    page_file(tmp_path, "posts/a.md", "---\ndate: x\n---\n")
    page_file(tmp_path, "posts/b.md", "---\ndraft: 1\n---\n")
    page_file(tmp_path, "posts/c.md", "---\ntitle: fine\n---\n")
    with pytest.raises(BuildError) as caught:
        read_pages(tmp_path / "content")
    assert [Path(p.file).name for p in caught.value.problems] == ["a.md", "b.md"]


def test_urlize_keeps_cyrillic_like_hugo() -> None:
    assert urlize("Технологии") == "технологии"
    assert urlize("Shit Posting!") == "shit-posting"
    assert urlize("C++ & Rust") == "c++-rust"
    assert urlize("...") == "-"


@pytest.mark.parametrize(("url", "path"), [
    ("/2021/gaming-gave-me-an-aneurysm", "2021/gaming-gave-me-an-aneurysm/index.html"),
    ("/2021/gaming-gave-me-an-aneurysm/", "2021/gaming-gave-me-an-aneurysm/index.html"),
    ("/about.html", "about.html"),
    ("/", "index.html"),
    ("/a/../../etc", None),
])
def test_clean_path(url: str, path: str | None) -> None:
    assert clean_path(url) == path


def test_relative_links_are_encoded_and_name_the_file() -> None:
    post = "2021/gaming-gave-me-an-aneurysm/index.html"
    assert relative(post, "tags/технологии/index.html") == \
        "../../tags/%D1%82%D0%B5%D1%85%D0%BD%D0%BE%D0%BB%D0%BE%D0%B3%D0%B8%D0%B8/index.html"
    assert relative("index.html", post) == post
    assert relative(post, "index.html") == "../../index.html"
    assert relative("page/2/index.html", "page/3/index.html") == "../3/index.html"


def test_absolute_urls_join_base_url_with_the_folder() -> None:
    assert absolute("https://ex.org/blog", "2021/x/index.html") == "https://ex.org/blog/2021/x/"
    assert absolute("https://ex.org/blog/", "index.html") == "https://ex.org/blog/"
    assert absolute("https://ex.org/", "tags/тег/index.html") == \
        "https://ex.org/tags/%D1%82%D0%B5%D0%B3/"
    assert absolute("https://ex.org/", "index.xml") == "https://ex.org/index.xml"


@pytest.mark.parametrize("base", ["https://ex.org", "https://ex.org/blog/", "http://h:8080/a/b",
                                  "https://ex.org/a/../b/", "https://ex.org/./x/",
                                  "https://ex.org/?q=1", "https://ex.org/#top", "/local/", ""])
def test_absolute_urls_are_what_urljoin_makes_of_the_quoted_folder(base: str) -> None:
    """The shortcut `absolute` takes for plain paths gives urljoin's answer, whatever the base."""
    for path in ["index.html", "a/b/index.html", "tags/тег/", "a b/c?d#e.html", "../up.html",
                 "a/./b.html", "a/../b.html", "/rooted.html", "//host/x", ".well-known/x",
                 "x:y/z.html", ""]:
        expected = urljoin(base.rstrip("/") + "/",
                           quote(path.removesuffix("index.html"), safe="/"))
        assert absolute(base, path) == expected, (base, path)
