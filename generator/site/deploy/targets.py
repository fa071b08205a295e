"""The deploy target a destination names, by its URL scheme, and the deploy itself.

`s3://` -> `s3`; `git+ssh://`, `git+file://`, `git+https://` -> `git`; anything else (a folder,
`host:path`, `rsync://`) -> `rsync`, as `make deploy` always was.
"""

from __future__ import annotations

from pathlib import Path

from generator.errors import DeployError, Problem
from generator.site.deploy import git, rsync, s3
from generator.site.deploy.destination import Destination, InvalidDestination, Outcome, Say
from generator.site.deploy.safety import ProjectPaths, destination_problems

Target = rsync.RsyncTarget | git.GitTarget | s3.S3Target


def pick(text: str, base: Path) -> Target:
    """The target `text` names (InvalidDestination when it is malformed); a relative local folder
    is relative to `base`."""
    if text.startswith("s3:"):
        return s3.parse(text)
    if text.startswith("git+"):
        return git.parse(text)
    scheme, separator, _ = text.partition("://")
    if separator and scheme != "rsync":
        raise InvalidDestination(f"{scheme}:// is not a deploy destination",
                                 "write a folder, host:path, rsync://host/module, "
                                 "s3://bucket/prefix or git+ssh://host/repo.git#branch")
    return rsync.parse(text, base)


def deploy_site(site: Path, destination: Destination, *, project: ProjectPaths, work_dir: Path,
                dry_run: bool, delete: bool, say: Say) -> Outcome:
    """Publish the built `site` to `destination`, or in a dry run say what would change; what
    changed. Refuses unsafe destinations and an unbuilt site. `delete`: S3 removes objects the
    site no longer has (rsync and git always mirror the site); `work_dir` holds git's
    repository."""
    problems = destination_problems(destination, project)
    if problems:
        raise DeployError(problems)
    if not (site / "index.html").is_file():
        raise DeployError(Problem(site, None, None, "no built site to deploy (no index.html)",
                                  "build it first: `make deploy` does"))
    target = pick(destination.text, destination.base)
    if isinstance(target, git.GitTarget):
        outcome = target.publish(site, dry_run=dry_run, say=say, work_dir=work_dir)
    elif isinstance(target, s3.S3Target):
        outcome = target.publish(site, dry_run=dry_run, delete=delete, say=say)
    else:
        outcome = target.publish(site, dry_run=dry_run, say=say)
    say(outcome.summary(destination.text, dry_run=dry_run))
    return outcome
