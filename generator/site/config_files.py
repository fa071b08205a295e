"""A Hugo site's config files, found and read as Hugo reads them, with typed access.

Hugo reads the first of hugo.toml|yaml|yml|json, config.toml|yaml|yml|json in the site root,
then config/_default/ (hugo.* or config.* there, and one file per top-level key: params.toml,
menus.yaml, ...); keys are case-insensitive. `Reader` gives typed values of the merged keys and
turns every bad one into a Problem at the file and line where the key is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import BuildError, Problem

CONFIG_NAMES = ("hugo", "config")
CONFIG_SUFFIXES = (".toml", ".yaml", ".yml", ".json")
# the keys read, as Hugo's documentation spells them (errors name them so)
SPELLING = {key.lower(): key for key in (
    "baseURL", "languageCode", "defaultContentLanguage", "defaultContentLanguageInSubdir",
    "pagerSize", "summaryLength", "buildDrafts", "buildFuture", "buildExpired", "disableKinds",
    "contentDir", "pageRef", "uglyURLs", "rssLimit")}


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


def read_config(root: Path) -> Reader | None:
    """The merged config of the site rooted at `root`, or None when it has no config file."""
    files = find_config(root)
    if not files:
        return None
    merged: dict[str, Any] = {}
    where: dict[str, Located] = {}
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
            where[key] = Located(path, stem if stem not in CONFIG_NAMES else None)
    return Reader(merged, where, files[0])


@dataclass(frozen=True)
class Located:
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
    import yaml

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
    parse = {".toml": _toml, ".json": _json}.get(path.suffix.lower(), _yaml)
    try:
        data = parse(path, text)
    except (ValueError, RecursionError) as error:  # a number of 5,000 digits, nesting too deep
        raise BuildError(Problem(path, None, None,
                                 f"cannot be read ({type(error).__name__}: {error})",
                                 "keep numbers short and nesting shallow")) from None
    if not isinstance(data, dict):
        raise BuildError(Problem(path, 1, None, "the site config must be a mapping of keys",
                                 "write one `key = value` per line"))
    return data


def _toml(path: Path, text: str) -> Any:
    import tomllib  # each format's parser is imported only for a config in that format

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        where = re.search(r"\(at line (\d+)", str(error))
        raise BuildError(Problem(path, int(where[1]) if where else None, None,
                                 f"not valid TOML: {error}", "fix the syntax")) from error


def _json(path: Path, text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as error:
        raise BuildError(Problem(path, error.lineno, None, f"not valid JSON: {error.msg}",
                                 "fix the syntax")) from error


def _yaml(path: Path, text: str) -> Any:
    import yaml

    from generator.yamlbounds import compose_bounded, construct

    try:
        return construct(compose_bounded(text)) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise BuildError(Problem(path, mark.line + 1 if mark else None, None,
                                 f"not valid YAML: {getattr(error, 'problem', error)}",
                                 getattr(error, "note", None) or "fix the syntax")) from error


def _lowercase(data: dict[str, Any]) -> dict[str, Any]:
    """Top-level keys lowercased (Hugo's keys are case-insensitive); params kept as written."""
    return {str(k).lower(): v for k, v in data.items()}


class Reader:
    """Typed access to the merged config; every bad value becomes a Problem."""

    def __init__(self, data: dict[str, Any], where: dict[str, Located], main: Path) -> None:
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

    def _typed(self, keys: tuple[str, ...], kind: type, described: str, example: str) -> Any:
        """The value at `keys` when absent or of `kind`; otherwise a Problem and None."""
        value = self.get(*keys)
        if value is None or isinstance(value, kind):
            return value
        self.bad(keys, f"must be {described}, got {value!r}", f"write {example}")
        return None

    def text(self, *keys: str) -> str | None:
        return self._typed(keys, str, "text", f'{keys[-1]} = "..."')

    def flag(self, *keys: str) -> bool | None:
        return self._typed(keys, bool, "true or false", f"{keys[-1]} = true")

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
        return self._typed(keys, dict, "a table of keys", f"[{keys[-1]}]")
