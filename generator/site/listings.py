"""Pages made from the pages rather than from a file of their own.

The home list and one list per section at any depth, paginated (/, /page/2/, ...; /page/1/
redirects to /), each with its RSS feed; taxonomy lists (/tags/, /series/) with one list and
feed per term (/tags/технологии/); the redirects of front matter `aliases`; /404.html; and the
header menu (the `main` menu of the config and of pages' front matter, else top-level pages,
then taxonomies that have terms).
Lists follow Hugo's default order: weight (0 last), newest date, title.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Sequence
from typing import Any

from generator import addresses
from generator.errors import BuildError, Problem
from generator.site.config import SiteConfig
from generator.site.feeds import FeedItem, SitemapEntry
from generator.site.figures import image_view
from generator.site.i18n import Strings
from generator.site.output import Deferred, Rendered, SiteOutput
from generator.site.urls import (
    alias_path,
    clean_path,
    is_external,
    linker,
    list_path,
    relative,
    ugly,
    urlize,
)


def hugo_order(result: Rendered) -> tuple[Any, ...]:
    """Hugo's default page order: weight (unweighted last), newest first, title, path."""
    page = result.page
    date = page.date
    return (page.weight == 0, page.weight, date is None, -date.timestamp() if date else 0.0,
            page.title.lower(), page.rel)


def term_path(config: SiteConfig, plural: str, slug: str) -> str:
    """Site path of a term's page: tags/x/index.html, or tags/x.html with uglyURLs."""
    path = f"{urlize(plural)}/{slug}/index.html"
    return ugly(path) if config.ugly_urls else path


def taxonomy_title(plural: str, strings: Strings) -> str:
    """A taxonomy's heading: the theme's UI string when it has one ("tags"), else "Series"."""
    title = strings.get(plural)
    return title if isinstance(title, str) else plural.capitalize()


def menu(config: SiteConfig, rendered: list[Rendered], strings: Strings,
         terms: dict[str, dict[str, tuple[str, list[Rendered]]]]) -> list[dict[str, str | None]]:
    """Header links: the `main` menu (the config's entries and pages' `menu: main`) by weight
    when there is one; else top-level pages, then the taxonomies that have terms. Each link has
    a site `path`, or an external `url`."""
    entries = [(e.weight == 0, e.weight, e.name.lower(), e.name, e.url, None)
               for e in config.menus.get("main", ()) if not e.parent]
    entries += [(weight == 0, weight, (name or r.page.title).lower(), name or r.page.title,
                 None, r.path) for r in rendered if r.page.has_own_page
                for menu_name, name, weight in r.page.menu if menu_name == "main"]
    if entries:
        links: list[dict[str, str | None]] = []
        for *_, title, url, path in sorted(entries, key=lambda e: e[:3]):
            external = url is not None and is_external(url)
            links.append({"title": title, "url": url if external else None,
                          "path": path or (None if external else clean_path(url or "/"))})
        return links
    links = [{"title": r.page.title, "path": r.path, "url": None} for r in rendered
             if r.page.kind == "page" and not r.page.section and r.page.title
             and r.page.has_own_page and r.page.is_listed]
    links.sort(key=lambda item: (item["title"] or "").lower())
    for _, plural in config.taxonomies:
        if terms.get(plural) and config.enabled("taxonomy"):
            links.append({"title": taxonomy_title(plural, strings),
                          "path": f"{urlize(plural)}/index.html", "url": None})
    return links


def collect_terms(config: SiteConfig, rendered: list[Rendered],
                  ) -> dict[str, dict[str, tuple[str, list[Rendered]]]]:
    """taxonomy -> term slug -> (the term as first written, its pages in Hugo's order)."""
    out: dict[str, dict[str, tuple[str, list[Rendered]]]] = {}
    listed = sorted((r for r in rendered if r.page.is_listed), key=hugo_order)
    for _, plural in config.taxonomies:
        terms: dict[str, tuple[str, list[Rendered]]] = {}
        for result in listed:
            for term in result.page.terms_of(plural):
                terms.setdefault(urlize(term), (term, []))[1].append(result)
        out[plural] = terms
    return out


