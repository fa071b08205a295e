"""Rebuilds reuse what did not change, and give byte for byte the site a cold build gives.

A site is built, then each kind of change an author makes is applied in turn; after each, the
incremental rebuild (same output folder, its spare and build state) must equal a cold build of
the same tree (`full=True`, another folder, another cache) file for file, byte for byte.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from generator.errors import BuildError, Problem
from generator.settings import SiteSettings
from generator.site import buildstate, images, sitefiles, warm
from generator.site.build import build_site
from generator.site.buildstate import KEPT_PAGES, STATE_VERSION, state_file
from generator.site.report import BuildReport
from generator.site.theme import Theme
from tests.site.helpers import THEME, stand_in, write_post

SETTINGS = SiteSettings(title="Gallery", base_url="https://example.org/", paginate=3,
                        image_widths=(16,))


class Project:
    """A content tree, a theme and settings, built incrementally into site/."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.content = root / "content"
        self.theme = root / "theme"
        self.settings = SETTINGS
        shutil.copytree(THEME, self.theme)
        for n in range(8):
            write_post(self.content, f"post-{n}", title=f"Post {n}",
                       date=f"2021-01-{n + 10}", body=f"Body of post {n}.\n\n![pic](images/a.png)",
                       images=("a",), tags=f"[t{n % 3}]")

    def build(self, out: str = "site", cache: str = ".cache", **options: bool) -> BuildReport:
        return build_site(self.content, self.root / out, self.settings, theme_dir=self.theme,
                          cache_dir=self.root / cache, **options)

    def edit(self, slug: str, old: str, new: str) -> None:
        page = self.content / "posts" / slug / "index.md"
        page.write_text(page.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under `folder`."""
    found: dict[str, bytes | None] = {}
    for directory, folders, files in os.walk(folder):
        base = Path(directory)
        for name in folders:
            found[(base / name).relative_to(folder).as_posix()] = None
        for name in files:
            found[(base / name).relative_to(folder).as_posix()] = (base / name).read_bytes()
    return found


def retheme(project: Project) -> None:
    single = project.theme / "templates" / "single.html"
    single.write_text(single.read_text(encoding="utf-8").replace("</article>",
                                                                  "</article><!-- edited -->"))


def move(project: Project) -> None:
    posts = project.content / "posts"
    (posts / "post-3").rename(posts / "post-renamed")


CHANGES: list[tuple[str, Callable[[Project], None]]] = [
    ("nothing", lambda p: None),
    ("a post's text", lambda p: p.edit("post-2", "Body of post 2.", "A new body.")),
    ("a post's title", lambda p: p.edit("post-1", 'title: "Post 1"', 'title: "Retitled"')),
    ("a tag added", lambda p: p.edit("post-4", "tags: [t1]", "tags: [t1, fresh]")),
    ("a tag removed", lambda p: p.edit("post-4", "tags: [t1, fresh]", "tags: [t1]")),
    ("a date reordering pages", lambda p: p.edit("post-0", "2021-01-10", "2021-02-01")),
    ("an image replaced", lambda p: stand_in(p.content / "posts" / "post-5" / "images" / "a.png",
                                            99, (40, 30))),
    ("a template edited", retheme),
    ("a static file edited", lambda p: (p.theme / "static" / "style.css").write_text(
        "body { color: teal }\n", encoding="utf-8")),
    ("a setting changed", lambda p: setattr(p, "settings",
                                            dataclasses.replace(p.settings, title="Renamed"))),
    ("a post deleted", lambda p: shutil.rmtree(p.content / "posts" / "post-6")),
    ("a post renamed", move),
    ("a page at a file's address", lambda p: p.edit("post-7", "title:", "url: /x.html\ntitle:")),
    ("that file became a folder", lambda p: p.edit("post-7", "url: /x.html", "url: /x.html/")),
    ("a second post", lambda p: write_post(p.content, "new", title="New", date="2021-03-01")),
    ("the folder became a file again", lambda p: p.edit("post-7", "/x.html/", "/x.html")),
]


def test_every_kind_of_change_rebuilds_to_the_bytes_of_a_cold_build(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.build()
    project.build()  # the spare exists from here on
    for index, (name, change) in enumerate(CHANGES):
        change(project)
        project.build()
        cold = project.build(out=f"cold-{index}", cache=f".cold-{index}", full=True)
        assert tree(project.root / "site") == tree(cold.out_dir), name


def test_a_no_op_rebuild_writes_nothing_and_keeps_every_file(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.build()
    before = {path: os.stat(project.root / "site" / path)
              for path, data in tree(project.root / "site").items() if data is not None}
    for _ in range(3):  # into a new folder, then into the spare of the build before
        assert project.build().written == 0
    after = {path: os.stat(project.root / "site" / path) for path in before}
    assert {p: (s.st_ino, s.st_mtime_ns) for p, s in after.items()} == {
        p: (s.st_ino, s.st_mtime_ns) for p, s in before.items()}


def test_one_edit_writes_and_renders_only_the_pages_that_show_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = Project(tmp_path)
    project.build()
    project.build()
    rendered: list[str] = []
    real_render = Theme.render

    def counting(theme: Theme, name: str | list[str], **context: object) -> str:
        if "canonical" in context:  # a page (not a figure inside one)
            rendered.append(str(context["canonical"]))
        return real_render(theme, name, **context)

    monkeypatch.setattr(Theme, "render", counting)
    assert project.build().written == 0 and rendered == []
    project.edit("post-2", "Body of post 2.", "A new body.")
    report = project.build()
    # its page, the list pages showing its summary (page 2 of 3 posts each), its tag
    assert sorted(rendered) == [f"https://example.org/{path}" for path in (
        "page/2/", "posts/page/2/", "posts/post-2/", "tags/t2/")]
    assert report.written == len(rendered) + 3  # and the feeds: home, posts/, tags/t2/


@pytest.mark.parametrize("damage", ["corrupt", "other version", "spare edited by hand"])
def test_a_damaged_state_or_spare_is_not_trusted(tmp_path: Path, damage: str) -> None:
    project = Project(tmp_path)
    project.build()
    project.edit("post-3", "Body of post 3.", "Another body.")
    project.build()  # a real rebuild: the first site becomes the spare
    state = state_file(project.root / ".cache", project.root / "site")
    if damage == "corrupt":
        state.write_text(f'{{"version": {STATE_VERSION}, "site": [', encoding="utf-8")
    elif damage == "other version":
        text = state.read_text()
        assert f'"version":{STATE_VERSION},' in text
        state.write_text(text.replace(f'"version":{STATE_VERSION},', '"version":0,'))
    else:
        page = project.root / ".site-previous" / "posts" / "post-5" / "index.html"
        page.unlink()
        page.write_text("edited by hand")
    project.edit("post-2", "Body of post 2.", "A new body.")
    report = project.build()
    cold = project.build(out="cold", cache=".cold", full=True)
    assert tree(project.root / "site") == tree(cold.out_dir)
    if damage != "spare edited by hand":  # the whole state is dropped: every file is written
        assert report.written == len(
            [data for data in tree(project.root / "site").values() if data is not None])


def test_unchanged_images_are_not_read_again(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Source images are known by size, mtime_ns and inode: a rebuild does not hash them."""
    project = Project(tmp_path)
    project.build()
    read: list[Path] = []
    real_read = images._read
    monkeypatch.setattr(images, "_read", lambda source: read.append(source) or real_read(source))
    project.build()
    assert read == []
    stand_in(project.content / "posts" / "post-5" / "images" / "a.png", 99, (40, 30))
    project.build()
    assert read == [project.content / "posts" / "post-5" / "images" / "a.png"]


def saved_ago(path: Path, seconds: float) -> None:
    """Give `path` the mtime of a save `seconds` ago."""
    then = time.time_ns() - int(seconds * 1e9)
    os.utime(path, ns=(then, then))


def assert_a_second_save_is_seen(project: Project, style: Path) -> None:
    """Build, save `style` again unseen by its stats (`save_unseen`), build: the site has it."""
    project.build()
    changed = save_unseen(style)
    project.build()
    assert (project.root / "site" / "style.css").read_bytes() == changed


def save_unseen(path: Path) -> bytes:
    """Change `path` in place (same size, inode and mtime, as a second save within one tick of
    the clock) -> its new bytes."""
    before = path.stat()
    changed = path.read_bytes().replace(b"}", b";", 1)
    with open(path, "r+b") as file:
        file.write(changed)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    return changed


def test_unchanged_files_copied_from_the_project_are_not_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Static files are known by size, mtime_ns and inode like images: a rebuild that copies
    them does not read them, unless one changed."""
    project = Project(tmp_path)
    static = project.theme / "static"
    for path in static.rglob("*"):
        saved_ago(path, 3600)
    project.build()
    read: list[Path] = []
    real_read = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda path: (
        read.append(path) if path.is_relative_to(static) else None) or real_read(path))
    project.edit("post-2", "Body of post 2.", "A new body.")
    project.build()
    assert read == []
    (static / "style.css").write_text("body { color: teal }\n", encoding="utf-8")
    project.build()
    assert read == [static / "style.css"]
    assert (project.root / "site" / "style.css").read_text() == "body { color: teal }\n"


def test_a_copied_file_saved_in_the_seconds_before_its_copy_is_read_again(
        tmp_path: Path) -> None:
    """A file saved just before a build may be saved again within the same mtime tick, at the
    same size: its stats are not trusted then (as git's racy index entries)."""
    project = Project(tmp_path)
    style = project.theme / "static" / "style.css"
    saved_ago(style, 0)
    assert_a_second_save_is_seen(project, style)


def test_a_copied_file_saved_just_before_a_slow_read_is_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file is racy by its age when it was looked at, not once its bytes were read: a save in
    the same mtime tick after a long read would otherwise be hidden behind the record."""
    project = Project(tmp_path)
    style = project.theme / "static" / "style.css"
    saved_ago(style, 0)
    reading = [0.0]  # seconds the reads of the style took, as the clock sees them
    real_read, real_time = Path.read_bytes, time.time

    def read_slowly(path: Path) -> bytes:
        data = real_read(path)
        if path == style:
            reading[0] += sitefiles.RACY_SECONDS
        return data

    monkeypatch.setattr(Path, "read_bytes", read_slowly)
    monkeypatch.setattr(sitefiles, "time", SimpleNamespace(time=lambda: real_time() + reading[0]))
    assert_a_second_save_is_seen(project, style)


def test_a_state_left_by_other_renderer_code_is_not_trusted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages rendered by another version of the renderer may differ from the same inputs."""
    project = Project(tmp_path)
    project.build()
    assert project.build().written == 0
    monkeypatch.setattr(buildstate, "tool_digest", lambda: "another version")
    assert project.build().written == len(
        [data for data in tree(project.root / "site").values() if data is not None])


def test_a_build_in_a_new_process_parses_only_the_pages_that_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsed pages and rendered bodies are kept on disk for the next `make build`; one that
    cannot be read (or another version's) is dropped whole and the build is the same."""
    project = Project(tmp_path)
    project.build()
    parsed: list[Path] = []
    real = warm.page_from_bytes

    def counted(data: bytes, source: Path, *args: object) -> object:
        parsed.append(source)
        return real(data, source, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(warm, "page_from_bytes", counted)
    project.edit("post-2", "Body of post 2.", "A new body.")
    project.build()
    assert [path.parent.name for path in parsed] == ["post-2"]
    kept = tmp_path / ".cache" / KEPT_PAGES
    for damage in (b"", b"not a pickle", kept.read_bytes()[:100]):
        kept.write_bytes(damage)
        project.edit("post-3", "Body of post 3.", f"Body {len(damage)} of post 3.")
        parsed.clear()
        report = project.build()
        assert len(parsed) == 8 and report.written > 0
        project.edit("post-3", f"Body {len(damage)} of post 3.", "Body of post 3.")
    project.build()
    cold = project.build(out="cold", cache=".cold", full=True)
    assert tree(project.root / "site") == tree(cold.out_dir)


def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Pages shared with forked processes from now on; one entry for each process forked."""
    monkeypatch.setattr(sitefiles, "PARALLEL_FROM", 2)
    forked: list[int] = []
    real = os.fork

    def counted() -> int:
        pid = real()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", counted)
    return forked


def test_pages_rendered_in_two_processes_are_those_of_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many pages to render are shared with a forked process: the site, the records and what
    the next build reuses are the same as when one process renders them all."""
    alone = Project(tmp_path / "one")
    alone.build()
    forked = forks(monkeypatch)
    shared = Project(tmp_path / "two")
    first = shared.build()
    assert tree(shared.root / "site") == tree(alone.root / "site")
    shared.edit("post-2", "Body of post 2.", "A new body.")
    alone.edit("post-2", "Body of post 2.", "A new body.")
    assert shared.build().written == alone.build().written > 0
    assert tree(shared.root / "site") == tree(alone.root / "site") and first.written > 30
    assert bool(forked) == (sys.platform == "linux")  # forked only there


@pytest.mark.skipif(sys.platform != "linux", reason="builds fork only on Linux")
def test_pages_a_forked_process_claimed_before_it_died_are_rendered_by_the_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    alone = Project(tmp_path / "one")
    alone.build()
    forks(monkeypatch)
    parent, real = os.getpid(), sitefiles._render_share

    def dies_after_one(files: Any, jobs: Any, claims: Any, share: int) -> Any:
        if os.getpid() == parent:
            time.sleep(0.3)  # the forked process claims first
            return real(files, jobs, claims, share)
        for index in claims:  # a page claimed, rendered and written: then killed
            files.render(jobs[index])
            os._exit(9)
        os._exit(9)

    monkeypatch.setattr(sitefiles, "_render_share", dies_after_one)
    project = Project(tmp_path / "two")
    report = project.build()
    assert tree(project.root / "site") == tree(alone.root / "site")
    assert report.written == len([data for data in tree(project.root / "site").values()
                                  if data is not None])


@pytest.mark.skipif(sys.platform != "linux", reason="builds fork only on Linux")
def test_a_build_failing_while_pages_are_rendered_ahead_leaves_no_process_or_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.site import pipeline

    forked = forks(monkeypatch)

    def failing(*args: object, **kwargs: object) -> None:
        raise BuildError(Problem(tmp_path, None, None, "a term page failed", "fix it"))

    monkeypatch.setattr(pipeline, "write_taxonomies", failing)
    project = Project(tmp_path)
    with pytest.raises(BuildError, match="a term page failed"):
        project.build()
    assert forked  # the posts' pages were being rendered ahead when the build failed
    for pid in forked:  # each ended and waited for: neither running nor a zombie
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    assert sorted(path.name for path in project.root.iterdir()) == [".cache", "content", "theme"]


@pytest.mark.skipif(sys.platform != "linux", reason="builds fork only on Linux")
def test_a_page_read_ahead_is_not_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold build reads its pages ahead, shared with a forked process; the build that
    follows takes them as read then (after its input stamp) and reads no file twice."""
    monkeypatch.setattr(warm, "READ_AHEAD_FROM", 2)
    reads: list[str] = []
    real = Path.read_bytes

    def counted(path: Path) -> bytes:
        if path.suffix == ".md":
            reads.append(path.parent.name)
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", counted)
    alone = Project(tmp_path / "one")
    alone.build()
    project = Project(tmp_path / "two")
    forks(monkeypatch)
    reads.clear()
    project.build()
    assert reads and len(reads) == len(set(reads))  # some read here (the rest in the fork), once
    assert tree(project.root / "site") == tree(alone.root / "site")


def test_a_template_error_met_in_a_forked_process_is_the_first_in_page_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forked = forks(monkeypatch)
    project = Project(tmp_path)
    single = project.theme / "templates" / "single.html"
    single.write_text(single.read_text(encoding="utf-8").replace(
        "{{ post.title }}", "{{ post.title.missing.twice }}", 1), encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        project.build()
    [problem] = caught.value.problems
    assert "single.html" in str(problem.file) and "template error" in problem.message
    assert not (project.root / "site").exists() and bool(forked) == (sys.platform == "linux")


def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the bundles this process parses from now on."""
    parsed: list[str] = []
    real = warm.page_from_bytes

    def counted(data: bytes, source: Path, *args: object) -> object:
        parsed.append(source.parent.name)
        return real(data, source, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(warm, "page_from_bytes", counted)
    return parsed


def test_pages_read_ahead_in_two_processes_are_those_of_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold build of many pages parses them and renders their bodies shared with a forked
    process: the site, its problems and what the next build reuses are those of one process."""
    alone, shared = Project(tmp_path / "one"), Project(tmp_path / "two")
    alone.build()
    monkeypatch.setattr(warm, "READ_AHEAD_FROM", 2)
    parsed = parses(monkeypatch)
    shared.build()
    assert tree(shared.root / "site") == tree(alone.root / "site")
    if sys.platform == "linux":  # the pages this process did not claim, the forked one parsed
        assert len(parsed) == len(set(parsed)) <= 8
    else:
        assert len(parsed) == 8
    parsed.clear()
    shared.edit("post-2", "Body of post 2.", "A new body.")
    alone.edit("post-2", "Body of post 2.", "A new body.")
    assert shared.build().written > 0 and parsed == ["post-2"]  # the kept pages are right
    assert alone.build().written > 0 and tree(shared.root / "site") == tree(alone.root / "site")
    problems = []
    for project in (alone, shared):
        project.edit("post-5", "title: \"Post 5\"", "title: [Post 5")
        with pytest.raises(BuildError) as caught:
            project.build(full=True)
        problems.append(str(caught.value).replace(str(project.root), "PROJECT"))
    assert problems[0] == problems[1] and "post-5/index.md:3: front matter" in problems[0]


def test_work_shared_with_a_fork_the_system_refuses_or_that_dies_is_done_by_the_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Forked processes only save time: when the system refuses to fork, or a forked process is
    killed, the build reads and renders their shares itself and makes the same site."""
    alone = Project(tmp_path / "one")
    alone.build()
    monkeypatch.setattr(warm, "READ_AHEAD_FROM", 2)
    monkeypatch.setattr(sitefiles, "PARALLEL_FROM", 2)
    real_fork, pid = os.fork, os.getpid()

    def refused() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    def killed() -> int:
        child = real_fork()
        if child == 0:
            os._exit(9)  # as a process the system killed: no result ever comes back
        return child

    for n, fork in enumerate((refused, killed)):
        monkeypatch.setattr(os, "fork", fork)
        parsed = parses(monkeypatch)
        project = Project(tmp_path / f"failed-{n}")
        report = project.build()
        assert os.getpid() == pid and tree(project.root / "site") == tree(alone.root / "site")
        assert len(parsed) == 8 and report.written == len(
            [data for data in tree(project.root / "site").values() if data is not None])
