"""Read YAML (gallery.yaml, front matter) with the work it can cause bounded.

YAML aliases and merge keys let a few hundred bytes stand for billions of nodes (`<<: [*l, *l]`
nested 29 levels), or for a node that contains itself (`site: &s {<<: *s}`), and deep nesting
exhausts Python's recursion. Before anything walks a document, `compose_bounded` checks it:

- at most `MAX_DEPTH` levels of nesting, as written and after expanding aliases;
- at most `MAX_NODES` nodes after expanding every alias and merge key;
- no node that contains itself.

A small document with no `&` and fewer list and mapping indicators than `MAX_DEPTH` is within
the bounds as written (`_plainly_within_bounds`): most front matter, read without walking it.
A document over a bound raises `YamlBoundsError`, a `yaml.MarkedYAMLError` at the line where the
bound is crossed, so callers report it as they report any YAML error. `construct` turns a checked
node into Python values, reporting a bad tagged scalar (`!!int abc`, `!!timestamp x`, a number
too long to convert) the same way instead of raising a bare ValueError.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.events import CollectionEndEvent, CollectionStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_DEPTH = 64  # levels of nesting of lists and mappings
MAX_NODES = 200_000  # nodes once every alias and merge key is expanded
MAX_SCALAR_SHOWN = 40  # characters of a value quoted in a message
_LIBYAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlBoundsError(yaml.MarkedYAMLError):
    """A document that is valid YAML but over a bound, or a scalar its tag cannot convert."""

    def __init__(self, node_or_mark: Node | yaml.Mark, problem: str, hint: str) -> None:
        mark = node_or_mark.start_mark if isinstance(node_or_mark, Node) else node_or_mark
        super().__init__(problem=problem, problem_mark=mark, note=hint)
        self.line = mark.line + 1
        self.hint = hint

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem} ({self.hint})"


def shown(text: str) -> str:
    """A value as quoted in messages: long ones cut, with their length."""
    if len(text) <= MAX_SCALAR_SHOWN:
        return text
    return f"{text[:MAX_SCALAR_SHOWN]}… ({len(text)} characters)"


def compose_bounded(text: str, *, fast: bool = False) -> Node | None:
    """The node tree of `text` (None when empty), once it is known to be within the bounds;
    raises yaml.YAMLError (YamlBoundsError for a bound). `fast`: parse with libyaml when present
    (16 times faster; its error messages are terser than the pure-Python parser's)."""
    loader = (_LIBYAML_LOADER if fast else _Loader)(text)  # composes; `construct` constructs
    try:
        node = loader.get_single_node()
    except RecursionError:  # nested deeper than Python recurses: say where, from the events
        _check_written(text)
        raise
    finally:
        loader.dispose()
    if node is not None and not _plainly_within_bounds(text):
        _check_expanded(node)
    return node


def _plainly_within_bounds(text: str) -> bool:
    """True when `text` cannot cross a bound, so its tree need not be walked: with no `&` it
    has no anchors, hence no aliases, and its tree is as written; every list and mapping needs an
    indicator of its own (`-`, `:`, `?`, `[`, `{`), so fewer of them than MAX_DEPTH bound the
    depth; and a text that short has far fewer than MAX_NODES nodes (at most a few a character)."""
    return ("&" not in text and len(text) <= MAX_NODES // 4
            and sum(map(text.count, "-:?[{")) < MAX_DEPTH)


def construct(node: Node | None) -> Any:
    """The Python value of a node from `compose_bounded`, as yaml.safe_load would make it."""
    if node is None:
        return None
    return _Loader("").construct_document(node)


def _check_written(text: str) -> None:
    """Nesting depth and node count as written, from the parser's events (no recursion).
    Only run when composing recursed too deep: `_check_expanded` bounds the rest."""
    depth = 0
    for count, event in enumerate(yaml.parse(text, Loader=yaml.SafeLoader), start=1):
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlBoundsError(event.start_mark, f"nested more than {MAX_DEPTH} levels deep",
                                      "flatten the structure: no gallery needs this depth")
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
        if count > MAX_NODES:
            raise YamlBoundsError(event.start_mark, f"more than {MAX_NODES} values in one file",
                                  "split the content or remove repeated values")


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_expanded(root: Node) -> None:
    """Size and depth of the tree with every alias expanded, and no node inside itself.
    Iterative, each shared node measured once: linear in the size of the text."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            children = _children(node)
            size[key] = 1 + sum(size[id(child)] for child in children)
            depth[key] = 1 + max((depth[id(child)] for child in children), default=0)
            if depth[key] > MAX_DEPTH:
                raise YamlBoundsError(node, f"nested more than {MAX_DEPTH} levels deep, counting "
                                      "what `*aliases` and `<<:` merges bring in",
                                      "flatten it, or use fewer nested aliases and merges")
            if size[key] > MAX_NODES:
                raise YamlBoundsError(node, f"aliases and merge keys expand this value to more "
                                      f"than {MAX_NODES} values",
                                      "write the values out, or repeat fewer `*aliases`")
            continue
        if key in size:
            continue
        if key in on_path:
            raise YamlBoundsError(node, "this value contains itself through an alias",
                                  "an `*alias` (or `<<: *alias`) cannot point at a value it is "
                                  "inside of: copy the keys instead")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in size)


class _Loader(yaml.SafeLoader):
    """SafeLoader whose scalars that their tag cannot convert are YAML errors at their line, and
    that stops at the first `[` or `{` nested too deep (PyYAML's scanner takes time quadratic in
    the nesting: 4,000 `[` took 3 s, 20,000 over a minute)."""

    def fetch_flow_collection_start(self, TokenClass: type) -> None:
        if self.flow_level >= MAX_DEPTH:
            raise YamlBoundsError(self.get_mark(), f"nested more than {MAX_DEPTH} levels deep",
                                  "flatten the structure: no gallery needs this depth")
        super().fetch_flow_collection_start(TokenClass)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, KeyError, AttributeError, OverflowError, TypeError):
            tag = node.tag.rsplit(":", 1)[-1]
            value = shown(node.value) if isinstance(node, ScalarNode) else "this value"
            raise ConstructorError(None, None, f"`{value}` is not a valid {tag}",
                                   node.start_mark, note=f"write a valid {tag}, or make it text: "
                                   f"quote it and drop any `!!{tag}` tag") from None
