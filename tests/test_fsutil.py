"""Atomic writes and the site swap leave either the old state or the new one, never a mix;
what a killed run leaves is known by the process id in its name."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator import fsutil


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "file.txt"
    fsutil.atomic_write_text(target, "Привет")
    assert target.read_text(encoding="utf-8") == "Привет"
    assert os.listdir(target.parent) == ["file.txt"]


def test_written_files_get_the_usual_permissions(tmp_path: Path) -> None:
    """Images in content/ and dreams were 0600 (mkstemp's mode): unreadable to a web server."""
    umask = os.umask(0o022)
    try:
        fsutil.atomic_write_text(tmp_path / "a.txt", "a")
        fsutil.atomic_copy(tmp_path / "a.txt", tmp_path / "b.txt")
    finally:
        os.umask(umask)
    assert [(tmp_path / name).stat().st_mode & 0o777 for name in ("a.txt", "b.txt")] == [
        0o644, 0o644]


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "file.txt"
    target.write_text("old")

    def broken_replace(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(fsutil.os, "replace", broken_replace)
    with pytest.raises(OSError):
        fsutil.atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["file.txt"]
    (tmp_path / "source.txt").write_text("new")
    with pytest.raises(OSError):
        fsutil.atomic_copy(tmp_path / "source.txt", target)
    assert target.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["file.txt", "source.txt"]


def test_copy_copies_the_bytes(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(bytes(range(256)) * 5000)
    fsutil.atomic_copy(tmp_path / "a.bin", tmp_path / "out" / "b.bin")
    assert (tmp_path / "out" / "b.bin").read_bytes() == bytes(range(256)) * 5000
    assert os.listdir(tmp_path / "out") == ["b.bin"]


def _folder(path: Path, text: str) -> Path:
    path.mkdir()
    (path / "index.html").write_text(text)
    return path


def _dead_pid() -> int:
    """The id of a process that has ended (a killed run's)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_swap_exchanges_the_folders_in_one_step(tmp_path: Path) -> None:
    site = _folder(tmp_path / "site", "old")
    fresh = _folder(tmp_path / ".site-new", "new")
    inode = site.stat().st_ino
    old = fsutil.swap_in_directory(fresh, site)
    assert (site / "index.html").read_text() == "new"
    assert old == fresh and (old / "index.html").read_text() == "old"
    assert old.stat().st_ino == inode  # the old folder itself, not a copy


def test_swap_without_exchange_renames_and_a_crash_between_is_repaired(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where renameat2 is missing, a kill between the two renames leaves no site/ at all until
    the next run puts the old one back."""
    monkeypatch.setattr(fsutil, "exchange", lambda *_: False)
    site = _folder(tmp_path / "site", "old")
    fresh = _folder(tmp_path / ".site-new", "new")
    old = fsutil.swap_in_directory(fresh, site)
    assert old is not None and (old / "index.html").read_text() == "old"
    assert (site / "index.html").read_text() == "new"
    # a run killed right after renaming the site aside:
    os.rename(site, tmp_path / f".site-old-{_dead_pid()}-abcd")
    shutil.rmtree(old)
    fsutil.recover_directory(site)
    assert (site / "index.html").read_text() == "new"
    assert os.listdir(tmp_path) == ["site"]


def test_swap_into_a_missing_folder(tmp_path: Path) -> None:
    fresh = _folder(tmp_path / ".site-new", "new")
    assert fsutil.swap_in_directory(fresh, tmp_path / "site") is None
    assert os.listdir(tmp_path) == ["site"]


def test_only_temporaries_of_ended_processes_are_removed(tmp_path: Path) -> None:
    dead, alive = _dead_pid(), os.getpid()
    (tmp_path / "a" / "images").mkdir(parents=True)
    stale = tmp_path / "a" / "images" / f".x.png.{dead}-0123456789abcdef.tmp"
    live = tmp_path / "a" / f".index.md.{alive}-0123456789abcdef.tmp"
    authors = tmp_path / "a" / ".notes.tmp"
    for path in (stale, live, authors):
        path.write_text("x")
    assert fsutil.remove_stale_temporaries(tmp_path) == [stale]
    assert live.exists() and authors.exists() and not stale.exists()


def test_staging_folders_of_ended_processes_are_removed(tmp_path: Path) -> None:
    mine = fsutil.temporary_folder(tmp_path, "entry")
    dead = _dead_pid()
    stale = tmp_path / f".entry.{dead}-0123456789abcdef.tmp"
    (stale / "deeper").mkdir(parents=True)
    below = tmp_path / "kept" / f".meta.json.{dead}-0123456789abcdef.tmp"  # not looked at
    below.parent.mkdir()
    below.write_text("x")
    assert fsutil.remove_stale_temporaries(tmp_path, deep=False) == [stale]
    assert sorted(os.listdir(tmp_path)) == sorted([mine.name, "kept"]) and below.exists()


@pytest.mark.skipif(sys.platform != "linux", reason="prctl(PR_SET_PDEATHSIG) is Linux's")
def test_a_helper_process_dies_with_its_parent(tmp_path: Path) -> None:
    """A process that asked `die_with_parent` is killed when its parent is (SIGKILL)."""
    script = tmp_path / "parent.py"
    script.write_text(
        "import os, sys, time\n"
        "from generator.fsutil import die_with_parent\n"
        "parent = os.getpid()\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    die_with_parent(parent)\n"
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        "print(child, flush=True)\n"
        "time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                              cwd=Path(__file__).resolve().parents[1])
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    time.sleep(0.2)  # the child has made its request
    parent.kill()
    parent.wait(timeout=10)
    for _ in range(100):  # bounded: gone within 10 s
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        try:
            with open(f"/proc/{child}/stat") as stat:  # a zombie (not yet reaped by init) is gone
                if stat.read().split(") ")[1].startswith("Z"):
                    return
        except FileNotFoundError:  # reaped since os.kill saw it
            return
        time.sleep(0.1)
    os.kill(child, signal.SIGKILL)
    raise AssertionError("the child outlived its parent")
