"""Hugo's `cascade` front matter: values a page gives itself and every page below it.

As Hugo 0.168 does (checked with its binary): `cascade:` on the home page's or a section's
`_index.md` sets front-matter keys on that page and all pages under its folder; a page's own
front matter wins, then the nearest cascade (the page's own, then its section's, up to the
home page's). Keys are merged at the top level only: a page's own `params: {b: 2}` replaces a
cascaded `params: {a: 1}` whole. `cascade` is a mapping, or a list of them, each optionally
limited by `_target` (or `target`) with glob patterns for `path` (the page's Hugo path,
"/blog/**"), `kind` (page, section, home), `environment` (this tool builds as Hugo's
`production` environment) and `lang` (the language being built; Hugo before 0.150 read it,
0.168 refuses it for `sites.matrix`, which is not read here). Pages Hugo makes without a
file (taxonomy lists, sections without an `_index.md`) have no front matter here, so nothing
cascades onto them.

Cascaded values are checked as the front matter they become, and a problem names the file and
line of the `cascade` that gives it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from generator.errors import BuildError, Problem
from generator.site.content import Page, folder_of, typed_fields

TARGET_KEYS = ("_target", "target")
TARGET_FIELDS = ("path", "kind", "lang", "environment")
ENVIRONMENT = "production"


@dataclass(frozen=True)
class CascadeRule:
    """One cascade entry: the values it sets and the globs a page must match (None: any)."""

    values: dict[str, Any]
    targets: dict[str, re.Pattern[str]]  # target field -> its glob as a regex


def with_cascade(pages: list[Page], *, language: str,
                 taxonomies: tuple[str, ...]) -> tuple[list[Page], list[Problem]]:
    """(`pages` with the cascaded values of the pages above them, the problems of bad cascades).

    `pages`: one language's pages (`language`: its code, matched by a target's `lang`);
    `taxonomies`: the front-matter keys whose values are terms, as when the pages were read."""
    problems: list[Problem] = []
    rules: dict[str, list[CascadeRule]] = {}  # folder -> the rules of the page there
    own: dict[int, list[CascadeRule]] = {}  # a page that is not a section: its own rules
    for page in pages:
        if "cascade" not in page.params:
            continue
        try:
            found = cascade_rules(page, taxonomies)
        except BuildError as error:
            problems.extend(error.problems)
            continue
        if page.kind in ("home", "section"):
            rules[folder_of(page)] = found
        else:
            own[id(page)] = found
    if not rules and not own:
        return pages, problems
    out = []
    for page in pages:
        chain = [*own.get(id(page), []), *_inherited(page, rules)]
        out.append(_applied(page, chain, language, taxonomies, problems) if chain else page)
    return out, problems


def cascade_rules(page: Page, taxonomies: tuple[str, ...]) -> list[CascadeRule]:
    """The checked cascade entries of `page`'s front matter; BuildError naming its line."""
    given = page.params["cascade"]
    line = page.line_of("cascade")

    def problem(message: str, hint: str) -> BuildError:
        return BuildError(Problem(page.source, line, "cascade", message, hint))

    entries = [given] if isinstance(given, Mapping) else given
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise problem("must be a mapping of front-matter keys, or a list of them",
                      "write cascade:\n  banner: x")
    rules = []
    for entry in entries:
        lowered = _lowered(entry)
        values = {k: v for k, v in lowered.items() if k not in (*TARGET_KEYS, "cascade")}
        targets: dict[str, re.Pattern[str]] = {}
        for key in TARGET_KEYS:
            target = lowered.get(key)
            if target is None:
                continue
            if not isinstance(target, Mapping):
                raise problem(f"{key} must be a mapping of {', '.join(TARGET_FIELDS)}",
                              f'write {key}:\n  path: "/blog/**"')
            for name, pattern in _lowered(target).items():
                if name not in TARGET_FIELDS:
                    raise problem(f"{key} has no field {name!r}",
                                  f"use {', '.join(TARGET_FIELDS)}")
                if not isinstance(pattern, str):
                    raise problem(f"{key}.{name} must be a text (a glob pattern)",
                                  f'write {name}: "/blog/**"')
                try:
                    targets[name] = glob_regex(pattern)
                except ValueError as exc:
                    raise problem(f"{key}.{name} {pattern!r}: {exc}",
                                  "close every { with a } and every [ with a ], and write "
                                  "ranges low to high ([a-z])") from exc
        try:
            typed_fields(values, dict.fromkeys(values, line), page.source, taxonomies)
        except BuildError as error:
            raise BuildError([replace(p, key=f"cascade.{p.key}") for p in error.problems]) \
                from error
        rules.append(CascadeRule(values, targets))
    return rules


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob as Hugo matches it (gobwas/glob with "/" separating): `**` any text, `*` and `?`
    within one path segment, `{a,b}` alternatives, `[abc]`/`[!abc]` one character; compared
    case-insensitively. ValueError for an unclosed `{` or `[` or a bad range."""
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "{":
            depth += 1
            out.append("(?:")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        elif char == "," and depth:
            out.append("|")
        elif char == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                raise ValueError("a [ is never closed")
            inside = pattern[i + 1:end]
            if inside.startswith("!"):
                out.append(f"[^{_class_body(inside[1:])}]")
            else:
                out.append(f"[{_class_body(inside)}]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    if depth:
        raise ValueError("a { is never closed")
    try:
        return re.compile("".join(out), re.IGNORECASE)
    except re.error as exc:  # a range such as [z-a]
        raise ValueError(f"not a pattern ({exc.msg})") from exc


def hugo_path(page: Page) -> str:
    """The page's path as Hugo's `.Path` gives it: "/", "/blog", "/blog/a" (no extension,
    no language suffix; a bundle's is its folder's)."""
    folder = folder_of(page)
    if page.kind != "page":
        return f"/{folder}"
    return "/" + "/".join(part for part in (folder, page.name) if part)


def _inherited(page: Page, rules: Mapping[str, list[CascadeRule]]) -> list[CascadeRule]:
    """The rules of the sections above `page` (its own first when it is one), nearest first."""
    folder = folder_of(page)
    chain = []
    while True:
        chain += rules.get(folder, [])
        if not folder:
            return chain
        folder = folder.rpartition("/")[0]


def _applied(page: Page, chain: list[CascadeRule], language: str,
             taxonomies: tuple[str, ...], problems: list[Problem]) -> Page:
    """`page` with each key of the matching rules that nothing nearer has given."""
    facts = {"path": hugo_path(page), "kind": page.kind, "lang": language,
             "environment": ENVIRONMENT}
    merged = dict(page.params)
    for rule in chain:
        if all(regex.fullmatch(facts[name]) for name, regex in rule.targets.items()):
            for key, value in rule.values.items():
                merged.setdefault(key, value)
    if merged == page.params:
        return page
    try:
        fields = typed_fields(merged, page.key_lines, page.source, taxonomies)
    except BuildError as error:  # each value was checked alone; a mix may still clash
        problems.extend(error.problems)
        return page
    return replace(page, params=merged, **fields)


def _class_body(chars: str) -> str:
    """The inside of a glob's `[...]` as a regex class: a `-` between two characters is a
    range, anything else stands for itself."""
    out = []
    for i, char in enumerate(chars):
        is_range = char == "-" and 0 < i < len(chars) - 1 and "-" not in (chars[i - 1],
                                                                         chars[i + 1])
        out.append("-" if is_range else re.escape(char))
    return "".join(out)


def _lowered(mapping: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in mapping.items()}
