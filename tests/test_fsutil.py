"""Atomic writes and the site swap leave either the old state or the new one, never a mix."""

import os
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


def test_swap_replaces_folder_and_removes_the_old_one(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "old.html").write_text("old")
    fresh = tmp_path / ".site-new"
    fresh.mkdir()
    (fresh / "index.html").write_text("new")
    fsutil.swap_in_directory(fresh, site)
    assert sorted(os.listdir(site)) == ["index.html"]
    assert sorted(os.listdir(tmp_path)) == ["site"]
