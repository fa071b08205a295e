"""The site's Hugo config as Hugo reads it, and what the build makes of it."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.errors import BuildError
from generator.settings import SiteSettings
from generator.site.config import load_site_config, merge_with_manifest
from generator.site.config_files import Reader, read_config
from tests.site.helpers import THEME, build_command, run_command, write_post


def site_root(tmp_path: Path, config: str = "", name: str = "hugo.toml") -> Path:
    root = tmp_path / "site"
    root.mkdir(exist_ok=True)
    if config:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(config, encoding="utf-8")
    write_post(root / "content", "hello", title="Hello", date="2021-01-02",
               body="Hi.", tags="[one]", series="[Guide]")
    return root


def build(root: Path, *more: str) -> tuple[int, str, Path]:
    out = root.parent / "out"
    code, printed = build_command("--source", str(root), "--out", str(out), *more)
    return code, printed, out


@pytest.mark.parametrize("name, text", [
    ("hugo.toml", 'baseURL = "https://blog.example/"\ntitle = "T"\n[pagination]\npagerSize = 2\n'),
    ("config.yaml", "baseURL: https://blog.example/\ntitle: T\npaginate: 2\n"),
    ("hugo.json", '{"baseURL": "https://blog.example/", "Title": "T", "paginate": 2}'),
    ("config/_default/hugo.toml", 'baseurl = "https://blog.example/"\ntitle = "T"\npaginate = 2\n'),
])
def test_every_config_file_hugo_reads(tmp_path: Path, name: str, text: str) -> None:
    config = load_site_config(site_root(tmp_path, text, name))
    assert (config.settings.base_url, config.settings.title, config.settings.paginate) == (
        "https://blog.example/", "T", 2)


def test_config_default_folder_files_name_their_key(tmp_path: Path) -> None:
    root = site_root(tmp_path, 'title = "T"\n')
    (root / "config" / "_default").mkdir(parents=True)
    (root / "config" / "_default" / "params.yaml").write_text("mood: sunny\n", encoding="utf-8")
    (root / "config" / "_default" / "menus.toml").write_text(
        '[[main]]\nname = "Home"\nurl = "/"\n', encoding="utf-8")
    config = load_site_config(root)
    assert config.params == {"mood": "sunny"}
    assert [e.name for e in config.menus["main"]] == ["Home"]


@pytest.mark.parametrize("text, line, key", [
    ('title = "T"\npaginate = "ten"\n', 2, "paginate"),
    ('title = "T"\n\n[pagination]\npagerSize = 0\n', 4, "pagination.pagerSize"),
    ('buildDrafts = "yes"\n', 1, "buildDrafts"),
    ('[services.rss]\nlimit = 0\n', 2, "services.rss.limit"),
    ('disableKinds = ["RSS", "feeds"]\n', 1, "disableKinds"),
    ('[permalinks]\nposts = "/:yeer/:slug/"\n', 2, "permalinks.posts"),
    ('[taxonomies]\ntag = 3\n', 2, "taxonomies.tag"),
    ('[[menu.main]]\nname = "A"\n', 1, "menu.main"),
    ('[[menu.main]]\nname = "A"\nurl = "../../etc/"\n', 1, "menu.main"),
    ('defaultContentLanguage = "de"\n[languages.en]\n[languages.fr]\n', 1,
     "defaultContentLanguage"),
    ('[languages.en]\n[languages.fr]\ncontentDir = "../elsewhere"\n', 3,
     "languages.fr.contentDir"),
])
def test_a_bad_value_of_a_key_it_reads_names_file_and_line(tmp_path: Path, text: str,
                                                           line: int, key: str) -> None:
    root = site_root(tmp_path, text)
    with pytest.raises(BuildError) as caught:
        load_site_config(root)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.key) == (root / "hugo.toml", line, key)
    code, printed, _ = build(root)
    assert code == 1 and f"hugo.toml:{line}: {key}:" in printed and "Traceback" not in printed


@pytest.mark.parametrize("text, read, message, hint", [
    ("title = 3\n", lambda r: r.text("title"), "must be text, got 3", 'write title = "..."'),
    ('builddrafts = "yes"\n', lambda r: r.flag("builddrafts"),
     "must be true or false, got 'yes'", "write builddrafts = true"),
    ("params = 3\n", lambda r: r.mapping("params"), "must be a table of keys, got 3",
     "write [params]"),
])
def test_a_value_of_the_wrong_kind_says_what_it_must_be(
        tmp_path: Path, text: str, read: Callable[[Reader], object], message: str,
        hint: str) -> None:
    reader = read_config(site_root(tmp_path, text))
    assert reader is not None and read(reader) is None
    problem = reader.problems[0]
    assert (problem.line, problem.message, problem.hint) == (1, message, hint)


def test_a_config_hugo_cannot_parse_is_an_error_at_its_line(tmp_path: Path) -> None:
    code, printed, _ = build(site_root(tmp_path, 'title = "T"\nbaseURL = \n'))
    assert code == 1 and "hugo.toml:2: not valid TOML" in printed


def test_unknown_keys_are_ignored_and_a_go_theme_is_named(tmp_path: Path) -> None:
    code, printed, _ = build(site_root(tmp_path, 'title = "T"\nenableRobotsTXT = true\n'
                                       'theme = "PaperMod"\n'
                                       '[outputs]\nhome = ["HTML"]\n[markup]\nx = 1\n'))
    assert code == 0, printed
    assert "names the Hugo theme 'PaperMod', which is not used" in printed


def test_without_config_or_gallery_the_defaults_apply_and_it_says_so(tmp_path: Path) -> None:
    code, printed, out = build(site_root(tmp_path))
    assert code == 0 and "default settings" in printed
    assert (out / "posts" / "hello" / "index.html").is_file()
    assert not (out / "series").exists()  # Hugo's default taxonomies: tags and categories


def test_the_config_shapes_the_site(tmp_path: Path) -> None:
    root = site_root(tmp_path, """\
