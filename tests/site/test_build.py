"""The built site: the seed post rendered as its author meant, links, feeds, and build safety."""

from __future__ import annotations

import dataclasses
import gc
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest

from generator.errors import BuildError
from generator.settings import SiteSettings
from generator.site import pipeline
from generator.site.build import build_site, check_content
from generator.site.report import BuildReport
from tests.site.helpers import (
    SEED_URL_PATH,
    THEME,
    WRITTEN_SEED,
    broken_links,
    page_links,
    redirects,
    seed_image_names,
    stand_in,
    write_post,
    write_seed_bundle,
)

BASE = "https://example.org/blog/"
SETTINGS = SiteSettings(title="Gallery", base_url=BASE, language="ru", paginate=10)


def build(root: Path, settings: SiteSettings = SETTINGS, **options: bool) -> BuildReport:
    return build_site(root / "content", root / "site", settings, theme_dir=THEME,
                      cache_dir=root / ".cache", **options)


def post_html(root: Path, slug: str) -> str:
    """The built page of the post `slug` in root's site/."""
    return (root / "site" / "posts" / slug / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildReport]:
    root = tmp_path_factory.mktemp("seed")
    write_seed_bundle(root / "content")
    return root, build(root)


@pytest.fixture(scope="module")
def seed_html(seed_site: tuple[Path, BuildReport]) -> str:
    return (seed_site[0] / "site" / SEED_URL_PATH).read_text(encoding="utf-8")


def test_seed_post_lands_at_its_url(seed_site: tuple[Path, BuildReport]) -> None:
    root, report = seed_site
    assert (root / "site" / SEED_URL_PATH).is_file()
    assert not (root / "site" / "posts" / "gaming").exists()
    assert report.posts == 1 and report.images == 60


def test_seed_figures_and_captions(seed_html: str) -> None:
    figures = re.findall(r"<figure\b.*?</figure>", seed_html, re.S)
    assert len(figures) == len(seed_image_names()) == 60
    captions = [re.search(r"<figcaption>(.*?)</figcaption>", f, re.S) for f in figures]
    assert all(captions)
    texts = [c.group(1) for c in captions if c]
    assert all("<em>" in t for t in texts)
    assert sum("<strong>" in t for t in texts) == 58
    assert "_**" not in seed_html and "**_" not in seed_html
    assert "<p>\\</p>" not in seed_html and ">\\<" not in seed_html
    assert "<strong>Baldur’s Gate II: Shadows of Amn</strong> – я в принципе" in seed_html


def test_seed_footnote_and_typography(seed_html: str) -> None:
    assert 'href="#fn1"' in seed_html and 'id="fn1"' in seed_html
    assert 'href="#fnref1"' in seed_html
    assert "Colab-набросок" in seed_html
    assert "текстовому описанию" in seed_html and " – я загоняю" in seed_html


def test_every_image_has_size_alt_and_lazy_below_the_fold(seed_html: str) -> None:
    images = re.findall(r"<img\b[^>]*>", seed_html)
    assert len(images) == 60
    for tag in images:
        assert re.search(r'\swidth="\d+"', tag) and re.search(r'\sheight="\d+"', tag), tag
        assert re.search(r'\salt="[^"]+"', tag), tag
        assert "srcset=" in tag
    assert 'loading="eager"' in images[0] and 'fetchpriority="high"' in images[0]
    assert all('loading="lazy"' in tag for tag in images[1:])
    assert 'alt="Batman: Arkham City"' in seed_html


def test_figure_links_full_image_and_offers_webp(seed_site: tuple[Path, BuildReport],
                                                  seed_html: str) -> None:
    figure = re.search(r"<figure\b.*?</figure>", seed_html, re.S)
    assert figure
    assert ('<a href="images/howitworks.png" data-pswp-width="64" data-pswp-height="48"'
            in figure.group())
    assert re.search(r'<source type="image/webp" srcset="images/howitworks-\d+\.webp \d+w"',
                     figure.group())
    folder = seed_site[0] / "site" / "2021" / "gaming-gave-me-an-aneurysm" / "images"
    assert (folder / "howitworks.png").is_file()


def test_whole_site_has_no_broken_internal_links(seed_site: tuple[Path, BuildReport]) -> None:
    site = seed_site[0] / "site"
    assert broken_links(site) == []
    for page in site.rglob("*.html"):
        urls, _ = page_links(page)
        rooted = [u for u in urls if u.startswith("/")]
        assert rooted == [], f"{page}: links must be relative"


