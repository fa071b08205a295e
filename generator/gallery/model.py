"""The gallery as the rest of the code sees it: posts made of entries, figures, strips and text.

`load.load_manifest` builds these from gallery.yaml after validating it; the writer, the image
generator and the CLI only ever see these typed, already-checked objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from generator.settings import GenerationSettings, SiteSettings


@dataclass(frozen=True)
class Entry:
    """A generated image: its display title, the prompt CLIP is steered by, its caption comment."""

    title: str
    prompt: str
    image: str  # file stem inside the bundle's images/ folder, e.g. "the_witcher_wild_hunt"
    settings: GenerationSettings  # the global defaults with this entry's overrides applied
    comment: str | None = None
    line: int | None = None  # line of the entry in gallery.yaml, for messages


@dataclass(frozen=True)
class Figure:
    """A hand-supplied image copied into the bundle, with a Markdown caption."""

    file: Path  # absolute path of the source file
    image: str  # file stem inside images/
    caption: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Strip:
    """The iterations strip of an entry of the same post (written by the generator)."""

    entry: str  # the entry's image name
    caption: str | None = None
    line: int | None = None

    @property
    def image(self) -> str:
        """The strip's image name (the generator writes <name>.png)."""
        return f"{self.entry}-iterations"


@dataclass(frozen=True)
class Animation:
    """The animated WebP of an entry's optimisation (written by the generator)."""

    entry: str
    caption: str | None = None
    line: int | None = None

    @property
    def image(self) -> str:
        """The animation's image name (the generator writes <name>.webp)."""
        return f"{self.entry}-animation"


@dataclass(frozen=True)
class Text:
    """A free Markdown block between items."""

    markdown: str
    line: int | None = None


Item = Entry | Figure | Strip | Animation | Text


@dataclass(frozen=True)
class Post:
    """One post of the manifest; becomes content/posts/<slug>/index.md."""

    slug: str
    title: str
    date: datetime  # timezone-aware
    items: tuple[Item, ...]
    subtitle: str | None = None
    url: str | None = None
    author: str | None = None
    draft: bool = False
    comments: bool | None = None
    type: str | None = None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    summary: str | None = None
    description: str | None = None
    cover: str | None = None  # image name used as the cover; default: the first entry's
    intro: str | None = None
    outro: str | None = None
    footnotes: dict[str, str] = field(default_factory=dict)
    line: int | None = None

    @property
    def entries(self) -> list[Entry]:
        """The post's generated images, in order."""
        return [item for item in self.items if isinstance(item, Entry)]


@dataclass(frozen=True)
class Manifest:
    """A validated gallery.yaml."""

    path: Path
    site: SiteSettings
    defaults: GenerationSettings
    posts: tuple[Post, ...]

    @property
    def root(self) -> Path:
        """The folder gallery.yaml lives in; relative paths in it are relative to this."""
        return self.path.parent
