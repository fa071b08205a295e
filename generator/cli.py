"""The command line: `python -m generator <command>`; the Makefile's targets call these.

Every command reads gallery.yaml (or `--manifest`) first, so invalid input stops before anything
is written; `dream` alone makes one image from a prompt, outside the gallery. Heavy imports
(torch) happen only in the commands that generate images.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import DeployError, GalleryError, GenerationError, Problem
from generator.folders import Folders
from generator.gallery.jobs import ImageGenerator
from generator.gallery.model import Manifest
from generator.settings import GenerationSettings, allowed_range, in_range

if TYPE_CHECKING:
    from generator.site.build import BuildReport
    from generator.site.config import SiteConfig
    from generator.site.deploy import Destination, ProjectPaths
    from generator.site.warm import WarmCaches

Handler = Callable[[argparse.Namespace, Folders], None]


def _manifest(folders: Folders) -> Manifest:
    from generator.addresses import theme_static_paths
    from generator.gallery.load import load_manifest

    # the site's static/ files and the theme's are copied to the site root: no post goes there
    static = theme_static_paths(folders.root) + theme_static_paths(folders.theme)
    return load_manifest(folders.manifest, static)


def _models(args: argparse.Namespace) -> Path | None:
    return Path(args.models) if args.models else None


def _gpu_share(text: str) -> float:
    share = float(text)
    if not 0 < share <= 1:
        raise argparse.ArgumentTypeError(
            f"{text} is not a share of one GPU (use a number above 0, at most 1)")
    return share


def _image_generator(manifest: Manifest, args: argparse.Namespace) -> ImageGenerator:
    from generator.bigsleep.generate import BigSleepGenerator

    return BigSleepGenerator(
        manifest,
        models_dir=_models(args),
        device=args.device,
        batch_size=args.batch_size,
        wait=not args.no_wait,
        cluster=args.cluster,
        gpu_share=args.gpu_share,
    )


def _generate(manifest: Manifest, args: argparse.Namespace, folders: Folders, *,
              drafts_may_wait: bool = False) -> None:
    """Generate the missing or outdated images. With `drafts_may_wait` (the published site),
    failing to generate images that only draft posts use is a note, not an error."""
    from generator.gallery.jobs import image_jobs

    jobs = image_jobs(manifest, folders.content)
    generator = _image_generator(manifest, args)
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


def _write(manifest: Manifest, folders: Folders) -> None:
    from generator.gallery.writer import write_posts

    changed = write_posts(manifest, folders.content)
    print(f"posts: {len(changed)} file(s) written to {folders.content}")


def _site_config(folders: Folders, manifest: Manifest | None) -> SiteConfig:
    """The site's Hugo config in the project root, with gallery.yaml's `site:` settings."""
    from generator.site.config import load_site_config, merge_with_manifest

    config = load_site_config(folders.root)
    if config.hugo_theme:
        print(f"site: {config.source} names the Hugo theme {config.hugo_theme!r}, which is not "
              f"used: themes here are Jinja2 ({folders.theme}; see Coming from Hugo in the README)")
    if manifest is None:
        if config.source is None:
            print(f"site: no gallery.yaml or Hugo config (hugo.toml, config.toml, ...) in "
                  f"{folders.root}: default settings")
        return config
    if config.source is None:
        return dataclasses.replace(config, settings=manifest.site)
    print(f"site: settings from {folders.manifest} and {config.source}")
    return merge_with_manifest(config, manifest.site, folders.manifest)


def _build(config: SiteConfig, folders: Folders, *, drafts: bool, placeholders: bool,
           strict: bool = False, full: bool = False,
           placeholder_size: int = GenerationSettings.image_size,
           placeholder_sizes: dict[Path, int] | None = None,
           warm: WarmCaches | None = None) -> BuildReport:
    from generator.site.build import build_site

    report = build_site(
        folders.content, folders.out, config.settings, theme_dir=folders.theme,
        cache_dir=folders.cache, drafts=drafts, placeholders=placeholders, strict=strict,
        full=full, config=config, placeholder_size=placeholder_size,
        placeholder_sizes=placeholder_sizes, warm=warm,
    )
    print(report)
    return report


def cmd_check(args: argparse.Namespace, folders: Folders) -> None:
    """Validate gallery.yaml, that `write` may write its posts, and every page of content/ as
    `write` will leave it (so hand-written pages and posts cannot clash), reporting every
    problem."""
    from generator.gallery.writer import check_posts, interrupted_write, planned_pages
    from generator.site.build import check_content
    from generator.site.deploy import destination_problems

    problems: list[Problem] = [p for p in [interrupted_write(folders.content)] if p]
    manifest = None
    planned: dict[Path, str | None] = {}
    if folders.manifest.exists() or not folders.content.exists():
        try:
            manifest = _manifest(folders)
            problems += check_posts(manifest, folders.content)
            if not problems:
                planned = planned_pages(manifest, folders.content)
        except GalleryError as error:
            problems += error.problems
    if folders.content.exists() or planned:  # a new project has no content/ until `write`
        try:
            config = _site_config(folders, manifest)
            problems += check_content(folders.content, config.settings,
                                      theme_dir=folders.theme, config=config, strict=args.strict,
                                      overlay=planned)
        except GalleryError as error:
            problems += error.problems
    if manifest is not None and manifest.site.deploy:
        problems += destination_problems(_site_deploy(folders, manifest.site.deploy),
                                         _project_paths(folders))
    if problems:
        raise GalleryError(problems)
    print(f"check: {'gallery.yaml and content/ are' if manifest else 'content/ is'} valid")


def cmd_write(args: argparse.Namespace, folders: Folders) -> None:
    _write(_manifest(folders), folders)


def cmd_generate(args: argparse.Namespace, folders: Folders) -> None:
    _generate(_manifest(folders), args, folders)


def cmd_build(args: argparse.Namespace, folders: Folders) -> None:
    from generator.gallery.writer import interrupted_write

    interrupted = interrupted_write(folders.content)
    if interrupted is not None:
        raise GalleryError(interrupted)
    manifest = _manifest(folders) if folders.manifest.exists() else None
    _build(_site_config(folders, manifest), folders, drafts=args.drafts,
           placeholders=args.placeholders, strict=args.strict, full=args.full)


def cmd_site(args: argparse.Namespace, folders: Folders) -> None:
    """The main job: images that are missing or changed, then posts, then the site."""
    _site(_manifest(folders), args, folders)


def _site(manifest: Manifest, args: argparse.Namespace, folders: Folders) -> None:
    _generate(manifest, args, folders, drafts_may_wait=True)
    _write(manifest, folders)
    _build(_site_config(folders, manifest), folders, drafts=False, placeholders=False,
           full=args.full)


def cmd_draft(args: argparse.Namespace, folders: Folders) -> None:
    """The whole site now, drafts included, with marked placeholders for missing images (as
    large as the generator will make them)."""
    _draft(args, folders)


def _draft(args: argparse.Namespace, folders: Folders,
           warm: WarmCaches | None = None) -> BuildReport:
    """`cmd_draft`; `warm`: what the preview's process keeps between its builds."""
    from generator.bigsleep.device import image_size
    from generator.gallery.jobs import image_jobs

    manifest = _manifest(folders)
    _write(manifest, folders)
    sizes = {job.path.with_suffix(""): image_size(job.entry.settings)
             for job in image_jobs(manifest, folders.content)}
    return _build(_site_config(folders, manifest), folders, drafts=True, placeholders=True,
                  full=vars(args).get("full", False),
                  placeholder_size=image_size(manifest.defaults), placeholder_sizes=sizes,
                  warm=warm)


