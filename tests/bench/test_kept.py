"""bench.kept: a tree is made once, handed out again as links, and made anew when it changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.kept import LINKED_FROM, prepared, replace_text


class Maker:
    """Writes a small tree and counts how often it was asked to."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, root: Path) -> dict[str, object]:
        self.calls += 1
        (root / "content").mkdir()
        (root / "content" / "page.md").write_text("kept text", encoding="utf-8")
        (root / "content" / "image.png").write_bytes(b"\x89" * LINKED_FROM)
        (root / "build.log").write_text(f"build {self.calls}", encoding="utf-8")
        return {"cold": self.calls}


def test_a_tree_is_made_once_and_handed_out_again(tmp_path: Path) -> None:
    make = Maker()
    first = prepared("tree", "key1", make, root=tmp_path)
    again = prepared("tree", "key1", make, root=tmp_path)
    assert make.calls == 1
    assert (first.reused, again.reused) == (False, True)
    assert again.facts == {"cold": 1}
    assert again.folder == first.folder == tmp_path / "work" / "tree"
    assert (again.folder / "content" / "page.md").read_text(encoding="utf-8") == "kept text"


def test_a_change_saved_atomically_in_the_work_folder_leaves_the_kept_tree(
        tmp_path: Path) -> None:
    make = Maker()
    work = prepared("tree", "key1", make, root=tmp_path).folder
    replace_text(work / "content" / "page.md", "edited")
    (work / "content" / "new.md").write_text("added", encoding="utf-8")
    again = prepared("tree", "key1", make, root=tmp_path)
    assert make.calls == 1
    assert (again.folder / "content" / "page.md").read_text(encoding="utf-8") == "kept text"
    assert not (again.folder / "content" / "new.md").exists()


def test_small_files_are_copies_that_may_be_written_in_place(tmp_path: Path) -> None:
    make = Maker()
    work = prepared("tree", "key1", make, root=tmp_path).folder
    with open(work / "content" / "page.md", "a", encoding="utf-8") as page:  # as lock files are
        page.write(", and more")
    again = prepared("tree", "key1", make, root=tmp_path)
    assert (make.calls, again.reused) == (1, True)
    assert (again.folder / "content" / "page.md").read_text(encoding="utf-8") == "kept text"


def test_a_big_file_written_in_place_through_its_link_makes_the_tree_again(
        tmp_path: Path) -> None:
    make = Maker()
    work = prepared("tree", "key1", make, root=tmp_path).folder
    assert (work / "content" / "image.png").stat().st_nlink == 2  # linked, not copied
    with open(work / "content" / "image.png", "ab") as image:
        image.write(b"changed in place, so in the kept tree too")
    again = prepared("tree", "key1", make, root=tmp_path)
    assert (make.calls, again.reused) == (2, False)
    assert (again.folder / "content" / "image.png").stat().st_size == LINKED_FROM


def test_another_key_makes_the_tree_again_and_drops_the_old_one(tmp_path: Path) -> None:
    make = Maker()
    prepared("tree", "key1", make, root=tmp_path)
    prepared("tree", "key2", make, root=tmp_path)
    assert make.calls == 2
    assert sorted(path.name for path in tmp_path.glob("tree-*")) == ["tree-key2"]


def test_a_maker_that_fails_keeps_nothing(tmp_path: Path) -> None:
    def failing(root: Path) -> dict[str, object]:
        (root / "half.md").write_text("half", encoding="utf-8")
        raise RuntimeError("the cold build failed")

    with pytest.raises(RuntimeError):
        prepared("tree", "key1", failing, root=tmp_path)
    make = Maker()
    assert not prepared("tree", "key1", make, root=tmp_path).reused
    assert make.calls == 1


def test_a_tree_left_unfinished_by_a_killed_run_is_not_handed_out(tmp_path: Path) -> None:
    unfinished = tmp_path / "tree-key1.partial"
    (unfinished / "content").mkdir(parents=True)
    make = Maker()
    assert not prepared("tree", "key1", make, root=tmp_path).reused
    assert not unfinished.exists()
