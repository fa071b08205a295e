"""Load gallery.yaml into the typed model of `generator.gallery`, reporting every problem at once.

The file is composed into a YAML node tree (nodes know their line) and checked against small
schemas: a `Field` per key, with its Python type, whether it is required, its limits (taken from
the metadata of `generator.settings`) and an optional extra check. The reader collects a
`Problem` (file, line, dotted key such as `posts[0].items[3].seed`, message, hint) for every
mistake it finds and raises one `ManifestError` with all of them; nothing is written anywhere.

Top level: `site` (SiteSettings), `generation` (GenerationSettings: defaults for every entry) and
`posts`. A post has the fields of `gallery.Post`; its `items` are told apart by their key:
`title` (a generated entry; any generation setting may be overridden per entry), `figure`,
`strip`, `animation` and `text`.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from generator.errors import ManifestError, Problem
from generator.gallery import Animation, Entry, Figure, Item, Manifest, Post, Strip, Text
from generator.imagestep import IMAGE_SUFFIXES
from generator.settings import GenerationSettings, SiteSettings
from generator.slugs import MAX_NAME_BYTES, image_name, post_slug

DATE_EXAMPLE = "2021-03-30T15:00:00+03:00"
_NAME = re.compile(r"\w[\w-]*")  # image names: file stems safe in a path and a shortcode
_SLUG = re.compile(r"\w[\w.-]*")  # post slugs: one folder name
_TAG = "tag:yaml.org,2002:"

Check = Callable[[Any], "tuple[str, str] | None"]  # value -> (message, hint) when wrong


@dataclass(frozen=True)
class Field:
    """What one manifest key accepts."""

    type: Any  # str, int, float, bool, datetime, tuple[X, ...], dict[str, str], X | None, Node
    required: bool = False
    limits: Any = field(default_factory=dict)  # min / max / choices
    check: Check | None = None


Schema = dict[str, Field]


class _Bad(Exception):
    """A value the reader rejects: message and hint."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


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


def _absolute_url(value: str) -> tuple[str, str] | None:
    if re.match(r"https?://[^/]+", value):
        return None
    return f"`{value}` is not an absolute URL", "write it like https://example.org/blog/"


def _settings_schema(cls: type) -> Schema:
    hints = get_type_hints(cls)
    return {f.name: Field(hints[f.name], limits=f.metadata) for f in fields(cls)}


SITE: Schema = {**_settings_schema(SiteSettings),
                "base_url": Field(str, check=_absolute_url)}
GENERATION: Schema = _settings_schema(GenerationSettings)
TOP: Schema = {"site": Field(Node), "generation": Field(Node), "posts": Field(list[Node])}

_POST_HINTS = get_type_hints(Post)
POST: Schema = {
    **{f.name: Field(_POST_HINTS[f.name]) for f in fields(Post) if f.name != "line"},
    "title": Field(str, required=True, check=_not_blank),
    "date": Field(datetime, required=True),
    "items": Field(list[Node], required=True),
    "slug": Field(str | None, check=_safe_name("slug", _SLUG)),
    "url": Field(str | None, check=_site_path),
    "aliases": Field(tuple[str, ...], check=_site_path),
    "cover": Field(str | None, check=_safe_name("image name", _NAME)),
}
_IMAGE = Field(str | None, check=_safe_name("image name", _NAME))
_CAPTION = Field(str | None)
ITEM_KINDS: dict[str, Schema] = {  # the key that tells an item's kind -> the item's schema
    "title": {"title": Field(str, required=True, check=_not_blank), "prompt": Field(str | None),
              "comment": Field(str | None), "image": _IMAGE, **GENERATION},
    "figure": {"figure": Field(str, required=True), "caption": _CAPTION, "image": _IMAGE},
    "strip": {"strip": Field(str, required=True), "caption": _CAPTION},
    "animation": {"animation": Field(str, required=True), "caption": _CAPTION},
    "text": {"text": Field(str, required=True)},
}
_KIND_HINT = ("start it with `title:` (a generated image), `figure:` (your own image file), "
              "`strip:` or `animation:` (an entry's progress frames) or `text:` (Markdown)")
