"""The tool only ever rewrites files it wrote itself and nobody changed since."""

import os
from pathlib import Path

import pytest

from generator.errors import GalleryError
from generator.gallery.ownership import Ownership


def test_writes_new_file_and_records_it(tmp_path: Path) -> None:
    owner = Ownership(tmp_path)
    target = tmp_path / "index.md"
    assert owner.write_text(target, "hello")
    owner.save()
    assert Ownership.load(tmp_path).owns(target)


def test_unchanged_rewrite_does_not_touch_file(tmp_path: Path) -> None:
    owner = Ownership(tmp_path)
    target = tmp_path / "index.md"
    owner.write_text(target, "same")
    os.utime(target, ns=(1, 1))  # a rewrite would give it the current time
    assert not owner.write_text(target, "same")
    assert target.stat().st_mtime_ns == 1
    assert owner.write_text(target, "different")
    assert target.read_text() == "different"


def test_refuses_to_overwrite_hand_written_file(tmp_path: Path) -> None:
    target = tmp_path / "index.md"
    target.write_text("mine")
    with pytest.raises(GalleryError, match="not written by this tool"):
        Ownership(tmp_path).write_text(target, "generated")
    assert target.read_text() == "mine"


def test_refuses_to_overwrite_a_generated_file_edited_by_hand(tmp_path: Path) -> None:
    owner = Ownership(tmp_path)
    target = tmp_path / "images" / "a.png"
    owner.write_bytes(target, b"generated")
    owner.save()
    target.write_bytes(b"touched up by the author")
    with pytest.raises(GalleryError) as caught:
        Ownership.load(tmp_path).write_bytes(target, b"regenerated")
    assert caught.value.problems[0].file == target
    assert target.read_bytes() == b"touched up by the author"


def test_copy_is_recorded(tmp_path: Path) -> None:
    source = tmp_path / "figure.png"
    source.write_bytes(b"figure")
    owner = Ownership(tmp_path / "bundle")
    target = tmp_path / "bundle" / "images" / "figure.png"
    assert owner.copy(source, target)
    assert not owner.copy(source, target)
    assert owner.owns(target) and target.read_bytes() == b"figure"
    source.write_bytes(b"new figure")
    assert owner.copy(source, target)
    assert owner.owns(target) and target.read_bytes() == b"new figure"


def test_corrupt_record_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / ".generated.json").write_text("{not json")
    with pytest.raises(GalleryError, match="unreadable ownership record"):
        Ownership.load(tmp_path)
