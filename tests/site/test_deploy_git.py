"""git deploys (GitHub Pages and any git host) against a real local bare repository: one commit
per deploy on top of the branch's history, `.nojekyll`, pushed without force."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from generator.errors import DeployError
from tests.site.deploy_sites import SITE_FILES, deploy, make_project

pytestmark = pytest.mark.skipif(shutil.which("git") is None,
                                reason="needs git: tests/system_tools.sh installs it")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def files_on(repo: Path, branch: str) -> dict[str, bytes]:
    names = git(repo, "ls-tree", "-r", "-z", "--name-only", branch).strip("\0").split("\0")
    return {name: subprocess.run(["git", "--git-dir", str(repo), "show", f"{branch}:{name}"],
                                 capture_output=True, check=True).stdout for name in names}


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    repo = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(repo)], check=True)
    return repo


def test_the_site_is_committed_to_gh_pages_with_nojekyll(tmp_path: Path, remote: Path) -> None:
    project = make_project(tmp_path / "blog")
    said: list[str] = []
    outcome = deploy(project, f"git+file://{remote}", said=said)
    assert files_on(remote, "gh-pages") == {**SITE_FILES, ".nojekyll": b""}
    assert git(remote, "rev-list", "--count", "gh-pages") == "1"
    assert len(outcome.changed) == len(SITE_FILES) + 1
    assert any(line.startswith("deploy: pushed ") for line in said)


def test_each_deploy_adds_one_commit_and_keeps_the_history(tmp_path: Path, remote: Path) -> None:
    project = make_project(tmp_path / "blog")
    destination = f"git+file://{remote}#pages"
    deploy(project, destination)
    first = git(remote, "rev-parse", "pages")
    (project.root / "site" / "index.xml").unlink()
    (project.root / "site" / "index.html").write_bytes(b"<!doctype html><title>New</title>")
    outcome = deploy(project, destination)
    assert (sorted(outcome.changed), outcome.deleted) == (["index.html"], ["index.xml"])
    assert git(remote, "rev-parse", "pages~1") == first
    assert "index.xml" not in files_on(remote, "pages")
    assert git(remote, "branch", "--list", "gh-pages") == ""


def test_deploying_the_same_site_again_makes_no_commit(tmp_path: Path, remote: Path) -> None:
    project = make_project(tmp_path / "blog")
    deploy(project, f"git+file://{remote}")
    said: list[str] = []
    assert deploy(project, f"git+file://{remote}", said=said).changed == []
    assert git(remote, "rev-list", "--count", "gh-pages") == "1"
    assert "already holds this site" in said[0]


def test_a_deploy_builds_on_commits_pushed_from_elsewhere(tmp_path: Path, remote: Path) -> None:
    """Another machine deployed meanwhile (its own cache): its commit stays in the history."""
    project = make_project(tmp_path / "blog")
    other = make_project(tmp_path / "laptop")
    (other.root / "site" / "about.html").write_bytes(b"about")
    deploy(other, f"git+file://{remote}")
    deploy(project, f"git+file://{remote}")
    assert git(remote, "rev-list", "--count", "gh-pages") == "2"
    assert "about.html" not in files_on(remote, "gh-pages")


def test_a_dry_run_commits_nothing(tmp_path: Path, remote: Path) -> None:
    project = make_project(tmp_path / "blog")
    said: list[str] = []
    outcome = deploy(project, f"git+file://{remote}", dry_run=True, said=said)
    assert len(outcome.changed) == len(SITE_FILES) + 1 and "deploy: would commit index.html" in said
    assert git(remote, "branch", "--list") == ""


def test_an_unreachable_repository_is_a_clear_error(tmp_path: Path) -> None:
    project = make_project(tmp_path / "blog")
    with pytest.raises(DeployError, match="git ls-remote failed") as raised:
        deploy(project, f"git+file://{tmp_path / 'nowhere.git'}")
    assert "check the URL" in (raised.value.problems[0].hint or "")


def test_without_a_git_identity_the_commit_has_the_tools_own(
        tmp_path: Path, remote: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh server with no user.name/user.email: the deploy still commits."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    project = make_project(tmp_path / "blog")
    deploy(project, f"git+file://{remote}")
    assert git(remote, "log", "-1", "--format=%an <%ae>", "gh-pages") == (
        "bigsleep-gallery <deploy@localhost>")
