"""Hugo's `ref` and `relref` shortcodes: links to another page, named by its content file.

`{{< relref "posts/b" >}}` (also `posts/b/index.md`, `/posts/b.md`, `b`, each with an optional
`#anchor`) becomes the relative link naming that page's file (`../b/index.html`), like every
internal link of this site, so it works under a sub-path and from file://; `{{< ref "..." >}}`
becomes the page's absolute URL from base_url. As in Hugo, a path with a leading `/` is looked up
from content/; any other first from the page's folder (a bundle's `index.md` counts as its
parent folder), then from content/, then, for a bare name, as the one page of that name. Case
does not matter; a bundle is named by its folder (or `.../index.md`), a section or the home page
only by its folder (`/posts`, `/`). A page not found, or not built (a draft), is a BuildError at
the tag's file line, like Hugo's REF_NOT_FOUND.

The tags are replaced before the Markdown is parsed, as Hugo does, so they work as link
destinations: `[text]({{< relref "b" >}})`. Hugo's escape `{{</* ref "b" */>}}` stays literal.
"""

from __future__ import annotations

import posixpath
import re

from generator.errors import BuildError, Problem
from generator.site.content import MARKDOWN_SUFFIXES, Page
from generator.site.shortcodes import (
    OPENER_RE,
    ShortcodeError,
    ShortcodeSyntaxError,
    ShortcodeTag,
    escaped_shortcode,
    parse_shortcode,
)
from generator.site.urls import absolute, relative, urlize

REF_SHORTCODES = ("ref", "relref")
_MARKDOWN_SUFFIX = re.compile("(?:" + "|".join(map(re.escape, MARKDOWN_SUFFIXES)) + ")$")


class PageRefs:
    """The built pages of one site, looked up by their content paths."""

    def __init__(self, paths: dict[Page, str], base_url: str) -> None:
        self.base_url = base_url
        self.by_key = {_page_key(page.rel, "index", "_index"): path
                       for page, path in paths.items()}
        for page in paths:
            if page.kind == "page" and page.section:  # sections list their posts, _index or not
                self.by_key.setdefault(page.section.lower(), f"{urlize(page.section)}/index.html")
        self.by_key.setdefault("", "index.html")
        self.by_name: dict[str, list[str]] = {}
        for key, path in self.by_key.items():
            self.by_name.setdefault(posixpath.basename(key), []).append(path)

    def expand(self, page: Page, path: str, body: str) -> str:
        """`body` of `page` (at site path `path`) with its ref and relref tags as URLs."""
        out: list[str] = []
        problems: list[Problem] = []
        done = 0  # body[:done] is in out
        skip = 0  # inside an escaped tag until here
        for opener in OPENER_RE.finditer(body):
            start = opener.start()
            if start < skip:
                continue
            escaped = escaped_shortcode(body, start)
            if escaped is not None:
                skip = escaped[1]
                continue
            try:
                tag = parse_shortcode(body, start)
            except ShortcodeSyntaxError:
                continue  # the Markdown renderer reports it
            if tag.name not in REF_SHORTCODES or tag.closing:
                continue
            try:
                url = self.url(page, path, tag)
            except ShortcodeError as error:
                line = page.body_line + body.count("\n", 0, start)
                problems.append(Problem(page.source, line, tag.name, error.message, error.hint))
                url = ""
            out += [body[done:start], url]
            done = skip = tag.end
        if problems:
            raise BuildError(problems)
        return "".join([*out, body[done:]])

    def url(self, page: Page, path: str, tag: ShortcodeTag) -> str:
        """The URL a ref (absolute) or relref (relative) tag on `page` stands for."""
        unknown = sorted(set(tag.params) - {"0", "path"})
        if unknown:
            raise ShortcodeError(f"unknown parameter {unknown[0]!r}",
                                 f'write {{{{< {tag.name} "posts/my-post" >}}}}')
        ref = (tag.params.get("0") or tag.params.get("path") or "").strip()
        target, _, anchor = ref.partition("#")
        fragment = f"#{anchor}" if anchor else ""
        if not target and fragment:
            found = path
        elif not target:
            raise ShortcodeError("page path missing",
                                 f'write {{{{< {tag.name} "posts/my-post" >}}}}')
        else:
            found = self.find(page, target)
        if tag.name == "ref":
            return absolute(self.base_url, found) + fragment
        if found == path:
            return fragment or relative(path, found)
        return relative(path, found) + fragment

    def find(self, page: Page, ref: str) -> str:
        """The site path of the page `ref` names, as seen from `page`; ShortcodeError if none."""
        key = _page_key(ref, "index")
        if ref.startswith("/"):
            candidates = [key]
        else:
            folder = posixpath.dirname(_page_key(page.rel, "index") if page.kind == "page"
                                       else page.rel.lower())
            candidates = [posixpath.normpath(posixpath.join(folder, key)), key]
        for candidate in candidates:
            candidate = "" if candidate == "." else candidate
            if candidate in self.by_key:
                return self.by_key[candidate]
        named = self.by_name.get(key, []) if "/" not in key else []
        if len(named) == 1:
            return named[0]
        raise ShortcodeError(
            f"page {ref!r} not found" + (" (several pages have that name)" if named else ""),
            "name a content file from content/, e.g. \"/posts/my-post\" or "
            "\"/posts/my-post/index.md\" (drafts and future pages are not built)")


def _page_key(path: str, *folder_names: str) -> str:
    """A content path as a lookup key: lowercase, no .md, a page whose file is one of
    `folder_names` (index, _index) by its folder."""
    key = _MARKDOWN_SUFFIX.sub("", path.strip().lower()).strip("/")
    head, _, name = key.rpartition("/")
    return head if name in folder_names else key
