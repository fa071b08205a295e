"""The theme's UI strings by language, Hugo style: theme/i18n/<language>.yaml.

Each file maps a key (`read_more`, `tags`, ...) to its text; templates read them as `t.KEY`.
The site's `language` setting, a language tag and never a path, picks the file: "pt-BR" tries
pt-br.yaml, then pt.yaml. Keys that file lacks, and languages with no file at all, fall back to
en.yaml, which must be complete. Files are read only from inside the i18n folder, with their
work bounded as front matter's is (`yamlbounds`).

To add a language, copy theme/i18n/en.yaml to theme/i18n/<code>.yaml and translate the values
(`months`: the twelve month names as they read in "day month year", January first).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from generator.boundaries import Boundary
from generator.errors import BuildError, Problem
from generator.settings import language_problem
from generator.yamlbounds import compose_bounded, construct

FALLBACK = "en"
# the keys Python code reads
REQUIRED = ("tags", "categories", "not_found", "months", "footnotes", "footnote_back")
Strings = dict[str, Any]


def load_strings(i18n_dir: Path, language: str) -> Strings:
    """en.yaml overlaid with the file of `language` (its first one found, see the module doc)."""
    not_a_tag = language_problem(language)
    if not_a_tag:
        raise BuildError(Problem(i18n_dir, None, "language", *not_a_tag))
    inside = Boundary(i18n_dir, name=f"the theme's i18n folder {i18n_dir}", error=BuildError)
    fallback = i18n_dir / f"{FALLBACK}.yaml"
    strings = _read(fallback, inside)
    for code in _codes(language):
        path = i18n_dir / f"{code}.yaml"
        if path.is_file():
            if code != FALLBACK:
                strings |= _read(path, inside)
            break
    missing = [key for key in REQUIRED if key not in strings]
    if missing:
        raise BuildError(Problem(fallback, None, missing[0], f"UI string {missing[0]!r} missing",
                                 f"add it to {fallback.name}"))
    return strings


def date_view(value: datetime | None, strings: Strings) -> dict[str, str] | None:
    """A date for templates: ISO for machines, "day month year" in the site's language."""
    if value is None:
        return None
    month = strings["months"][value.month - 1]
    return {"iso": value.isoformat(), "text": f"{value.day} {month} {value.year}"}


def _codes(language: str) -> list[str]:
    """File names to try for `language`: the whole code, then its base ("pt-br", "pt")."""
    code = language.lower().replace("_", "-")
    base = code.split("-")[0]
    return [code, base] if base != code else [code]


def _read(path: Path, inside: Boundary) -> Strings:
    try:
        data = construct(compose_bounded(inside.check(path).read_text(encoding="utf-8"),
                                         fast=True))
    except FileNotFoundError as error:
        raise BuildError(Problem(path, None, None, "theme UI strings not found",
                                 "pass a theme folder holding i18n/en.yaml")) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reason = getattr(error, "problem", None) or error
        raise BuildError(Problem(path, mark.line + 1 if mark else None, None,
                                 f"cannot read UI strings: {reason}", "fix the YAML")) from error
    if not isinstance(data, dict):
        raise BuildError(Problem(path, None, None, "UI strings must be a mapping of key: text",
                                 "see theme/i18n/en.yaml"))
    months = data.get("months")
    if months is not None and not (isinstance(months, list) and len(months) == 12):
        raise BuildError(Problem(path, None, "months", "months must list 12 month names",
                                 "write months: [January, February, ..., December]"))
    return data
