"""Read the pages of a Hugo-style content/ tree: front matter, body, and page-bundle folders.

A page is a page bundle (`dir/index.md` plus its resources), a plain `x.md` file, or a section's
`_index.md`; like Hugo, `.markdown`, `.mdown`, `.mkd` and `.mkdn` files are Markdown too, in
any case (`index.MD`, `Post.Markdown`). Front matter is YAML between `---` lines or TOML
between `+++` lines. Every problem is a BuildError naming the file and line; `body_line`
remembers where the body starts in the file so the Markdown renderer reports file lines too.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from generator.errors import BuildError, Problem

STRING_FIELDS = ("title", "subtitle", "url", "slug", "summary", "description", "author", "type",
                 "layout")
LIST_FIELDS = ("aliases", "categories", "tags", "images", "keywords")
BOOL_FIELDS = ("draft", "comments")
DATE_FIELDS = ("date", "lastmod")
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn")  # compared lowercased


@dataclass(frozen=True)
class Page:
    """One content page with its typed front matter."""

    source: Path  # the .md file
    rel: str  # its path relative to content/, with "/" separators
    kind: str  # "page" (a post or other single page), "section" (_index.md) or "home"
    section: str  # first folder under content/ ("posts"), "" for top-level pages
    bundle: Path | None  # the page-bundle folder whose resources the page may use
    body: str
    body_line: int  # file line of the body's first line
    title: str = ""
    subtitle: str | None = None
    date: datetime | None = None
    lastmod: datetime | None = None
    draft: bool = False
    url: str | None = None
    slug: str | None = None
    aliases: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    summary: str | None = None
    description: str | None = None
    images: tuple[str, ...] = ()
    author: str | None = None
    comments: bool | None = None
    type: str | None = None
    weight: int = 0
    layout: str | None = None
    keywords: tuple[str, ...] = ()

    key_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        """The page's default slug: its bundle folder's name or its file stem."""
        if self.bundle is not None:
            return self.bundle.name
        return self.source.stem

    def line_of(self, key: str) -> int:
        """File line of a front-matter key (1 when the key is absent)."""
        return self.key_lines.get(key, 1)


def read_pages(content_dir: Path) -> list[Page]:
    """Every page under content_dir, sorted by path; raises BuildError listing all bad pages."""
    pages, problems = load_pages(content_dir)
    if problems:
        raise BuildError(problems)
    return pages


def load_pages(content_dir: Path) -> tuple[list[Page], list[Problem]]:
    """(every readable page under content_dir sorted by path, the problems of the others)."""
    if not content_dir.is_dir():
        raise BuildError(Problem(content_dir, None, None, "content folder not found",
                                 "pass the folder holding your posts (--content DIR)"))
    pages: list[Page] = []
    problems: list[Problem] = []
    sources = sorted(p for p in content_dir.rglob("*") if is_markdown(p) and p.is_file())
    bundles = {p.parent for p in sources if _index_kind(p) == "index"}
    for source in sources:
        rel = source.relative_to(content_dir).as_posix()
        if any(part.startswith(".") for part in rel.split("/")) or _inside_bundle(
                source, content_dir, bundles):
            continue
        try:
            pages.append(read_page(source, content_dir))
        except BuildError as exc:
            problems.extend(exc.problems)
    return pages, problems


def is_markdown(path: Path) -> bool:
    """True for a Markdown file name (any case of any of MARKDOWN_SUFFIXES)."""
    return path.suffix.lower() in MARKDOWN_SUFFIXES


def _index_kind(source: Path) -> str | None:
    """"index" for a leaf bundle's index.md, "_index" for a section's, else None."""
    stem = source.stem.lower()
    return stem if stem in ("index", "_index") and is_markdown(source) else None


def _inside_bundle(source: Path, content_dir: Path, bundles: set[Path]) -> bool:
    """True for Markdown files that are resources of a leaf bundle (below some dir/index.md);
    `bundles`: every folder holding an index.md."""
    folder = source.parent
    if _index_kind(source) != "index" and folder in bundles:
        return True
    while folder != content_dir:
        folder = folder.parent
        if folder != content_dir and folder in bundles:
            return True
    return False


def read_page(source: Path, content_dir: Path) -> Page:
    """Parse one content file into a Page."""
    try:
        text = source.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BuildError(Problem(source, None, None, f"not UTF-8 text ({exc.reason})",
                                 "save the file as UTF-8")) from exc
    meta, key_lines, body, body_line = split_front_matter(text, source)
    rel = source.relative_to(content_dir).as_posix()
    parts = rel.split("/")
    kind = "page"
    if _index_kind(source) == "_index":
        kind = "home" if len(parts) == 1 else "section"
    top_level_bundle = _index_kind(source) == "index" and len(parts) == 2  # about/index.md
    section = parts[0] if len(parts) > 1 and not top_level_bundle else ""
    bundle = source.parent if _index_kind(source) else None
    fields = typed_fields(meta, key_lines, source)
    return Page(source=source, rel=rel, kind=kind, section=section, bundle=bundle, body=body,
                body_line=body_line, key_lines=key_lines, **fields)


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def split_front_matter(text: str, source: Path) -> tuple[dict[str, Any], dict[str, int], str, int]:
    """(front matter mapping, key -> file line, body, file line of the body's first line)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() not in ("---", "+++"):
        return {}, {}, text, 1
    fence = lines[0].rstrip()
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == fence), None)
    if end is None:
        raise BuildError(Problem(source, 1, None, f"front matter opened with {fence} is never "
                                 "closed", f"add a line with only {fence} after the front matter"))
    raw = "".join(lines[1:end])
    body = "".join(lines[end + 1:])
    if fence == "---":
        meta, key_lines = _parse_yaml(raw, source)
    else:
        meta, key_lines = _parse_toml(raw, source)
    return meta, key_lines, body, end + 2


