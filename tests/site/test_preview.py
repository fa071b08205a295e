"""The in-process preview: rebuilds that reuse parsed pages, rendered bodies and templates give
the bytes of a cold build, redo only what changed, and reload only the tabs whose page changed;
an edited body is served before its rebuild, as that rebuild writes it."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from generator.cli import build_parser
from generator.commands.serve import preview_rebuild
from generator.errors import BuildError, Problem
from generator.folders import Folders
from generator.settings import SiteSettings
from generator.site import pipeline, warm
from generator.site.build import build_site
from generator.site.config import load_site_config
from generator.site.early import EarlyPages
from generator.site.feeds import FeedItem, rss
from generator.site.preview import Preview
from generator.site.report import BuildReport
from generator.site.serve import make_server, site_path
from generator.site.warm import WarmCaches
from tests.site.helpers import THEME, stand_in, write_post
from tests.site.test_incremental import CHANGES, Project, tree
from tests.site.test_serve import page, write_gallery


def edit_theme_file(relative: str, old: str, new: str) -> Callable[[Project], None]:
    def edit(project: Project) -> None:
        path = project.theme / relative
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return edit


class WarmProject(Project):
    """A project rebuilt as the preview does: one process, its caches kept."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.caches = WarmCaches()

    def build(self, out: str = "site", cache: str = ".cache", **options: bool) -> BuildReport:
        if options.get("full"):
            return super().build(out, cache, **options)
        return build_site(self.content, self.root / out, self.settings, theme_dir=self.theme,
                          cache_dir=self.root / cache, warm=self.caches, **options)


def same_size_same_mtime_edit(project: Project) -> None:
    """A second save of the same length within one tick of the file system's clock: a cache
    keyed by size, mtime and inode would serve the first."""
    project.edit("post-2", "A new body.", "A new bodY.")
    project.build()
    page = project.content / "posts" / "post-2" / "index.md"
    first = page.stat()
    project.edit("post-2", "A new bodY.", "A New bodY.")
    os.utime(page, ns=(first.st_atime_ns, first.st_mtime_ns))
    assert (page.stat().st_size, page.stat().st_ino) == (first.st_size, first.st_ino)


WARM_CHANGES: list[tuple[str, Callable[[Project], None]]] = [
    *CHANGES,
    ("a body with a shortcode", lambda p: write_post(
        p.content, "coded", title="Coded", date="2021-04-01",
        body="Before.\n\n{{< highlight python >}}\nx = 1\n{{< /highlight >}}\n\nAfter.")),
    ("a body with a footnote", lambda p: write_post(
        p.content, "noted", title="Noted", date="2021-04-02", body="Text[^1].\n\n[^1]: A note.")),
    ("the same length twice", same_size_same_mtime_edit),
    ("a UI string edited", edit_theme_file("i18n/en.yaml", "footnotes: Notes",
                                           "footnotes: Endnotes")),
    ("a shortcode template added", lambda p: (p.theme / "shortcodes").mkdir(exist_ok=True) or (
        p.theme / "shortcodes" / "highlight.html").write_text("<pre>{{ inner }}</pre>")),
]


def test_warm_rebuilds_give_the_bytes_of_a_cold_build(tmp_path: Path) -> None:
    project = WarmProject(tmp_path)
    project.build()
    project.build()
    for index, (name, change) in enumerate(WARM_CHANGES):
        before = tree(project.root / "site")
        change(project)
        report = project.build()
        after = tree(project.root / "site")
        cold = project.build(out=f"cold-{index}", cache=f".cold-{index}", full=True)
        assert after == tree(cold.out_dir), name
        if name != "the same length twice":  # it built once more in between
            assert report.changed == changed_files(before, after), name


def changed_files(before: dict[str, bytes | None], after: dict[str, bytes | None]) -> set[str]:
    """Files added, removed or with other bytes (folders are None in a tree)."""
    files_before = {path: data for path, data in before.items() if data is not None}
    files_after = {path: data for path, data in after.items() if data is not None}
    return {path for path in files_before.keys() | files_after.keys()
            if files_before.get(path) != files_after.get(path)}


