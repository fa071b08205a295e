"""The destinations a deploy refuses: option-like text, malformed URLs, and any local folder that
is, contains or lies inside the project's own sources.

rsync makes its destination an exact copy of the site, deleting everything else there, so a
destination of `.`, `..`, `content/`, the project folder or any folder holding a `gallery.yaml` or
a `content/` would wipe what the author wrote. `check` and `deploy` both ask `destination_problems`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.errors import Problem
from generator.site.deploy.destination import Destination, InvalidDestination

SOURCE_MARKERS = ("gallery.yaml", "content")
SAFE_HINT = "deploy to a folder outside the project, e.g. /var/www/gallery, or to host:path"


@dataclass(frozen=True)
class ProjectPaths:
    """What a deploy must never overwrite: the project folder and the sources and output it
    uses (which may lie elsewhere)."""

    root: Path
    sources: tuple[Path, ...]  # manifest, content, theme, site output...


def destination_problems(destination: Destination, project: ProjectPaths) -> list[Problem]:
    """Why `destination` may not be deployed to; [] when it may."""
    from generator.site.deploy.targets import pick  # targets imports this module

    text = destination.text
    if text.startswith("-"):
        return [destination.problem(f"{text!r} looks like a command-line option, not a "
                                    "destination", "write a folder (./ in front of a name "
                                    "starting with -), host:path, s3://bucket or "
                                    "git+ssh://host/repo")]
    if any(ord(char) < 32 for char in text):
        return [destination.problem("the destination contains control characters", SAFE_HINT)]
    try:
        target = pick(text, destination.base)
    except InvalidDestination as error:
        return [destination.problem(error.message, error.hint)]
    local = getattr(target, "local", None)
    reason = _clash(local, project) if local is not None else None
    return [destination.problem(f"{text!r} {reason}: deploying there would overwrite or delete "
                                "the author's files", SAFE_HINT)] if reason else []


def _clash(folder: Path, project: ProjectPaths) -> str | None:
    """How the resolved local `folder` overlaps the project, or None when it does not."""
    root = project.root.resolve()
    if root.is_relative_to(folder):
        return "is the project folder" if folder == root else "contains the project folder"
    for source in project.sources:
        resolved = source.resolve()
        if resolved.is_relative_to(folder) or folder.is_relative_to(resolved):
            return f"overlaps {resolved}"
    if folder.is_relative_to(root):
        return f"is inside the project folder {root}"
    for marker in SOURCE_MARKERS:
        try:
            if (folder / marker).exists():
                return f"holds a {marker} (it looks like a project)"
        except OSError as error:  # unreadable: it may hold anything
            return f"cannot be looked into ({error.strerror})"
    return None