def test_cyrillic_taxonomy_pages_exist_and_are_linked(seed_site: tuple[Path, BuildReport],
                                                      seed_html: str) -> None:
    site = seed_site[0] / "site"
    term = site / "tags" / "технологии" / "index.html"
    assert term.is_file()
    assert "../../tags/%D1%82%D0%B5%D1%85%D0%BD%D0%BE%D0%BB%D0%BE%D0%B3%D0%B8%D0%B8/index.html" \
        in seed_html
    assert "Один из этих постов про нейросети" in term.read_text(encoding="utf-8")
    assert (site / "categories" / "шитпостинг" / "index.html").is_file()
    tags = (site / "tags" / "index.html").read_text(encoding="utf-8")
    assert "Пргрмрвнне" in tags and "технологии/index.html" in tags.replace(
        "%D1%82%D0%B5%D1%85%D0%BD%D0%BE%D0%BB%D0%BE%D0%B3%D0%B8%D0%B8", "технологии")


def test_home_lists_post_with_summary_and_cover(seed_site: tuple[Path, BuildReport]) -> None:
    home = (seed_site[0] / "site" / "index.html").read_text(encoding="utf-8")
    assert 'href="2021/gaming-gave-me-an-aneurysm/index.html"' in home
    assert "Посты такого рода обычно начинаются" in home
    assert "2021/gaming-gave-me-an-aneurysm/images/howitworks-" in home
    assert "30 марта 2021" in home