def post_terms(config: SiteConfig, result: Rendered, strings: Strings) -> list[dict[str, Any]]:
    """A page's taxonomies for its page, each term linked to its list."""
    link = linker(result.path)
    out = []
    for _, plural in config.taxonomies:
        terms = result.page.terms_of(plural)
        if terms:
            linked = config.enabled("term")
            out.append({"name": plural, "title": taxonomy_title(plural, strings), "terms": [
                {"title": t, "href": link(term_path(config, plural, urlize(t)))
                 if linked else None} for t in terms]})
    return out


def write_lists(output: SiteOutput, config: SiteConfig, rendered: list[Rendered],
                posts: list[Rendered]) -> None:
    """The home list of all posts and one list per section at any depth, each under its
    _index.md intro, listing its own pages, then its subsections."""
    intros = {r.page.section_path if r.page.kind == "section" else "": r
              for r in rendered if r.page.kind in ("home", "section")}
    home = intros.get("")
    if config.enabled("home") and (home is None or home.page.has_own_page):
        _write_list(output, "", posts, heading=None, intro=home,
                    title=home.page.title if home and home.page.title else output.settings.title)
        if config.enabled("rss"):
            _feed(output, config, "index.xml", output.settings.title,
                  [r for r in rendered if r.page.kind == "page"
                   and r.page.is_listed])
    if not config.enabled("section"):
        return
    sections = {r.page.section_path for r in rendered if r.page.section_path}
    for section in sorted(sections):
        intro = intros.get(section)
        if intro is not None and not intro.page.has_own_page:
            continue
        title = (intro.page.title if intro and intro.page.title
                 else posixpath.basename(section).capitalize())
        own = sorted((r for r in rendered if r.page.kind == "page"
                      and r.page.section_path == section and r.page.option("list") != "never"),
                     key=hugo_order)
        subsections = sorted((r for r in rendered if r.page.kind == "section"
                              and posixpath.dirname(r.page.section_path) == section
                              and r.page.option("list") != "never"), key=hugo_order)
        base = "/".join(urlize(part) for part in section.split("/"))
        if intro is not None:
            base = posixpath.dirname(intro.path)
        _write_list(output, base, [*own, *subsections], heading=title, intro=intro,
                    title=title)
        if config.enabled("rss"):
            _feed(output, config, f"{base}/index.xml", f"{title} on {output.settings.title}",
                  own)


def write_taxonomies(output: SiteOutput, config: SiteConfig,
                     terms: dict[str, dict[str, tuple[str, list[Rendered]]]]) -> None:
    """/TAXONOMY/ listing the terms, and a list and feed per term, for every taxonomy."""
    for _, plural in config.taxonomies:
        found = terms.get(plural, {})
        base = urlize(plural)
        heading = taxonomy_title(plural, output.theme.strings)
        if config.enabled("taxonomy"):
            path = f"{base}/index.html"
            link = linker(path)
            ordered = sorted(found.items(), key=lambda kv: kv[1][0].lower())
            listing = [{"title": title, "count": len(items),
                        "href": link(term_path(config, plural, slug))
                        if config.enabled("term") else None}
                       for slug, (title, items) in ordered]
            output.page(path, "taxonomy.html", output.list_meta(path, heading, None),
                        heading=heading, terms=listing)
            output.sitemap.append(SitemapEntry(path))
            if config.enabled("rss"):
                output.feed(f"{base}/index.xml", [
                    FeedItem(title, term_path(config, plural, slug), _newest(items), "")
                    for slug, (title, items) in ordered],
                    title=f"{heading} on {output.settings.title}", limit=config.rss_limit)
        if not config.enabled("term"):
            continue
        for slug, (title, items) in found.items():
            _write_list(output, f"{base}/{slug}", items, heading=title, intro=None,
                        title=title, first=term_path(config, plural, slug))
            if config.enabled("rss"):
                _feed(output, config, f"{base}/{slug}/index.xml",
                      f"{title} on {output.settings.title}", items)


