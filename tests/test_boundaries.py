"""The one rule for paths: inside the given folders after `..` and links are resolved."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.boundaries import Boundary
from generator.errors import BuildError


@pytest.fixture
def sandbox(tmp_path: Path) -> tuple[Path, Path]:
    """(project, outside): a project folder and a folder beside it with a secret."""
    project, outside = tmp_path / "project", tmp_path / "outside"
    (project / "figures").mkdir(parents=True)
    (project / "figures" / "own.png").write_bytes(b"own")
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    return project, outside


def test_paths_inside_are_accepted_even_through_dots_and_inner_links(
        sandbox: tuple[Path, Path]) -> None:
    project, _ = sandbox
    (project / "alias.png").symlink_to(project / "figures" / "own.png")
    inside = Boundary(project, name="the project")
    assert inside.resolve(project / "figures" / ".." / "figures" / "own.png") == (
        project / "figures" / "own.png").resolve()
    assert inside.contains(project / "alias.png")
    assert inside.contains(project / "not-yet" / "written.html")  # a target to write
    assert inside.problem(project / "figures" / "own.png") is None


@pytest.mark.parametrize("how", ["dotdot", "absolute", "file link", "folder link"])
def test_paths_leading_out_are_refused_however_they_leave(sandbox: tuple[Path, Path],
                                                          how: str) -> None:
    project, outside = sandbox
    (project / "leak.txt").symlink_to(outside / "secret.txt")
    (project / "images").symlink_to(outside, target_is_directory=True)
    path = {"dotdot": project / "figures" / ".." / ".." / "outside" / "secret.txt",
            "absolute": outside / "secret.txt",
            "file link": project / "leak.txt",
            "folder link": project / "images" / "secret.txt"}[how]
    inside = Boundary(project, name="the project folder")
    assert not inside.contains(path)
    problem = inside.problem(path, file="gallery.yaml", line=7, key="posts[0].figure",
                             shown="x.png")
    assert problem is not None
    assert str(problem).startswith("gallery.yaml:7: posts[0].figure: `x.png` leads outside "
                                   "the project folder (to ")
    assert str(outside / "secret.txt") in problem.message


def test_a_loop_of_links_or_a_nul_is_refused_not_raised(sandbox: tuple[Path, Path]) -> None:
    project, _ = sandbox
    (project / "a").symlink_to(project / "b")
    (project / "b").symlink_to(project / "a")
    inside = Boundary(project, name="the project")
    for path in (project / "a", project / "bad\0name"):
        problem = inside.problem(path)
        assert problem is not None and "cannot be resolved" in problem.message


def test_check_raises_the_callers_error_and_returns_the_resolved_path(
        sandbox: tuple[Path, Path]) -> None:
    project, outside = sandbox
    inside = Boundary(project, name="the output folder", error=BuildError)
    assert inside.check(project / "figures" / "own.png") == (
        project / "figures" / "own.png").resolve()
    with pytest.raises(BuildError, match="leads outside the output folder") as caught:
        inside.check(project / ".." / "outside" / "new.html", hint="report it")
    assert caught.value.problems[0].hint == "report it"
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


def test_a_linked_root_and_several_roots(sandbox: tuple[Path, Path], tmp_path: Path) -> None:
    project, outside = sandbox
    (tmp_path / "via-link").symlink_to(project, target_is_directory=True)
    both = Boundary(tmp_path / "via-link", outside, name="the project and the theme")
    assert both.contains(project / "figures" / "own.png")
    assert both.contains(outside / "secret.txt")
    assert not both.contains(tmp_path)


def test_paths_without_links_below_the_folder_get_the_answer_of_full_resolution(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick answer (lstat below the folder) is the one resolving gives, and it is the one
    taken for plain paths; links, `..` and files used as folders are resolved in full."""
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "f.png").write_bytes(b"image")
    (root / "a" / "file").write_text("not a folder")
    (root / "inner").symlink_to(root / "a", target_is_directory=True)
    (root / "out").symlink_to(tmp_path, target_is_directory=True)
    (root / "a" / "b" / "leak.png").symlink_to(tmp_path / "secret.png")
    (tmp_path / "via").symlink_to(root, target_is_directory=True)
    plain = ["a/b/f.png", "a/b/missing/deeper.html", "new.html"]
    tricky = ["inner/b/f.png", "out/secret.png", "a/b/leak.png", "a/file/below",
              "a/../a/b/f.png", "a/../../root/a", "a/../.."]
    real_root = root.resolve()
    resolved: list[Path] = []
    for folder in (root, tmp_path / "via"):
        boundary = Boundary(folder, name="the root")
        resolved.clear()
        monkeypatch.setattr("generator.boundaries._resolved",
                            lambda path: resolved.append(path) or path.resolve())
        for rel in plain + tricky:
            expected = (folder / rel).resolve()
            inside = expected == real_root or expected.is_relative_to(real_root)
            assert boundary.resolve(folder / rel) == (expected if inside else None), rel
        assert [path.relative_to(folder).as_posix() for path in resolved] == tricky
        monkeypatch.undo()
        for rel in plain + tricky:  # as strings, what the site's writer asks: the same answers
            expected = (folder / rel).resolve()
            inside = expected == real_root or expected.is_relative_to(real_root)
            for written in (f"{folder}/{rel}", f"{folder}//{rel}", os.path.relpath(folder / rel)):
                assert boundary.contains(written) == inside, written


@pytest.mark.parametrize("below", ["", "figures"])
def test_a_folder_replaced_by_a_link_after_the_boundary_was_made_is_not_taken_for_itself(
        sandbox: tuple[Path, Path], tmp_path: Path, below: str) -> None:
    """Once the folder (or one above it) is a link to elsewhere, a path under it leads there:
    refused as full resolution refuses it, not answered with the folder's old real path."""
    project, outside = sandbox
    (outside / "figures").mkdir()
    (outside / "figures" / "own.png").write_bytes(b"secret")
    inside = Boundary(project / below, name="the folder")
    project.rename(tmp_path / "moved")
    project.symlink_to(outside, target_is_directory=True)
    path = project / "figures" / "own.png"
    assert path.read_bytes() == b"secret"
    assert inside.resolve(path) is None
    assert not inside.contains(path)