def cmd_serve(args: argparse.Namespace, folders: Folders) -> None:
    """Preview: rebuild the draft site on every change to gallery.yaml, content/ or the theme,
    in this process (its parsed pages and templates kept between rebuilds)."""
    from generator.site.serve import Preview, serve
    from generator.site.warm import WarmCaches

    preview = Preview(_preview_rebuild(args, folders, WarmCaches()),
                      [folders.manifest, folders.content, folders.theme, folders.root / "figures"])
    try:
        serve(folders.out, preview, host=args.bind, port=args.port)
    except KeyboardInterrupt:
        print("stopped")


def _preview_rebuild(args: argparse.Namespace, folders: Folders,
                     warm: WarmCaches) -> Callable[[], frozenset[str]]:
    """The preview's rebuild: a draft build holding the site lock -> the site paths it
    changed."""
    def rebuild() -> frozenset[str]:
        reports: list[BuildReport] = []
        _locked(args, folders, lambda a, f: reports.append(_draft(a, f, warm)))
        return reports[0].changed

    return rebuild


def cmd_weights(args: argparse.Namespace, folders: Folders) -> None:
    from generator.bigsleep.weight_files import default_models_dir
    from generator.bigsleep.weights import download_weights

    manifest = _manifest(folders)
    settings = [manifest.defaults] + [e.settings for p in manifest.posts for e in p.entries]
    models_dir = _models(args) or default_models_dir()
    for path in download_weights(settings, models_dir):
        print(f"weights: {path}: present and verified")


