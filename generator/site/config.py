"""A Hugo site's configuration, read as Hugo reads it, mapped to what this tool uses.

Hugo reads the first of hugo.toml|yaml|yml|json, config.toml|yaml|yml|json in the site root,
then config/_default/ (hugo.* or config.* there, and one file per top-level key: params.toml,
menus.yaml, ...). Keys are case-insensitive. Of Hugo's hundreds of keys this tool reads the ones
in `SiteConfig`; the others are ignored. A key it reads with a bad value is a Problem naming the
file and line. Without any config file the defaults apply (`SiteConfig.source` is None).
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from generator.errors import BuildError, Problem
from generator.settings import SiteSettings
from generator.site.urls import clean_path, is_external

CONFIG_NAMES = ("hugo", "config")
CONFIG_SUFFIXES = (".toml", ".yaml", ".yml", ".json")
DEFAULT_TAXONOMIES = (("category", "categories"), ("tag", "tags"))
KINDS = ("page", "home", "section", "taxonomy", "term", "rss", "sitemap", "robotstxt", "404")
PERMALINK_TOKENS = ("year", "month", "monthname", "day", "weekday", "weekdayname", "yearday",
                    "section", "sections", "title", "slug", "slugorfilename", "filename",
                    "slugorcontentbasename", "contentbasename")
_TOKEN = re.compile(r":(\w+)")
# the keys read, as Hugo's documentation spells them (errors name them so)
SPELLING = {key.lower(): key for key in (
    "baseURL", "languageCode", "defaultContentLanguage", "defaultContentLanguageInSubdir",
    "pagerSize", "summaryLength", "buildDrafts", "buildFuture", "buildExpired", "disableKinds",
    "contentDir", "pageRef", "uglyURLs", "rssLimit")}


@dataclass(frozen=True)
class MenuEntry:
    """One entry of a site menu from the config."""

    name: str
    url: str  # a URL or site-absolute path ("/about/"); from `pageRef` or `url`
    weight: int = 0
    parent: str = ""  # a child of another entry: not in the header


@dataclass(frozen=True)
class Language:
    """One language of a multilingual site (`[languages.fr]`)."""

    code: str  # "fr": the URL prefix and the filename suffix (post.fr.md)
    weight: int = 0
    content_dir: Path | None = None  # its own content folder, if it has one
    title: str | None = None
    language_code: str | None = None  # for <html lang> and the feed ("fr-FR")
    params: dict[str, Any] = field(default_factory=dict)
    menus: dict[str, tuple[MenuEntry, ...]] | None = None


@dataclass(frozen=True)
class SiteConfig:
    """What a Hugo config (or the defaults) says about the site this tool builds."""

    settings: SiteSettings = field(default_factory=SiteSettings)
    source: Path | None = None  # the config file read; None when the defaults apply
    taxonomies: tuple[tuple[str, str], ...] = DEFAULT_TAXONOMIES  # (singular, plural)
    permalinks: dict[str, str] = field(default_factory=dict)  # section -> pattern
    menus: dict[str, tuple[MenuEntry, ...]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    summary_length: int = 70
    rss_limit: int | None = None  # items per feed (services.rss.limit); None: all, as Hugo
    build_drafts: bool = False
    build_future: bool = False
    build_expired: bool = False
    ugly_urls: bool = False  # posts/a.html rather than posts/a/index.html
    disable_kinds: frozenset[str] = frozenset()
    static_dir: Path | None = None  # the site's static/ folder, copied to the site root
    languages: tuple[Language, ...] = ()  # by weight; empty for a site in one language
    default_language: str = "en"
    default_in_subdir: bool = False  # defaultContentLanguageInSubdir: /en/ too
    hugo_theme: str | None = None  # `theme`: a Go-template theme, which this tool cannot use

    def prefix(self, code: str) -> str:
        """The site path prefix of a language's pages: "" for the default one, else "fr/"."""
        return "" if code == self.default_language and not self.default_in_subdir else f"{code}/"

    def for_language(self, language: Language) -> SiteConfig:
        """This config as the one-language site of `language`: its title, params and menus,
        under its prefix."""
        settings = self.settings
        settings = replace(settings, title=language.title or settings.title,
                           language=language.language_code or language.code,
                           base_url=settings.base_url + self.prefix(language.code))
        return replace(self, settings=settings, params={**self.params, **language.params},
                       menus=self.menus if language.menus is None else language.menus,
                       languages=())

    def static_files(self) -> list[tuple[str, Path]] | Problem:
        """(site path, file) of everything in static/, or the Problem of a file that is a link
        leading outside static/ (nothing outside the project is copied into the site)."""
        if self.static_dir is None or not self.static_dir.is_dir():
            return []
        root = self.static_dir.resolve()
        out = []
        for path in sorted(self.static_dir.rglob("*")):
            if not path.is_file():
                continue
            if root not in path.resolve().parents:
                return Problem(path, None, None, "links to a file outside static/",
                               "copy the file into static/ instead of linking it")
            out.append((path.relative_to(self.static_dir).as_posix(), path))
        return out

    def enabled(self, kind: str) -> bool:
        """False for a kind of output listed in disableKinds ("rss", "taxonomy", ...)."""
        return kind.lower() not in self.disable_kinds


