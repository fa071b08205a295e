"""Test helpers for deploys: a small built site, a project beside it, and deploy_site's call."""

from __future__ import annotations

from pathlib import Path

from generator.site.deploy import Destination, ProjectPaths, deploy_site
from generator.site.deploy.destination import Outcome

SITE_FILES = {
    "index.html": b"<!doctype html><title>Home</title>",
    "index.xml": b"<rss></rss>",
    "2021/tiny/index.html": b"<!doctype html><title>Tiny</title>",
    "tags/технологии/index.html": b"<!doctype html><title>Tag</title>",
    "2021/tiny/images/dog.png": b"\x89PNG dog",
    "2021/tiny/images/dog-480.webp": b"RIFF dog 480",
    "style.0123456789abcdef0123.css": b"body{}",
}


def make_site(folder: Path, files: dict[str, bytes] = SITE_FILES) -> Path:
    """A built site holding `files`."""
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def make_project(folder: Path) -> ProjectPaths:
    """A project folder with gallery.yaml, content/ and site/, as the CLI sees it."""
    (folder / "content" / "posts" / "mine").mkdir(parents=True)
    (folder / "content" / "posts" / "mine" / "index.md").write_text("# Mine\n", encoding="utf-8")
    (folder / "gallery.yaml").write_text("posts: []\n", encoding="utf-8")
    make_site(folder / "site")
    return ProjectPaths(folder, (folder / "gallery.yaml", folder / "content",
                                 folder / "theme", folder / "site"))


def deploy(project: ProjectPaths, destination: str, *, dry_run: bool = False,
           delete: bool = False, said: list[str] | None = None,
           base: Path | None = None) -> Outcome:
    """Deploy the project's site/ as `make deploy` would (a relative folder relative to `base`,
    default the project), collecting what it says in `said`."""
    return deploy_site(project.root / "site", on_command_line(destination, base or project.root),
                       project=project, work_dir=project.root / ".cache", dry_run=dry_run,
                       delete=delete, say=(said if said is not None else []).append)


def on_command_line(text: str, base: Path) -> Destination:
    """`text` as given with `--to` in the folder `base`."""
    return Destination(text, "--to", None, base)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}