def _project_paths(folders: Folders) -> ProjectPaths:
    from generator.site.deploy import ProjectPaths

    return ProjectPaths(folders.root,
                        (folders.manifest, folders.content, folders.theme, folders.out))


def _site_deploy(folders: Folders, text: str) -> Destination:
    """`site.deploy` of the (valid) manifest, with its line for messages."""
    import yaml
    from yaml.nodes import MappingNode

    from generator.gallery.yamlnodes import key_line
    from generator.site.deploy import Destination

    top = yaml.compose(folders.manifest.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    site = next((value for key, value in top.value if key.value == "site"), None)
    line = key_line(site, "deploy") if isinstance(site, MappingNode) else None
    return Destination(text, folders.manifest, "site.deploy", folders.root, line)


def _deploy_destination(args: argparse.Namespace, folders: Folders,
                        manifest: Manifest) -> Destination:
    """`--to` (relative to the current folder), else `site.deploy` (relative to the project)."""
    from generator.site.deploy import Destination

    if args.to is not None:
        return Destination(args.to, "--to", None, Path.cwd())
    if not manifest.site.deploy:
        raise DeployError(Problem(folders.manifest, None, "site.deploy", "no deploy destination",
                                  "set site.deploy to a folder, host:path, s3://bucket/prefix "
                                  "or git+ssh://host/repo.git#branch, or pass --to"))
    return _site_deploy(folders, manifest.site.deploy)


def cmd_deploy(args: argparse.Namespace, folders: Folders) -> None:
    """Rebuild (never a draft with placeholders) and publish site/ to the deploy destination;
    with --dry-run, say what would change there."""
    from generator.site.deploy import deploy_site, destination_problems

    manifest = _manifest(folders)
    destination = _deploy_destination(args, folders, manifest)
    project = _project_paths(folders)
    problems = destination_problems(destination, project)
    if problems:  # before building: a refused destination costs nothing
        raise DeployError(problems)
    _site(manifest, args, folders)
    deploy_site(folders.out, destination, project=project, work_dir=folders.cache / "deploy",
                dry_run=args.dry_run, delete=args.delete, say=print)


# `dream` options (big-sleep's names first) and the GenerationSettings field each one sets.
DREAM_SETTINGS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("--iterations",), "iterations"),
    (("--lr",), "lr"),
    (("--num-cutouts", "--cutouts"), "cutouts"),
    (("--seed",), "seed"),
    (("--image-size",), "image_size"),
    (("--max-classes",), "max_classes"),
    (("--class-temperature",), "class_temperature"),
    (("--ema-decay",), "ema_decay"),
    (("--center-bias",), "center_bias"),
    (("--save-best",), "save_best"),
    (("--penalize", "--text-min"), "penalize"),
    (("--img", "--image-prompt"), "image_prompt"),
    (("--save-progress", "--progress"), "progress"),
    (("--save-every", "--progress-every"), "progress_every"),
    (("--clip",), "clip"),
    (("--biggan",), "biggan"),
)
DREAM_HELP = {"image_prompt": "Image file to match too."}
# Where `dream` follows big-sleep's `dream` command rather than a gallery entry's defaults.
DREAM_DEFAULTS: dict[str, object] = {"ema_decay": 0.5}
DREAM_DIFFERENCES = (
    "Defaults are a gallery entry's, but --ema-decay is 0.5 as in big-sleep's dream. Unlike "
    "big-sleep's dream: --image-size 256 (big-sleep: 512; 256 is 4x faster), --iterations "
    "1000 (big-sleep: 20 epochs x 1050; images rarely improve after 1000 and often collapse), "
    "--seed a stable hash of the prompt (big-sleep: 0, so different prompts share a start); "
    "see the README's \"Differences from big-sleep\".")