def test_one_edit_parses_and_renders_only_that_page_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = WarmProject(tmp_path)
    project.build()
    parsed: list[Path] = []
    rendered: list[Path] = []
    themes: list[Path] = []
    real_parse, real_render, real_theme = (warm.page_from_bytes, warm.record, pipeline.Theme)
    monkeypatch.setattr(warm, "page_from_bytes",
                        lambda data, source, *rest: parsed.append(source)
                        or real_parse(data, source, *rest))
    monkeypatch.setattr(warm, "record",  # a body's Markdown rendered (shortcodes kept apart)
                        lambda text, **kw: rendered.append(kw["source"])
                        or real_render(text, **kw))
    monkeypatch.setattr(pipeline, "Theme", lambda folder, *rest, **options: themes.append(folder)
                        or real_theme(folder, *rest, **options))
    project.edit("post-2", "Body of post 2.", "A new body.")
    report = project.build()
    page = project.content / "posts" / "post-2" / "index.md"
    assert (parsed, rendered, themes) == ([page], [page], [])
    assert "posts/post-2/index.html" in report.changed
    assert "posts/post-3/index.html" not in report.changed


def test_a_tab_reloads_only_when_its_page_or_what_every_page_shows_changed(
        tmp_path: Path) -> None:
    changes = iter([["a/index.html", "b/index.html", "style.css"], ["a/index.html", "index.xml"],
                    ["b/index.html", "images/x.webp"]])
    source = tmp_path / "post.md"
    preview = Preview(tmp_path, lambda: next(changes), [source], say=lambda _: None)
    versions = []
    for edit in range(3):
        source.write_text("x" * (edit + 1))
        assert preview.refresh()
        versions.append([preview.page_version(site_path(address))
                         for address in ("/a/", "/b/", "/c/index.html", "/")])
    assert versions == [[1, 1, 1, 1], [2, 1, 1, 1], [3, 3, 3, 3]]


