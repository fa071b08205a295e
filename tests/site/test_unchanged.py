"""A build that finds nothing changed does nothing; any change it could miss makes it build.

The no-op is told from stats alone (`generator.site.unchanged`): these tests pin what must
defeat it (every kind of input, the live site edited by hand, a date coming due, a second save
within the file system's clock tick) and that it really skips the pipeline's imports. The audit
hook test proves the stamp covers every file a real build opens or lists.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.settings import SiteSettings
from generator.site import build, pipeline, unchanged
from generator.site.buildstate import state_file
from generator.site.config import SiteConfig
from tests.site.helpers import write_post
from tests.site.test_incremental import Project, tree

ROOT = Path(__file__).resolve().parents[2]


def age(*folders: Path, seconds: int = 60) -> None:
    """Make every file under `folders` look saved `seconds` ago (past the racy window)."""
    past = time.time_ns() - seconds * 1_000_000_000
    for folder in folders:
        for path in [folder, *folder.rglob("*")]:
            os.utime(path, ns=(past, past), follow_symlinks=False)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    made = Project(tmp_path)
    (made.root / "static").mkdir()
    (made.root / "static" / "robots.txt").write_text("User-agent: *\n")
    age(made.content, made.theme, made.root / "static")
    made.build()
    return made


def pipeline_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    runs: list[int] = []
    real = pipeline.build_languages

    def counted(*args: object, **kwargs: object) -> list[pipeline.Builder]:
        runs.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "build_languages", counted)
    return runs


def test_a_build_with_nothing_changed_skips_the_pipeline(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    before = tree(project.root / "site")
    first = project.build()
    runs = pipeline_runs(monkeypatch)
    again = project.build()
    assert runs == [] and again.written == 0 and again.changed == frozenset()
    assert (again.pages, again.posts, again.images) == (first.pages, first.posts, first.images)
    assert tree(project.root / "site") == before


def test_a_tree_saved_just_now_is_not_built_twice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files saved within the racy window are stamped by their bytes: the next build reads them
    again and, finding the same bytes, still has nothing to do."""
    fresh = Project(tmp_path)  # every file saved a moment ago
    fresh.build()
    runs = pipeline_runs(monkeypatch)
    assert fresh.build().written == 0 and runs == []


def test_a_no_op_imports_neither_jinja_nor_markdown_nor_pillow(project: Project) -> None:
    project.build()
    script = "\n".join([
        "import sys",
        "from pathlib import Path",
        "from generator.settings import SiteSettings",
        "from generator.site.build import build_site",
        "settings = SiteSettings(title='Gallery', base_url='https://example.org/', paginate=3,"
        " image_widths=(16,))",
        f"report = build_site(Path({str(project.content)!r}), Path({str(project.root / 'site')!r}),"
        f" settings, theme_dir=Path({str(project.theme)!r}),"
        f" cache_dir=Path({str(project.root / '.cache')!r}))",
        "heavy = ('jinja2', 'markdown_it', 'PIL', 'generator.site.pipeline')",
        "print(report.written, [name for name in heavy if name in sys.modules])",
    ])
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.split() == ["0", "[]"]


def touch_later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


CHANGES: list[tuple[str, Callable[[Project], None]]] = [
    ("a page saved unchanged", lambda p: touch_later(p.content / "posts/post-1/index.md")),
    ("a page edited", lambda p: p.edit("post-1", "Body of post 1.", "Body of post one.")),
    ("a page added", lambda p: write_post(p.content, "new", title="New", date="2021-03-01")),
    ("a page removed", lambda p: (p.content / "posts/post-7/index.md").unlink()),
    ("an image replaced", lambda p: touch_later(p.content / "posts/post-1/images/a.png")),
    ("a template edited", lambda p: touch_later(p.theme / "templates" / "base.html")),
    ("a static file added", lambda p: (p.root / "static" / "x.txt").write_text("x")),
    ("a setting changed", lambda p: setattr(p, "settings", SiteSettings(
        title="Renamed", base_url="https://example.org/", paginate=3, image_widths=(16,)))),
    ("the live site edited", lambda p: (p.root / "site/index.html").write_text("by hand")),
    ("a live file removed", lambda p: (p.root / "site/index.xml").unlink()),
    ("a stray file in the live site", lambda p: (p.root / "site/stray.txt").write_text("x")),
]


