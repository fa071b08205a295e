"""Read the pages of a Hugo-style content/ tree: front matter, body, and page-bundle folders.

A page is a page bundle (`dir/index.md` plus its resources), a plain `x.md` file, or a section's
`_index.md` at any depth; like Hugo, `.markdown`, `.mdown`, `.mkd` and `.mkdn` files are
Markdown too, in any case (`index.MD`, `Post.Markdown`). Front matter is YAML between `---`
lines, TOML between `+++` lines or a JSON object; its keys are case-insensitive, as in Hugo.
Every problem is a BuildError naming the file and line; `body_line` remembers where the body
starts in the file so the Markdown renderer reports file lines too. A page file leading outside
the content folder (a link to elsewhere) is a problem, never read.

Sections are the top-level folders and every folder with an `_index.md`; each page knows the
nearest one (`section_path`). Dates follow Hugo's defaults: `date` falls back to
`publishDate` then `lastmod`, `publishDate` to `date`, `lastmod` to `date`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path, PurePath
from typing import Any

import yaml

from generator.boundaries import Boundary
from generator.errors import BuildError, Problem
from generator.yamlbounds import compose_bounded, construct

STRING_FIELDS = ("title", "subtitle", "url", "slug", "summary", "description", "type", "layout")
LIST_FIELDS = ("aliases", "images", "keywords")
BOOL_FIELDS = ("draft", "comments", "headless")
DATE_FIELDS = ("date", "lastmod", "publishdate", "expirydate")
DATE_ALIASES = {"pubdate": "publishdate", "published": "publishdate", "modified": "lastmod",
                "unpublishdate": "expirydate"}  # Hugo's other names for the same dates
BUILD_OPTIONS = {"list": ("always", "never", "local"), "render": ("always", "never", "link"),
                 "publishresources": (True, False)}
DEFAULT_TAXONOMIES = ("categories", "tags")
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
    section_path: str = ""  # the nearest section's folder ("posts/2021"; a section's own)
    lang: str = ""  # the language its file name gives (post.fr.md: "fr"), "" for none
    title: str = ""
    subtitle: str | None = None
    date: datetime | None = None
    lastmod: datetime | None = None
    publishdate: datetime | None = None
    expirydate: datetime | None = None
    draft: bool = False
    headless: bool = False
    build: tuple[tuple[str, Any], ...] = ()  # the `build` options given (list, render, ...)
    menu: tuple[tuple[str, str | None, int], ...] = ()  # (menu, entry name or None, weight)
    url: str | None = None
    slug: str | None = None
    aliases: tuple[str, ...] = ()
    terms: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (taxonomy, its terms) as given
    summary: str | None = None
    description: str | None = None
    images: tuple[str, ...] = ()
    author: str | None = None
    comments: bool | None = None
    type: str | None = None
    weight: int = 0
    layout: str | None = None
    keywords: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    key_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    # the file's text before the body (the front matter with its fences): two versions of a
    # file with the same head differ in their body only
    head: str = field(default="", compare=False, repr=False)

    @property
    def name(self) -> str:
        """The page's default slug: its bundle folder's name or its file stem."""
        if self.bundle is not None:
            return self.bundle.name
        return self.source.stem.removesuffix(f".{self.lang}" if self.lang else "")

    def line_of(self, key: str) -> int:
        """File line of a front-matter key (1 when the key is absent)."""
        return self.key_lines.get(key, 1)

    def line_of_text(self, text: str) -> int:
        """File line where `text` first appears in the body (the body's first line if nowhere)."""
        found = self.body.find(text)
        return self.body_line + (self.body.count("\n", 0, found) if found >= 0 else 0)

    def option(self, name: str) -> Any:
        """A `build` option as Hugo reads it; `headless: true` means never rendered or listed."""
        given = dict(self.build)
        if name in given:
            return given[name]
        if name == "publishresources":
            return True
        return "never" if self.headless else "always"

    @property
    def has_own_page(self) -> bool:
        """True when the page gets a file of its own (`build: {render: always}`, the default)."""
        return self.option("render") == "always"

    @property
    def is_single(self) -> bool:
        """True for a regular page (not a list's intro) with a file of its own: Hugo's
        single-page template renders it."""
        return self.kind == "page" and self.has_own_page

    @property
    def is_listed(self) -> bool:
        """True when lists, feeds and the sitemap show the page (`build: {list: always}`)."""
        return self.option("list") == "always"

    def terms_of(self, taxonomy: str) -> tuple[str, ...]:
        """The page's terms in `taxonomy` ("tags")."""
        return dict(self.terms).get(taxonomy, ())

    @property
    def tags(self) -> tuple[str, ...]:
        return self.terms_of("tags")

    @property
    def categories(self) -> tuple[str, ...]:
        return self.terms_of("categories")


# (file, content folder, taxonomies, languages) -> its Page, as `read_page`
PageReader = Callable[[Path, Path, tuple[str, ...], frozenset[str]], Page]


def read_pages(content_dir: Path, taxonomies: tuple[str, ...] = DEFAULT_TAXONOMIES) -> list[Page]:
    """Every page under content_dir, sorted by path; raises BuildError listing all bad pages."""
    pages, problems = load_pages(content_dir, taxonomies)
    if problems:
        raise BuildError(problems)
    return pages


def load_pages(content_dir: Path, taxonomies: tuple[str, ...] = DEFAULT_TAXONOMIES,
               languages: frozenset[str] = frozenset(),
               overlay: Mapping[Path, str | None] | None = None,
               read: PageReader | None = None,
               read_ahead: Callable[[list[Path]], None] | None = None,
               ) -> tuple[list[Page], list[Problem]]:
    """(every readable page under content_dir sorted by path, the problems of the others).

    `taxonomies`: the front-matter keys whose values are terms ("tags", "series");
    `languages`: the codes a file name may end with (post.fr.md, _index.fr.md);
    `overlay`: pages as they are about to be (a text, or None for a page about to be removed)
    in place of what is on disk, so a check sees the tree a pending write will leave; `read`:
    how one file becomes a Page (default `read_page`; a preview passes its cached one);
    `read_ahead`: told every file `read` is about to be given, before the first."""
    overlay = overlay or {}
    read = read or read_page
    if not content_dir.is_dir() and not overlay:
        raise BuildError(Problem(content_dir, None, None, "content folder not found",
                                 "pass the folder holding your posts (--content DIR)"))
    problems: list[Problem] = []
    inside = Boundary(content_dir, name=f"the content folder {content_dir}")
    on_disk, links = _markdown_files(content_dir)
    removed = {path for path, text in overlay.items() if text is None}
    sources = sorted((set(on_disk) | overlay.keys()) - removed)
    bundles = {p.parent for p in sources if _index_kind(p, languages) == "index"}
    taken: list[Path] = []
    for source in sources:
        rel = source.relative_to(content_dir).as_posix()
        if any(part.startswith(".") for part in rel.split("/")) or _inside_bundle(
                source, content_dir, bundles, languages):
            continue
        outside = inside.problem(
            source, shown=rel, hint="a page is read only from inside the content folder: copy "
            "the file there instead of linking to it") if source in links else None
        if outside is not None:
            problems.append(outside)
            continue
        taken.append(source)
    if read_ahead is not None:
        read_ahead([source for source in taken if source not in overlay])
    pages: list[Page] = []
    for source in taken:
        try:
            text = overlay.get(source)
            pages.append(read(source, content_dir, taxonomies, languages) if text is None
                         else page_from_bytes(text.encode("utf-8"), source, content_dir,
                                              taxonomies, languages))
        except BuildError as exc:
            problems.extend(exc.problems)
    return with_sections(pages), problems


def _markdown_files(content_dir: Path) -> tuple[list[Path], set[Path]]:
    """(every Markdown file under content_dir, sorted, those of them that are links).

    Linked folders are not entered (as Path.rglob); a file reached through real folders only is
    inside content_dir unless it is a link itself, so only links need resolving."""
    files: list[Path] = []
    links: set[Path] = set()
    pending = [content_dir]
    while pending:
        folder = pending.pop()
        with contextlib.suppress(OSError), os.scandir(folder) as entries:  # as rglob: unreadable
            for entry in entries:                                          # folders are skipped
                if entry.is_dir(follow_symlinks=False):
                    pending.append(folder / entry.name)
                elif (os.path.splitext(entry.name)[1].lower() in MARKDOWN_SUFFIXES
                      and entry.is_file()):
                    files.append(folder / entry.name)
                    if entry.is_symlink():
                        links.add(files[-1])
    return sorted(files), links


def with_sections(pages: list[Page]) -> list[Page]:
    """`pages` each with its nearest section among them: a top-level folder or a folder with
    an _index.md (of the same language, for a multilingual site: call it for each)."""
    sections = {folder_of(p) for p in pages if p.kind == "section"}
    sections |= {p.section for p in pages if p.section}
    out = []
    for page in pages:
        folder = folder_of(page)
        while folder and folder not in sections:
            folder = folder.rpartition("/")[0]
        # replace() makes a new page (30 µs); asked again of its own result, it keeps each page
        out.append(page if page.section_path == folder else replace(page, section_path=folder))
    return out


def folder_of(page: Page) -> str:
    """The content folder a page is in: its bundle's parent for a leaf bundle, its own folder
    for a section's _index.md."""
    return _folder(page.rel, page.kind, page.bundle)


def _folder(rel: str, kind: str, bundle: Path | None) -> str:
    parts = rel.split("/")[:-1]
    if kind == "page" and bundle is not None:
        parts = parts[:-1]
    return "/".join(parts)


def is_markdown(path: Path) -> bool:
    """True for a Markdown file name (any case of any of MARKDOWN_SUFFIXES)."""
    return path.suffix.lower() in MARKDOWN_SUFFIXES


def language_of(source: PurePath, languages: frozenset[str]) -> tuple[str, str]:
    """(file stem without its language, the language) of a content file: "post.fr.md" ->
    ("post", "fr") when "fr" is one of `languages`, else ("post.fr", "")."""
    stem, _, code = source.stem.rpartition(".")
    if stem and code.lower() in languages:
        return stem, code.lower()
    return source.stem, ""


def _index_kind(source: Path, languages: frozenset[str] = frozenset()) -> str | None:
    """"index" for a leaf bundle's index.md, "_index" for a section's, else None."""
    stem = language_of(source, languages)[0].lower()
    return stem if stem in ("index", "_index") and is_markdown(source) else None


def _inside_bundle(source: Path, content_dir: Path, bundles: set[Path],
                   languages: frozenset[str]) -> bool:
    """True for Markdown files that are resources of a leaf bundle (below some dir/index.md);
    `bundles`: every folder holding an index.md."""
    folder = source.parent
    if _index_kind(source, languages) != "index" and folder in bundles:
        return True
    while folder != content_dir:
        folder = folder.parent
        if folder != content_dir and folder in bundles:
            return True
    return False


def read_page(source: Path, content_dir: Path,
              taxonomies: tuple[str, ...] = DEFAULT_TAXONOMIES,
              languages: frozenset[str] = frozenset()) -> Page:
    """Parse one content file into a Page."""
    return page_from_bytes(source.read_bytes(), source, content_dir, taxonomies, languages)


def page_from_bytes(data: bytes, source: Path, content_dir: Path,
                    taxonomies: tuple[str, ...] = DEFAULT_TAXONOMIES,
                    languages: frozenset[str] = frozenset()) -> Page:
    """The Page of content file `source`, whose bytes are `data`."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BuildError(Problem(source, None, None, f"not UTF-8 text ({exc.reason})",
                                 "save the file as UTF-8")) from exc
    meta, key_lines, body, body_line = split_front_matter(text, source)
    rel = source.relative_to(content_dir).as_posix()
    parts = rel.split("/")
    kind = "page"
    index = _index_kind(source, languages)
    if index == "_index":
        kind = "home" if len(parts) == 1 else "section"
    top_level_bundle = index == "index" and len(parts) == 2  # about/index.md
    section = parts[0] if len(parts) > 1 and not top_level_bundle else ""
    bundle = source.parent if index else None
    fields = typed_fields(meta, key_lines, source, taxonomies)
    return Page(source=source, rel=rel, kind=kind, section=section, bundle=bundle, body=body,
                body_line=body_line, key_lines=key_lines, params=meta,
                head=text[:len(text) - len(body)], lang=language_of(source, languages)[1],
                section_path=_folder(rel, kind, bundle), **fields)


def split_front_matter(text: str, source: Path) -> tuple[dict[str, Any], dict[str, int], str, int]:
    """(front matter mapping, key -> file line, body, file line of the body's first line).

    Keys are lowercased: Hugo reads `expiryDate` and `expirydate` alike."""
    meta, key_lines, body, body_line = _split(text, source)
    return ({str(k).lower(): v for k, v in meta.items()},
            {k.lower(): line for k, line in reversed(key_lines.items())}, body, body_line)


def _split(text: str, source: Path) -> tuple[dict[str, Any], dict[str, int], str, int]:
    if text.startswith("{") and not text.startswith("{{"):  # "{{<" opens a shortcode
        return _split_json(text, source)
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


def _split_json(text: str, source: Path) -> tuple[dict[str, Any], dict[str, int], str, int]:
    """Front matter as a JSON object at the top of the file, the body after it."""
    try:
        meta, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as exc:
        raise BuildError(Problem(source, exc.lineno, None,
                                 f"front matter is not valid JSON: {exc.msg}",
                                 'write {"title": "...", "date": "2021-03-30"} on top')) from exc
    except (ValueError, RecursionError) as exc:  # a number of 5,000 digits, nesting too deep
        raise BuildError(Problem(source, 1, None, f"front matter is not usable JSON ({exc})",
                                 "keep numbers short and nesting shallow")) from None
    if not isinstance(meta, dict):
        raise BuildError(Problem(source, 1, None, "front matter must be a JSON object",
                                 'write {"title": "..."}'))
    key_lines = {}
    for match in re.finditer(r'"((?:[^"\\]|\\.)*)"\s*:', text[:end]):
        key_lines.setdefault(match[1], text.count("\n", 0, match.start()) + 1)
    body_start = text.find("\n", end)
    body = text[body_start + 1:] if body_start >= 0 else ""
    return meta, key_lines, body, text.count("\n", 0, end) + 2


def _parse_yaml(raw: str, source: Path) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        node = compose_bounded(raw, fast=True)  # front matter: most of a rebuild's reading
        meta = construct(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        context = getattr(exc, "context_mark", None)
        if mark is not None and context is not None and mark.index >= len(raw.rstrip()):
            mark = context  # ran off the end: the quote or bracket opened there is not closed
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        if getattr(exc, "context", None):
            problem = f"{problem} {exc.context}"
        hint = getattr(exc, "note", None) or (  # a bound or a bad tagged value says what to do
            "check indentation and quote values containing ':' or '#'")
        raise BuildError(Problem(source, line, None, f"front matter is not valid YAML: {problem}",
                                 hint)) from exc
    if meta is None:
        return {}, {}
    if not isinstance(meta, dict) or not isinstance(node, yaml.MappingNode):
        raise BuildError(Problem(source, 2, None, "front matter must be a mapping of keys",
                                 "write one `key: value` per line"))
    key_lines = {str(k.value): k.start_mark.line + 2 for k, _ in node.value}
    return {str(k): v for k, v in meta.items()}, key_lines


def _parse_toml(raw: str, source: Path) -> tuple[dict[str, Any], dict[str, int]]:
    import tomllib  # TOML front matter is rare: not every build pays for the import

    try:
        meta = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r" \(at line (\d+), (column \d+)\)", str(exc))
        line = int(where[1]) + 1 if where else 1
        message = str(exc).replace(where[0], f" ({where[2]})") if where else str(exc)
        raise BuildError(Problem(source, line, None, f"front matter is not valid TOML: {message}",
                                 'write one `key = "value"` per line')) from exc
    except (ValueError, RecursionError) as exc:  # a number of 5,000 digits, nesting too deep
        raise BuildError(Problem(source, 2, None, f"front matter is not usable TOML ({exc})",
                                 "keep numbers short and nesting shallow")) from None
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
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"  # Hugo reads draft = "false" as false
    if not isinstance(value, bool):
        raise _BadField(f"must be true or false, got {value!r}", f"write {key}: true")
    return value


def _date(_: str, value: Any) -> datetime:
    parsed = parse_date(value)
    if parsed is None:
        raise _BadField(f"not a date: {value!r}", "use 2021-03-30 or 2021-03-30T15:00:00+03:00")
    return parsed


def _whole_number(key: str, value: Any) -> int:
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)  # Hugo reads weight = "5" as 5
    if not isinstance(value, int) or isinstance(value, bool):
        raise _BadField(f"must be a whole number, got {value!r}", f"write {key}: 10")
    return value


def _authors(key: str, value: Any) -> str:
    """`author` as Hugo themes take it: a name or a list of names (joined for display)."""
    return ", ".join(_texts(key, value))


def _build_options(_: str, value: Any) -> tuple[tuple[str, Any], ...]:
    if not isinstance(value, dict):
        raise _BadField("must be a mapping of build options",
                        "write build: {list: never, render: always}")
    out = []
    for name, option in value.items():
        allowed = BUILD_OPTIONS.get(str(name).lower())
        if allowed is None:
            raise _BadField(f"unknown build option {name!r}", "use list, render, publishResources")
        option = option.lower() if isinstance(option, str) else option
        if option not in allowed or type(option) is not type(allowed[0]):
            raise _BadField(f"{name}: {option!r} is not one of {', '.join(map(str, allowed))}",
                            f"write {name}: {allowed[0]}")
        out.append((str(name).lower(), option))
    return tuple(out)


def _menus(_: str, value: Any) -> tuple[tuple[str, str | None, int], ...]:
    """`menu: main`, `menu: [main, footer]` or `menu: {main: {name: Home, weight: 1}}`."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple((v, None, 0) for v in value)
    if not isinstance(value, dict):
        raise _BadField("must name menus", "write menu: main, or menu: {main: {weight: 10}}")
    out = []
    for name, entry in value.items():
        entry = entry or {}
        if not isinstance(entry, dict):
            raise _BadField(f"menu {name!r} must be a mapping", "write main: {weight: 10}")
        fields = {str(k).lower(): v for k, v in entry.items()}
        title, weight = fields.get("name"), fields.get("weight", 0)
        if title is not None and not isinstance(title, str):
            raise _BadField(f"menu {name!r}: name must be text", 'write name: "Home"')
        if not isinstance(weight, int) or isinstance(weight, bool):
            raise _BadField(f"menu {name!r}: weight must be a whole number", "write weight: 10")
        out.append((str(name).lower(), title, weight))
    return tuple(out)


# The front-matter fields read into Page, each with its converter (others are ignored).
CONVERTERS: dict[str, Callable[[str, Any], Any]] = {
    **dict.fromkeys(STRING_FIELDS, _text), **dict.fromkeys(LIST_FIELDS, _texts),
    **dict.fromkeys(BOOL_FIELDS, _flag), **dict.fromkeys(DATE_FIELDS, _date),
    "weight": _whole_number, "author": _authors, "build": _build_options, "menu": _menus,
    "menus": _menus,
}


def typed_fields(meta: dict[str, Any], key_lines: dict[str, int], source: Path,
                 taxonomies: tuple[str, ...] = DEFAULT_TAXONOMIES) -> dict[str, Any]:
    """Check and convert the known front-matter fields (lowercased keys) and the terms of
    `taxonomies`; unknown keys are kept by Hugo, ignored here."""
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    terms = []
    for key, value in meta.items():
        name = DATE_ALIASES.get(key, key)
        convert = _texts if key in taxonomies else CONVERTERS.get(name)
        if value is None or convert is None or (name != key and name in meta):
            continue
        try:
            converted = convert(key, value)
        except _BadField as bad:
            problems.append(Problem(source, key_lines.get(key, 1), key, bad.message, bad.hint))
            continue
        if key in taxonomies:
            terms.append((key, converted))
        else:
            out[name] = converted
    if problems:
        raise BuildError(problems)
    out["date"] = out.get("date") or out.get("publishdate") or out.get("lastmod")
    out["publishdate"] = out.get("publishdate") or out["date"]
    out["lastmod"] = out.get("lastmod") or out["date"]
    out["terms"] = tuple(terms)
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
