"""rsync deploys with the real rsync: an exact copy of the site, `--` before the destination, a dry
run that changes nothing, and no success claimed for a deploy that copied nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.errors import DeployError
from tests.site.deploy_sites import SITE_FILES, deploy, make_project, tree

pytestmark = pytest.mark.skipif(shutil.which("rsync") is None,
                                reason="needs rsync: tests/system_tools.sh installs it")


def stale_destination(tmp_path: Path) -> Path:
    """A deploy destination holding one page the site no longer has."""
    www = tmp_path / "www"
    www.mkdir()
    (www / "old.html").write_text("stale page")
    return www


def test_the_destination_becomes_an_exact_copy_of_the_site(tmp_path: Path) -> None:
    project = make_project(tmp_path / "blog")
    www = stale_destination(tmp_path)
    said: list[str] = []
    outcome = deploy(project, str(www), said=said)
    assert tree(www) == SITE_FILES
    assert sorted(outcome.changed) == sorted(SITE_FILES) and outcome.deleted == ["old.html"]
    assert said[-1] == f"deploy: {www}: changed {len(SITE_FILES)} file(s), deleted 1"


def test_deploying_the_same_site_again_copies_nothing(tmp_path: Path) -> None:
    project = make_project(tmp_path / "blog")
    deploy(project, str(tmp_path / "www"))
    (project.root / "site" / "index.html").write_bytes(b"<!doctype html><title>New</title>")
    assert deploy(project, str(tmp_path / "www")).changed == ["index.html"]
    assert deploy(project, str(tmp_path / "www")).changed == []


def test_a_dry_run_says_what_would_change_and_changes_nothing(tmp_path: Path) -> None:
    project = make_project(tmp_path / "blog")
    www = stale_destination(tmp_path)
    said: list[str] = []
    outcome = deploy(project, str(www), dry_run=True, said=said)
    assert tree(www) == {"old.html": b"stale page"}
    assert "deploy: *deleting   old.html" in said and "deploy: >f+++++++++ index.html" in said
    assert said[-1] == f"deploy: {www}: would change {len(SITE_FILES)} file(s), would delete 1"
    assert sorted(outcome.changed) == sorted(SITE_FILES)  # tags/технологии/ as it is named


def test_a_folder_named_like_an_option_is_a_folder(tmp_path: Path) -> None:
    """`--` goes before the destination: `./-e` is a folder, not rsync's -e option."""
    project = make_project(tmp_path / "blog")
    outside = tmp_path / "outside"
    outside.mkdir()
    deploy(project, "./-e", base=outside)
    assert tree(outside / "-e") == SITE_FILES


def test_a_deploy_that_copies_nothing_fails(tmp_path: Path) -> None:
    project = make_project(tmp_path / "blog")
    with pytest.raises(DeployError, match="rsync failed"):
        deploy(project, str(tmp_path / "missing" / "parent" / "www"))
    assert not (tmp_path / "missing").exists()


def test_an_unbuilt_site_is_not_deployed(tmp_path: Path) -> None:
    project = make_project(tmp_path / "blog")
    (project.root / "site" / "index.html").unlink()
    with pytest.raises(DeployError, match="no built site"):
        deploy(project, str(tmp_path / "www"))
    assert not (tmp_path / "www").exists()
