"""`cascade` front matter as Hugo applies it, measured against the Hugo binary, and its
problems."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from generator.errors import BuildError
from generator.settings import SiteSettings
from generator.site.build import build_site
from generator.site.cascade import glob_regex, hugo_path, with_cascade
from generator.site.content import read_pages
from tests.site.helpers import THEME
from tests.site.test_hugo_parity import hugo_binary

TREE = {
    "_index.md": """---
title: Home
cascade:
  - banner: home-banner
    color: red
    nested: {a: 1}
  - badge: pages-under-blog
    _target: {path: "/blog/**", kind: page}
  - badge: docs-section-and-pages
    target: {path: "{/docs,/docs/**}", environment: production}
---
""",
    "blog/_index.md": "---\ntitle: Blog\ncascade:\n  color: blue\n  title: Cascaded\n"
                      "  tags: [x]\n---\n",
    "blog/a.md": "---\ntitle: A\n---\na\n",
    "blog/b.md": "---\ntitle: B\ncolor: green\nnested: {b: 2}\n---\nb\n",
    "blog/sub/_index.md": "---\ntitle: Sub\n---\n",
    "blog/sub/c.md": "---\ndate: 2020-01-01\n---\nc\n",
    "blog/sub/bundle/index.md": "---\ntitle: Bundle\ntags: [own]\n---\nd\n",
    "docs/_index.md": "---\ntitle: Docs\n---\n",
    "docs/d.md": "---\ntitle: D\n---\nd\n",
    "about.md": "---\ntitle: About\n---\nabout\n",
}
SHOWN = ("banner", "color", "nested", "tags", "badge")
LAYOUT = ('{{ dict "title" .Title "banner" .Params.banner "color" .Params.color "nested" '
          '.Params.nested "tags" .Params.tags "badge" .Params.badge | jsonify }}')
HUGO_CONFIG = ('baseURL = "https://example.org/"\n'
               'disableKinds = ["RSS", "sitemap", "robotsTXT", "404", "taxonomy", "term"]\n')


def write_tree(content: Path, tree: dict[str, str]) -> None:
    for rel, text in tree.items():
        (content / rel).parent.mkdir(parents=True, exist_ok=True)
        (content / rel).write_text(text, encoding="utf-8")


def test_cascaded_values_are_hugos(tmp_path: Path) -> None:
    content, hugo = tmp_path / "content", tmp_path / "hugo"
    write_tree(content, TREE)
    (hugo / "layouts").mkdir(parents=True)
    (hugo / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    for name in ("single.html", "list.html"):
        (hugo / "layouts" / name).write_text(LAYOUT, encoding="utf-8")
    subprocess.run([str(hugo_binary()), "--quiet", "--source", str(hugo), "--contentDir",
                    str(content), "--destination", str(tmp_path / "public")],
                   check=True, capture_output=True)
    pages, problems = with_cascade(read_pages(content), language="en",
                                   taxonomies=("categories", "tags"))
    assert problems == [] and len(pages) == len(TREE)
    for page in pages:
        written = tmp_path / "public" / hugo_path(page).lstrip("/") / "index.html"
        hugos = json.loads(written.read_text(encoding="utf-8"))
        ours = {"title": page.title, **{key: page.params.get(key) for key in SHOWN}}
        assert ours == hugos, page.rel
        assert not {"_target", "target"} & set(page.params), page.rel  # they select, not set
    by_rel = {page.rel: page for page in pages}
    assert by_rel["blog/sub/c.md"].tags == ("x",)  # typed fields follow: terms, title
    assert by_rel["blog/sub/c.md"].title == "Cascaded"


def test_a_cascaded_draft_leaves_the_section_out_of_the_build(tmp_path: Path) -> None:
    write_tree(tmp_path / "content", {
        "posts/_index.md": "---\ntitle: Posts\ncascade:\n  draft: true\n---\n",
        "posts/a.md": "---\ntitle: A\ndate: 2021-01-01\n---\nText.\n",
        "notes/b.md": "---\ntitle: B\ndate: 2021-01-01\n---\nText.\n"})
    out = tmp_path / "out"
    build_site(tmp_path / "content", out, SiteSettings(), theme_dir=THEME,
               cache_dir=tmp_path / ".cache")
    assert (out / "notes/b/index.html").is_file()
    assert not (out / "posts/a/index.html").exists() and not (out / "posts").exists()


@pytest.mark.parametrize(("cascade", "line", "message"), [
    ("cascade: 3\n", 3, "must be a mapping"),
    ("cascade:\n  draft: maybe\n", 3, "true or false"),
    ("cascade:\n  _target: {path: '/x/{a'}\n  color: red\n", 3, "never closed"),
    ("cascade:\n  _target: {section: x}\n", 3, "no field 'section'"),
    ("cascade:\n  _target: {path: '/[z-a]'}\n", 3, "not a pattern"),
])
def test_a_bad_cascade_names_the_section_file_and_line(tmp_path: Path, cascade: str,
                                                        line: int, message: str) -> None:
    write_tree(tmp_path / "content", {
        "posts/_index.md": f"---\ntitle: Posts\n{cascade}---\n",
        "posts/a.md": "---\ntitle: A\ndate: 2021-01-01\n---\nText.\n"})
    with pytest.raises(BuildError) as error:
        build_site(tmp_path / "content", tmp_path / "out", SiteSettings(), theme_dir=THEME,
                   cache_dir=tmp_path / ".cache")
    (problem,) = error.value.problems
    assert (Path(problem.file).name, problem.line) == ("_index.md", line)
    assert message in problem.message and problem.key.startswith("cascade")


def test_a_lang_target_matches_the_language_being_built(tmp_path: Path) -> None:
    """`lang`, as Hugo before 0.150 read it (0.168 refuses it for `sites.matrix`)."""
    write_tree(tmp_path / "content", {
        "_index.md": "---\ntitle: Home\ncascade:\n  - {color: red, _target: {lang: fr}}\n"
                     "  - {color: blue}\n---\n",
        "a.md": "---\ntitle: A\n---\nText.\n"})
    for language, color in (("fr", "red"), ("en", "blue")):
        pages, _ = with_cascade(read_pages(tmp_path / "content"), language=language,
                                taxonomies=())
        assert [page.params["color"] for page in pages] == [color, color]


@pytest.mark.parametrize(("pattern", "matches", "misses"), [
    ("/blog/**", ["/blog/a", "/blog/x/y"], ["/blog", "/blogs/a"]),
    ("/blog/*", ["/blog/a"], ["/blog/x/y"]),
    ("{/docs,/docs/**}", ["/docs", "/docs/a/b"], ["/doc"]),
    ("/p?st/[!x]*", ["/post/a", "/Past/b"], ["/post/x1", "/poost/a"]),
    ("/[a-c-]x", ["/bx", "/-x"], ["/dx"]),
])
def test_target_globs_match_as_hugos(pattern: str, matches: list[str],
                                     misses: list[str]) -> None:
    regex = glob_regex(pattern)
    assert all(regex.fullmatch(path) for path in matches)
    assert not any(regex.fullmatch(path) for path in misses)
