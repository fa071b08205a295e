"""Small helpers over a composed PyYAML node tree: lines, merge keys and syntax errors.

Validation works on nodes (`yaml.compose`), not on loaded Python values, because nodes keep the
line they were written on and the order and repetition of mapping keys. This module knows YAML
only; what the keys mean is `generator.gallery.schema`'s and `generator.gallery.load`'s business.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from generator.errors import Problem
from generator.yamlbounds import YamlBoundsError, shown

TAG = "tag:yaml.org,2002:"  # prefix of the standard tags (str, int, null, merge...)
MERGE = TAG + "merge"


def line(node: Node) -> int:
    """The 1-based line a node starts on."""
    return node.start_mark.line + 1


def key_line(node: MappingNode, name: str) -> int:
    """The line of key `name` in a mapping, else of the mapping itself."""
    lines = (line(key) for key, _ in node.value if getattr(key, "value", None) == name)
    return next(lines, line(node))


def is_null(node: Node) -> bool:
    """Whether a node is YAML's null (`~`, `null` or nothing at all)."""
    return isinstance(node, ScalarNode) and node.tag == TAG + "null"


def found(node: Node) -> str:
    """What a node is, for messages: "a mapping", "a list", "nothing" or its `text`."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if is_null(node):
        return "nothing"
    return f"`{shown(node.value)}`"


def join(path: str, key: str | int) -> str:
    """A dotted key path one step deeper: `posts[0]` + `items` -> `posts[0].items`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def merged_pairs(node: MappingNode) -> list[tuple[Node, Node]]:
    """The pairs of a mapping with YAML merge keys (`<<: *anchor`) expanded; keys written in
    the mapping itself win over merged ones. A `<<` of no mapping is kept, for the caller to
    report."""
    def name(key: Node) -> str | None:
        return key.value if isinstance(key, ScalarNode) else None

    own = [(k, v) for k, v in node.value if k.tag != MERGE]
    names = {name(k) for k, _ in own}
    merged: list[tuple[Node, Node]] = []
    for key_node, value_node in node.value:
        if key_node.tag != MERGE:
            continue
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source in sources:
            if not isinstance(source, MappingNode):
                merged.append((key_node, source))
                continue
            for pair in merged_pairs(source):
                if name(pair[0]) not in names:
                    names.add(name(pair[0]))
                    merged.append(pair)
    return merged + own


def syntax_problem(file: Path, exc: yaml.YAMLError) -> Problem:
    """A YAML syntax error as a Problem at its line, with a hint for the common mistakes; a
    document over the bounds of `generator.yamlbounds` as that bound, with its hint."""
    if isinstance(exc, YamlBoundsError):
        return Problem(file, exc.line, None, exc.problem or "", exc.hint)
    if not isinstance(exc, yaml.MarkedYAMLError):
        return Problem(file, None, None, f"not valid YAML: {exc}", "fix the YAML syntax")
    mark = exc.problem_mark or exc.context_mark
    at = mark.line + 1 if mark else None
    opened = exc.context_mark.line + 1 if exc.context_mark else None
    context = exc.context or ""
    if opened is not None and opened != at:
        context += f" that opens at line {opened}"
    message = " ".join(filter(None, [context, exc.problem]))
    return Problem(file, at, None, f"YAML syntax error: {message}", _syntax_hint(message, opened))


def _syntax_hint(message: str, opened: int | None) -> str:
    if "\\t" in message or "\t" in message:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in message:
        return 'put a value that contains `: ` in quotes: title: "Batman: Arkham City"'
    if "quoted scalar" in message and opened:
        return f"close the quote opened at line {opened}, or escape quotes inside it"
    if ("flow sequence" in message or "flow mapping" in message) and opened:
        return f"close the `[` or `{{` opened at line {opened}"
    return "fix the YAML syntax here: check indentation, colons and quotes"
