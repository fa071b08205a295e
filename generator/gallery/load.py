"""Load gallery.yaml into the typed `model`, reporting every problem at once.

The file is composed into a YAML node tree (`yamlnodes`) and checked against the schemas below
with `schema`, which collects a `Problem` (file, line, dotted key such as
`posts[0].items[3].seed`, message, hint) for every mistake; `crosschecks` adds the clashes
between items and posts. One `ManifestError` carries all of them; nothing is written.

Top level: `site` (SiteSettings), `generation` (GenerationSettings: defaults for every entry) and
`posts`. A post has the fields of `gallery.Post`; its `items` are told apart by their key:
`title` (a generated entry; any generation setting may be overridden per entry), `figure`,
`strip`, `animation` and `text`. Input files (`figure`, `image_prompt`) are read only from
inside the project, the folder of gallery.yaml (see generator.boundaries).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import fields, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, get_type_hints

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from generator.boundaries import Boundary
from generator.bundles import IMAGE_SUFFIXES, image_problem
from generator.errors import ManifestError, Problem
from generator.gallery.crosschecks import address_problems, image_problems, slug_problems
from generator.gallery.model import Animation, Entry, Figure, Item, Manifest, Post, Strip, Text
from generator.gallery.schema import (
    DATE_EXAMPLE,
    NAME,
    Check,
    Field,
    Schema,
    Validator,
    settings_schema,
)
from generator.gallery.slugs import MAX_NAME_BYTES, image_name, post_slug
from generator.gallery.yamlnodes import found, is_null, key_line, line, merged_pairs, syntax_problem
from generator.settings import (
    GenerationSettings,
    SiteSettings,
    base_url_problem,
    language_problem,
)
from generator.yamlbounds import compose_bounded

_SLUG = re.compile(r"\w[\w.-]*")  # post slugs: one folder name


def _safe_name(what: str, pattern: re.Pattern[str]) -> Check:
    def check(value: Any) -> tuple[str, str] | None:
        if value is None:
            return None
        if not pattern.fullmatch(value):
            return (f"`{value}` is not a usable {what}",
                    "use letters, digits, `_` and `-` only (no spaces, slashes or leading dots)")
        if len(value.encode("utf-8")) > MAX_NAME_BYTES:
            return (f"{what} `{value}` is too long for a file name",
                    f"shorten it to {MAX_NAME_BYTES} bytes (Cyrillic letters take 2)")
        return None
    return check


def _not_blank(value: str) -> tuple[str, str] | None:
    return ("is empty", "write some text here") if not value.strip() else None


def _site_path(value: str | None) -> tuple[str, str] | None:
    """A page's `url` or alias: a path inside the site, not the home page itself."""
    if value is None:
        return None
    segments = value.strip("/").split("/")
    if (not value.strip("/") or "//" in value or re.search(r"[\s?#\\]", value)
            or any(segment in (".", "..") for segment in segments)):
        return (f"`{value}` is not a path of a page on this site",
                'write a path such as "/2021/my-post/" (no host, `..`, spaces, `?` or `#`)')
    return None


SITE: Schema = {**settings_schema(SiteSettings),
                "base_url": Field(str, check=base_url_problem),
                "language": Field(str, check=language_problem)}
GENERATION: Schema = settings_schema(GenerationSettings)
TOP: Schema = {"site": Field(Node), "generation": Field(Node), "posts": Field(list[Node])}

_TITLE = Field(str, required=True, check=_not_blank, missing="add `title: ...`")
_IMAGE_NAME = _safe_name("image name", NAME)
_IMAGE = Field(str | None, check=_IMAGE_NAME)
_CAPTION = Field(str | None)
_POST_HINTS = get_type_hints(Post)
POST: Schema = {
    **{f.name: Field(_POST_HINTS[f.name]) for f in fields(Post) if f.name != "line"},
    "title": _TITLE,
    "date": Field(datetime, required=True, missing=f"add `date: {DATE_EXAMPLE}`"),
    "items": Field(list[Node], required=True,
                   missing="add `items:` with a list of entries (`- title: ...`)"),
    "slug": Field(str | None, check=_safe_name("slug", _SLUG)),
    "url": Field(str | None, check=_site_path),
    "aliases": Field(tuple[str, ...], check=_site_path),
    "cover": _IMAGE,
}
ITEM_KINDS: dict[str, Schema] = {  # the key that tells an item's kind -> the item's schema
    "title": {"title": _TITLE, "prompt": Field(str | None), "comment": Field(str | None),
              "image": _IMAGE, **GENERATION},
    "figure": {"figure": Field(str, required=True), "caption": _CAPTION, "image": _IMAGE},
    "strip": {"strip": Field(str, required=True), "caption": _CAPTION},
    "animation": {"animation": Field(str, required=True), "caption": _CAPTION},
    "text": {"text": Field(str, required=True)},
}
_KIND_HINT = ("start it with `title:` (a generated image), `figure:` (your own image file), "
              "`strip:` or `animation:` (an entry's progress frames) or `text:` (Markdown)")


