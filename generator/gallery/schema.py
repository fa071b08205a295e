"""Check a YAML node tree against small schemas, collecting every problem instead of stopping.

A `Schema` maps each key of a mapping to a `Field`: its Python type (str, int, float, bool,
datetime, tuple[X, ...], dict[str, str], X | None, a raw `Node` or list[Node] for the caller to
walk), whether it is required, its limits (min / max / choices, as in the metadata of
`generator.settings`) and an optional extra check. `Validator.mapping` converts what it can and
records a `Problem` (file, line, dotted key, message, hint) for the rest: wrong types, values out
of range, unknown keys (with the closest valid one), duplicate keys, missing required keys.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from pathlib import Path
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from generator.errors import Problem
from generator.gallery.yamlnodes import MERGE, TAG, found, is_null, join, line, merged_pairs
from generator.settings import allowed_range, in_range

DATE_EXAMPLE = "2021-03-30T15:00:00+03:00"
NAME = re.compile(r"\w[\w-]*")  # names: file stems safe in a path and a shortcode, map keys
MAX_NUMBER_CHARS = 40  # longer "numbers" are refused before Python converts them

Check = Callable[[Any], "tuple[str, str] | None"]  # value -> (message, hint) when wrong


@dataclass(frozen=True)
class Field:
    """What one key accepts."""

    type: Any  # str, int, float, bool, datetime, tuple[X, ...], dict[str, str], X | None, Node
    required: bool = False
    limits: Any = field(default_factory=dict)  # min / max / choices
    check: Check | None = None
    missing: str | None = None  # the hint when a required key is missing


Schema = dict[str, Field]


class Invalid(Exception):
    """A value the validator rejects: message and hint."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def settings_schema(cls: type) -> Schema:
    """A schema of a settings dataclass: its type hints and each field's metadata as limits."""
    hints = get_type_hints(cls)
    return {f.name: Field(hints[f.name], limits=f.metadata) for f in fields(cls)}


_DESCRIPTIONS = {str: "text", bool: "true or false", int: "a whole number", float: "a number",
                 datetime: f"a date such as {DATE_EXAMPLE}"}


def _type_hint(hint: Any) -> str:
    if hint is str:
        return "write text; quote it if it contains `: ` or starts with a special character"
    if hint is bool:
        return "write true or false, without quotes"
    if hint in (int, float):
        return "write a number, without quotes"
    if hint is datetime:
        return f"write an ISO date with its time zone, e.g. {DATE_EXAMPLE}"
    if get_origin(hint) is tuple:
        return "write a list: `[a, b]`, or one `- item` per line"
    return "indent the keys below it, `key: value` one per line"


def _scalar(node: Node, hint: Any) -> Any:
    """Convert one scalar node to `hint` (str, bool, int, float or datetime) or raise Invalid."""
    if hint is datetime:
        return _date(node)
    tag = node.tag.removeprefix(TAG) if isinstance(node, ScalarNode) else ""
    accepted = {str: {"str", "int", "float", "bool", "timestamp"}, bool: {"bool"},
                int: {"int"}, float: {"int", "float"}}[hint]
    if tag not in accepted:
        raise Invalid(f"expected {_DESCRIPTIONS[hint]}, found {found(node)}", _type_hint(hint))
    if hint is str:
        if "\x00" in node.value:
            raise Invalid("contains a NUL character", "remove it: no text here may contain one")
        return node.value
    if len(node.value) > MAX_NUMBER_CHARS:
        raise Invalid(f"{found(node)} is too long for {_DESCRIPTIONS[hint]}", _type_hint(hint))
    try:  # a tag forces the type of any text: `!!int abc`, `!!bool maybe`
        value = hint(SafeConstructor().construct_object(node))
    except (ValueError, KeyError, OverflowError, TypeError):
        raise Invalid(f"expected {_DESCRIPTIONS[hint]}, found {found(node)}",
                      _type_hint(hint)) from None
    if hint is float and not math.isfinite(value):
        raise Invalid(f"expected a finite number, found {found(node)}", _type_hint(hint))
    return value


def _date(node: Node) -> datetime:
    """A timezone-aware datetime; a plain date means midnight UTC."""
    tag = node.tag.removeprefix(TAG) if isinstance(node, ScalarNode) else ""
    if tag not in ("timestamp", "str"):
        raise Invalid(f"expected {_DESCRIPTIONS[datetime]}, found {found(node)}",
                      _type_hint(datetime))
    try:
        if tag == "timestamp":
            value = SafeConstructor().construct_object(node)
        else:
            value = _parse_iso(node.value)
    except AttributeError:  # `!!timestamp x`: the tag on text that is no date at all
        raise Invalid(f"expected {_DESCRIPTIONS[datetime]}, found {found(node)}",
                      _type_hint(datetime)) from None
    except ValueError as exc:
        offset = re.search(r"[+-]\d\d:?\d\d$", node.value)
        if offset and "offset" in str(exc):
            raise Invalid(f"time zone offset {offset.group()} is out of range",
                          "write the UTC offset as +HH:MM between -23:59 and +23:59, e.g. "
                          f"{DATE_EXAMPLE}") from None
        raise Invalid(f"`{node.value}` is not a valid date ({exc})",
                      _type_hint(datetime)) from None
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        raise Invalid(f"date `{node.value}` has no time zone",
                      f"add the UTC offset as +HH:MM, e.g. {DATE_EXAMPLE}")
    return value


def _parse_iso(text: str) -> date | datetime:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.fromisoformat(text)


