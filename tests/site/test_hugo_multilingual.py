"""A multilingual site with nested sections, built by the real Hugo binary and by us from the
same site root and config: the same page addresses, redirects and feeds (with the same items).

Hugo renders with the minimal layouts written here; we render with the bundled Jinja2 theme.
What a page looks like differs; where it lives must not.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.site.helpers import broken_links, build_command, redirects
from tests.site.test_hugo_parity import hugo_binary

NEXT_YEAR = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
CONFIG = """\
baseURL = "https://example.org/"
title = "Parity"
defaultContentLanguage = "en"
[pagination]
pagerSize = 50
[languages.en]
weight = 1
[languages.fr]
weight = 2
title = "Parité"
[languages.de]
weight = 3
contentDir = "content-de"
[taxonomies]
tag = "tags"
series = "series"
[permalinks]
news = "/:year/:month/:slug/"
"""
PAGES = {
    "content/_index.md": "---\ntitle: Home\n---\nWelcome.\n",
    "content/_index.fr.md": "---\ntitle: Accueil\n---\nBienvenue.\n",
    "content/about.md": '{\n  "title": "About",\n  "aliases": ["about-us"]\n}\nAbout us.\n',
    "content/blog/_index.md": "+++\ntitle = \"Blog\"\ntags = [\"meta\"]\n+++\n",
    "content/blog/_index.fr.md": "---\ntitle: Blogue\n---\n",
    "content/blog/first.md": ("---\ntitle: First\ndate: 2024-01-02\ntags: [a, B Two]\n"
                              "series: [Guide]\naliases: [old-first, /legacy/first/]\n---\n"
                              "One.<!--more--> Two.\n"),
    "content/blog/first.fr.md": "---\ntitle: Premier\ndate: 2024-01-02\ntags: [a]\n---\nUn.\n",
    "content/blog/2024/_index.md": "---\ntitle: Year 2024\n---\n",
    "content/blog/2024/deep.md": "---\ntitle: Deep\ndate: 2024-03-01\nweight: 1\n---\nDeep.\n",
    "content/blog/2024/notes/note.md": "---\ntitle: Note\ndate: 2024-03-02\n---\nNote.\n",
    "content/blog/2024/bundle/index.md": "---\ntitle: Bundle\ndate: 2024-03-03\n---\nB.\n",
    "content/blog/2024/bundle/index.fr.md": "---\ntitle: Paquet\ndate: 2024-03-03\n---\nP.\n",
    "content/blog/2024/bundle/part.md": "---\ntitle: A resource, not a page\n---\n",
    "content/blog/draft.md": "---\ntitle: Draft\ndraft: true\n---\n",
    "content/blog/later.md": f"---\ntitle: Later\npublishDate: {NEXT_YEAR}\n---\n",
    "content/blog/gone.md": "---\ntitle: Gone\ndate: 2020-01-01\nexpiryDate: 2021-01-01\n---\n",
    "content/blog/unlisted.md": ("---\ntitle: Unlisted\ndate: 2024-02-01\ntags: [a]\n"
                                 "build:\n  list: never\n---\n"),
    "content/hidden/index.md": "---\ntitle: Hidden\nheadless: true\n---\n",
    "content/news/launch.md": "---\ntitle: Launch Day\ndate: 2023-05-06\nslug: launch\n---\n",
    "content/news/deeper/_index.md": "---\ntitle: Deeper\n---\n",
    "content/news/deeper/inside.md": "---\ntitle: Inside\ndate: 2023-06-07\n---\n",
    "content-de/blog/first.md": "---\ntitle: Erster\ndate: 2024-01-02\ntags: [c]\n---\nEins.\n",
}
LISTING = '{{ .Title }}{{ range .Pages }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}'
HUGO_LAYOUTS = {  # each writes something: Hugo publishes no empty page
    "home.html": LISTING, "list.html": LISTING, "taxonomy.html": LISTING, "term.html": LISTING,
    "single.html": "{{ .Title }}{{ .Content }}", "404.html": "Not found",
}
FEED_LINK = re.compile(r"<link>([^<]+)</link>")


def build_both(root: Path, config: str, content: dict[str, str]) -> tuple[Path, Path]:
    """(our site, Hugo's site) of one site root holding `config` and `content`."""
    site = root / "site"
    (site / "layouts").mkdir(parents=True)
    (site / "hugo.toml").write_text(config, encoding="utf-8")
    for name, text in {**content, **{f"layouts/{k}": v for k, v in HUGO_LAYOUTS.items()}}.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text, encoding="utf-8")
    subprocess.run([str(hugo_binary()), "--quiet", "--source", str(site), "--destination",
                    str(root / "hugo"), "--cacheDir", str(root / "hugo-cache")],
                   check=True, capture_output=True, timeout=120)
    code, printed = build_command("--source", str(site), "--out", str(root / "ours"),
                                  "--cache-dir", str(root / "cache"))
    assert code == 0, printed
    return root / "ours", root / "hugo"


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_both(tmp_path_factory.mktemp("multilingual"), CONFIG, PAGES)


