"""git target: `git+ssh://host/path/repo.git#branch` or `git+file:///path/repo.git#branch`.

GitHub Pages and any git host: each deploy commits the whole site, with `.nojekyll` (so GitHub
Pages serves it as it is), as one new commit on top of the branch (default `gh-pages`), keeping
its history, and pushes it without force. The commit is made in a bare repository under the
cache folder, never in the project's own repository, and the site folder is only read.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from generator.errors import DeployError, Problem
from generator.site.deploy.destination import InvalidDestination, Outcome, Say

SCHEMES = ("git+ssh", "git+file", "git+https", "git+http")
DEFAULT_BRANCH = "gh-pages"
BRANCH_NAME = re.compile(r"^(?!-)(?!.*(?:\.\.|//|@\{|\.lock(?:/|$)))[\w.\-/]+(?<![./])$")
IDENTITY = {"GIT_AUTHOR_NAME": "bigsleep-gallery", "GIT_AUTHOR_EMAIL": "deploy@localhost",
            "GIT_COMMITTER_NAME": "bigsleep-gallery", "GIT_COMMITTER_EMAIL": "deploy@localhost"}


@dataclass(frozen=True)
class GitTarget:
    """A branch of a git repository, by the URL git itself takes."""

    text: str
    url: str
    branch: str

    def publish(self, site: Path, *, dry_run: bool, say: Say, work_dir: Path) -> Outcome:
        """Commit `site` as the branch's next commit and push it: the commit is the site, so a
        file the site no longer has is gone from the branch (its history keeps it)."""
        if shutil.which("git") is None:
            raise DeployError(Problem(self.text, None, None, "git is not installed",
                                      "install git (apt-get install git) and run again"))
        repo = Repository(work_dir / "git" / hashlib.sha256(self.url.encode()).hexdigest()[:16],
                          self.text)
        ref = f"refs/heads/{self.branch}"
        parent = repo.fetch(self.url, ref)
        tree = repo.tree_of(site)
        if parent is not None and repo.git("rev-parse", f"{parent}^{{tree}}") == tree:
            say(f"deploy: {self.url} {self.branch} already holds this site")
            return Outcome()
        outcome = repo.changes(parent, tree)
        for path in outcome.changed:
            say(f"deploy: {'would commit' if dry_run else 'commit'} {path}")
        for path in outcome.deleted:
            say(f"deploy: {'would remove' if dry_run else 'remove'} {path}")
        if dry_run:
            return outcome
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        commit = repo.git("commit-tree", tree, *(["-p", parent] if parent else []),
                          "-m", f"Deploy site {stamp}", identity=True)
        repo.git("push", "--quiet", self.url, f"{commit}:{ref}",
                 hint="someone else may have pushed to the branch meanwhile: run the deploy "
                      "again; or check the URL and your access to the repository")
        if repo.remote_head(self.url, ref) != commit:
            raise DeployError(Problem(self.text, None, None,
                                      f"the push reported success but {self.branch} does not "
                                      f"point at the new commit {commit[:12]}",
                                      "look at the repository and run the deploy again"))
        say(f"deploy: pushed {commit[:12]} to {self.branch}")
        return outcome


class Repository:
    """The bare repository deploy commits are made in, created on first use."""

    def __init__(self, path: Path, origin: str) -> None:
        self.path = path
        self.origin = origin
        if not (path / "HEAD").is_file():
            path.mkdir(parents=True, exist_ok=True)
            self.git("init", "--quiet", "--bare")

    def git(self, *args: str, stdin: str | None = None, work_tree: Path | None = None,
            index: Path | None = None, identity: bool = False, hint: str | None = None) -> str:
        """Run git on this repository; its output without the final newline, or a DeployError."""
        env = {**os.environ, "GIT_DIR": str(self.path), "GIT_TERMINAL_PROMPT": "0"}
        if work_tree is not None:
            env["GIT_WORK_TREE"] = str(work_tree)
        if index is not None:
            env["GIT_INDEX_FILE"] = str(index)
        if identity and not self._has_identity(env):
            env.update(IDENTITY)
        result = subprocess.run(["git", "-c", "core.excludesFile=/dev/null", *args], env=env,
                                cwd=work_tree or self.path, input=stdin, capture_output=True,
                                text=True, check=False)
        if result.returncode != 0:
            lines = result.stderr.strip().splitlines()
            last = lines[-1] if lines else "no message"
            raise DeployError(Problem(self.origin, None, None, f"git {args[0]} failed: {last}",
                                      hint or "check the URL and your access to the repository"))
        return result.stdout.rstrip("\n")

    def remote_head(self, url: str, ref: str) -> str | None:
        """The commit `ref` points at in the remote repository, or None when it has no such ref."""
        listed = self.git("ls-remote", url, ref).split()
        return listed[0] if listed else None

    def fetch(self, url: str, ref: str) -> str | None:
        """Fetch the remote branch (its history is the new commit's); its commit, or None."""
        if self.remote_head(url, ref) is None:
            return None
        self.git("fetch", "--quiet", "--no-tags", url, f"+{ref}:refs/deploy/{ref}")
        return self.git("rev-parse", f"refs/deploy/{ref}")

    def tree_of(self, site: Path) -> str:
        """The tree of every file in `site` plus an empty `.nojekyll`, stored in the repository."""
        index = self.path / "deploy-index"
        index.unlink(missing_ok=True)
        self.git("add", "--all", "--force", "--", ".", work_tree=site, index=index)
        empty = self.git("hash-object", "-w", "--stdin", stdin="")
        self.git("update-index", "--add", "--cacheinfo", f"100644,{empty},.nojekyll",
                 index=index)
        tree = self.git("write-tree", index=index)
        index.unlink()
        return tree

    def changes(self, parent: str | None, tree: str) -> Outcome:
        """The files the new tree adds or changes, and those it no longer has, vs `parent`."""
        if parent is None:
            names = self.git("ls-tree", "-r", "-z", "--name-only", tree).split("\0")
            return Outcome(changed=[name for name in names if name])
        outcome = Outcome()
        fields = self.git("diff-tree", "-r", "-z", "--no-renames", "--name-status", parent,
                          tree).split("\0")  # status, path, status, path..., "" (names as-is)
        for status, path in zip(fields[0::2], fields[1::2], strict=False):
            (outcome.deleted if status == "D" else outcome.changed).append(path)
        return outcome

    def _has_identity(self, env: dict[str, str]) -> bool:
        found = subprocess.run(["git", "config", "user.email"], env=env, capture_output=True,
                               check=False)
        return found.returncode == 0 or "GIT_AUTHOR_EMAIL" in env


def parse(text: str) -> GitTarget:
    """`git+SCHEME://...#branch` as the URL git takes and the branch to deploy to."""
    address, _, branch = text.partition("#")
    scheme = address.split("://", 1)[0]
    url = address.removeprefix("git+")
    branch = branch or DEFAULT_BRANCH
    if scheme not in SCHEMES or not urlsplit(url).path.strip("/"):
        raise InvalidDestination(f"{text!r} is not a git repository URL",
                                 "write git+ssh://git@host/user/repo.git#branch or "
                                 "git+file:///path/to/repo.git#branch")
    if not BRANCH_NAME.match(branch):
        raise InvalidDestination(f"{branch!r} is not a branch name",
                                 f"name a branch after `#`, e.g. #{DEFAULT_BRANCH}")
    return GitTarget(text, url, branch)
