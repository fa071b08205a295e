"""A multilingual Hugo site as one site per language, and the links between them.

Each language of the config's `languages` is built as a site of its own under its prefix
(the default language at the root, others under /fr/...): its pages, lists, taxonomies, feed
and sitemap. Its pages come from its own `contentDir`, or from the shared content folder by
file name (`post.fr.md` is French, `post.md` the default language). Pages at the same content
path in two languages are translations of each other. The root sitemap.xml then indexes each
language's sitemap, as Hugo's does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from generator.site.config import SiteConfig
from generator.site.content import Page, language_of
from generator.site.feeds import escape
from generator.site.urls import absolute, relative


@dataclass(frozen=True)
class LanguageSite:
    """The part of the site one language makes (the whole site when it has one language)."""

    code: str  # "" for a site in one language
    config: SiteConfig  # the language's own config: title, params, menus, base URL
    content_dir: Path
    prefix: str  # "" or "fr/": where its files go in the site
    codes: frozenset[str]  # every language code, for file-name suffixes
    shared: bool  # True when its pages come from the shared content folder by suffix
    default: bool  # the default content language

    @property
    def sitemap_path(self) -> str:
        """Site path of its sitemap, below its prefix (the default language's in /en/)."""
        if self.code and not self.prefix:
            return f"{self.code}/sitemap.xml"
        return "sitemap.xml"

    def takes(self, page: Page) -> bool:
        """True for a page of this language: its file name says so, or says no language and
        this is the default one (or the page is in the language's own contentDir)."""
        if not self.code:
            return True
        if page.lang:
            return page.lang == self.code
        return self.default or not self.shared


def language_sites(config: SiteConfig, content_dir: Path) -> list[LanguageSite]:
    """One LanguageSite per language (by weight), or one for a site in one language."""
    if not config.languages:
        return [LanguageSite("", config, content_dir, "", frozenset(), shared=True,
                             default=True)]
    codes = frozenset(lang.code for lang in config.languages)
    return [LanguageSite(lang.code, config.for_language(lang), lang.content_dir or content_dir,
                         config.prefix(lang.code), codes, shared=lang.content_dir is None,
                         default=lang.code == config.default_language)
            for lang in config.languages]


def translation_key(page: Page) -> tuple[str, str]:
    """What a page's translations share: its kind and content path without the language."""
    path = PurePosixPath(page.rel)
    stem = language_of(path, frozenset({page.lang}))[0] if page.lang else path.stem
    return page.kind, path.with_name(stem + path.suffix).as_posix()


class Translations:
    """Every page's translations, as links between site paths."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], list[tuple[str, str]]] = {}  # key -> (code, path)

    def add(self, site: LanguageSite, paths: dict[Page, str]) -> None:
        """Take the pages of `site` (at their site paths); none of a site in one language,
        which has no translations to link (a key a page: 10 ms at 1,000 pages)."""
        if not site.codes:
            return
        for page, path in paths.items():
            self.by_key.setdefault(translation_key(page), []).append(
                (site.code, site.prefix + path))

    def of(self, site: LanguageSite, page: Page, path: str) -> list[dict[str, str]]:
        """The other languages' versions of `page` (at `path` in `site`), linked from it."""
        if not site.codes:  # a site in one language
            return []
        here = site.prefix + path
        return [{"lang": code, "href": relative(here, there)}
                for code, there in self.by_key.get(translation_key(page), [])
                if code != site.code]


def sitemap_index(base_url: str, sites: Iterable[LanguageSite]) -> str:
    """The root sitemap.xml of a multilingual site: one entry per language's sitemap."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for site in sites:
        url = absolute(base_url, site.prefix + site.sitemap_path)
        lines += ["<sitemap>", f"<loc>{escape(url)}</loc>", "</sitemap>"]
    return "\n".join([*lines, "</sitemapindex>", ""])