def _parse_yaml(raw: str, source: Path) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        node, meta = _compose_and_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        context = getattr(exc, "context_mark", None)
        if mark is not None and context is not None and mark.index >= len(raw.rstrip()):
            mark = context  # ran off the end: the quote or bracket opened there is not closed
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        if getattr(exc, "context", None):
            problem = f"{problem} {exc.context}"
        raise BuildError(Problem(source, line, None, f"front matter is not valid YAML: {problem}",
                                 "check indentation and quote values containing ':' or '#'"),
                         ) from exc
    if meta is None:
        return {}, {}
    if not isinstance(meta, dict) or not isinstance(node, yaml.MappingNode):
        raise BuildError(Problem(source, 2, None, "front matter must be a mapping of keys",
                                 "write one `key: value` per line"))
    key_lines = {str(k.value): k.start_mark.line + 2 for k, _ in node.value}
    return {str(k): v for k, v in meta.items()}, key_lines


def _compose_and_load(raw: str) -> tuple[yaml.Node | None, Any]:
    """The YAML's node tree (for key lines) and its value, parsed once, by libyaml if present
    (16 times faster than the pure-Python parser: front matter is most of a rebuild's reading)."""
    loader = _SAFE_LOADER(raw)
    try:
        node = loader.get_single_node()
        return node, None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


def _parse_toml(raw: str, source: Path) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        meta = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r" \(at line (\d+), (column \d+)\)", str(exc))
        line = int(where[1]) + 1 if where else 1
        message = str(exc).replace(where[0], f" ({where[2]})") if where else str(exc)
        raise BuildError(Problem(source, line, None, f"front matter is not valid TOML: {message}",
                                 'write one `key = "value"` per line')) from exc
    key_lines: dict[str, int] = {}
    for number, line_text in enumerate(raw.splitlines(), start=2):
        key = line_text.split("=", 1)[0].strip().strip('"')
        if "=" in line_text and key in meta and key not in key_lines:
            key_lines[key] = number
    return meta, key_lines


class _BadField(Exception):
    """A front-matter value of the wrong kind: message and hint."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def _text(key: str, value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise _BadField(f"must be text, got {type(value).__name__}", f'write {key}: "..."')
    return str(value)


def _texts(key: str, value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, (str, int, float)) else value
    if not isinstance(items, list) or any(isinstance(i, (dict, list)) for i in items):
        raise _BadField("must be a list of texts", f"write {key}: [a, b] or one `- a` per line")
    return tuple(str(i) for i in items if str(i).strip())


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _BadField(f"must be true or false, got {value!r}", f"write {key}: true")
    return value


def _date(_: str, value: Any) -> datetime:
    parsed = parse_date(value)
    if parsed is None:
        raise _BadField(f"not a date: {value!r}", "use 2021-03-30 or 2021-03-30T15:00:00+03:00")
    return parsed


def _whole_number(key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _BadField(f"must be a whole number, got {value!r}", f"write {key}: 10")
    return value


# The front-matter fields read into Page, each with its converter (others are ignored).
CONVERTERS: dict[str, Callable[[str, Any], Any]] = {
    **dict.fromkeys(STRING_FIELDS, _text), **dict.fromkeys(LIST_FIELDS, _texts),
    **dict.fromkeys(BOOL_FIELDS, _flag), **dict.fromkeys(DATE_FIELDS, _date),
    "weight": _whole_number,
}


def typed_fields(meta: dict[str, Any], key_lines: dict[str, int], source: Path) -> dict[str, Any]:
    """Check and convert the known front-matter fields; unknown keys are kept by Hugo, ignored."""
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    for key, value in meta.items():
        convert = CONVERTERS.get(key)
        if value is None or convert is None:
            continue
        try:
            out[key] = convert(key, value)
        except _BadField as bad:
            problems.append(Problem(source, key_lines.get(key, 1), key, bad.message, bad.hint))
    if problems:
        raise BuildError(problems)
    return out


def parse_date(value: object) -> datetime | None:
    """A front-matter date as an aware datetime (naive dates and times are taken as UTC)."""
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            result = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return result if result.tzinfo is not None else result.replace(tzinfo=UTC)
