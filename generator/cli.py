"""The command line: `python -m generator <command>`; the Makefile's targets call these.

Every command reads gallery.yaml (or `--manifest`) first, so invalid input stops before anything
is written; `dream` alone makes one image from a prompt, outside the gallery. Heavy imports
(torch) happen only in the commands that generate images. This module assembles the parser,
takes the site lock for the commands that write and reports errors; the commands themselves
live in `generator/commands/`, and only the module of the command being run is imported (a
`build` that finds nothing changed is mostly Python's own start-up).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from generator.commands.dream import DREAM_DIFFERENCES, add_setting_options
from generator.commands.locking import locked
from generator.errors import GalleryError
from generator.folders import Folders
from generator.resident.client import INTERRUPTED, delegate, interrupted, start, wanted

if TYPE_CHECKING:
    from generator.site.warm import WarmCaches


@dataclass(frozen=True)
class Command:
    """A command's function in `generator.commands.<module>`, imported when it runs; `writes`:
    it writes content/ or site/, so it runs holding the site lock; `resident`: the project's
    resident builder may run it (`generator.resident`), passing its function the caches it
    keeps (`warm`)."""

    module: str
    function: str
    writes: bool = False
    resident: bool = False

    def __call__(self, args: argparse.Namespace, folders: Folders, **options: Any) -> None:
        module = importlib.import_module(f"generator.commands.{self.module}")
        getattr(module, self.function)(args, folders, **options)


cmd_check = Command("check", "cmd_check")
cmd_write = Command("site", "cmd_write", writes=True)
cmd_generate = Command("site", "cmd_generate")
cmd_build = Command("site", "cmd_build", writes=True, resident=True)
cmd_site = Command("site", "cmd_site", writes=True)
cmd_draft = Command("site", "cmd_draft", writes=True, resident=True)
cmd_serve = Command("serve", "cmd_serve")
cmd_weights = Command("weights", "cmd_weights")
cmd_deploy = Command("deploy", "cmd_deploy", writes=True)
cmd_dream = Command("dream", "cmd_dream")


def _gpu_share(text: str) -> float:
    share = float(text)
    if not 0 < share <= 1:
        raise argparse.ArgumentTypeError(
            f"{text} is not a share of one GPU (use a number above 0, at most 1)")
    return share


FOLDER_HELP = {
    "source": "the site root holding a Hugo config, content/ and static/ (like hugo -s; "
              "default: the folder of the manifest)",
    "cache-dir": "cache of resized images (default: .cache/ in the site root)",
    "content": "content folder (default: content/ beside the manifest)",
    "out": "site folder (default: site/ beside the manifest)",
    "theme": "theme folder (default: theme/ beside the manifest, else the bundled one)",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m generator",
        description="gallery.yaml -> BigSleep images -> Hugo-style posts in content/ -> site/. "
                    "Commands that read gallery.yaml validate it first and write nothing "
                    "if it is wrong.")
    parser.add_argument("--manifest", help="the gallery manifest (default: gallery.yaml in "
                        "--source, else in the current folder)")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler: Command, help_text: str,
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

    def resident(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument("--no-resident", action="store_true",
                         help="build in this process, without the project's resident builder "
                              "(also GALLERY_RESIDENT=0)")
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
    build = resident(building(command("build", cmd_build,
                                      "render a content tree into a static site",
                                      ("source", "content", "out", "theme", "cache-dir"))))
    build.add_argument("--drafts", action="store_true", help="include draft and future-dated posts")
    build.add_argument("--placeholders", action="store_true",
                       help="marked placeholders for missing images instead of an error")
    build.add_argument("--strict", action="store_true",
                       help="fail on any warning (as a CI would), not only on errors")
    generating(building(command("site", cmd_site, "images, posts and site: the whole job")))
    resident(building(command("draft", cmd_draft,
                              "the whole site with placeholders for missing images")))
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
    add_setting_options(dream)
    return parser


def main(argv: Sequence[str] | None = None, *, ending: bool = False) -> int:
    """`python -m generator ARGV` -> its exit status. A command the project's resident builder
    runs goes to it when one answers; else it runs here, and then starts one. `ending`: this is
    the command line's own process, which a site build ends at once (`end_now`)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    folders = Folders.from_args(args)
    if not (args.handler.resident and not args.full and not args.no_resident and wanted()):
        status = run(args, folders)
    else:
        try:  # a command the project's resident builder runs, when there is one
            status = delegate(argv, folders.cache)
        except KeyboardInterrupt:
            return interrupted()
        if status is None:
            status = run(args, folders)
            if status != INTERRUPTED:
                start(folders.cache)
    if ending and args.handler.resident:
        end_now(status)
    return status


def end_now(status: int) -> NoReturn:
    """End this process with `status` now that its output is flushed, leaving the memory of a
    site build (pages, bodies, contexts, templates) to the system: Python freed it object by
    object at exit, 40 ms after a cold build of 1,000 posts. Only after a site build (the
    commands the resident builder runs), which leaves no thread, temporary folder or clean-up
    at exit behind; other commands (a Ray cluster's shutdown) exit as usual."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(status)


def run(args: argparse.Namespace, folders: Folders, warm: WarmCaches | None = None) -> int:
    """Run the command in this process -> its exit status, its errors printed; `warm`: the
    resident builder's caches, for the commands it runs."""
    handler = args.handler if warm is None else functools.partial(args.handler, warm=warm)
    try:
        if args.handler.writes:
            locked(args, folders, handler)
        else:
            handler(args, folders)
    except GalleryError as error:
        noun = "problem" if len(error.problems) == 1 else "problems"
        print(f"error: {len(error.problems)} {noun}:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        if error.advice:
            print(error.advice, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return interrupted()
    return 0