def test_feed_sitemap_and_404_use_absolute_urls(seed_site: tuple[Path, BuildReport]) -> None:
    site = seed_site[0] / "site"
    feed = ElementTree.parse(site / "index.xml").getroot()
    item = feed.find("channel/item")
    assert item is not None
    assert item.findtext("link") == BASE + "2021/gaming-gave-me-an-aneurysm/"
    description = item.findtext("description") or ""
    assert "<figure" in description
    assert f'src="{BASE}2021/gaming-gave-me-an-aneurysm/images/' in description
    assert 'href="images/' not in description
    locs = [e.text for e in ElementTree.parse(site / "sitemap.xml").getroot().iter(
        "{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert BASE + "2021/gaming-gave-me-an-aneurysm/" in locs
    assert all(loc and loc.startswith(BASE) for loc in locs)
    not_found = (site / "404.html").read_text(encoding="utf-8")
    assert f'<base href="{BASE}">' in not_found


def test_open_graph_and_twitter_card(seed_html: str) -> None:
    image = re.search(r'<meta property="og:image" content="([^"]+)">', seed_html)
    assert image and image.group(1).startswith(BASE + "2021/gaming-gave-me-an-aneurysm/images/")
    assert f'<meta property="og:url" content="{BASE}2021/gaming-gave-me-an-aneurysm/">' \
        in seed_html
    assert '<meta name="twitter:card" content="summary_large_image">' in seed_html
    assert '<meta property="og:title" content="Один из этих постов про нейросети">' in seed_html


def test_rebuild_with_nothing_changed_does_no_image_work(
        seed_site: tuple[Path, BuildReport]) -> None:
    root, first = seed_site
    assert first.processed > 0
    before = _files(root / "site")
    again = build(root)
    assert again.processed == 0
    assert (root / "site" / SEED_URL_PATH).read_text(encoding="utf-8").count("<figure") == 60
    assert _files(root / "site") == before  # the cache gives back exactly what was made


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def test_written_seed_renders_alike_with_its_cover(tmp_path: Path) -> None:
    """The post writer's version of the seed: same figures, cover from front matter images."""
    write_seed_bundle(tmp_path / "content", text=WRITTEN_SEED.read_text(encoding="utf-8"))
    build(tmp_path)
    html = (tmp_path / "site" / SEED_URL_PATH).read_text(encoding="utf-8")
    assert html.count("<figure") == 60 and html.count("<strong>") >= 58
    cover = f"{BASE}2021/gaming-gave-me-an-aneurysm/images/baldurs_gate_shadows_of_amn-"
    assert f'<meta property="og:image" content="{cover}' in html
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "images/baldurs_gate_shadows_of_amn-" in home
    assert broken_links(tmp_path / "site") == []


def test_drafts_left_out_unless_asked(tmp_path: Path) -> None:
    write_post(tmp_path / "content", "public", title="Public", date="2021-01-01")
    write_post(tmp_path / "content", "secret", title="Secret", date="2021-02-01", draft="true",
               tags="[hidden]")
    build(tmp_path)
    site = tmp_path / "site"
    assert not (site / "posts" / "secret").exists()
    assert not (site / "tags" / "hidden").exists()
    for name in ("index.html", "index.xml", "sitemap.xml"):
        assert "ecret" not in (site / name).read_text(encoding="utf-8")
    build(tmp_path, drafts=True)
    assert (site / "posts" / "secret" / "index.html").is_file()
    assert "Secret" in (site / "index.html").read_text(encoding="utf-8")


def test_aliases_redirect_to_the_page(tmp_path: Path) -> None:
    write_post(tmp_path / "content", "moved", title="Moved", date="2021-01-01",
               aliases='["/old/path/", "/2020/moved.html"]')
    build(tmp_path)
    site = tmp_path / "site"
    for alias in ("old/path/index.html", "2020/moved.html"):
        html = (site / alias).read_text(encoding="utf-8")
        target = re.search(r'url=([^"]+)"', html)
        assert target
        assert (site / alias).parent.joinpath(target.group(1)).resolve() == \
            (site / "posts" / "moved" / "index.html").resolve()
        assert f'<link rel="canonical" href="{BASE}posts/moved/">' in html
    assert broken_links(site) == []


def test_home_is_paginated_newest_first(tmp_path: Path) -> None:
    for day in range(1, 6):
        write_post(tmp_path / "content", f"post-{day}", title=f"Post {day}",
                   date=f"2021-01-0{day}T12:00:00+03:00", images=("cover",),
                   body='{{<img src="images/cover">}}\n<center>_**Cover**_</center>\n')
    build(tmp_path, SiteSettings(base_url=BASE, paginate=2))
    site = tmp_path / "site"
    pages = [site / "index.html", site / "page" / "2" / "index.html",
             site / "page" / "3" / "index.html"]
    titles = [re.findall(r"<h2><a [^>]*>(Post \d)</a>", p.read_text(encoding="utf-8"))
              for p in pages]
    assert titles == [["Post 5", "Post 4"], ["Post 3", "Post 2"], ["Post 1"]]
    second = pages[1].read_text(encoding="utf-8")
    assert 'href="../../index.html"' in second and 'href="../3/index.html"' in second
    assert not (site / "page" / "4").exists()
    pager_redirects = {page: url for page, url in redirects(site).items() if "/1/" in page}
    assert pager_redirects == {"page/1/index.html": "../../index.html",  # /page/1/ -> /
                               "posts/page/1/index.html": "../../index.html"}  # -> /posts/
    assert broken_links(site) == []


def test_failed_build_keeps_last_good_site(tmp_path: Path) -> None:
    write_post(tmp_path / "content", "good", title="Good", date="2021-01-01")
    build(tmp_path)
    before = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    write_post(tmp_path / "content", "bad", title="Bad", date="2021-01-02",
               body="{{< nosuchcode >}}")
    with pytest.raises(BuildError):
        build(tmp_path)
    assert (tmp_path / "site" / "index.html").read_text(encoding="utf-8") == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []


def test_the_cycle_collector_pauses_for_a_build_and_comes_back_after_it_even_a_failed_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A preview's process goes on after its builds: it must collect garbage again."""
    seen: list[bool] = []
    real = pipeline.build_languages
    monkeypatch.setattr(pipeline, "build_languages",
                        lambda *a, **k: seen.append(gc.isenabled()) or real(*a, **k))
    write_post(tmp_path / "content", "good", title="Good", date="2021-01-01")
    build(tmp_path)
    assert seen == [False] and gc.isenabled()
    write_post(tmp_path / "content", "bad", title="Bad", date="2021-01-02",
               body="{{< nosuchcode >}}")
    with pytest.raises(BuildError):
        build(tmp_path)
    assert seen == [False, False] and gc.isenabled()


def test_src_leaving_the_bundle_is_refused(tmp_path: Path) -> None:
    stand_in(tmp_path / "content" / "posts" / "x.png", 1)
    bundle = write_post(tmp_path / "content", "p", title="P", date="2021-01-01",
                        body='Intro.\n\n{{<img src="../x">}}\n')
    with pytest.raises(BuildError) as caught:
        build(tmp_path)
    problem = caught.value.problems[0]
    assert Path(problem.file) == bundle / "index.md" and problem.line == 8
    assert "leaves the page bundle" in problem.message
    assert f"{bundle / 'index.md'}:8: img: src '../x' leaves" in str(problem)  # said once
    assert not (tmp_path / "site").exists()


def test_absolute_src_is_refused(tmp_path: Path) -> None:
    write_post(tmp_path / "content", "p", title="P", date="2021-01-01",
               body='{{<img src="/etc/passwd">}}')
    with pytest.raises(BuildError, match="leaves the page bundle"):
        build(tmp_path)


def test_unknown_shortcode_names_file_and_line(tmp_path: Path) -> None:
    bundle = write_post(tmp_path / "content", "p", title="P", date="2021-01-01",
                        body="One.\n\nTwo.\n\n{{< nosuchcode x=1 >}}\n")
    with pytest.raises(BuildError) as caught:
        build(tmp_path)
    problem = caught.value.problems[0]
    assert (Path(problem.file), problem.line) == (bundle / "index.md", 10)
    assert "nosuchcode" in problem.message


def test_missing_images_stop_the_build_naming_each(tmp_path: Path) -> None:
    write_seed_bundle(tmp_path / "content", skip=("braid", "diablo"))
    with pytest.raises(BuildError) as caught:
        build(tmp_path)
    messages = [p.message for p in caught.value.problems]
    assert len(messages) == 2
    assert "images/braid" in messages[0] and "images/diablo" in messages[1]
    assert all(p.hint and "build --placeholders" in p.hint for p in caught.value.problems)


def test_placeholders_are_marked_in_the_sites_language_at_the_size_to_come(tmp_path: Path) -> None:
    bundle = write_seed_bundle(tmp_path / "content", skip=("braid", "celeste"))
    report = build_site(tmp_path / "content", tmp_path / "site", SETTINGS, theme_dir=THEME,
                        cache_dir=tmp_path / ".cache", placeholders=True, placeholder_size=256,
                        placeholder_sizes={bundle / "images" / "celeste": 128})
    assert len(report.placeholders) == 2 and "images/braid" in report.placeholders[0]
    html = (tmp_path / "site" / SEED_URL_PATH).read_text(encoding="utf-8")
    marked = re.findall(r'<figure id="image-(\w+)" class="image placeholder">(.*?)</figure>',
                        html, re.S)
    assert [name for name, _ in marked] == ["braid", "celeste"]
    braid, celeste = (figure for _, figure in marked)
    assert "images/braid" in braid and "заглушка: ещё не сгенерирована" in braid
    assert 'width="256" height="256"' in braid  # the generator's default size
    assert 'width="128" height="128"' in celeste  # this image's own size
    assert html.count("<figure") == 60
    assert broken_links(tmp_path / "site") == []


def test_check_content_reports_every_problem_and_writes_nothing(tmp_path: Path) -> None:
    write_post(tmp_path / "content", "a", title="A", date="2021-01-01", body="{{< nope >}}")
    write_post(tmp_path / "content", "b", title="B", date="not a date")
    write_post(tmp_path / "content", "c", title="C", date="2021-01-01",
               body='{{<img src="images/absent">}}')
    before = sorted(tmp_path.rglob("*"))
    problems = check_content(tmp_path / "content", SETTINGS, theme_dir=THEME)
    assert {Path(p.file).parent.name for p in problems} == {"a", "b"}
    strict = check_content(tmp_path / "content", SETTINGS, theme_dir=THEME, missing_images=True)
    assert {Path(p.file).parent.name for p in strict} == {"a", "b", "c"}
    assert sorted(tmp_path.rglob("*")) == before


def test_plain_pages_and_sections(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "about.md").write_text("---\ntitle: About me\n---\nHello.\n", encoding="utf-8")
    (content / "posts").mkdir()
    (content / "posts" / "_index.md").write_text("---\ntitle: All posts\n---\n",
                                                  encoding="utf-8")
    (content / "posts" / "Short Note.md").write_text(
        "+++\ntitle = 'Note'\ndate = 2021-05-01\n+++\nA *note*.\n", encoding="utf-8")
    build(tmp_path)
    site = tmp_path / "site"
    assert "<em>note</em>" in (site / "posts" / "short-note" / "index.html").read_text("utf-8")
    assert "All posts" in (site / "posts" / "index.html").read_text(encoding="utf-8")
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="about/index.html">About me</a>' in home
    assert broken_links(site) == []


def test_top_level_bundle_is_a_plain_page_like_hugo(tmp_path: Path) -> None:
    """content/about/index.md is a page of the home section in Hugo, not a section "about"."""
    content = tmp_path / "content"
    (content / "about").mkdir(parents=True)
    (content / "about" / "index.md").write_text("---\ntitle: About me\n---\nHello.\n",
                                                encoding="utf-8")
    write_post(content, "p", title="P", date="2021-01-01")
    report = build(tmp_path)
    site = tmp_path / "site"
    assert "Hello." in (site / "about" / "index.html").read_text(encoding="utf-8")
    assert 'href="about/index.html">About me</a>' in (site / "index.html").read_text("utf-8")
    assert report.posts == 1
    assert broken_links(site) == []


def test_page_at_a_generated_list_address_names_the_page(tmp_path: Path) -> None:
    """`url: /tags/` said only "content: two outputs want the address": which page?"""
    bundle = write_post(tmp_path / "content", "p", title="P", date="2021-01-01", url="/tags/",
                        tags="[a]")
    with pytest.raises(BuildError) as caught:
        build(tmp_path)
    [problem] = caught.value.problems
    assert Path(problem.file) == bundle / "index.md"
    assert "/tags/index.html" in problem.message


def test_broken_theme_template_is_a_build_error_at_its_line(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    shutil.copytree(THEME, theme)
    single = theme / "templates" / "single.html"
    single.write_text(single.read_text(encoding="utf-8").replace("{{ post.title }}",
                                                                 "{{ post.nosuch.x }}"))
    write_post(tmp_path / "content", "p", title="P", date="2021-01-01")
    with pytest.raises(BuildError) as caught:
        build_site(tmp_path / "content", tmp_path / "site", SETTINGS, theme_dir=theme,
                   cache_dir=tmp_path / ".cache")
    problem = caught.value.problems[0]
    assert Path(problem.file) == single and problem.line == 10
    assert "nosuch" in problem.message


def test_type_picks_its_own_layout_like_hugo(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    shutil.copytree(THEME, theme)
    (theme / "templates" / "gallery").mkdir()
    (theme / "templates" / "gallery" / "single.html").write_text(
        '{% extends "single.html" %}{% block content %}GALLERY {{ post.title }}{% endblock %}')
    write_post(tmp_path / "content", "a", title="Typed", date="2021-01-01", type="gallery")
    write_post(tmp_path / "content", "b", title="Plain", date="2021-01-02", type="post")
    build_site(tmp_path / "content", tmp_path / "site", SETTINGS, theme_dir=theme,
               cache_dir=tmp_path / ".cache")
    assert "GALLERY Typed" in (tmp_path / "site" / "posts" / "a" / "index.html").read_text()
    plain = (tmp_path / "site" / "posts" / "b" / "index.html").read_text()
    assert "GALLERY" not in plain and 'class="post type-post"' in plain


def test_comment_widget_only_under_posts_that_want_comments(tmp_path: Path) -> None:
    write_post(tmp_path / "content", "a", title="Open", date="2021-01-01", comments="true")
    write_post(tmp_path / "content", "b", title="Closed", date="2021-01-02", comments="false")
    widget = '<script src="https://giscus.app/client.js" data-repo="me/blog"></script>'
    build(tmp_path, SiteSettings(base_url=BASE, comments=widget))
    assert widget in (tmp_path / "site" / "posts" / "a" / "index.html").read_text()
    assert widget not in (tmp_path / "site" / "posts" / "b" / "index.html").read_text()


def test_future_posts_wait_for_their_date_like_hugo(tmp_path: Path) -> None:
    write_post(tmp_path / "content", "now", title="Now", date="2021-01-01")
    write_post(tmp_path / "content", "later", title="Later", date="2999-01-01",
               tags="[scheduled]")
    report = build(tmp_path)
    site = tmp_path / "site"
    assert not (site / "posts" / "later").exists()
    assert not (site / "tags" / "scheduled").exists()
    for name in ("index.html", "index.xml", "sitemap.xml"):
        text = (site / name).read_text(encoding="utf-8")
        assert "Later" not in text and "later" not in text and "2999" not in text
    assert any("later" in str(w.file) and "future" in w.message for w in report.warnings)
    build(tmp_path, drafts=True)  # a preview shows what is not public yet
    assert (site / "posts" / "later" / "index.html").is_file()


def test_links_between_posts_work_under_a_sub_path_and_from_file(tmp_path: Path) -> None:
    """Hugo-style links to a page's folder (`/posts/b/`, `../b/`) name the file, relatively."""
    write_post(tmp_path / "content", "b", title="B", date="2021-01-01")
    write_post(tmp_path / "content", "a", title="A", date="2021-01-02",
               body="[root](/posts/b/) [rel](../b/) [frag](/posts/b/#top) [home](/) "
                    "[css](/style.css) [ext](https://example.com/x/) [same](#x) "
                    "[based](/blog/tags/) [тег](/tags/тег/)", tags="[Тег]")
    build(tmp_path)
    site = tmp_path / "site"
    html = post_html(tmp_path, "a")
    for url in ("../b/index.html", "../b/index.html#top", "../../index.html",
                "../../style.css", "https://example.com/x/", "#x", "../../tags/index.html",
                "../../tags/%D1%82%D0%B5%D0%B3/index.html"):
        assert f'href="{url}"' in html
    assert broken_links(site) == []
    feed = (site / "index.xml").read_text(encoding="utf-8")
    assert f'href="{BASE}posts/b/index.html"' in feed


def test_external_cover_has_no_made_up_size(tmp_path: Path) -> None:
    bundle = write_post(tmp_path / "content", "c", title="C", date="2021-01-01")
    text = (bundle / "index.md").read_text(encoding="utf-8")
    (bundle / "index.md").write_text(
        text.replace("---\n\n", 'images: ["https://cdn.example.com/c.jpg"]\n---\n\n', 1),
        encoding="utf-8")
    build(tmp_path)
    html = post_html(tmp_path, "c")
    assert '<meta property="og:image" content="https://cdn.example.com/c.jpg">' in html
    assert "None" not in html


def test_markdown_images_of_the_bundle_are_responsive_too(tmp_path: Path) -> None:
    """`![alt](images/x.png)` gets width, height, WebP srcset and lazy loading like `img`."""
    bundle = write_post(tmp_path / "content", "md", title="Md", date="2021-01-01",
                        images=("first", "second"),
                        body='![First one](images/first.png "Tip")\n\n'
                             "Text ![Second](images/second.png) inline.\n\n"
                             "![Away](https://example.com/x.png)\n")
    build(tmp_path)
    site = tmp_path / "site"
    html = post_html(tmp_path, "md")
    images = re.findall(r"<img\b[^>]*>", html)
    assert len(images) == 3
    first, second, away = images
    for tag in (first, second):
        assert 'width="64"' in tag and 'height="48"' in tag, tag
    assert 'alt="First one"' in first and 'title="Tip"' in first
    assert 'loading="lazy"' in second and 'alt="Second"' in second
    assert html.count('<source type="image/webp"') == 2
    assert away == '<img src="https://example.com/x.png" alt="Away">'
    assert bundle.name == "md" and broken_links(site) == []


def test_files_the_body_links_to_are_published_beside_the_page(tmp_path: Path) -> None:
    """A download linked from Markdown is copied; its link is percent-encoded, its file is not."""
    names = ("plain.pdf", "my file.pdf", "отчёт.pdf")
    bundle = write_post(tmp_path / "content", "files", title="Files", date="2021-01-01",
                        body="[a](files/plain.pdf) [b](<files/my file.pdf>) [c](files/отчёт.pdf)")
    (bundle / "files").mkdir()
    for name in names:
        (bundle / "files" / name).write_text(name, encoding="utf-8")
    build(tmp_path)
    site = tmp_path / "site"
    for name in names:
        assert (site / "posts" / "files" / "files" / name).read_text(encoding="utf-8") == name
    assert broken_links(site) == []


def test_feed_stays_valid_xml_with_control_characters_in_a_post(tmp_path: Path) -> None:
    """Text pasted from elsewhere can carry form feeds or bells; XML 1.0 forbids them."""
    write_post(tmp_path / "content", "pasted", title="Pasted", date="2021-01-01",
               body="Bell \x07 and form feed \x0c here.")
    build(tmp_path)
    feed = ElementTree.parse(tmp_path / "site" / "index.xml").getroot()
    description = feed.findtext("channel/item/description") or ""
    assert "Bell" in description and "here." in description


def test_hugo_figure_shortcode_renders_bundle_images_like_img(tmp_path: Path) -> None:
    """Hugo's `figure`: a bundle image (with or without extension) gets variants and sizes."""
    write_post(tmp_path / "content", "fig", title="Fig", date="2021-01-01",
               images=("pic", "other"),
               body='{{< figure src="images/pic" alt="A pic" title="The title" '
                    'caption="A *fine* picture" attr="Ann" attrlink="https://ann.example/" '
                    'link="https://l.example/" target="_blank" rel="noopener" class="wide" >}}\n\n'
                    '{{< figure src="images/other.png" caption="Only *caption*" width="32" >}}\n\n'
                    '{{< figure src="https://example.com/x.jpg" alt="Away" >}}\n')
    build(tmp_path)
    site = tmp_path / "site"
    html = post_html(tmp_path, "fig")
    figures = re.findall(r"<figure\b.*?</figure>", html, re.S)
    assert len(figures) == 3
    first, second, away = figures
    assert first.startswith('<figure id="image-pic" class="image wide">')
    assert "data-pswp" not in first  # its own link: the viewer leaves it alone
    assert '<a href="https://l.example/" target="_blank" rel="noopener">' in first
    assert '<source type="image/webp"' in first and 'width="64" height="48"' in first
    assert 'alt="A pic"' in first and 'loading="eager"' in first
    # Hugo's <h4> would skip heading levels after the post's <h1>: invalid HTML (vnu)
    assert '<span class="figure-title">The title</span>' in first
    assert "A <em>fine</em> picture" in first
    assert '<a href="https://ann.example/">Ann</a>' in first
    assert 'alt="Only caption"' in second and 'width="32" height="24"' in second
    assert 'loading="lazy"' in second and "<em>caption</em>" in second
    assert re.search(r'<a href="images/other\.png" data-pswp-width="64"', second)  # full size
    image = re.findall(r"<img\b[^>]*>", away)
    assert len(image) == 1 and 'src="https://example.com/x.jpg"' in image[0]
    assert 'alt="Away"' in image[0] and "width" not in image[0] and "srcset" not in away
    assert broken_links(site) == []


def test_hugo_figure_problems_name_file_and_line(tmp_path: Path) -> None:
    bundle = write_post(tmp_path / "content", "fig", title="Fig", date="2021-01-01",
                        images=("pic",),
                        body='{{< figure src="images/pic" colour="red" >}}\n\n'
                             '{{< figure src="images/pic" width="wide" >}}\n\n'
                             '{{< figure src="images/absent" >}}\n')
    problems = check_content(tmp_path / "content", SETTINGS, theme_dir=THEME,
                             missing_images=True)
    assert [(Path(p.file), p.line) for p in problems] == [(bundle / "index.md", 6),
                                                          (bundle / "index.md", 8),
                                                          (bundle / "index.md", 10)]
    assert "colour" in problems[0].message and "width" in problems[1].message
    assert "images/absent" in problems[2].message


def test_ref_and_relref_link_to_pages_like_hugo(tmp_path: Path) -> None:
    """Hugo's ref/relref name a content file; relref gives a relative link naming the file."""
    content = tmp_path / "content"
    write_post(content, "b", title="B", date="2021-01-01", url='"/2021/bee/"')
    (content / "about.md").write_text("---\ntitle: About\n---\nAbout.\n", encoding="utf-8")
    write_post(content, "a", title="A", date="2021-01-02",
               body='[1]({{< relref "posts/b" >}}) [2]({{< relref "/posts/b/index.md#top" >}}) '
                    '[3]({{< relref "b" >}}) [4]({{< ref "posts/b" >}}) '
                    '[5]({{< relref path="/About.md" >}}) [6]({{< relref "#here" >}}) '
                    '[7]({{% relref "/POSTS/B" %}}) [8]({{< relref "/posts" >}}) '
                    'Shown: {{</* ref "nowhere" */>}}')
    build(tmp_path)
    site = tmp_path / "site"
    html = post_html(tmp_path, "a")
    links = re.findall(r'<a href="([^"]*)">(\d)</a>', html)
    assert links == [("../../2021/bee/index.html", "1"), ("../../2021/bee/index.html#top", "2"),
                     ("../../2021/bee/index.html", "3"), (f"{BASE}2021/bee/", "4"),
                     ("../../about/index.html", "5"), ("#here", "6"),
                     ("../../2021/bee/index.html", "7"), ("../index.html", "8")]
    assert "Shown: {{&lt; ref &quot;nowhere&quot; &gt;}}" in html
    assert broken_links(site) == []


def test_ref_to_an_unknown_page_names_file_and_line(tmp_path: Path) -> None:
    bundle = write_post(tmp_path / "content", "a", title="A", date="2021-01-01",
                        body='Fine.\n\nSee [it]({{< relref "posts/nope" >}}).\n\n'
                             '{{< ref "../a" >}}\n')
    with pytest.raises(BuildError) as caught:
        build(tmp_path)
    problems = caught.value.problems
    assert [(Path(p.file), p.line, p.key) for p in problems] == [
        (bundle / "index.md", 8, "relref"), (bundle / "index.md", 10, "ref")]
    assert "posts/nope" in problems[0].message and "not found" in problems[0].message


def test_markdown_image_of_a_missing_bundle_file_is_a_warning(tmp_path: Path) -> None:
    """`![x](images/missing.png)` would be a broken image: the report names file and line."""
    bundle = write_post(tmp_path / "content", "md", title="Md", date="2021-01-01",
                        images=("there",),
                        body="Intro.\n\n![Gone](images/missing.png)\n\n![Here](images/there.png)\n"
                             "![Away](https://example.com/x.png)\n")
    report = build(tmp_path)
    assert [(Path(w.file), w.line) for w in report.warnings] == [(bundle / "index.md", 8)]
    assert "images/missing.png" in report.warnings[0].message
    assert "images/missing.png" in str(report)


def test_page_at_a_static_file_address_is_a_clear_error(tmp_path: Path) -> None:
    write_post(tmp_path / "content", "a", title="Styled", date="2021-01-01", url="/style.css/")
    with pytest.raises(BuildError, match="collides with the theme's static file"):
        build(tmp_path)
    assert not (tmp_path / "site").exists()


def test_home_page_has_its_heading(seed_site: tuple[Path, BuildReport]) -> None:
    home = (seed_site[0] / "site" / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<h1\b[^>]*>(.*?)</h1>", home) == ["Gallery"]


def test_footnotes_have_a_heading_and_back_links_in_the_sites_language(seed_html: str) -> None:
    section = re.search(r'<section class="footnotes".*?</section>', seed_html, re.S)
    assert section
    assert '<h2 class="footnotes-heading">Примечания</h2>' in section.group()
    assert 'aria-label="вернуться к сноске 1"' in section.group()
    assert "back to reference" not in seed_html and "not generated" not in seed_html


def test_figures_open_in_the_viewer_named_by_their_ids(seed_site: tuple[Path, BuildReport],
                                                       seed_html: str) -> None:
    figures = re.findall(r'<figure id="([^"]+)"[^>]*>\s*<a ([^>]*)>', seed_html)
    assert len(figures) == 60
    ids = [ident for ident, _ in figures]
    assert len(set(ids)) == 60 and "image-howitworks" in ids
    for _, link in figures:  # the full size and every variant (one here: 64 px < 480)
        assert re.search(r'data-pswp-width="64" data-pswp-height="48" '
                         r'data-pswp-srcset="images/[\w-]+-64\.webp 64w"', link), link
    assert 'js/viewer.js" defer data-close="Закрыть"' in seed_html
    assert "vendor/photoswipe/photoswipe.css" in seed_html
    site = seed_site[0] / "site"
    for name in ("photoswipe-lightbox.umd.min.js", "photoswipe.umd.min.js", "LICENSE"):
        assert (site / "vendor" / "photoswipe" / name).is_file()
    assert broken_links(site) == []  # the viewer's srcset included


def test_a_figure_shown_twice_gets_two_ids(tmp_path: Path) -> None:
    body = '{{<img src="images/a">}}\n\n![again](images/a.png)\n\n{{<img src="images/a">}}\n'
    write_post(tmp_path / "content", "twice", title="Twice", date="2021-01-01", body=body,
               images=("a",))
    build(tmp_path)
    html = post_html(tmp_path, "twice")
    assert re.findall(r'<figure id="([^"]+)"', html) == ["image-a", "image-a-2"]


def test_pages_without_figures_load_no_viewer(tmp_path: Path) -> None:
    write_post(tmp_path / "content", "words", title="Words", date="2021-01-01")
    build(tmp_path)
    html = post_html(tmp_path, "words")
    assert "photoswipe" not in html and "viewer.js" not in html
    assert 'class="theme-toggle" hidden' in html and "js/theme.js" in html


def test_post_meta_reading_time_share_links_and_a_table_of_contents_when_asked(
        tmp_path: Path) -> None:
    body = "\n\n".join(f"## Part {n}\n\n" + "word " * 100 for n in range(1, 4))
    write_post(tmp_path / "content", "long", title="Long & winding", date="2021-01-01",
               body=body)
    build(tmp_path)
    page = tmp_path / "site" / "posts" / "long" / "index.html"
    html = page.read_text(encoding="utf-8")
    assert '<span class="reading-time">2 мин чтения</span>' in html
    assert 'class="toc"' not in html  # off unless the site asks for it
    share = re.search(r'<p class="share">.*?</p>', html, re.S)
    assert share and "https%3A%2F%2Fexample.org%2Fblog%2Fposts%2Flong%2F" in share.group()
    assert "Long%20%26%20winding" in share.group() and "<script" not in share.group()

    build(tmp_path, dataclasses.replace(SETTINGS, toc=True))
    html = page.read_text(encoding="utf-8")
    toc = re.search(r'<nav class="toc".*?</nav>', html, re.S)
    assert toc and "<h2 id=\"toc-heading\">Содержание</h2>" in toc.group()
    assert re.findall(r'href="#([^"]+)"', toc.group()) == ["part-1", "part-2", "part-3"]
    assert all(f'id="part-{n}"' in html for n in (1, 2, 3))


def test_the_theme_keeps_its_javascript_budget() -> None:
    scripts = sorted((THEME / "static").rglob("*.js"))
    assert {s.name for s in scripts} == {"theme.js", "viewer.js", "photoswipe.umd.min.js",
                                         "photoswipe-lightbox.umd.min.js"}
    assert sum(s.stat().st_size for s in scripts) <= 80_000  # the budget the README states


def test_theme_shortcodes_speak_the_sites_language(tmp_path: Path) -> None:
    write_post(tmp_path / "content", "video", title="Video", date="2021-01-01",
               body='{{< youtube id="abc" >}}\n\n{{< youtube id="def" title="Своё" >}}\n')
    build(tmp_path)
    html = post_html(tmp_path, "video")
    assert re.findall(r'<iframe [^>]*title="([^"]*)"', html.replace("\n", " ")) == [
        "Видео на YouTube", "Своё"]