def _setting_option(sub: argparse.ArgumentParser, flags: tuple[str, ...], name: str) -> None:
    """An option setting GenerationSettings field `name`, with its documentation and limits."""
    field = next(f for f in dataclasses.fields(GenerationSettings) if f.name == name)
    doc, default = DREAM_HELP.get(name, field.metadata["doc"]), DREAM_DEFAULTS.get(name,
                                                                                 field.default)
    if isinstance(default, bool):
        sub.add_argument(*flags, dest=name, action="store_true", default=None, help=doc)
        return
    if isinstance(default, tuple):
        sub.add_argument(*flags, dest=name, action="append", metavar="TEXT",
                         help=f"{doc} (repeat for more)")
        return
    numeric = "min" in field.metadata or "choices" in field.metadata
    kind = type(default) if default is not None else int if numeric else str

    def value(text: str) -> object:
        number = kind(text)
        if not in_range(number, field.metadata):
            raise argparse.ArgumentTypeError(
                f"{text} is out of range (use a value {allowed_range(field.metadata)})")
        return number

    value.__name__ = kind.__name__  # argparse names the type in its "invalid value" errors
    sub.add_argument(*flags, dest=name, type=value, choices=field.metadata.get("choices"),
                     help=f"{doc} (default: {default})" if default is not None else doc)


def _dream_settings(args: argparse.Namespace) -> GenerationSettings:
    given = {name: getattr(args, name) for _, name in DREAM_SETTINGS
             if getattr(args, name) is not None}
    if "penalize" in given:
        given["penalize"] = tuple(given["penalize"])
    return dataclasses.replace(GenerationSettings(), **(DREAM_DEFAULTS | given))


def cmd_dream(args: argparse.Namespace, folders: Folders) -> None:
    """One image from one prompt, outside the gallery, as big-sleep's `dream` makes it."""
    from generator.bigsleep.dream import dream, output_path

    path = output_path(args.prompt, Path(args.out) if args.out else None)
    result = dream(args.prompt, _dream_settings(args), path,
                   models_dir=_models(args), device=args.device,
                   force=args.force)
    for written in result.files:
        print(f"dream: wrote {written}")
    print(f"dream: seed {result.seed}, similarity {result.similarity:.3f}")


