"""The commands that make the site: `write` (posts), `generate` (images), `build` (any content
tree), `site` (all three) and `draft` (the whole site with placeholders for missing images).
Torch is imported only when images are actually generated."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from generator.commands.config import site_config
from generator.commands.inputs import models_folder, read_manifest
from generator.errors import GalleryError, GenerationError
from generator.folders import Folders
from generator.settings import GenerationSettings

if TYPE_CHECKING:
    from generator.gallery.jobs import ImageGenerator
    from generator.gallery.model import Manifest
    from generator.site.config import SiteConfig
    from generator.site.report import BuildReport
    from generator.site.warm import WarmCaches


def image_generator(manifest: Manifest, args: argparse.Namespace) -> ImageGenerator:
    """BigSleep as the command line configures it (torch is imported only to generate)."""
    from generator.bigsleep.generate import BigSleepGenerator

    return BigSleepGenerator(
        manifest,
        models_dir=models_folder(args),
        device=args.device,
        batch_size=args.batch_size,
        wait=not args.no_wait,
        cluster=args.cluster,
        gpu_share=args.gpu_share,
    )


def generate_images(manifest: Manifest, args: argparse.Namespace, folders: Folders, *,
                    drafts_may_wait: bool = False) -> None:
    """Generate the missing or outdated images. With `drafts_may_wait` (the published site),
    failing to generate images that only draft posts use is a note, not an error."""
    from generator.gallery.jobs import image_jobs

    jobs = image_jobs(manifest, folders.content)
    generator = image_generator(manifest, args)
    outdated = generator.outdated(jobs)
    if not outdated:
        print(f"images: all {len(jobs)} up to date")
        return
    try:
        generator.generate(outdated)
    except GenerationError as error:
        if not drafts_may_wait or any(not job.post.draft for job in outdated):
            raise
        print(f"images: {len(outdated)} image(s) of draft posts not generated, so those posts "
              f"stay unpublished ({error.advice or error.problems[-1]})", file=sys.stderr)


def write_gallery_posts(manifest: Manifest, folders: Folders) -> None:
    """The manifest's posts as page bundles in content/."""
    from generator.gallery.writer import write_posts

    changed = write_posts(manifest, folders.content)
    print(f"posts: {len(changed)} file(s) written to {folders.content}")


def build(config: SiteConfig, folders: Folders, *, drafts: bool, placeholders: bool,
          strict: bool = False, full: bool = False,
          placeholder_size: int = GenerationSettings.image_size,
          placeholder_sizes: dict[Path, int] | None = None,
          warm: WarmCaches | None = None) -> BuildReport:
    """content/ rendered into the site folder; the report is printed and returned."""
    from generator.site.build import build_site

    report = build_site(
        folders.content, folders.out, config.settings, theme_dir=folders.theme,
        cache_dir=folders.cache, drafts=drafts, placeholders=placeholders, strict=strict,
        full=full, config=config, placeholder_size=placeholder_size,
        placeholder_sizes=placeholder_sizes, warm=warm,
    )
    print(report)
    return report


def cmd_write(args: argparse.Namespace, folders: Folders) -> None:
    write_gallery_posts(read_manifest(folders), folders)


def cmd_generate(args: argparse.Namespace, folders: Folders) -> None:
    generate_images(read_manifest(folders), args, folders)


def cmd_build(args: argparse.Namespace, folders: Folders, warm: WarmCaches | None = None) -> None:
    """`warm`: the resident builder's caches (`generator.resident`)."""
    from generator.bundles import interrupted_write

    interrupted = interrupted_write(folders.content)
    if interrupted is not None:
        raise GalleryError(interrupted)
    manifest = read_manifest(folders) if folders.manifest.exists() else None
    build(site_config(folders, manifest), folders, drafts=args.drafts,
          placeholders=args.placeholders, strict=args.strict, full=args.full, warm=warm)


def cmd_site(args: argparse.Namespace, folders: Folders) -> None:
    """The main job: images that are missing or changed, then posts, then the site."""
    make_site(read_manifest(folders), args, folders)


def make_site(manifest: Manifest, args: argparse.Namespace, folders: Folders) -> None:
    """`cmd_site` for a manifest already read (`deploy` reads it first)."""
    generate_images(manifest, args, folders, drafts_may_wait=True)
    write_gallery_posts(manifest, folders)
    build(site_config(folders, manifest), folders, drafts=False, placeholders=False,
          full=args.full)


def cmd_draft(args: argparse.Namespace, folders: Folders, warm: WarmCaches | None = None) -> None:
    """The whole site now, drafts included, with marked placeholders for missing images (as
    large as the generator will make them); `warm` as for `cmd_build`."""
    draft(args, folders, warm)


def draft(args: argparse.Namespace, folders: Folders,
          warm: WarmCaches | None = None) -> BuildReport:
    """`cmd_draft`; `warm`: what the preview's or the resident builder's process keeps between
    its builds."""
    from generator.bigsleep.device import image_size
    from generator.gallery.jobs import image_jobs

    manifest = read_manifest(folders)
    write_gallery_posts(manifest, folders)
    sizes = {job.path.with_suffix(""): image_size(job.entry.settings)
             for job in image_jobs(manifest, folders.content)}
    return build(site_config(folders, manifest), folders, drafts=True, placeholders=True,
                 full=vars(args).get("full", False),
                 placeholder_size=image_size(manifest.defaults), placeholder_sizes=sizes,
                 warm=warm)