_REQUIRED_HINTS = {
    "title": "add `title: ...`",
    "date": f"add `date: {DATE_EXAMPLE}`",
    "items": "add `items:` with a list of entries (`- title: ...`)",
}
_DESCRIPTIONS = {str: "text", bool: "true or false", int: "a whole number", float: "a number",
                 datetime: f"a date such as {DATE_EXAMPLE}"}


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _key_line(node: MappingNode, name: str) -> int:
    """The line of key `name` in a mapping, else of the mapping itself."""
    lines = (_line(key) for key, _ in node.value if getattr(key, "value", None) == name)
    return next(lines, _line(node))


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _TAG + "null"


def _describe(hint: Any) -> str:
    origin = get_origin(hint)
    if origin in (Union, UnionType):
        return " or ".join(_describe(a) for a in get_args(hint) if a is not NoneType)
    if origin is tuple:
        return f"a list of {_describe(get_args(hint)[0])} values"
    if origin is dict:
        return "a mapping of names to text"
    if origin is list:
        return "a list"
    if hint is Node:
        return "a mapping"
    return _DESCRIPTIONS[hint]


def _found(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if _is_null(node):
        return "nothing"
    return f"`{node.value}`"


def _type_hint(hint: Any) -> str:
    if hint is str:
        return "write text; quote it if it contains `: ` or starts with a special character"
    if hint is bool:
        return "write true or false, without quotes"
    if hint in (int, float):
        return "write a number, without quotes"
    if hint is datetime:
        return f"write an ISO date with its time zone, e.g. {DATE_EXAMPLE}"
    if get_origin(hint) is tuple:
        return "write a list: `[a, b]`, or one `- item` per line"
    return "indent the keys below it, `key: value` one per line"


def _scalar(node: Node, hint: Any) -> Any:
    """Convert one scalar node to `hint` (str, bool, int, float or datetime) or raise _Bad."""
    if hint is datetime:
        return _date(node)
    tag = node.tag.removeprefix(_TAG) if isinstance(node, ScalarNode) else ""
    accepted = {str: {"str", "int", "float", "bool", "timestamp"}, bool: {"bool"},
                int: {"int"}, float: {"int", "float"}}[hint]
    if tag not in accepted:
        raise _Bad(f"expected {_describe(hint)}, found {_found(node)}", _type_hint(hint))
    if hint is str:
        return node.value
    value = hint(SafeConstructor().construct_object(node))
    if hint is float and not math.isfinite(value):
        raise _Bad(f"expected a finite number, found {_found(node)}", _type_hint(hint))
    return value


def _date(node: Node) -> datetime:
    """A timezone-aware datetime; a plain date means midnight UTC."""
    tag = node.tag.removeprefix(_TAG) if isinstance(node, ScalarNode) else ""
    if tag not in ("timestamp", "str"):
        raise _Bad(f"expected {_describe(datetime)}, found {_found(node)}", _type_hint(datetime))
    try:
        if tag == "timestamp":
            value = SafeConstructor().construct_object(node)
        else:
            value = _parse_iso(node.value)
    except ValueError as exc:
        offset = re.search(r"[+-]\d\d:?\d\d$", node.value)
        if offset and "offset" in str(exc):
            raise _Bad(f"time zone offset {offset.group()} is out of range",
                       "write the UTC offset as +HH:MM between -23:59 and +23:59, e.g. "
                       f"{DATE_EXAMPLE}") from None
        raise _Bad(f"`{node.value}` is not a valid date ({exc})", _type_hint(datetime)) from None
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        raise _Bad(f"date `{node.value}` has no time zone",
                   f"add the UTC offset as +HH:MM, e.g. {DATE_EXAMPLE}")
    return value


def _parse_iso(text: str) -> date | datetime:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.fromisoformat(text)


def _limits(value: Any, limits: Any) -> None:
    """Raise _Bad if a number is outside the field's min/max/choices."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    low, high, choices = limits.get("min"), limits.get("max"), limits.get("choices")
    if choices is not None and value not in choices:
        listed = ", ".join(map(str, choices))
        raise _Bad(f"{value} is not one of {listed}", f"use one of {listed}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"from {low}" + (f" to {high}" if high is not None else " or more")
        raise _Bad(f"{value} is out of range", f"use a value {bounds}")


class _Reader:
    """Walks the node tree of one gallery.yaml, building the model and collecting problems."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.root = path.parent
        self.problems: list[Problem] = []

    def problem(self, line: int | None, key: str | None, message: str, hint: str) -> None:
        self.problems.append(Problem(self.path, line, key, message, hint))

    # -- generic, schema-driven part ------------------------------------------------------

    def merged(self, node: MappingNode) -> list[tuple[Node, Node]]:
        """The pairs of a mapping with YAML merge keys (`<<: *anchor`) expanded; keys written
        in the mapping itself win over merged ones. A `<<` of no mapping stays, for `pairs`."""
        def name(key: Node) -> str | None:
            return key.value if isinstance(key, ScalarNode) else None

        merge = _TAG + "merge"
        own = [(k, v) for k, v in node.value if k.tag != merge]
        names = {name(k) for k, _ in own}
        merged: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag != merge:
                continue
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, MappingNode):
                    merged.append((key_node, source))
                    continue
                for pair in self.merged(source):
                    if name(pair[0]) not in names:
                        names.add(name(pair[0]))
                        merged.append(pair)
        return merged + own

    def pairs(self, node: MappingNode, path: str) -> Iterator[tuple[str, Node, Node]]:
        """The (key, key node, value node) of a mapping, reporting odd and duplicate keys."""
        seen: dict[str, int] = {}
        for key_node, value_node in self.merged(node):
            if key_node.tag == _TAG + "merge":
                self.problem(_line(value_node), _join(path, "<<"),
                             f"`<<` merges a mapping, found {_found(value_node)}",
                             "write `<<: *name` where `&name` marks a mapping")
                continue
            if not isinstance(key_node, ScalarNode) or _is_null(key_node):
                self.problem(_line(key_node), path or None, "a key must be a plain name",
                             "write `name: value`")
                continue
            name = key_node.value
            if name in seen:
                self.problem(_line(key_node), _join(path, name),
                             f"duplicate key (first at line {seen[name]})", "remove one of them")
                continue
            seen[name] = _line(key_node)
            yield name, key_node, value_node

    def mapping(self, node: Node, schema: Schema, path: str) -> dict[str, Any] | None:
        """The valid values of a mapping checked against `schema`; None if it is no mapping."""
        if not isinstance(node, MappingNode):
            self.problem(_line(node), path or None, f"expected a mapping, found {_found(node)}",
                         _type_hint(Node))
            return None
        values: dict[str, Any] = {}
        present: set[str] = set()
        for name, key_node, value_node in self.pairs(node, path):
            present.add(name)
            spec = schema.get(name)
            if spec is None:
                self.unknown_key(key_node, name, list(schema), path)
                continue
            try:
                values[name] = self.value(value_node, spec, _join(path, name))
            except _Bad as bad:
                self.problem(_line(value_node), _join(path, name), bad.message, bad.hint)
        for name, spec in schema.items():
            if spec.required and name not in present:
                self.problem(_line(node), _join(path, name), f"missing required key `{name}`",
                             _REQUIRED_HINTS.get(name, f"add `{name}:`"))
        return values

    def unknown_key(self, key_node: Node, name: str, valid: list[str], path: str) -> None:
        close = difflib.get_close_matches(name, valid, n=1)
        hint = f"did you mean `{close[0]}`?" if close else f"valid keys here: {', '.join(valid)}"
        self.problem(_line(key_node), _join(path, name), f"unknown key `{name}`", hint)

    def value(self, node: Node, spec: Field, path: str) -> Any:
        """Convert `node` to `spec.type`; raises _Bad for the node itself, reports the rest.
        A list field's check applies to each of its elements."""
        if get_origin(spec.type) is tuple:
            return self.sequence(node, get_args(spec.type)[0], spec.limits, path, spec.check)
        return self.element(node, spec.type, spec.limits, path, spec.check)

    def convert(self, node: Node, hint: Any, limits: Any, path: str) -> Any:
        origin = get_origin(hint)
        if origin in (Union, UnionType):
            if _is_null(node):
                return None
            (inner,) = (arg for arg in get_args(hint) if arg is not NoneType)
            return self.convert(node, inner, limits, path)
        if hint is Node:
            return node
        if origin is list:
            if not isinstance(node, SequenceNode):
                raise _Bad(f"expected a list, found {_found(node)}", _type_hint(tuple[str, ...]))
            return node.value
        if origin is tuple:
            return self.sequence(node, get_args(hint)[0], limits, path)
        if origin is dict:
            return self.text_mapping(node, path)
        value = _scalar(node, hint)
        _limits(value, limits)
        return value

    def sequence(self, node: Node, hint: Any, limits: Any, path: str,
                 check: Check | None = None) -> tuple[Any, ...]:
        """A list (or a single value, taken as a list of one) of `hint` values."""
        if not isinstance(node, SequenceNode):
            return (self.element(node, hint, limits, path, check),)
        values = []
        for index, child in enumerate(node.value):
            try:
                values.append(self.element(child, hint, limits, _join(path, index), check))
            except _Bad as bad:
                self.problem(_line(child), _join(path, index), bad.message, bad.hint)
        return tuple(values)

    def element(self, node: Node, hint: Any, limits: Any, path: str, check: Check | None) -> Any:
        """`node` converted to `hint` and passed through `check`; raises _Bad when wrong."""
        value = self.convert(node, hint, limits, path)
        problem = check(value) if check else None
        if problem:
            raise _Bad(*problem)
        return value

    def text_mapping(self, node: Node, path: str) -> dict[str, str]:
        if not isinstance(node, MappingNode):
            raise _Bad(f"expected a mapping of names to text, found {_found(node)}",
                       "write `name: text`, one per line")
        result = {}
        for name, key_node, value_node in self.pairs(node, path):
            if not _NAME.fullmatch(name):
                self.problem(_line(key_node), _join(path, name), f"`{name}` is not a usable name",
                             "use letters, digits, `_` and `-` only")
            try:
                result[name] = _scalar(value_node, str)
            except _Bad as bad:
                self.problem(_line(value_node), _join(path, name), bad.message, bad.hint)
        return result

    # -- the gallery ----------------------------------------------------------------------

    def manifest(self, text: str) -> Manifest | None:
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            self.syntax_error(exc)
            return None
        except yaml.YAMLError as exc:
            self.problem(None, None, f"not valid YAML: {exc}", "fix the YAML syntax")
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
            self.check_pick(defaults, _key_line(top["generation"], "pick"), "generation.pick")
        posts = [self.post(child, f"posts[{i}]", defaults)
                 for i, child in enumerate(top.get("posts", []))]
        self.check_slugs(posts)
        self.check_addresses(posts)
        return Manifest(self.path, site, defaults, tuple(post for post in posts if post))

    def syntax_error(self, exc: yaml.MarkedYAMLError) -> None:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        opened = exc.context_mark.line + 1 if exc.context_mark else None
        context = exc.context or ""
        if opened is not None and opened != line:
            context += f" that opens at line {opened}"
        message = " ".join(filter(None, [context, exc.problem]))
        self.problem(line, None, f"YAML syntax error: {message}", _syntax_hint(message, opened))

    def settings(self, node: Node | None, schema: Schema, path: str, cls: type) -> Any:
        empty = node is None or _is_null(node)  # `site:` with nothing under it: all defaults
        values = {} if empty else self.mapping(node, schema, path) or {}
        return cls(**self.local_paths(values, node, path))

    def local_paths(self, values: dict[str, Any], node: Node, path: str) -> dict[str, Any]:
        """Make paths relative to gallery.yaml absolute: image_prompt, and biggan/clip when they
        name a local checkpoint rather than a model name ("ViT-B/32", "biggan-deep-256")."""
        resolved = dict(values)
        if values.get("image_prompt") is not None:
            file = self.check_file(values["image_prompt"], node, f"{path}.image_prompt")
            resolved["image_prompt"] = str(file) if file else values["image_prompt"]
        for key in ("biggan", "clip"):
            local = self.root / values[key] if values.get(key) else None
            if local is not None and local.exists():
                resolved[key] = str(local.resolve())
        return resolved

    def check_file(self, relative: str | None, node: Node, path: str) -> Path | None:
        """The absolute path of an input file named relative to gallery.yaml, if it exists."""
        if relative is None:
            return None
        try:
            file = (self.root / relative).resolve()
        except (OSError, ValueError) as exc:  # a NUL character, a loop of links
            self.problem(_line(node), path, f"`{relative}` is not a usable path ({exc})",
                         "write the path of a file, relative to this manifest")
            return None
        if file.is_dir():
            self.problem(_line(node), path, f"`{relative}` is a folder",
                         "name an image file inside it, e.g. figures/howitworks.png")
            return None
        if not file.is_file():
            self.problem(_line(node), path, f"file `{relative}` does not exist",
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
            self.problem(_line(node), f"{path}.cover", f"`{cover}` is not an image of this post",
                         "name the image of one of its items")
        return Post(**{**values, "slug": slug, "cover": cover, "items": items,
                       "line": _line(node)})

    def items(self, nodes: list[Node], path: str,
              defaults: GenerationSettings) -> tuple[Item, ...] | None:
        built = []
        for index, child in enumerate(nodes):
            item = self.item(child, f"{path}.items[{index}]", defaults)
            if item is not None:
                built.append((item, f"{path}.items[{index}]"))
        self.check_images(built)
        items = tuple(item for item, _ in built)
        return items if len(items) == len(nodes) else None

    def item(self, node: Node, path: str, defaults: GenerationSettings) -> Item | None:
        pairs = self.merged(node) if isinstance(node, MappingNode) else []
        keys = [k.value for k, _ in pairs if isinstance(k, ScalarNode)]
        kinds = [kind for kind in ITEM_KINDS if kind in keys]
        if not kinds and set(keys) & set(ITEM_KINDS["title"]):
            kinds = ["title"]  # an entry without its title: report the missing key
        if len(kinds) != 1:
            if kinds:
                message, hint = f"item mixes {' and '.join(kinds)}", "split it into two items"
            else:
                message = f"item is none of {', '.join(ITEM_KINDS)}, found {_found(node)}"
                close = [m for k in keys for m in difflib.get_close_matches(k, ITEM_KINDS, n=1)]
                hint = f"did you mean `{close[0]}`?" if close else _KIND_HINT
            self.problem(_line(node), path, message, hint)
            return None
        values = self.mapping(node, ITEM_KINDS[kinds[0]], path)
        if values is None or kinds[0] not in values:
            return None
        builders = {"title": self.entry, "figure": self.figure, "strip": self.strip,
                    "animation": self.animation, "text": self.text}
        return builders[kinds[0]](values, node, path, defaults)

    def entry(self, values: dict[str, Any], node: Node, path: str,
              defaults: GenerationSettings) -> Entry | None:
        title = " ".join(values["title"].split())
        prompt = " ".join((values.get("prompt") or title).split())
        overrides = {key: value for key, value in values.items() if key in GENERATION}
        settings = replace(defaults, **self.local_paths(overrides, node, path))
        if overrides.keys() & {"pick", "candidates"}:  # else reported once, at `generation:`
            key = "pick" if "pick" in overrides else "candidates"
            self.check_pick(settings, _line(node), f"{path}.{key}")
        comment = values.get("comment")
        return Entry(title=title, prompt=prompt, image=values.get("image") or image_name(prompt),
                     settings=settings, comment=" ".join(comment.split()) if comment else None,
                     line=_line(node))

    def check_pick(self, settings: GenerationSettings, line: int | None, key: str) -> None:
        if settings.pick is not None and settings.pick >= settings.candidates:
            self.problem(line, key,
                         f"pick {settings.pick} but only {settings.candidates} candidates",
                         "pick counts from 0: use a value below `candidates`, or raise it")

    def figure(self, values: dict[str, Any], node: Node, path: str, _: Any) -> Figure | None:
        relative = values["figure"]
        file = self.check_file(relative, node, f"{path}.figure")
        if file is not None and file.suffix.lower() not in IMAGE_SUFFIXES:
            self.problem(_line(node), f"{path}.figure", f"`{relative}` is not a supported image",
                         f"use one of {', '.join(IMAGE_SUFFIXES)}")
        name = values.get("image") or PurePosixPath(relative).stem
        if not _NAME.fullmatch(name) or len(name.encode("utf-8")) > MAX_NAME_BYTES:
            self.problem(_line(node), f"{path}.image", f"`{name}` is not a usable image name",
                         f"set `image:` to a name of letters, digits, `_` and `-`, at most "
                         f"{MAX_NAME_BYTES} bytes")
        if file is None:
            return None
        return Figure(file=file, image=name, caption=_inline(values.get("caption")),
                      line=_line(node))

    def strip(self, values: dict[str, Any], node: Node, _: str, __: Any) -> Strip:
        return Strip(values["strip"], _inline(values.get("caption")), _line(node))

    def animation(self, values: dict[str, Any], node: Node, _: str, __: Any) -> Animation:
        return Animation(values["animation"], _inline(values.get("caption")), _line(node))

    def text(self, values: dict[str, Any], node: Node, _: str, __: Any) -> Text:
        return Text(values["text"], _line(node))

    # -- checks across items and posts ----------------------------------------------------

    def check_images(self, built: list[tuple[Item, str]]) -> None:
        """No two items of a post make the same image; strips name progress entries."""
        entries = {item.image: item for item, _ in built if isinstance(item, Entry)}
        owners: dict[str, Item] = {}
        for item, path in built:
            for name in _produced(item):
                if name in owners:
                    self.problem(item.line, f"{path}.image",
                                 f"image name `{name}` is already used by the item at line "
                                 f"{owners[name].line}", "give one of them its own `image:` name")
                else:
                    owners[name] = item
            if isinstance(item, (Strip, Animation)):
                self.check_progress(item, path, entries)

    def check_progress(self, item: Strip | Animation, path: str,
                       entries: dict[str, Entry]) -> None:
        kind = "strip" if isinstance(item, Strip) else "animation"
        entry = entries.get(item.entry)
        if entry is None:
            close = difflib.get_close_matches(item.entry, list(entries), n=1)
            hint = (f"did you mean `{close[0]}`?" if close else
                    "use the image name of an entry of this post")
            self.problem(item.line, f"{path}.{kind}",
                         f"`{item.entry}` is not the image of an entry in this post", hint)
        elif not entry.settings.progress:
            self.problem(item.line, f"{path}.{kind}",
                         f"entry `{item.entry}` (line {entry.line}) saves no progress frames",
                         "add `progress: true` to that entry")

    def check_slugs(self, posts: list[Post | None]) -> None:
        """No two posts with one slug (one bundle folder)."""
        first: dict[str, tuple[int, Post]] = {}
        for index, post in enumerate(posts):
            if post is None:
                continue
            if post.slug in first:
                other, earlier = first[post.slug]
                self.problem(post.line, f"posts[{index}].slug",
                             f"slug `{post.slug}` is already used by posts[{other}] "
                             f"(line {earlier.line})", "set a different `slug:` on one of them")
            else:
                first[post.slug] = (index, post)

    def check_addresses(self, posts: list[Post | None]) -> None:
        """No two posts (their url, else /posts/<slug>/, or an alias) at one address."""
        valid = [(index, post) for index, post in enumerate(posts) if post is not None]
        first: dict[str, tuple[int, Post]] = {}
        for index, post in valid:  # the default address; two alike are a duplicate slug
            if post.url is None:
                first.setdefault(f"posts/{post.slug}", (index, post))
        for index, post in valid:
            addresses = [("url", post.url)] if post.url else []
            addresses += [(f"aliases[{i}]", alias) for i, alias in enumerate(post.aliases)]
            for key, address in addresses:
                owner = first.setdefault(address.strip("/"), (index, post))
                if owner[0] != index:
                    self.problem(post.line, f"posts[{index}].{key}",
                                 f"`{address}` is already the address of posts[{owner[0]}] "
                                 f"(line {owner[1].line})", "give one of them another address")


def _syntax_hint(message: str, opened: int | None) -> str:
    if "\\t" in message or "\t" in message:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in message:
        return 'put a value that contains `: ` in quotes: title: "Batman: Arkham City"'
    if "quoted scalar" in message and opened:
        return f"close the quote opened at line {opened}, or escape quotes inside it"
    if ("flow sequence" in message or "flow mapping" in message) and opened:
        return f"close the `[` or `{{` opened at line {opened}"
    return "fix the YAML syntax here: check indentation, colons and quotes"


def _inline(text: str | None) -> str | None:
    """Caption text on one line (it goes inside a one-line <center> element)."""
    return " ".join(text.split()) if text else None


def _produced(item: Item) -> list[str]:
    """The image files an item makes in the bundle."""
    if isinstance(item, Entry):
        extra = [Strip(item.image).image, Animation(item.image).image]
        return [item.image, *(extra if item.settings.progress else [])]
    return [item.image] if isinstance(item, Figure) else []


def load_manifest(path: Path) -> Manifest:
    """Read and validate gallery.yaml; raises ManifestError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(Problem(path, None, None, "no such file",
                                    "create it (see README.md) or pass the right path")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(Problem(path, None, None, f"cannot read it: {exc}",
                                    "save it as UTF-8 text")) from None
    reader = _Reader(path)
    manifest = reader.manifest(text)
    if reader.problems or manifest is None:
        raise ManifestError(sorted(reader.problems, key=lambda p: p.line or 0))
    return manifest