def pages(site: Path) -> set[str]:
    """Site paths of the HTML pages that are not redirects."""
    moved = redirects(site)
    return {p.relative_to(site).as_posix() for p in site.rglob("*.html")} - set(moved)


def test_same_page_addresses_as_hugo(both: tuple[Path, Path]) -> None:
    ours, hugo = both
    assert pages(ours) == pages(hugo)
    assert "fr/blog/2024/bundle/index.html" in pages(ours)  # a translated leaf bundle
    assert "2023/05/launch/index.html" in pages(ours)  # the permalink pattern of news/
    assert not broken_links(ours)


def test_same_redirects_as_hugo(both: tuple[Path, Path]) -> None:
    """Relative aliases beside the page's folder, absolute ones as written, /en/ -> /."""
    ours, hugo = both
    theirs = {page: url.removeprefix("https://example.org") for page, url in
              redirects(hugo).items()}
    mine = {page: "/" + (ours / page).parent.joinpath(url).resolve().relative_to(
                ours.resolve()).parent.as_posix().removeprefix(".").strip("/") + "/"
            for page, url in redirects(ours).items()
            if not page.endswith("page/1/index.html")}  # our theme paginates, Hugo's has none
    assert {k: v.replace("//", "/") for k, v in mine.items()} == theirs


def test_same_feeds_with_the_same_items_as_hugo(both: tuple[Path, Path]) -> None:
    ours, hugo = both
    feeds = {p.relative_to(hugo).as_posix() for p in hugo.rglob("*.xml")}
    assert feeds == {p.relative_to(ours).as_posix() for p in ours.rglob("*.xml")}
    for feed in sorted(feeds):
        theirs = set(FEED_LINK.findall((hugo / feed).read_text(encoding="utf-8")))
        assert set(FEED_LINK.findall((ours / feed).read_text(encoding="utf-8"))) == theirs, feed


def test_translations_link_each_other(both: tuple[Path, Path]) -> None:
    ours, _ = both
    first = (ours / "blog" / "first" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../fr/blog/first/index.html" hreflang="fr"' in first
    assert 'href="../../de/blog/first/index.html" hreflang="de"' in first
    french = (ours / "fr" / "blog" / "first" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in french and "Parité" in french


def test_ugly_urls_as_hugo_writes_them(tmp_path: Path) -> None:
    """uglyURLs: single pages, terms and aliases as NAME.html; lists stay NAME/index.html."""
    config = """\
baseURL = "https://example.org/"
uglyURLs = true
[taxonomies]
tag = "tags"
[permalinks]
news = "/:year/:month/:slug/"
"""
    content = {name: text for name, text in PAGES.items()
               if name.startswith("content/") and ".fr." not in name}
    ours, hugo = build_both(tmp_path, config, content)
    assert pages(ours) == pages(hugo)
    assert {"blog/first.html", "tags/a.html", "2023/05/launch.html"} <= pages(ours)
    assert set(redirects(ours)) - {"page/1/index.html"} == set(redirects(hugo))
    assert "blog/old-first.html" in redirects(ours)
    assert not broken_links(ours)