def write_aliases(output: SiteOutput, rendered: list[Rendered], *, ugly_urls: bool) -> None:
    """A redirect for every front matter alias; all bad aliases fail together."""
    problems = []
    for result in rendered:
        for alias in result.page.aliases:
            path = alias_path(alias, result.path, ugly_urls)
            if path is None or path in output.written:
                problems.append(Problem(result.page.source, result.page.line_of("aliases"),
                                        "aliases", f"alias {alias!r} "
                                        + ("leaves the site" if path is None
                                           else "is the address of another page"),
                                        "remove it or pick a free address"))
                continue
            output.alias(path, result.path)
    if problems:
        raise BuildError(problems)


def write_404(output: SiteOutput) -> None:
    """/404.html, based at the site root: servers show it at any address."""
    title = output.theme.strings["not_found"]
    output.page(addresses.NOT_FOUND, "404.html",
                output.list_meta(addresses.NOT_FOUND, title, None),
                base_url=output.settings.base_url.rstrip("/") + "/")


def _newest(items: Sequence[Rendered]) -> Any:
    return max((r.page.date for r in items if r.page.date), default=None)


def _feed(output: SiteOutput, config: SiteConfig, path: str, title: str,
          items: Sequence[Rendered]) -> None:
    ordered = sorted(items, key=lambda r: (r.page.date is None,
                                           -r.page.date.timestamp() if r.page.date else 0.0))
    output.feed(path, [
        FeedItem(r.page.title, r.path, r.page.date, r.html, r.page.terms_of("categories"))
        for r in ordered if r.page.has_own_page], title=title,
        limit=config.rss_limit)


def _write_list(output: SiteOutput, base: str, pages: list[Rendered], *,
                heading: str | None, intro: Rendered | None, title: str,
                first: str | None = None) -> None:
    """A paginated list at folder `base` (its first page at `first`, if not base/index.html)."""
    size = output.settings.paginate
    chunks = [pages[i:i + size] for i in range(0, len(pages), size)] or [[]]

    def page_at(number: int) -> str:
        return first if first and number == 1 else list_path(base, number)

    for number, chunk in enumerate(chunks, start=1):
        path = page_at(number)
        link = linker(path)
        pager = {"number": number, "total": len(chunks),
                 "newer": link(page_at(number - 1)) if number > 1 else None,
                 "older": link(page_at(number + 1)) if number < len(chunks) else None}
        # made only if the page is rendered: most lists of a rebuild are not
        items = Deferred(tuple(_summary_key(r) for r in chunk),
                         functools.partial(_summary_items, output, chunk, path))
        intro_html = intro.html if intro and number == 1 else ""
        output.page(path, "list.html", output.list_meta(path, title, intro), heading=heading,
                    items=items, pager=pager, intro_html=intro_html,
                    page_params=intro.page.params if intro else {})
        output.sitemap.append(SitemapEntry(path))
    if len(chunks) > 1 or base == "":
        output.alias(posixpath.join(base, addresses.PAGER, "1", "index.html"), page_at(1))


def _summary_items(output: SiteOutput, chunk: list[Rendered],
                   from_path: str) -> list[dict[str, Any]]:
    return [_summary_item(output, result, from_path) for result in chunk]


def _summary_key(result: Rendered) -> tuple[Any, ...]:
    """Everything `_summary_item` makes a post's summary of, but the list's own path (the
    dates of the theme's language and the links are functions of these and of that path)."""
    page, cover = result.page, result.cover
    return (page.title, page.subtitle, page.has_own_page, result.path, page.date,
            result.summary, cover.published if cover else None)


def _summary_item(output: SiteOutput, result: Rendered, from_path: str) -> dict[str, Any]:
    cover = result.cover
    linked = result.page.has_own_page
    return {
        "title": result.page.title, "subtitle": result.page.subtitle,
        "href": relative(from_path, result.path) if linked else None,
        "date": output.date(result.page.date),
        "summary": result.summary,
        "cover": image_view(cover.published, from_path, result.page.title)
        if cover and cover.published else None,
    }