def find_config(root: Path) -> list[Path]:
    """The config files Hugo would read in site root `root`, in the order they apply."""
    found: list[Path] = []
    for name in CONFIG_NAMES:
        main = next((root / f"{name}{s}" for s in CONFIG_SUFFIXES
                     if (root / f"{name}{s}").is_file()), None)
        if main is not None:
            found.append(main)
            break
    default = root / "config" / "_default"
    if default.is_dir():
        found += sorted(p for p in default.iterdir()
                        if p.is_file() and p.suffix.lower() in CONFIG_SUFFIXES)
    return found


def load_site_config(root: Path) -> SiteConfig:
    """The config of the Hugo site rooted at `root` (defaults when it has none)."""
    files = find_config(root)
    if not files:
        return SiteConfig(static_dir=root / "static")
    merged: dict[str, Any] = {}
    where: dict[str, _Located] = {}
    for path in files:
        data = _read(path)
        stem = path.stem.lower()
        if path.parent.name == "_default" and stem not in CONFIG_NAMES:
            data = {stem: data}  # config/_default/params.toml holds the `params` key
        for key, value in _lowercase(data).items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
            where[key] = _Located(path, stem if stem not in CONFIG_NAMES else None)
    config = _site_config(merged, where, files[0])
    languages = tuple(replace(lang, content_dir=root / lang.content_dir)
                      if lang.content_dir else lang for lang in config.languages)
    return replace(config, static_dir=root / "static", languages=languages)


def merge_with_manifest(config: SiteConfig, manifest: SiteSettings,
                        manifest_path: Path) -> SiteConfig:
    """`config` with gallery.yaml's `site:` settings: a setting both give differently fails."""
    defaults = SiteSettings()
    problems = []
    chosen: dict[str, Any] = {}
    for name in ("title", "base_url", "language", "author", "description", "paginate"):
        ours, theirs = getattr(manifest, name), getattr(config.settings, name)
        if ours == getattr(defaults, name) or ours == theirs:
            chosen[name] = theirs
        elif theirs == getattr(defaults, name):
            chosen[name] = ours
        else:
            problems.append(Problem(manifest_path, None, f"site.{name}",
                                    f"{ours!r} differs from {theirs!r} in {config.source}",
                                    "set it in one of the two files"))
    if problems:
        raise BuildError(problems)
    rest = {f: getattr(manifest, f) for f in ("image_widths", "deploy", "comments")}
    return replace(config, settings=SiteSettings(**chosen, **rest))


@dataclass(frozen=True)
class _Located:
    """Where a top-level key came from: the file, and the key the file itself stands for."""

    path: Path
    file_key: str | None  # "params" for config/_default/params.toml

    def line(self, *keys: str) -> int | None:
        """File line of the key path `keys` (best effort; None when not found)."""
        keys = keys[1:] if self.file_key and keys and keys[0] == self.file_key else keys
        try:
            text = self.path.read_text(encoding="utf-8-sig")
        except OSError:
            return None
        suffix = self.path.suffix.lower()
        if suffix in (".yaml", ".yml"):
            return _yaml_line(text, keys)
        return _text_line(text, keys, toml=suffix == ".toml")


