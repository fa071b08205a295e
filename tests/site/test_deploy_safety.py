"""Deploy destinations that would wipe the author's files, or be read as options, are refused by
`deploy` and reported by `check`, before anything is built or copied."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.cli import main
from generator.site.deploy import destination_problems
from tests.site.deploy_sites import make_project, on_command_line, tree

UNSAFE = [".", "..", "./", "content", "content/posts", "site", "figures", "../..",
          "{root}", "{root}/content/posts/mine"]


@pytest.mark.parametrize("destination", UNSAFE)
def test_project_folders_and_their_parents_are_refused(tmp_path: Path, destination: str) -> None:
    project = make_project(tmp_path / "blog")
    problems = destination_problems(
        on_command_line(destination.format(root=project.root), project.root), project)
    assert len(problems) == 1
    assert "overwrite or delete the author's files" in problems[0].message
    assert "outside the project" in (problems[0].hint or "")


@pytest.mark.parametrize("marker", ["gallery.yaml", "content"])
def test_a_folder_holding_another_project_is_refused(tmp_path: Path, marker: str) -> None:
    project = make_project(tmp_path / "blog")
    other = tmp_path / "other"
    (other / "content").mkdir(parents=True) if marker == "content" else (
        other.mkdir(), (other / marker).write_text("posts: []\n"))
    problems = destination_problems(on_command_line(str(other), project.root), project)
    assert [p.message for p in problems] == [
        f"{str(other)!r} holds a {marker} (it looks like a project): deploying there would "
        "overwrite or delete the author's files"]


def test_a_symlink_into_the_project_is_refused(tmp_path: Path) -> None:
    project = make_project(tmp_path / "blog")
    www = tmp_path / "www"
    www.symlink_to(project.root / "content")
    problems = destination_problems(on_command_line(str(www), project.root), project)
    assert [p.message for p in problems] == [
        f"{str(www)!r} overlaps {(project.root / 'content').resolve()}: deploying there would "
        "overwrite or delete the author's files"]


@pytest.mark.parametrize("destination", [
    "--log-file=x.log", "-e", "-e ssh evil:/tmp", "s3://Bad_Bucket", "s3://bucket?acl=public",
    "s3://bucket?endpoint=ftp://host", "git+ftp://host/repo.git", "git+file:///repo.git#-x",
    "git+file:///repo.git#a..b", "https://example.org/", "file:///tmp/www", "", "www\nevil"])
def test_option_like_and_malformed_destinations_are_refused(tmp_path: Path,
                                                            destination: str) -> None:
    project = make_project(tmp_path / "blog")
    problems = destination_problems(on_command_line(destination, project.root), project)
    assert len(problems) == 1 and problems[0].hint


@pytest.mark.parametrize("destination", [
    "{outside}", "{outside}/new/www", "host:/var/www", "user@host:www", "rsync://host/www",
    "s3://my-bucket/blog?endpoint=https://s3.example.org&region=auto", "s3://my-bucket",
    "git+ssh://git@github.com/me/me.github.io.git", "git+file:///srv/site.git#pages"])
def test_destinations_outside_the_project_are_accepted(tmp_path: Path, destination: str) -> None:
    project = make_project(tmp_path / "blog")
    (tmp_path / "outside").mkdir()
    text = destination.format(outside=tmp_path / "outside")
    assert destination_problems(on_command_line(text, project.root), project) == []


def write_manifest(root: Path, deploy: str) -> Path:
    manifest = root / "gallery.yaml"
    manifest.write_text(f"site:\n  title: T\n  deploy: {deploy!r}\nposts: []\n", encoding="utf-8")
    return manifest


def test_check_reports_a_deploy_destination_that_would_wipe_content(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path)
    manifest = write_manifest(project.root, "content")
    before = tree(project.root / "content")
    assert main(["--manifest", str(manifest), "check"]) == 1
    err = capsys.readouterr().err
    assert f"{manifest}:3: site.deploy: 'content' overlaps {project.root / 'content'}" in err
    assert tree(project.root / "content") == before


@pytest.mark.parametrize("destination", [".", "--log-file=x.log", "-e"])
def test_deploy_refuses_before_building_or_copying_anything(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        destination: str) -> None:
    project = make_project(tmp_path)
    manifest = write_manifest(project.root, "/unused")
    monkeypatch.chdir(project.root)
    before = tree(project.root)
    assert main(["--manifest", str(manifest), "deploy", f"--to={destination}"]) == 1
    assert "--to:" in capsys.readouterr().err
    after = {name: data for name, data in tree(project.root).items()
             if name != ".cache/site.lock"}  # the run lock, held while the command ran
    assert after == before  # no x.log, no rebuilt site/, content/ intact


def test_a_loop_of_links_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    project = make_project(tmp_path / "blog")
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    problems = destination_problems(on_command_line(str(tmp_path / "a" / "www"), tmp_path),
                                    project)
    assert len(problems) == 1 and "cannot be resolved" in problems[0].message


def test_check_accepts_a_destination_outside_the_project(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "blog")
    manifest = write_manifest(project.root, "git+ssh://git@example.org/me/site.git")
    assert main(["--manifest", str(manifest), "check"]) == 0, capsys.readouterr().err