def _limits(value: Any, limits: Any) -> None:
    """Raise Invalid if a number is outside the field's min/max/choices."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    choices = limits.get("choices")
    if choices is not None and value not in choices:
        listed = ", ".join(map(str, choices))
        raise Invalid(f"{value} is not one of {listed}", f"use one of {listed}")
    if not in_range(value, limits):
        raise Invalid(f"{value} is out of range", f"use a value {allowed_range(limits)}")


class Validator:
    """Converts the nodes of one YAML file against schemas, collecting its problems."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, at: int | None, key: str | None, message: str, hint: str) -> None:
        self.problems.append(Problem(self.path, at, key, message, hint))

    def pairs(self, node: MappingNode, path: str) -> Iterator[tuple[str, Node, Node]]:
        """The (key, key node, value node) of a mapping, reporting odd and duplicate keys."""
        seen: dict[str, int] = {}
        for key_node, value_node in merged_pairs(node):
            if key_node.tag == MERGE:
                self.problem(line(value_node), join(path, "<<"),
                             f"`<<` merges a mapping, found {found(value_node)}",
                             "write `<<: *name` where `&name` marks a mapping")
                continue
            if not isinstance(key_node, ScalarNode) or is_null(key_node):
                self.problem(line(key_node), path or None, "a key must be a plain name",
                             "write `name: value`")
                continue
            name = key_node.value
            if name in seen:
                self.problem(line(key_node), join(path, name),
                             f"duplicate key (first at line {seen[name]})", "remove one of them")
                continue
            seen[name] = line(key_node)
            yield name, key_node, value_node

    def mapping(self, node: Node, schema: Schema, path: str) -> dict[str, Any] | None:
        """The valid values of a mapping checked against `schema`; None if it is no mapping."""
        if not isinstance(node, MappingNode):
            self.problem(line(node), path or None, f"expected a mapping, found {found(node)}",
                         _type_hint(Node))
            return None
        values: dict[str, Any] = {}
        present: set[str] = set()
        for name, key_node, value_node in self.pairs(node, path):
            present.add(name)
            spec = schema.get(name)
            if spec is None:
                self.unknown_key(key_node, name, list(schema), path)
                continue
            try:
                values[name] = self.value(value_node, spec, join(path, name))
            except Invalid as bad:
                self.problem(line(value_node), join(path, name), bad.message, bad.hint)
        for name, spec in schema.items():
            if spec.required and name not in present:
                self.problem(line(node), join(path, name), f"missing required key `{name}`",
                             spec.missing or f"add `{name}:`")
        return values

    def unknown_key(self, key_node: Node, name: str, valid: list[str], path: str) -> None:
        close = difflib.get_close_matches(name, valid, n=1)
        hint = f"did you mean `{close[0]}`?" if close else f"valid keys here: {', '.join(valid)}"
        self.problem(line(key_node), join(path, name), f"unknown key `{name}`", hint)

    def value(self, node: Node, spec: Field, path: str) -> Any:
        """Convert `node` to `spec.type`; raises Invalid for the node itself, reports the rest.
        A list field's check applies to each of its elements."""
        if get_origin(spec.type) is tuple:
            return self.sequence(node, get_args(spec.type)[0], spec.limits, path, spec.check)
        return self.element(node, spec.type, spec.limits, path, spec.check)

    def convert(self, node: Node, hint: Any, limits: Any, path: str) -> Any:
        origin = get_origin(hint)
        if origin in (Union, UnionType):
            if is_null(node):
                return None
            (inner,) = (arg for arg in get_args(hint) if arg is not NoneType)
            return self.convert(node, inner, limits, path)
        if hint is Node:
            return node
        if origin is list:
            if not isinstance(node, SequenceNode):
                raise Invalid(f"expected a list, found {found(node)}", _type_hint(tuple[str, ...]))
            return node.value
        if origin is dict:
            return self.text_mapping(node, path)
        value = _scalar(node, hint)
        _limits(value, limits)
        return value

    def sequence(self, node: Node, hint: Any, limits: Any, path: str,
                 check: Check | None) -> tuple[Any, ...]:
        """A list (or a single value, taken as a list of one) of `hint` values."""
        if not isinstance(node, SequenceNode):
            return (self.element(node, hint, limits, path, check),)
        values = []
        for index, child in enumerate(node.value):
            try:
                values.append(self.element(child, hint, limits, join(path, index), check))
            except Invalid as bad:
                self.problem(line(child), join(path, index), bad.message, bad.hint)
        return tuple(values)

    def element(self, node: Node, hint: Any, limits: Any, path: str, check: Check | None) -> Any:
        """`node` converted to `hint` and passed through `check`; raises Invalid when wrong."""
        value = self.convert(node, hint, limits, path)
        problem = check(value) if check else None
        if problem:
            raise Invalid(*problem)
        return value

    def text_mapping(self, node: Node, path: str) -> dict[str, str]:
        """A mapping of names (see NAME) to text."""
        if not isinstance(node, MappingNode):
            raise Invalid(f"expected a mapping of names to text, found {found(node)}",
                          "write `name: text`, one per line")
        result = {}
        for name, key_node, value_node in self.pairs(node, path):
            if not NAME.fullmatch(name):
                self.problem(line(key_node), join(path, name), f"`{name}` is not a usable name",
                             "use letters, digits, `_` and `-` only")
            try:
                result[name] = _scalar(value_node, str)
            except Invalid as bad:
                self.problem(line(value_node), join(path, name), bad.message, bad.hint)
        return result