def _one_line(text: str | None) -> str | None:
    """Text with every run of whitespace made one space (captions go inside a one-line
    <center> element; titles, prompts and comments are compared and shown on one line)."""
    return " ".join(text.split()) if text else None


class _Reader(Validator):
    """Walks the node tree of one gallery.yaml, building the model and collecting problems."""

    def __init__(self, path: Path, static_paths: tuple[str, ...]) -> None:
        super().__init__(path)
        self.root = path.parent
        self.static_paths = static_paths
        self.project = Boundary(self.root, name=f"the project folder {self.root.resolve()}")

    def manifest(self, text: str) -> Manifest | None:
        try:
            node = compose_bounded(text)
        except yaml.YAMLError as exc:
            self.problems.append(syntax_problem(self.path, exc))
            return None
        if node is None:
            self.problem(1, None, "the manifest is empty",
                         "add `site:`, `generation:` and `posts:` sections (see README.md)")
            return None
        top = self.mapping(node, TOP, "")
        if top is None:
            return None
        site = self.settings(top.get("site"), SITE, "site", SiteSettings)
        defaults = self.settings(top.get("generation"), GENERATION, "generation",
                                 GenerationSettings)
        if isinstance(top.get("generation"), MappingNode):
            self.check_pick(defaults, key_line(top["generation"], "pick"), "generation.pick")
        posts = [self.post(child, f"posts[{i}]", defaults)
                 for i, child in enumerate(top.get("posts", []))]
        self.problems += slug_problems(self.path, posts)
        self.problems += address_problems(self.path, posts, self.static_paths)
        return Manifest(self.path, site, defaults, tuple(post for post in posts if post))

    def settings(self, node: Node | None, schema: Schema, path: str, cls: type) -> Any:
        empty = node is None or is_null(node)  # `site:` with nothing under it: all defaults
        values = {} if empty else self.mapping(node, schema, path) or {}
        return cls(**self.local_paths(values, node, path))

    def local_paths(self, values: dict[str, Any], node: Node, path: str) -> dict[str, Any]:
        """Make paths relative to gallery.yaml absolute: image_prompt, and biggan/clip when they
        name a local weights file rather than a model name ("ViT-B/32", "biggan-deep-256")."""
        resolved = dict(values)
        if values.get("image_prompt") is not None:
            file = self.check_file(values["image_prompt"], node, f"{path}.image_prompt")
            resolved["image_prompt"] = str(file) if file else values["image_prompt"]
        for key in ("biggan", "clip"):
            local = self.root / values[key] if values.get(key) else None
            if local is not None and local.exists():
                resolved[key] = str(local.resolve())
        return resolved

    def check_file(self, relative: str, node: Node, path: str) -> Path | None:
        """The absolute path of an input file named relative to gallery.yaml, if it exists and
        lies inside the project (after `..` and links are resolved)."""
        outside = self.project.problem(
            self.root / relative, file=self.path, line=line(node), key=path, shown=relative,
            hint=f"put the file inside the project and name it relative to {self.path.name}, "
                 "e.g. figures/howitworks.png")
        if outside is not None:
            self.problems.append(outside)
            return None
        file = (self.root / relative).resolve()
        if file.is_dir():
            self.problem(line(node), path, f"`{relative}` is a folder",
                         "name an image file inside it, e.g. figures/howitworks.png")
            return None
        if not file.is_file():
            self.problem(line(node), path, f"file `{relative}` does not exist",
                         f"put it at {file} or fix the path (relative to {self.path.name})")
            return None
        return file

    def post(self, node: Node, path: str, defaults: GenerationSettings) -> Post | None:
        values = self.mapping(node, POST, path)
        if values is None:
            return None
        items = self.items(values.get("items", []), path, defaults)
        if "title" not in values or "date" not in values or items is None:
            return None
        title = values["title"]
        url = values.get("url")
        slug = values.get("slug") or post_slug(PurePosixPath(url or "").name or title)
        cover = values.get("cover")
        if cover is None:
            cover = next((item.image for item in items if isinstance(item, Entry)), None)
        elif cover not in {item.image for item in items if not isinstance(item, Text)}:
            self.problem(line(node), f"{path}.cover", f"`{cover}` is not an image of this post",
                         "name the image of one of its items")
        return Post(**{**values, "slug": slug, "cover": cover, "items": items,
                       "line": line(node)})

    def items(self, nodes: list[Node], path: str,
              defaults: GenerationSettings) -> tuple[Item, ...] | None:
        built = []
        for index, child in enumerate(nodes):
            item = self.item(child, f"{path}.items[{index}]", defaults)
            if item is not None:
                built.append((item, f"{path}.items[{index}]"))
        self.problems += image_problems(self.path, built)
        items = tuple(item for item, _ in built)
        return items if len(items) == len(nodes) else None

    def item(self, node: Node, path: str, defaults: GenerationSettings) -> Item | None:
        pairs = merged_pairs(node) if isinstance(node, MappingNode) else []
        keys = [k.value for k, _ in pairs if isinstance(k, ScalarNode)]
        kinds = [kind for kind in ITEM_KINDS if kind in keys]
        if not kinds and set(keys) & set(ITEM_KINDS["title"]):
            kinds = ["title"]  # an entry without its title: report the missing key
        if len(kinds) != 1:
            if kinds:
                message, hint = f"item mixes {' and '.join(kinds)}", "split it into two items"
            else:
                message = f"item is none of {', '.join(ITEM_KINDS)}, found {found(node)}"
                close = [m for k in keys for m in difflib.get_close_matches(k, ITEM_KINDS, n=1)]
                hint = f"did you mean `{close[0]}`?" if close else _KIND_HINT
            self.problem(line(node), path, message, hint)
            return None
        values = self.mapping(node, ITEM_KINDS[kinds[0]], path)
        if values is None or kinds[0] not in values:
            return None
        builders = {"title": self.entry, "figure": self.figure, "strip": self.strip,
                    "animation": self.animation, "text": self.text}
        return builders[kinds[0]](values, node, path, defaults)

    def entry(self, values: dict[str, Any], node: Node, path: str,
              defaults: GenerationSettings) -> Entry | None:
        title = _one_line(values["title"])
        prompt = _one_line(values.get("prompt")) or title  # blank prompt: the title
        overrides = {key: value for key, value in values.items() if key in GENERATION}
        settings = replace(defaults, **self.local_paths(overrides, node, path))
        if overrides.keys() & {"pick", "candidates"}:  # else reported once, at `generation:`
            key = "pick" if "pick" in overrides else "candidates"
            self.check_pick(settings, line(node), f"{path}.{key}")
        return Entry(title=title, prompt=prompt, image=values.get("image") or image_name(prompt),
                     settings=settings, comment=_one_line(values.get("comment")),
                     line=line(node))

    def check_pick(self, settings: GenerationSettings, at: int | None, key: str) -> None:
        if settings.pick is not None and settings.pick >= settings.candidates:
            self.problem(at, key, f"pick {settings.pick} but only {settings.candidates} candidates",
                         "pick counts from 0: use a value below `candidates`, or raise it")

    def figure(self, values: dict[str, Any], node: Node, path: str, _: Any) -> Figure | None:
        relative = values["figure"]
        file = self.check_file(relative, node, f"{path}.figure")
        if file is not None and file.suffix.lower() not in IMAGE_SUFFIXES:
            self.problem(line(node), f"{path}.figure", f"`{relative}` is not a supported image",
                         f"use one of {', '.join(IMAGE_SUFFIXES)}")
        elif file is not None and (unusable_file := image_problem(file)):
            self.problem(line(node), f"{path}.figure", f"`{relative}`: {unusable_file[0]}",
                         unusable_file[1])
        name = values.get("image") or PurePosixPath(relative).stem
        unusable = _IMAGE_NAME(name)
        if unusable:
            self.problem(line(node), f"{path}.image", unusable[0],
                         f"set `image:` to a name of letters, digits, `_` and `-`, at most "
                         f"{MAX_NAME_BYTES} bytes")
        if file is None:
            return None
        return Figure(file=file, image=name, caption=_one_line(values.get("caption")),
                      line=line(node))

    def strip(self, values: dict[str, Any], node: Node, _: str, __: Any) -> Strip:
        return Strip(values["strip"], _one_line(values.get("caption")), line(node))

    def animation(self, values: dict[str, Any], node: Node, _: str, __: Any) -> Animation:
        return Animation(values["animation"], _one_line(values.get("caption")), line(node))

    def text(self, values: dict[str, Any], node: Node, _: str, __: Any) -> Text:
        return Text(values["text"], line(node))


def load_manifest(path: Path, static_paths: Iterable[str] = ()) -> Manifest:
    """Read and validate gallery.yaml; raises ManifestError listing every problem.
    `static_paths`: the site paths of the theme's static files, which no post may take."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(Problem(path, None, None, "no such file",
                                    "create it (see README.md) or pass the right path")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(Problem(path, None, None, f"cannot read it: {exc}",
                                    "save it as UTF-8 text")) from None
    reader = _Reader(path, tuple(static_paths))
    manifest = reader.manifest(text)
    if reader.problems or manifest is None:
        raise ManifestError(sorted(reader.problems, key=lambda p: p.line or 0))
    return manifest
