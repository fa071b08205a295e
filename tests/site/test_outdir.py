"""The output folder: swapped in whole, killed runs' leftovers removed, and a read-only folder or
a full disk a one-line error that keeps the last good site."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.errors import BuildError
from generator.settings import SiteSettings
from generator.site import outdir, sitefiles
from generator.site.build import build_site
from tests.site.helpers import THEME, write_post

SETTINGS = SiteSettings(title="Gallery", base_url="https://example.org/")


def build(root: Path) -> None:
    build_site(root / "content", root / "site", SETTINGS, theme_dir=THEME,
               cache_dir=root / ".cache")


def beside(root: Path) -> list[str]:
    """Leftovers beside site/: work folders and set-aside sites (not the spare)."""
    return sorted(p.name for p in root.iterdir()
                  if p.name.startswith((".site-build-", ".site-old-")))


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def built(tmp_path: Path) -> Path:
    write_post(tmp_path / "content", "first", title="First", date="2021-01-01")
    build(tmp_path)
    return tmp_path


def test_rebuild_keeps_site_a_real_folder_and_leaves_nothing_beside(built: Path) -> None:
    write_post(built / "content", "second", title="Second", date="2021-01-02")
    build(built)
    assert (built / "site").is_dir() and not (built / "site").is_symlink()
    assert "Second" in (built / "site" / "index.html").read_text(encoding="utf-8")
    assert beside(built) == [] and (built / ".site-previous" / "index.html").is_file()


def test_leftovers_of_killed_runs_are_removed_and_live_ones_kept(built: Path) -> None:
    dead = dead_pid()
    for name in (f".site-build-{dead}-0a1b", f".site-old-{dead}-0a1b",
                 f".site-build-{os.getppid()}-0a1b"):
        (built / name / "posts").mkdir(parents=True)
        (built / name / "posts" / f".index.html.{dead}-0123456789abcdef.tmp").write_text("x")
    build(built)
    assert beside(built) == [f".site-build-{os.getppid()}-0a1b"]  # its run is still going


def test_site_missing_after_a_kill_between_renames_is_put_back(built: Path) -> None:
    """Where the system cannot exchange folders, a kill can come between the two renames."""
    os.rename(built / "site", built / f".site-old-{dead_pid()}-0a1b")
    outdir.clean_leftovers(built / "site")
    assert (built / "site" / "index.html").is_file() and beside(built) == []


def test_read_only_site_is_one_error_and_the_site_is_kept(
        built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = (built / "site" / "index.html").read_bytes()
    write_post(built / "content", "second", title="Second", date="2021-01-02")
    monkeypatch.setattr(outdir.os, "access", lambda *_: False)  # tests run as root
    with pytest.raises(BuildError) as caught:
        build(built)
    [problem] = caught.value.problems
    assert problem.file == built / "site" and "read-only" in problem.message
    assert "chmod -R u+w" in str(problem.hint)
    assert (built / "site" / "index.html").read_bytes() == before and beside(built) == []


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_full_disk_or_read_only_while_writing_keeps_the_site(
        built: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    before = (built / "site" / "index.html").read_bytes()
    write_post(built / "content", "second", title="Second", date="2021-01-02")

    def fail(file: object, _: object) -> None:  # writing a file's bytes
        raise OSError(code, os.strerror(code), str(file))

    monkeypatch.setattr(sitefiles, "_write_new", fail)
    with pytest.raises(BuildError) as caught:
        build(built)
    [problem] = caught.value.problems
    assert problem.file == built / "site"
    assert ("disk is full" if code == errno.ENOSPC else "read-only") in problem.message
    assert (built / "site" / "index.html").read_bytes() == before and beside(built) == []


def test_failed_swap_keeps_the_site(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = (built / "site" / "index.html").read_bytes()
    write_post(built / "content", "second", title="Second", date="2021-01-02")

    def refuse(*_: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(built))

    monkeypatch.setattr(outdir, "swap_in_directory", refuse)
    with pytest.raises(BuildError) as caught:
        build(built)
    assert "read-only" in caught.value.problems[0].message
    assert (built / "site" / "index.html").read_bytes() == before and beside(built) == []


def test_temporaries_of_the_state_left_by_a_killed_run_are_removed(built: Path) -> None:
    """A run killed while saving the build state or the kept pages leaves a temporary named
    after its process; the next run removes it (one of a live process stays)."""
    dead = dead_pid()
    left = [built / ".cache" / "site-state" / f".abc.json.{dead}-0123456789abcdef.tmp",
            built / ".cache" / f".site-pages.pickle.{dead}-0123456789abcdef.tmp"]
    live = built / ".cache" / f".site-pages.pickle.{os.getppid()}-0123456789abcdef.tmp"
    for path in (*left, live):
        path.write_text("half")
    build(built)
    assert [path.exists() for path in (*left, live)] == [False, False, True]