@pytest.mark.parametrize(("name", "change"), CHANGES, ids=[name for name, _ in CHANGES])
def test_every_change_makes_a_real_build(project: Project, monkeypatch: pytest.MonkeyPatch,
                                         name: str, change: Callable[[Project], None]) -> None:
    static = project.root / "static"
    monkeypatch.setattr(build, "_read_folders", lambda content, theme, config: [
        content, theme, build.PACKAGE_THEME, static])  # the project's static/ (a Hugo config's)
    project.build()
    change(project)
    runs = pipeline_runs(monkeypatch)
    project.build()
    assert runs == [1], name
    cold = project.build(out="cold", cache=".cold", full=True)
    site = tree(project.root / "site")
    assert site == tree(cold.out_dir) or name == "a static file added", name  # no config here


def test_a_second_save_within_one_clock_tick_is_seen(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both saves fall within one tick of the file system's clock: mtime and ctime alike stay
    the same, as on a coarse clock, so only the racy file's digest can tell them apart."""
    monkeypatch.setattr(unchanged, "_stat_line", lambda stat: (
        f"{stat.st_mode}\0{stat.st_size}\0{stat.st_ino}\n"))
    project.edit("post-2", "Body of post 2.", "Body of post 2!")
    project.build()
    project.edit("post-2", "Body of post 2!", "Body of post 2?")  # same size, same inode
    assert "Body of post 2?" in (project.build() and (
        project.root / "site/posts/post-2/index.html").read_text(encoding="utf-8"))


def test_the_site_is_built_again_when_a_date_comes_due(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    soon = time.time() + 3600
    write_post(project.content, "later", title="Later", date="2021-05-01",
               publishDate=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(soon)))
    age(project.content)
    project.build()
    state = json.loads(state_file(project.root / ".cache", project.root / "site").read_text())
    assert state["last"]["valid_until"] == pytest.approx(int(soon), abs=1)
    runs = pipeline_runs(monkeypatch)
    project.build()
    assert runs == []
    monkeypatch.setattr(build.time, "time", lambda: soon + 1)
    project.build()
    assert runs == [1]


def test_the_stamp_covers_everything_a_build_reads(tmp_path: Path) -> None:
    """Every file a real build opens and every folder it lists lies in a stamped folder (or is
    the build's own cache and output, or Python's code)."""
    project = Project(tmp_path)
    config_static = tmp_path / "static"
    config_static.mkdir()
    (config_static / "robots.txt").write_text("User-agent: *\n")
    config = SiteConfig(static_dir=config_static)
    stamped = [Path(p).resolve() for p in build._read_folders(project.content, project.theme,
                                                              config)]
    allowed = [*stamped, (tmp_path / ".cache").resolve(), tmp_path.resolve() / "site",
               *(Path(p).resolve() for p in {sys.prefix, sys.base_prefix, *sys.path} if p),
               ROOT / "generator"]
    seen: list[str] = []
    recording = [True]

    def hook(event: str, args: tuple[object, ...]) -> None:
        if (recording[0] and event in ("open", "os.scandir", "os.listdir") and args
                and isinstance(args[0], str | bytes | os.PathLike)):
            seen.append(os.fsdecode(args[0]))

    sys.addaudithook(hook)
    try:
        build.build_site(project.content, tmp_path / "site", project.settings,
                         theme_dir=project.theme, cache_dir=tmp_path / ".cache", config=config)
    finally:
        recording[0] = False
    outside = set()
    for name in seen:
        path = Path(name).resolve()
        parts = path.relative_to(tmp_path.resolve()).parts if path.is_relative_to(
            tmp_path.resolve()) else ()
        # work folders and the spare; their parent is listed for killed runs' leftovers
        beside = parts[0].startswith(".site-") if parts else path == tmp_path.resolve()
        if not beside and not any(path == root or root in path.parents for root in allowed):
            outside.add(name)
    assert outside == set()
    assert any(str(config_static) in name for name in seen)  # the hook saw the build