baseURL = "https://blog.example/"
title = "From Hugo"
disableKinds = ["taxonomy"]
[taxonomies]
series = "series"
[permalinks]
posts = "/:year/:slug/"
[[menus.main]]
name = "Source"
url = "https://example.org/source"
""")
    code, printed, out = build(root)
    assert code == 0, printed
    post = (out / "2021" / "hello" / "index.html").read_text(encoding="utf-8")
    assert "<title>Hello · From Hugo</title>" in post
    assert '<a href="https://example.org/source">Source</a>' in post
    assert (out / "series" / "guide" / "index.xml").is_file()  # the config's own taxonomy
    assert not (out / "series" / "index.html").exists()  # disableKinds: taxonomy
    assert not (out / "tags").exists()  # the config's taxonomies replace Hugo's defaults


def test_params_reach_the_theme(tmp_path: Path) -> None:
    root = site_root(tmp_path, '[params]\nmood = "sunny"\n')
    theme = tmp_path / "theme"
    shutil.copytree(THEME, theme)
    base = theme / "templates" / "base.html"
    base.write_text(base.read_text(encoding="utf-8").replace(
        "<main>", '<main data-mood="{{ params.mood }}">'), encoding="utf-8")
    code, printed, out = build(root, "--theme", str(theme))
    assert code == 0, printed
    assert 'data-mood="sunny"' in (out / "index.html").read_text(encoding="utf-8")


def test_static_files_are_copied_and_the_cache_is_in_the_site_root(tmp_path: Path) -> None:
    root = site_root(tmp_path)
    (root / "static" / "images").mkdir(parents=True)
    (root / "static" / "images" / "x.jpg").write_bytes(b"jpeg")
    (root / "static" / "style.css").write_text("/* mine */", encoding="utf-8")
    code, printed, out = build(root)
    assert code == 0, printed
    assert (out / "images" / "x.jpg").read_bytes() == b"jpeg"
    assert (out / "style.css").read_text(encoding="utf-8") == "/* mine */"  # the site's wins
    assert (root / ".cache").is_dir()


def test_a_static_link_leading_outside_the_site_is_refused(tmp_path: Path) -> None:
    root = site_root(tmp_path)
    (root / "static").mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("private", encoding="utf-8")
    (root / "static" / "leak.txt").symlink_to(secret)
    code, printed, out = build(root)
    assert code == 1 and "leak.txt: links to a file outside static/" in printed
    assert not out.exists()


def test_hugo_config_beside_gallery_yaml_is_merged_or_conflicts(tmp_path: Path) -> None:
    root = site_root(tmp_path, 'title = "Hugo title"\n[taxonomies]\nseries = "series"\n')
    config = load_site_config(root)
    merged = merge_with_manifest(config, SiteSettings(), root / "gallery.yaml")
    assert merged.settings.title == "Hugo title" and merged.taxonomies == (("series", "series"),)
    with pytest.raises(BuildError) as caught:
        merge_with_manifest(config, SiteSettings(title="Gallery title"), root / "gallery.yaml")
    assert caught.value.problems[0].key == "site.title"
    assert "Hugo title" in caught.value.problems[0].message


def test_menu_entries_from_config_and_front_matter_by_weight(tmp_path: Path) -> None:
    root = site_root(tmp_path, '[[menu.main]]\nname = "Home"\nurl = "/"\nweight = 1\n')
    (root / "content" / "about.md").write_text(
        "---\ntitle: About\nmenu:\n  main:\n    name: Who\n    weight: 2\n---\nUs.\n",
        encoding="utf-8")
    (root / "content" / "posts" / "hello" / "index.md").write_text(
        "---\ntitle: Hello\ndate: 2021-01-02\nmenu: main\n---\nHi.\n", encoding="utf-8")
    code, printed, out = build(root)
    assert code == 0, printed
    home = (out / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<nav>\s*<a href="index.html">Home</a>\s*<a href="about/index.html">Who'
                     r'</a>\s*<a href="posts/hello/index.html">Hello</a>', home), home


def test_a_bad_front_matter_menu_names_its_line(tmp_path: Path) -> None:
    root = site_root(tmp_path)
    (root / "content" / "about.md").write_text(
        "---\ntitle: About\nmenu:\n  main:\n    weight: heavy\n---\n", encoding="utf-8")
    code, printed, _ = build(root)
    assert code == 1 and "about.md:3: menu: menu 'main': weight must be a whole number" in printed


def test_check_reads_the_hugo_site_as_build_does(tmp_path: Path) -> None:
    root = site_root(tmp_path, 'title = "T"\nsummaryLength = "long"\n')
    code, printed = run_command("check", "--source", str(root))
    assert code == 1 and "hugo.toml:2: summaryLength: must be a whole number" in printed
    (root / "hugo.toml").write_text('title = "T"\nsummaryLength = 20\n', encoding="utf-8")
    code, printed = run_command("check", "--source", str(root))
    assert code == 0 and "check: content/ is valid" in printed
    assert build(root)[0] == 0


@pytest.mark.parametrize("config, items", [("", 25), ("rssLimit = 3\n", 3),
                                           ("[services.rss]\nlimit = 4\n", 4)])
def test_feeds_hold_every_item_unless_limited(tmp_path: Path, config: str, items: int) -> None:
    root = site_root(tmp_path, config or 'title = "T"\n')
    for number in range(24):
        write_post(root / "content", f"p{number}", title=f"P{number}",
                   date=f"2020-01-{number + 1:02d}")
    code, printed, out = build(root)
    assert code == 0, printed
    assert (out / "index.xml").read_text(encoding="utf-8").count("<item>") == items


def test_markdown_switches_and_params_come_from_the_hugo_config(tmp_path: Path) -> None:
    """enableEmoji, markup.goldmark.renderer.unsafe (off by default, as in Hugo) and params
    reach the Markdown and the `param` shortcode."""
    body = ':smile: <b>raw</b> {{< param greeting >}}'
    root = site_root(tmp_path, 'enableEmoji = true\n[params]\ngreeting = "Hi there"\n')
    write_post(root / "content", "hello", title="Hello", date="2021-01-02", body=body)
    code, printed, out = build(root)
    page = (out / "posts" / "hello" / "index.html").read_text(encoding="utf-8")
    assert code == 0, printed
    assert "😄" in page and "Hi there" in page
    assert "<b>raw</b>" not in page and "raw HTML omitted" in page
    (root / "hugo.toml").write_text('[params]\ngreeting = "Hi there"\n'
                                    '[markup.goldmark.renderer]\nunsafe = true\n', "utf-8")
    code, printed, out = build(root)
    page = (out / "posts" / "hello" / "index.html").read_text(encoding="utf-8")
    assert code == 0 and "<b>raw</b>" in page and ":smile:" in page, printed


def test_gallery_settings_the_hugo_config_has_no_word_for_are_kept() -> None:
    config = load_site_config(Path("/nonexistent"))
    merged = merge_with_manifest(config, SiteSettings(toc=True, params={"a": "b"},
                                                      deploy="s3://bucket"), Path("gallery.yaml"))
    assert merged.settings.toc and merged.settings.params == {"a": "b"}
    assert merged.settings.deploy == "s3://bucket"


@pytest.mark.parametrize("url", ['https://x.org/"><script>', "javascript:alert(1)", "example.org"])
def test_a_base_url_that_is_not_a_plain_http_url_is_an_error_at_its_line(
        tmp_path: Path, url: str) -> None:
    root = site_root(tmp_path, f"title = 'T'\nbaseURL = '{url}'\n")  # TOML literal strings
    code, printed, _ = build(root)
    assert code == 1 and f"hugo.toml:2: baseURL: `{url}` is not an absolute URL" in printed, printed
