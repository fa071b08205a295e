"""`deploy`: rebuild the site and publish it to `--to` or `site.deploy`, after refusing any
destination that holds the project's own sources."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from generator.commands.inputs import read_manifest
from generator.commands.site import make_site
from generator.errors import DeployError, Problem
from generator.folders import Folders
from generator.gallery.model import Manifest

if TYPE_CHECKING:
    from generator.site.deploy import Destination, ProjectPaths


def project_paths(folders: Folders) -> ProjectPaths:
    """The project folder and the sources and output it uses: what a deploy never overwrites."""
    from generator.site.deploy import ProjectPaths

    return ProjectPaths(folders.root,
                        (folders.manifest, folders.content, folders.theme, folders.out))


def site_deploy(folders: Folders, text: str) -> Destination:
    """`site.deploy` of the (valid) manifest, with its line for messages."""
    import yaml
    from yaml.nodes import MappingNode

    from generator.gallery.yamlnodes import key_line
    from generator.site.deploy import Destination

    top = yaml.compose(folders.manifest.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    site = next((value for key, value in top.value if key.value == "site"), None)
    line = key_line(site, "deploy") if isinstance(site, MappingNode) else None
    return Destination(text, folders.manifest, "site.deploy", folders.root, line)


def deploy_destination(args: argparse.Namespace, folders: Folders,
                       manifest: Manifest) -> Destination:
    """`--to` (relative to the current folder), else `site.deploy` (relative to the project)."""
    from generator.site.deploy import Destination

    if args.to is not None:
        return Destination(args.to, "--to", None, Path.cwd())
    if not manifest.site.deploy:
        raise DeployError(Problem(folders.manifest, None, "site.deploy", "no deploy destination",
                                  "set site.deploy to a folder, host:path, s3://bucket/prefix "
                                  "or git+ssh://host/repo.git#branch, or pass --to"))
    return site_deploy(folders, manifest.site.deploy)


def cmd_deploy(args: argparse.Namespace, folders: Folders) -> None:
    """Rebuild (never a draft with placeholders) and publish site/ to the deploy destination;
    with --dry-run, say what would change there."""
    from generator.site.deploy import deploy_site, destination_problems

    manifest = read_manifest(folders)
    destination = deploy_destination(args, folders, manifest)
    project = project_paths(folders)
    problems = destination_problems(destination, project)
    if problems:  # before building: a refused destination costs nothing
        raise DeployError(problems)
    make_site(manifest, args, folders)
    deploy_site(folders.out, destination, project=project, work_dir=folders.cache / "deploy",
                dry_run=args.dry_run, delete=args.delete, say=print)
