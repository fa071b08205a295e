"""A Hugo site's configuration mapped to what this tool uses (`SiteConfig`).

The files are found and read as Hugo reads them by `config_files`. Of Hugo's hundreds of keys
this tool reads the ones in `SiteConfig`; the others are ignored. A key it reads with a bad
value is a Problem naming the file and line. Without any config file the defaults apply
(`SiteConfig.source` is None).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from generator.errors import BuildError, Problem
from generator.settings import SiteSettings, base_url_problem
from generator.site.config_files import Reader, read_config
from generator.site.urls import PERMALINK_TOKENS, clean_path, is_external

DEFAULT_TAXONOMIES = (("category", "categories"), ("tag", "tags"))
KINDS = ("page", "home", "section", "taxonomy", "term", "rss", "sitemap", "robotstxt", "404")
_TOKEN = re.compile(r":(\w+)")


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
    # enableInlineShortcodes: off by default in a Hugo config; on without one (gallery.yaml)
    inline_shortcodes: bool = True

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


def load_site_config(root: Path) -> SiteConfig:
    """The config of the Hugo site rooted at `root` (defaults when it has none)."""
    read = read_config(root)
    if read is None:
        return SiteConfig(static_dir=root / "static")
    config = _site_config(read)
    languages = tuple(replace(lang, content_dir=root / lang.content_dir)
                      if lang.content_dir else lang for lang in config.languages)
    return replace(config, static_dir=root / "static", languages=languages)


# SiteSettings a Hugo config gives too; the others come from gallery.yaml alone
SHARED_SETTINGS = ("title", "base_url", "language", "author", "description", "paginate",
                   "enable_emoji", "unsafe_html")


def merge_with_manifest(config: SiteConfig, manifest: SiteSettings,
                        manifest_path: Path) -> SiteConfig:
    """`config` with gallery.yaml's `site:` settings: a setting both give differently fails."""
    defaults = SiteSettings()
    problems = []
    chosen: dict[str, Any] = {}
    for name in SHARED_SETTINGS:
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
    rest = {f.name: getattr(manifest, f.name) for f in fields(SiteSettings)
            if f.name not in SHARED_SETTINGS}
    return replace(config, settings=SiteSettings(**chosen, **rest))


def _site_config(read: Reader) -> SiteConfig:
    defaults = SiteSettings()
    language = read.text("languagecode") or read.text("defaultcontentlanguage")
    author = read.get("params", "author")
    author = author if isinstance(author, str) else read.text("author")
    description = read.get("params", "description")
    paginate = read.number("pagination", "pagersize", low=1) or read.number("paginate", low=1)
    base_url = read.text("baseurl")
    if base_url and (problem := base_url_problem(base_url)):
        read.bad(("baseurl",), *problem)
        base_url = None
    settings = SiteSettings(
        title=read.text("title") or defaults.title,
        base_url=(base_url.rstrip("/") + "/") if base_url else defaults.base_url,
        language=language or defaults.language,
        author=author or "",
        description=description if isinstance(description, str) else "",
        paginate=paginate or defaults.paginate,
        enable_emoji=bool(read.flag("enableemoji")),
        # raw HTML in Markdown is omitted unless the config allows it, as in Hugo
        unsafe_html=bool(read.flag("markup", "goldmark", "renderer", "unsafe")),
    )
    default_language = (read.text("defaultcontentlanguage") or "en").lower()
    config = SiteConfig(
        settings=settings, source=read.main, taxonomies=_taxonomies(read),
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
        inline_shortcodes=bool(read.flag("enableinlineshortcodes")),
    )
    if read.problems:
        raise BuildError(read.problems)
    return config


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _languages(read: Reader, default: str) -> tuple[Language, ...]:
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


def _theme_name(read: Reader) -> str | None:
    """`theme = "PaperMod"` (or a list of themes: named together)."""
    theme = read.get("theme")
    if isinstance(theme, list):
        theme = ", ".join(str(t) for t in theme)
    return str(theme) if theme else None


def _rss_limit(read: Reader) -> int | None:
    """services.rss.limit (or the older rssLimit): -1, Hugo's default, means every item."""
    keys: tuple[str, ...] = ("services", "rss", "limit")
    if read.get(*keys) is None:
        keys = ("rsslimit",)
    limit = read.number(*keys, low=-1)
    if limit == 0:
        read.bad(keys, "must be -1 (every item) or a number of items", "write limit = 20")
    return limit if limit and limit > 0 else None


def _taxonomies(read: Reader) -> tuple[tuple[str, str], ...]:
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


def _permalinks(read: Reader) -> dict[str, str]:
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


def _menus(read: Reader, within: tuple[str, ...] = ()) -> dict[str, tuple[MenuEntry, ...]]:
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


def _menu_entry(read: Reader, keys: tuple[str, ...], item: Any) -> MenuEntry | None:
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


def _disable_kinds(read: Reader) -> frozenset[str]:
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
