"""Pages made from the posts rather than from a file of their own.

The home list and one list per section, paginated (/, /page/2/, ...; /page/1/ redirects to /);
taxonomy lists (/tags/) with one list per term (/tags/технологии/); the redirects of front matter
`aliases`; /404.html; and the header menu (top-level pages, then taxonomies that have terms).
"""

from __future__ import annotations

from typing import Any

from generator import addresses
from generator.errors import BuildError, Problem
from generator.site.feeds import SitemapEntry
from generator.site.figures import image_view
from generator.site.i18n import Strings
from generator.site.output import Rendered, SiteOutput, linker
from generator.site.urls import clean_path, list_path, relative, urlize

TAXONOMIES = tuple((name, name) for name in addresses.TAXONOMIES)  # (front matter key, UI string)


def menu(rendered: list[Rendered], posts: list[Rendered], strings: Strings) -> list[dict[str, str]]:
    """Header links: top-level pages (about...), then the taxonomies that have terms."""
    links = [{"title": r.page.title, "path": r.path} for r in rendered
             if r.page.kind == "page" and not r.page.section]
    links.sort(key=lambda item: item["title"].lower())
    for taxonomy, key in TAXONOMIES:
        if any(getattr(r.page, taxonomy) for r in posts):
            links.append({"title": strings[key], "path": f"{taxonomy}/index.html"})
    return links


def post_terms(result: Rendered, strings: Strings) -> list[dict[str, Any]]:
    """A post's taxonomies for its page, each term linked to its list."""
    link = linker(result.path)
    out = []
    for taxonomy, key in TAXONOMIES:
        terms = getattr(result.page, taxonomy)
        if terms:
            out.append({"name": taxonomy, "title": strings[key], "terms": [
                {"title": t, "href": link(f"{taxonomy}/{urlize(t)}/index.html")}
                for t in terms]})
    return out


def write_lists(output: SiteOutput, rendered: list[Rendered], posts: list[Rendered]) -> None:
    """The home list of all posts and one list per section, each under its _index.md intro."""
    intros = {r.page.section if r.page.kind == "section" else "": r
              for r in rendered if r.page.kind in ("home", "section")}
    home = intros.get("")
    _write_list(output, "", posts, heading=None, intro=home,
                title=home.page.title if home else output.settings.title)
    for section in sorted({r.page.section for r in posts}):
        intro = intros.get(section)
        title = intro.page.title if intro and intro.page.title else section.capitalize()
        _write_list(output, urlize(section), [r for r in posts if r.page.section == section],
                    heading=title, intro=intro, title=title)


def write_taxonomies(output: SiteOutput, posts: list[Rendered]) -> None:
    """/TAXONOMY/ listing the terms, and a post list per term, for taxonomies in use."""
    for taxonomy, key in TAXONOMIES:
        terms: dict[str, tuple[str, list[Rendered]]] = {}
        for result in posts:
            for term in getattr(result.page, taxonomy):
                terms.setdefault(urlize(term), (term, []))[1].append(result)
        if not terms:
            continue
        path = f"{taxonomy}/index.html"
        link = linker(path)
        listing = [{"title": title, "count": len(items),
                    "href": link(f"{taxonomy}/{slug}/index.html")}
                   for slug, (title, items) in sorted(terms.items(),
                                                       key=lambda kv: kv[1][0].lower())]
        heading = output.theme.strings[key]
        output.page(path, "taxonomy.html", output.list_meta(path, heading, None),
                    heading=heading, terms=listing)
        output.sitemap.append(SitemapEntry(path))
        for slug, (title, items) in terms.items():
            _write_list(output, f"{taxonomy}/{slug}", items, heading=title, intro=None,
                        title=title)


def write_aliases(output: SiteOutput, rendered: list[Rendered]) -> None:
    """A redirect for every front matter alias; all bad aliases fail together."""
    problems = []
    for result in rendered:
        for alias in result.page.aliases:
            path = clean_path(alias)
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


def _write_list(output: SiteOutput, base: str, posts: list[Rendered], *, heading: str | None,
                intro: Rendered | None, title: str) -> None:
    size = output.settings.paginate
    chunks = [posts[i:i + size] for i in range(0, len(posts), size)] or [[]]
    for number, chunk in enumerate(chunks, start=1):
        path = list_path(base, number)
        link = linker(path)
        pager = {"number": number, "total": len(chunks),
                 "newer": link(list_path(base, number - 1)) if number > 1 else None,
                 "older": link(list_path(base, number + 1)) if number < len(chunks) else None}
        items = [_summary_item(output, r, path) for r in chunk]
        intro_html = intro.html if intro and number == 1 else ""
        output.page(path, "list.html", output.list_meta(path, title, intro), heading=heading,
                    items=items, pager=pager, intro_html=intro_html)
        output.sitemap.append(SitemapEntry(path))
    if len(chunks) > 1 or base == "":
        output.alias(list_path(base, 1).replace("index.html", "page/1/index.html"),
                     list_path(base, 1))


def _summary_item(output: SiteOutput, result: Rendered, from_path: str) -> dict[str, Any]:
    cover = result.cover
    return {
        "title": result.page.title, "subtitle": result.page.subtitle,
        "href": relative(from_path, result.path), "date": output.date(result.page.date),
        "summary": result.summary,
        "cover": image_view(cover.published, from_path, result.page.title)
        if cover and cover.published else None,
    }
