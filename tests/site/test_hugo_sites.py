"""Hugo's own sample site (../shared/hugo-sites/hugoBasicExample), built as it is, unedited.

Checked against the list of pages Hugo 0.168 writes for it and against the real Hugo binary on
the same copy: the same feeds and the same alias redirects, in the same places.
"""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.site.helpers import THEME, broken_links, build_command, redirects
from tests.site.test_hugo_parity import hugo_binary

SITES = Path(__file__).resolve().parents[3] / "shared" / "hugo-sites"
SAMPLE = SITES / "hugoBasicExample"
UNKNOWN_SHORTCODE = re.compile(r"unknown shortcode '([\w.-]+)'")

pytestmark = pytest.mark.skipif(not SAMPLE.is_dir(), reason=f"{SAMPLE} is not here")


def writable_copy(source: Path, target: Path) -> Path:
    """A copy of a read-only site that Hugo and we may write beside (locks, caches)."""
    shutil.copytree(source, target)
    for path in [target, *target.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return target


def theme_for(site: Path, root: Path) -> Path:
    """The bundled theme, plus a plain stand-in for each shortcode it does not render yet
    (Hugo's built-ins that are another part's work): this test is about the site's shape."""
    theme = root / "theme"
    shutil.copytree(THEME, theme)
    code, printed = build_command("--source", str(site), "--out", str(root / "probe"),
                          "--cache-dir", str(root / "cache"), "--theme", str(theme))
    for name in set(UNKNOWN_SHORTCODE.findall(printed)) if code else ():
        (theme / "shortcodes" / f"{name}.html").write_text(
            '<div class="stand-in">{{ inner or "" }}</div>', encoding="utf-8")
    return theme


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """(our site, Hugo's site, what our build printed) of one copy of the sample."""
    root = tmp_path_factory.mktemp("sample")
    site = writable_copy(SAMPLE, root / "hugoBasicExample")
    theme = theme_for(site, root)
    code, printed = build_command("--source", str(site), "--out", str(root / "ours"),
                          "--cache-dir", str(root / "cache"), "--theme", str(theme))
    assert code == 0, printed
    subprocess.run([str(hugo_binary()), "--quiet", "--source", str(site), "--destination",
                    str(root / "hugo"), "--cacheDir", str(root / "hugo-cache")],
                   check=True, capture_output=True, timeout=120)
    return root / "ours", root / "hugo", printed


def hugo_page_list() -> set[str]:
    lines = (SITES / "hugoBasicExample.hugo-pages.txt").read_text(encoding="utf-8").split()
    return {line.removeprefix("./") for line in lines}


def test_every_page_hugo_writes_for_the_sample_exists(built: tuple[Path, Path, str]) -> None:
    """archives/ is a page of the sample too (PaperMod gives it its archives layout)."""
    ours, _, printed = built
    written = {p.relative_to(ours).as_posix() for p in ours.rglob("*.html")}
    assert hugo_page_list() <= written, printed
    assert not broken_links(ours)


def test_the_headless_bundle_is_not_published(built: tuple[Path, Path, str]) -> None:
    ours, _, _ = built
    assert not (ours / "homepage").exists()
    assert "homepage" not in (ours / "sitemap.xml").read_text(encoding="utf-8")


def test_series_taxonomy_from_the_config_lists_its_term(built: tuple[Path, Path, str]) -> None:
    ours, _, _ = built
    assert "Themes Guide" in (ours / "series" / "index.html").read_text(encoding="utf-8")
    term = (ours / "series" / "themes-guide" / "index.html").read_text(encoding="utf-8")
    assert "../../post/markdown-syntax/index.html" in term
    section_tag = (ours / "tags" / "index" / "index.html").read_text(encoding="utf-8")
    assert "../../post/index.html" in section_tag  # tags on post/_index.md tag the section


def test_the_config_menu_and_title_are_used(built: tuple[Path, Path, str]) -> None:
    ours, _, _ = built
    home = (ours / "index.html").read_text(encoding="utf-8")
    assert "<title>Hugo Themes</title>" in home
    assert '<a href="about/index.html">About</a>' in home
    assert '<link rel="canonical" href="https://gohugo.io/">' in home


def test_feeds_are_those_hugo_writes(built: tuple[Path, Path, str]) -> None:
    ours, hugo, _ = built
    feeds = {p.relative_to(hugo).as_posix() for p in hugo.rglob("*.xml")}
    assert feeds == {p.relative_to(ours).as_posix() for p in ours.rglob("*.xml")}
    links = re.compile(r"<link>([^<]+)</link>")
    for feed in feeds - {"sitemap.xml"}:
        theirs = set(links.findall((hugo / feed).read_text(encoding="utf-8")))
        assert set(links.findall((ours / feed).read_text(encoding="utf-8"))) == theirs, feed


def test_aliases_are_where_hugo_puts_them(built: tuple[Path, Path, str]) -> None:
    """A relative alias sits beside the page's folder: post/markdown-syntax's
    `migrate-from-jekyl` at post/migrate-from-jekyl/, the post section's `posts` at /posts/."""
    ours, hugo, _ = built
    theirs = redirects(hugo)
    assert "post/migrate-from-jekyl/index.html" in theirs
    mine = {page: url for page, url in redirects(ours).items()
            if not page.endswith("page/1/index.html")}  # our theme paginates; no theme, no pager
    assert {page: (ours / page).parent.joinpath(url).resolve().relative_to(ours.resolve())
            for page, url in mine.items()} == {
        page: Path(url.removeprefix("https://gohugo.io/")) / "index.html"
        for page, url in theirs.items()}