FOLDER_HELP = {
    "source": "the site root holding a Hugo config, content/ and static/ (like hugo -s; "
              "default: the folder of the manifest)",
    "cache-dir": "cache of resized images (default: .cache/ in the site root)",
    "content": "content folder (default: content/ beside the manifest)",
    "out": "site folder (default: site/ beside the manifest)",
    "theme": "theme folder (default: theme/ beside the manifest, else the bundled one)",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m generator",
        description="gallery.yaml -> BigSleep images -> Hugo-style posts in content/ -> site/. "
                    "Commands that read gallery.yaml validate it first and write nothing "
                    "if it is wrong.")
    parser.add_argument("--manifest", help="the gallery manifest (default: gallery.yaml in "
                        "--source, else in the current folder)")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler, help_text: str,
                folders: Sequence[str] = ("content", "out", "theme")) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        for folder in folders:
            sub.add_argument(f"--{folder}", help=FOLDER_HELP[folder])
        return sub

    def devices(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--device", choices=("cuda", "cpu"),
                         help="default: CUDA when present; CPU only when asked (slow)")
        sub.add_argument("--models", help="weights folder (default: $BIGSLEEP_MODELS or "
                         "~/.cache/bigsleep-gallery/models)")

    def building(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument("--full", action="store_true",
                         help="a cold build: reuse no file of the last builds")
        return sub

    def generating(sub: argparse.ArgumentParser) -> None:
        devices(sub)
        sub.add_argument("--batch-size", type=int, help="default: fitted to free GPU memory")
        sub.add_argument("--no-wait", action="store_true",
                         help="stop instead of waiting when another run holds the lock")
        sub.add_argument("--cluster", metavar="ADDRESS",
                         help="generate on Ray workers, one per GPU: `local` (every GPU here) "
                         "or ray://HOST:PORT (needs the `cluster` extra; see the README)")
        sub.add_argument("--gpu-share", type=_gpu_share, default=1.0, metavar="FRACTION",
                         help="with --cluster, the share of a GPU each worker takes (0.5: two "
                         "workers per GPU, for small models; default: 1)")

    check = command("check", cmd_check, "validate gallery.yaml and content/, report every problem",
                    ("source", "content", "theme"))
    check.add_argument("--strict", action="store_true", help="treat every warning as an error")
    command("write", cmd_write, "write the posts of gallery.yaml into content/", ("content",))
    generating(command("generate", cmd_generate, "generate missing or changed images",
                       ("content",)))
    build = building(command("build", cmd_build, "render a content tree into a static site",
                             ("source", "content", "out", "theme", "cache-dir")))
    build.add_argument("--drafts", action="store_true", help="include draft and future-dated posts")
    build.add_argument("--placeholders", action="store_true",
                       help="marked placeholders for missing images instead of an error")
    build.add_argument("--strict", action="store_true",
                       help="fail on any warning (as a CI would), not only on errors")
    generating(building(command("site", cmd_site, "images, posts and site: the whole job")))
    building(command("draft", cmd_draft, "the whole site with placeholders for missing images"))
    serve = command("serve", cmd_serve, "preview at http://localhost:1313, rebuilt on every change")
    serve.add_argument("--port", type=int, default=1313, help="default: 1313, as hugo server")
    serve.add_argument("--bind", default="127.0.0.1", help="default: 127.0.0.1")
    weights = command("weights", cmd_weights, "download and verify model weights", ())
    weights.add_argument("--models", help="weights folder")
    deploy = building(command("deploy", cmd_deploy, "rebuild and publish site/"))
    generating(deploy)
    deploy.add_argument("--to", help="a folder, host:path, s3://bucket/prefix?endpoint=URL"
                        "&region=NAME or git+ssh://host/repo.git#branch (default: site.deploy)")
    deploy.add_argument("--dry-run", action="store_true",
                        help="say what would change at the destination, change nothing")
    deploy.add_argument("--delete", action="store_true",
                        help="S3: delete objects the site no longer has (rsync and git always "
                             "mirror the site)")
    dream_help = "one image from a prompt, outside the gallery (like big-sleep's `dream`)"
    dream = commands.add_parser("dream", help=dream_help, description=dream_help,
                                epilog=DREAM_DIFFERENCES)
    dream.set_defaults(handler=cmd_dream)
    dream.add_argument("prompt", help="what to dream: `a|b` steers towards both")
    dream.add_argument("--out", help="the PNG to write, or a folder (default: the prompt's "
                       "image name + .png in the current folder)")
    dream.add_argument("--force", action="store_true", help="replace existing files")
    devices(dream)
    for flags, name in DREAM_SETTINGS:
        _setting_option(dream, flags, name)
    return parser


WRITING_COMMANDS = (cmd_write, cmd_build, cmd_site, cmd_draft, cmd_deploy)


def _locked(args: argparse.Namespace, folders: Folders, handler: Handler) -> None:
    """Run `handler` holding the gallery's site lock: two runs never write content/ or site/
    together; the second waits (or stops, with --no-wait)."""
    from generator.runlock import run_lock

    with run_lock(folders.cache / "site.lock", wait=not vars(args).get("no_wait", False),
                  out=sys.stderr, what="run writing content/ and site/", error=GalleryError):
        handler(args, folders)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    folders = Folders.from_args(args)
    try:
        if args.handler in WRITING_COMMANDS:
            _locked(args, folders, args.handler)
        else:
            args.handler(args, folders)
    except GalleryError as error:
        noun = "problem" if len(error.problems) == 1 else "problems"
        print(f"error: {len(error.problems)} {noun}:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        if error.advice:
            print(error.advice, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; a new run resumes where this one stopped", file=sys.stderr)
        return 130
    return 0
