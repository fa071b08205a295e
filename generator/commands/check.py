"""`check`: validate gallery.yaml, the posts `write` would write and every page of content/ as
`write` will leave it, reporting every problem at once; `check` passing means the build
succeeds."""

from __future__ import annotations

import argparse
from pathlib import Path

from generator.commands.config import site_config
from generator.commands.deploy import project_paths, site_deploy
from generator.commands.inputs import read_manifest
from generator.errors import GalleryError, Problem
from generator.folders import Folders


def cmd_check(args: argparse.Namespace, folders: Folders) -> None:
    """Validate gallery.yaml, that `write` may write its posts, and every page of content/ as
    `write` will leave it (so hand-written pages and posts cannot clash), reporting every
    problem."""
    from generator.bundles import interrupted_write
    from generator.gallery.writer import check_posts, planned_pages
    from generator.site.build import check_content
    from generator.site.deploy import destination_problems

    problems: list[Problem] = [p for p in [interrupted_write(folders.content)] if p]
    manifest = None
    planned: dict[Path, str | None] = {}
    if folders.manifest.exists() or not folders.content.exists():
        try:
            manifest = read_manifest(folders)
            problems += check_posts(manifest, folders.content)
            if not problems:
                planned = planned_pages(manifest, folders.content)
        except GalleryError as error:
            problems += error.problems
    if folders.content.exists() or planned:  # a new project has no content/ until `write`
        try:
            config = site_config(folders, manifest)
            problems += check_content(folders.content, config.settings,
                                      theme_dir=folders.theme, config=config, strict=args.strict,
                                      overlay=planned)
        except GalleryError as error:
            problems += error.problems
    if manifest is not None and manifest.site.deploy:
        problems += destination_problems(site_deploy(folders, manifest.site.deploy),
                                         project_paths(folders))
    if problems:
        raise GalleryError(problems)
    print(f"check: {'gallery.yaml and content/ are' if manifest else 'content/ is'} valid")