def test_a_look_at_the_reported_files_finds_their_changes_and_folders_make_it_look_at_all(
        tmp_path: Path) -> None:
    content = tmp_path / "content"
    first = write_post(content, "a", title="A", date="2021-01-01") / "index.md"
    preview = Preview(tmp_path / "site", lambda: [], [content], say=lambda _: None)
    preview.refresh()
    assert not preview.look({str(first)})  # reported, but as it was
    first.write_text("Edited.", encoding="utf-8")
    assert preview.look({str(first)})
    added = write_post(content, "b", title="B", date="2021-01-02")
    assert preview.look({str(added)})  # a folder: what is in it is only seen by looking
    shutil.rmtree(added)
    assert preview.look({str(added)})
    assert not preview.look()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Preview]]:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text("<body>A</body>")
    preview = Preview(tmp_path, lambda: ["a/index.html"], [tmp_path / "a"], say=lambda _: None)
    httpd = make_server(preview, "127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", preview
    httpd.shutdown()
    httpd.server_close()


def test_the_version_endpoint_answers_for_the_page_asked_about(
        served: tuple[str, Preview]) -> None:
    address, preview = served
    assert preview.refresh()

    def version(page: str) -> str:
        with urllib.request.urlopen(f"{address}/__version?page={page}", timeout=10) as answer:
            return answer.read().decode()

    assert (version("/a/"), version("%2Fa%2Findex.html"), version("/b/")) == ("1", "1", "0")


def test_a_feed_item_kept_for_its_next_feed_still_shows_its_own_utc_offset() -> None:
    """Feed items are kept between feeds and rebuilds; 12:00Z equals 15:00+03:00 as a datetime
    but is written otherwise."""
    settings = SiteSettings(title="Feeds", base_url="https://example.org/")
    utc = datetime(2021, 1, 1, 12, tzinfo=UTC)
    moscow = datetime(2021, 1, 1, 15, tzinfo=timezone(timedelta(hours=3)))
    assert utc == moscow
    written = [rss(settings, [FeedItem("Post", "post/index.html", date, "<p>x</p>")])
               for date in (utc, moscow)]
    assert "<pubDate>Fri, 01 Jan 2021 12:00:00 +0000</pubDate>" in written[0]
    assert "<pubDate>Fri, 01 Jan 2021 15:00:00 +0300</pubDate>" in written[1]


def test_make_serve_rebuilds_report_the_pages_an_edit_changed(tmp_path: Path) -> None:
    write_gallery(tmp_path, "first")
    args = build_parser().parse_args(["--manifest", str(tmp_path / "gallery.yaml"), "serve"])
    rebuild = preview_rebuild(args, Folders.from_args(args), WarmCaches())
    assert {"2021/post/index.html", "style.css"} <= rebuild()
    assert rebuild() == frozenset()
    write_gallery(tmp_path, "second")
    changed = rebuild()
    assert "2021/post/index.html" in changed and "style.css" not in changed
    assert "second" in page(tmp_path)


def test_an_address_names_the_file_the_browser_shows() -> None:
    assert site_path("/") == "index.html"
    assert site_path("/2021/post/") == "2021/post/index.html"
    assert site_path("/tags/%D1%82%D0%B5%D0%B3/") == "tags/тег/index.html"  # as location gives it
    assert site_path("/index.xml") == "index.xml"


TIMEOUT = 10.0  # only ever reached when something is broken
POST = "posts/post-2/index.html"


class PreviewedProject(WarmProject):
    """A warm project under a preview with early pages, whose rebuilds wait until `gate` is
    open (it is at first) and fail with `failure` when it is set."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.gate = threading.Event()
        self.gate.set()
        self.failure: Problem | None = None
        self.messages: list[str] = []
        self.preview = Preview(root / "site", self.rebuild, [self.content, self.theme],
                               say=self.messages.append, early=EarlyPages(self.caches))

    def rebuild(self) -> frozenset[str]:
        assert self.gate.wait(TIMEOUT), "the test never let the rebuild run"
        if self.failure is not None:
            raise BuildError(self.failure)
        return self.build().changed

    def site_file(self, path: str) -> bytes:
        return (self.root / "site" / path).read_bytes()

    def showing(self, text: bytes) -> set[str]:
        """The files of the live site that hold `text`."""
        return {path for path, data in tree(self.root / "site").items()
                if data is not None and text in data}


@pytest.fixture
def project(tmp_path: Path) -> PreviewedProject:
    project = PreviewedProject(tmp_path)
    assert project.preview.refresh()
    return project


@contextlib.contextmanager
def held(project: PreviewedProject) -> Iterator[threading.Thread]:
    """The preview's rebuild, started in another thread and held at the gate until the block
    ends (then it runs to its end)."""
    project.gate.clear()
    rebuild = threading.Thread(target=project.preview.build)
    rebuild.start()
    try:
        yield rebuild
    finally:
        project.gate.set()
        rebuild.join(TIMEOUT)
    assert not rebuild.is_alive()


@contextlib.contextmanager
def http(preview: Preview) -> Iterator[str]:
    httpd = make_server(preview, "127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=TIMEOUT) as answer:
        return bytes(answer.read())


def test_an_edited_body_is_served_before_its_rebuild_as_the_rebuild_writes_it(
        project: PreviewedProject) -> None:
    preview = project.preview
    lists = project.showing(b"Body of post 2.") - {POST}  # its summary: lists, tags, feeds
    assert {"page/2/index.html", "index.xml", "tags/t2/index.html"} <= lists
    project.edit("post-2", "Body of post 2.", "A new body.")
    assert preview.look()
    early = preview.early_page(POST)
    assert early is not None and b"A new body." in early
    shown = preview.page_version(POST)
    assert all(preview.page_version(path) < shown for path in lists)
    with held(project) as rebuild, http(preview) as address:
        assert b"A new body." in fetch(f"{address}/posts/post-2/")
        assert b"A new body." not in fetch(f"{address}/page/2/")  # the last site's, meanwhile
        assert rebuild.is_alive()
    assert preview.early_page(POST) is None  # the site holds it now
    assert project.site_file(POST) == early
    cold = project.build(out="cold", cache=".cold", full=True)
    assert (cold.out_dir / POST).read_bytes() == early
    assert project.showing(b"A new body.") == lists | {POST}
    # the tabs showing the lists reload now; the edited page's does not reload a second time
    assert all(preview.page_version(path) > shown for path in lists)
    assert preview.page_version(POST) == shown


def test_a_preview_started_on_a_built_site_has_early_pages_from_the_first_edit(
        tmp_path: Path) -> None:
    project = PreviewedProject(tmp_path)
    Project.build(project)  # the site an earlier run left, up to date
    assert not project.preview.refresh()  # nothing changed, but the preview holds the site now
    project.edit("post-2", "Body of post 2.", "A new body.")
    assert project.preview.look() and project.preview.early_page(POST) is not None


def test_a_title_edit_waits_for_the_rebuild_and_the_lists_follow(
        project: PreviewedProject) -> None:
    preview = project.preview
    before = preview.version
    project.edit("post-2", 'title: "Post 2"', 'title: "Renamed"')
    assert preview.look()
    assert preview.early_page(POST) is None and preview.version == before
    assert preview.build()
    showing = project.showing(b"Renamed")
    assert {POST, "page/2/index.html", "index.xml", "posts/post-1/index.html"} <= showing
    assert all(preview.page_version(path) > before for path in showing)


def test_an_edit_saved_during_a_rebuild_keeps_its_early_page_until_a_rebuild_covers_it(
        project: PreviewedProject) -> None:
    preview = project.preview
    project.edit("post-2", "Body of post 2.", "A new body.")
    assert preview.look()
    with held(project):
        project.edit("post-2", "A new body.", "A newer body.")
        assert preview.look()
        newer = preview.early_page(POST)
        assert newer is not None and b"A newer body." in newer
    assert preview.early_page(POST) == newer  # that rebuild was asked for before the edit
    shown = preview.page_version(POST)
    assert preview.wanted.is_set()
    preview.build()
    assert preview.early_page(POST) is None
    assert project.site_file(POST) == newer and preview.page_version(POST) == shown


def test_a_second_edit_reloads_the_tab_of_its_page_only(project: PreviewedProject) -> None:
    """Early pages are made from every edit since the last rebuild: the first edit's page,
    rendered again with the same bytes, does not reload its tab a second time."""
    preview = project.preview
    project.edit("post-2", "Body of post 2.", "A new body.")
    assert preview.look()
    shown = preview.page_version(POST)
    project.edit("post-3", "Body of post 3.", "Another body.")
    assert preview.look()
    assert preview.early_page("posts/post-3/index.html") is not None
    assert preview.page_version("posts/post-3/index.html") > shown
    assert preview.page_version(POST) == shown


def test_a_failed_rebuild_drops_the_early_pages_and_serves_the_last_good_site(
        project: PreviewedProject) -> None:
    preview = project.preview
    last_good = project.site_file(POST)
    project.edit("post-2", "Body of post 2.", "A new body.")
    project.failure = Problem(project.content, None, None, "the disk is full")
    assert preview.look() and preview.early_page(POST) is not None
    shown = preview.page_version(POST)
    assert not preview.build()
    assert preview.early_page(POST) is None and project.site_file(POST) == last_good
    assert preview.page_version(POST) > shown  # its tab goes back to the last good page
    assert any("the disk is full" in message for message in project.messages)


def add_image_and_section(project: Project) -> None:
    """An image no page shows yet, and a section page with a body."""
    stand_in(project.content / "posts" / "post-2" / "images" / "b.png", 9)
    (project.content / "posts" / "_index.md").write_text(
        '---\ntitle: "Posts"\n---\n\nAbout the posts.\n', encoding="utf-8")


EARLY_EDITS: dict[str, tuple[str, str]] = {  # the body of post 2, replaced with these
    "text and typography": ("Body of post 2.", "A *new* body -- \"quoted\"..."),
    "a footnote": ("Body of post 2.", "Noted[^1].\n\n[^1]: The note."),
    "a shortcode": ("Body of post 2.", "{{< highlight python >}}\nx = 1\n{{< /highlight >}}"),
    "a summary divider": ("Body of post 2.", "Summary.\n\n<!--more-->\n\nThe rest."),
    "a link to another post": ("Body of post 2.", '[Next]({{< relref "post-3" >}}).'),
    "the image shown twice": ("Body of post 2.", "![again](images/a.png)"),
}


@pytest.mark.parametrize("edit", EARLY_EDITS)
def test_early_pages_are_the_bytes_of_a_cold_build(project: PreviewedProject, edit: str) -> None:
    project.edit("post-2", *EARLY_EDITS[edit])
    assert project.preview.look()
    early = project.preview.early_page(POST)
    assert early is not None
    cold = project.build(out="cold", cache=".cold", full=True)
    assert early == (cold.out_dir / POST).read_bytes()


def test_a_translation_s_early_page_is_its_language_s_file_of_a_cold_build(
        tmp_path: Path) -> None:
    (tmp_path / "hugo.toml").write_text(
        'baseURL = "https://example.org/"\n[languages.en]\nweight = 1\n'
        '[languages.fr]\nweight = 2\n', encoding="utf-8")
    for name, title in (("a.md", "Post"), ("a.fr.md", "Billet")):
        page = tmp_path / "content" / "posts" / name
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"---\ntitle: {title}\ndate: 2021-01-01\n---\n\nTexte.\n",
                        encoding="utf-8")
    config, caches = load_site_config(tmp_path), WarmCaches()

    def build(out: str, warm: WarmCaches | None) -> Path:
        return build_site(tmp_path / "content", tmp_path / out, config.settings,
                          theme_dir=THEME, cache_dir=tmp_path / f".{out}", config=config,
                          warm=warm).out_dir

    def rebuild() -> None:  # which pages changed: not told
        build("site", caches)

    preview = Preview(tmp_path / "site", rebuild, [tmp_path / "content"], say=lambda _: None,
                      early=EarlyPages(caches))
    preview.refresh()
    page.write_text(page.read_text(encoding="utf-8").replace("Texte.", "Nouveau texte."),
                    encoding="utf-8")
    assert preview.look()
    early = preview.early_page("fr/posts/a/index.html")
    assert early is not None and b"Nouveau texte." in early
    assert early == (build("cold", None) / "fr/posts/a/index.html").read_bytes()


NOT_EARLY: dict[str, Callable[[Project], None]] = {
    "a title": lambda p: p.edit("post-2", 'title: "Post 2"', 'title: "Renamed"'),
    "an image no page showed": lambda p: p.edit("post-2", "images/a.png", "images/b.png"),
    "a section page's body": lambda p: (p.content / "posts" / "_index.md").write_text(
        '---\ntitle: "Posts"\n---\n\nAll about them.\n', encoding="utf-8"),
    "a new post": lambda p: write_post(p.content, "post-9", title="Post 9", date="2021-02-01"),
    "a template": edit_theme_file("templates/single.html", "</article>", "</article><hr>"),
    "a bad shortcode": lambda p: p.edit("post-2", "Body of post 2.", "{{< nonesuch >}}"),
}


@pytest.mark.parametrize("edit", NOT_EARLY)
def test_other_edits_have_no_early_pages(tmp_path: Path, edit: str) -> None:
    project = PreviewedProject(tmp_path)
    add_image_and_section(project)
    assert project.preview.refresh()
    version = project.preview.version
    NOT_EARLY[edit](project)
    assert project.preview.look()
    assert project.preview.version == version and project.preview.early_page(POST) is None


def test_a_template_saved_during_a_rebuild_then_undone_is_not_kept_in_the_preview(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A theme kept between rebuilds is keyed by the digest of its files taken when the rebuild
    began; a template it loads later may have changed since, so it must notice when that
    template changes again (back to the bytes of its key)."""
    project = WarmProject(tmp_path)
    project.build()
    template = project.theme / "templates" / "single.html"
    original = template.read_text(encoding="utf-8")
    edit_theme_file("templates/single.html", "</article>", "</article><hr>")(project)
    real_theme_object = WarmCaches.theme_object
    saved: list[str] = []

    def theme_object(self: WarmCaches, kind: str, *args: object) -> object:
        made = real_theme_object(self, kind, *args)
        if kind == "theme" and not saved:  # a save while this rebuild runs
            saved.append(template.read_text(encoding="utf-8"))
            template.write_text(original.replace("</article>", "</article><hr><hr>"),
                                encoding="utf-8")
        return made

    monkeypatch.setattr(WarmCaches, "theme_object", theme_object)
    project.build()
    template.write_text(saved[0], encoding="utf-8")  # undone before the next rebuild
    later = template.stat().st_mtime_ns + 5_000_000_000
    os.utime(template, ns=(later, later))
    project.build()
    cold = project.build(out="cold", cache=".cold", full=True)
    assert tree(project.root / "site") == tree(cold.out_dir)