def _yaml_line(text: str, keys: tuple[str, ...]) -> int | None:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = None
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            break
        match = next(((k, v) for k, v in node.value if str(k.value).lower() == key), None)
        if match is None:
            break
        line, node = match[0].start_mark.line + 1, match[1]
    return line


def _text_line(text: str, keys: tuple[str, ...], *, toml: bool) -> int | None:
    """Line of the key path `keys` in TOML (tables `[a.b]` and `[[a.b]]` included), else the
    line of the last of `keys` found in order (JSON)."""
    lines = text.splitlines()
    if toml:
        return _toml_line(lines, keys)
    line, start = None, 0
    for key in keys:
        pattern = rf'^\s*"{re.escape(key)}"\s*:'
        found = next((i for i in range(start, len(lines))
                      if re.search(pattern, lines[i], re.IGNORECASE)), None)
        if found is None:
            break
        line, start = found + 1, found + 1
    return line


def _toml_line(lines: list[str], keys: tuple[str, ...]) -> int | None:
    """The first line whose full key path (its table's path, then its own key) starts with
    `keys`."""
    table: tuple[str, ...] = ()
    for number, text in enumerate(lines, start=1):
        header = re.match(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$", text)
        if header:
            table = _toml_path(header[1])
            path = table
        else:
            assignment = re.match(r"^\s*([\w.\"' -]+?)\s*=", text)
            if not assignment:
                continue
            path = table + _toml_path(assignment[1])
        if path[:len(keys)] == keys:
            return number
    return None


def _toml_path(dotted: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'").lower() for part in dotted.split("."))


def _read(path: Path) -> dict[str, Any]:
    """A config file's mapping; a file Hugo could not parse is a Problem at its line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise BuildError(Problem(path, None, None, f"cannot read the site config: {error}",
                                 "save it as UTF-8 text")) from error
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            data = tomllib.loads(text)
        elif suffix == ".json":
            data = json.loads(text) if text.strip() else {}
        else:
            data = yaml.safe_load(text) or {}
    except tomllib.TOMLDecodeError as error:
        where = re.search(r"\(at line (\d+)", str(error))
        raise BuildError(Problem(path, int(where[1]) if where else None, None,
                                 f"not valid TOML: {error}", "fix the syntax")) from error
    except json.JSONDecodeError as error:
        raise BuildError(Problem(path, error.lineno, None, f"not valid JSON: {error.msg}",
                                 "fix the syntax")) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise BuildError(Problem(path, mark.line + 1 if mark else None, None,
                                 f"not valid YAML: {getattr(error, 'problem', error)}",
                                 "fix the syntax")) from error
    if not isinstance(data, dict):
        raise BuildError(Problem(path, 1, None, "the site config must be a mapping of keys",
                                 "write one `key = value` per line"))
    return data


def _lowercase(data: dict[str, Any]) -> dict[str, Any]:
    """Top-level keys lowercased (Hugo's keys are case-insensitive); params kept as written."""
    return {str(k).lower(): v for k, v in data.items()}


class _Reader:
    """Typed access to the merged config; every bad value becomes a Problem."""

    def __init__(self, data: dict[str, Any], where: dict[str, _Located], main: Path) -> None:
        self.data, self.where, self.main = data, where, main
        self.problems: list[Problem] = []

    def bad(self, keys: tuple[str, ...], message: str, hint: str) -> None:
        located = self.where.get(keys[0])
        path = located.path if located else self.main
        line = located.line(*keys) if located else None
        shown = ".".join(SPELLING.get(key, key) for key in keys)
        self.problems.append(Problem(path, line, shown, message, hint))

    def get(self, *keys: str) -> Any:
        value: Any = self.data
        for key in keys:
            if not isinstance(value, dict):
                return None
            value = {str(k).lower(): v for k, v in value.items()}.get(key)
        return value

    def text(self, *keys: str) -> str | None:
        value = self.get(*keys)
        if value is None or isinstance(value, str):
            return value
        self.bad(keys, f"must be text, got {value!r}", f'write {keys[-1]} = "..."')
        return None

    def flag(self, *keys: str) -> bool | None:
        value = self.get(*keys)
        if value is None or isinstance(value, bool):
            return value
        self.bad(keys, f"must be true or false, got {value!r}", f"write {keys[-1]} = true")
        return None

    def number(self, *keys: str, low: int) -> int | None:
        value = self.get(*keys)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value >= low:
            return value
        self.bad(keys, f"must be a whole number of at least {low}, got {value!r}",
                 f"write {keys[-1]} = 10")
        return None

    def mapping(self, *keys: str) -> dict[str, Any] | None:
        value = self.get(*keys)
        if value is None or isinstance(value, dict):
            return value
        self.bad(keys, f"must be a table of keys, got {value!r}", f"write [{keys[-1]}]")
        return None


def _site_config(data: dict[str, Any], where: dict[str, _Located], main: Path) -> SiteConfig:
    read = _Reader(data, where, main)
    defaults = SiteSettings()
    language = read.text("languagecode") or read.text("defaultcontentlanguage")
    author = read.get("params", "author")
    author = author if isinstance(author, str) else read.text("author")
    description = read.get("params", "description")
    paginate = read.number("pagination", "pagersize", low=1) or read.number("paginate", low=1)
    base_url = read.text("baseurl")
    settings = SiteSettings(
        title=read.text("title") or defaults.title,
        base_url=(base_url.rstrip("/") + "/") if base_url else defaults.base_url,
        language=language or defaults.language,
        author=author or "",
        description=description if isinstance(description, str) else "",
        paginate=paginate or defaults.paginate,
    )
    default_language = (read.text("defaultcontentlanguage") or "en").lower()
    config = SiteConfig(
        settings=settings, source=main, taxonomies=_taxonomies(read),
        permalinks=_permalinks(read), menus=_menus(read),
        params=read.mapping("params") or {},
        summary_length=_or(read.number("summarylength", low=0), 70),
        rss_limit=_rss_limit(read),
        build_drafts=bool(read.flag("builddrafts")),
        build_future=bool(read.flag("buildfuture")),
        build_expired=bool(read.flag("buildexpired")),
        ugly_urls=bool(read.flag("uglyurls")),
        disable_kinds=_disable_kinds(read),
        languages=_languages(read, default_language), default_language=default_language,
        default_in_subdir=bool(read.flag("defaultcontentlanguageinsubdir")),
        hugo_theme=_theme_name(read),
    )
    if read.problems:
        raise BuildError(read.problems)
    return config


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _languages(read: _Reader, default: str) -> tuple[Language, ...]:
    """The `languages` table, by weight; () for a site in one language."""
    given = read.mapping("languages") or {}
    if len(given) < 2:
        return ()
    out = []
    for code in given:
        keys = ("languages", str(code).lower())
        if read.mapping(*keys) is None:
            continue
        content_dir = read.text(*keys, "contentdir")
        if content_dir is not None and (content_dir.startswith(("/", "\\"))
                                        or ".." in Path(content_dir).parts):
            read.bad((*keys, "contentdir"), f"{content_dir!r} leaves the site root",
                     'give a folder inside the site, e.g. "content/fr"')
            content_dir = None
        out.append(Language(
            code=keys[1], weight=_or(read.number(*keys, "weight", low=0), 0),
            content_dir=Path(content_dir) if content_dir else None,
            title=read.text(*keys, "title"), language_code=read.text(*keys, "languagecode"),
            params=read.mapping(*keys, "params") or {},
            menus=_menus(read, keys) if read.get(*keys, "menus") or read.get(*keys, "menu")
            else None))
    if out and default not in {lang.code for lang in out}:
        read.bad(("defaultcontentlanguage",), f"{default!r} is not one of the languages",
                 f"use one of {', '.join(lang.code for lang in out)}")
    return tuple(sorted(out, key=lambda lang: (lang.weight == 0, lang.weight, lang.code)))


def _theme_name(read: _Reader) -> str | None:
    """`theme = "PaperMod"` (or a list of themes: named together)."""
    theme = read.get("theme")
    if isinstance(theme, list):
        theme = ", ".join(str(t) for t in theme)
    return str(theme) if theme else None


def _rss_limit(read: _Reader) -> int | None:
    """services.rss.limit (or the older rssLimit): -1, Hugo's default, means every item."""
    keys: tuple[str, ...] = ("services", "rss", "limit")
    if read.get(*keys) is None:
        keys = ("rsslimit",)
    limit = read.number(*keys, low=-1)
    if limit == 0:
        read.bad(keys, "must be -1 (every item) or a number of items", "write limit = 20")
    return limit if limit and limit > 0 else None


def _taxonomies(read: _Reader) -> tuple[tuple[str, str], ...]:
    given = read.mapping("taxonomies")
    if given is None:
        return DEFAULT_TAXONOMIES
    out = []
    for singular, plural in given.items():
        if not isinstance(plural, str) or not plural.strip():
            read.bad(("taxonomies", str(singular)), f"must name the taxonomy, got {plural!r}",
                     f'write {singular} = "{singular}s"')
            continue
        out.append((str(singular).lower(), plural.strip().lower()))
    return tuple(out)


def _permalinks(read: _Reader) -> dict[str, str]:
    given = read.mapping("permalinks") or {}
    # Hugo also accepts [permalinks.page] / [permalinks.section] tables; pages are what we map
    flat = {**{k: v for k, v in given.items() if not isinstance(v, dict)},
            **(given.get("page") if isinstance(given.get("page"), dict) else {})}
    out = {}
    for section, pattern in flat.items():
        keys = ("permalinks", str(section))
        if not isinstance(pattern, str):
            read.bad(keys, f"must be a path pattern, got {pattern!r}",
                     'write posts = "/:year/:slug/"')
            continue
        unknown = [t for t in _TOKEN.findall(pattern) if t.lower() not in PERMALINK_TOKENS]
        if unknown:
            read.bad(keys, f"unknown permalink token :{unknown[0]}",
                     "use :year, :month, :day, :section, :slug, :title, :filename, ...")
            continue
        out[str(section).lower()] = pattern
    return out


def _menus(read: _Reader, within: tuple[str, ...] = ()) -> dict[str, tuple[MenuEntry, ...]]:
    key = "menus" if read.get(*within, "menus") is not None else "menu"
    given = read.mapping(*within, key) or {}
    menus = {}
    for name, entries in given.items():
        items = [entries] if isinstance(entries, dict) else entries
        if not isinstance(items, list):
            read.bad((*within, key, str(name)), "must be a list of entries",
                     f'write [[{key}.{name}]] with name = "..." and url = "/..."')
            continue
        out = []
        for item in items:
            entry = _menu_entry(read, (*within, key, str(name)), item)
            if entry is not None:
                out.append(entry)
        menus[str(name).lower()] = tuple(sorted(out, key=lambda e: (e.weight == 0, e.weight,
                                                                    e.name.lower())))
    return menus


def _menu_entry(read: _Reader, keys: tuple[str, ...], item: Any) -> MenuEntry | None:
    if not isinstance(item, dict):
        read.bad(keys, f"an entry must be a table, got {item!r}", 'give it name and url')
        return None
    fields = {str(k).lower(): v for k, v in item.items()}
    url = fields.get("pageref") or fields.get("url")
    name = fields.get("name") or fields.get("identifier")
    weight = fields.get("weight", 0)
    if not isinstance(url, str) or not isinstance(name, str):
        read.bad(keys, f"entry {item!r} needs a name and a url (or pageRef)",
                 'write name = "About" and url = "/about/"')
        return None
    if not isinstance(weight, int) or isinstance(weight, bool):
        read.bad(keys, f"weight must be a whole number, got {weight!r}", "write weight = 10")
        return None
    if not is_external(url) and clean_path(url) is None:
        read.bad(keys, f"url {url!r} leaves the site", 'write a path such as "/about/"')
        return None
    return MenuEntry(name=name, url=url, weight=weight, parent=str(fields.get("parent") or ""))


def _disable_kinds(read: _Reader) -> frozenset[str]:
    given = read.get("disablekinds")
    if given is None:
        return frozenset()
    kinds = given if isinstance(given, list) else [given]
    bad = [k for k in kinds if not isinstance(k, str) or k.lower() not in KINDS]
    if bad:
        read.bad(("disablekinds",), f"unknown kind {bad[0]!r}",
                 f"use some of {', '.join(KINDS)}")
        return frozenset()
    return frozenset(k.lower() for k in kinds)
