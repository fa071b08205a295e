"""Bounded YAML: bombs, self-containing values and deep nesting are errors at their line; what
stays within the bounds reads exactly as yaml.safe_load reads it."""

from __future__ import annotations

import pytest
import yaml

from generator.yamlbounds import MAX_DEPTH, YamlBoundsError, compose_bounded, construct


def bounds_error(text: str) -> YamlBoundsError:
    with pytest.raises(YamlBoundsError) as caught:
        compose_bounded(text)
    return caught.value


def test_a_merge_key_bomb_is_refused_where_it_crosses_the_bound() -> None:
    lines = ["a0: &a0 {k: v}"] + [f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}]}}"
                                  for i in range(1, 30)]
    error = bounds_error("\n".join(lines) + "\n")
    assert "expand" in error.problem and 17 <= error.line <= 19  # 2**17 nodes pass 200,000


def test_a_value_inside_itself_is_refused_at_its_line() -> None:
    error = bounds_error("posts: []\nsite: &s {<<: *s}\n")
    assert error.line == 2 and "contains itself" in error.problem


def test_nesting_is_bounded_as_written_and_through_aliases() -> None:
    assert "nested" in bounds_error("x: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)).problem
    chain = "".join(f"- &m{i} [*m{i - 1}]\n" for i in range(1, MAX_DEPTH + 2))
    assert "counting what `*aliases`" in bounds_error("- &m0 [x]\n" + chain).problem


@pytest.mark.parametrize("fast", [False, True])
def test_block_nesting_without_brackets_or_aliases_is_bounded_too(fast: bool) -> None:
    deepest = "- " * (MAX_DEPTH - 1) + "x\n"  # one line, MAX_DEPTH levels with the scalar
    assert construct(compose_bounded(deepest, fast=fast)) == yaml.safe_load(deepest)
    with pytest.raises(YamlBoundsError, match="nested"):
        compose_bounded("- " + deepest, fast=fast)


def test_values_within_the_bounds_read_as_safe_load_reads_them() -> None:
    text = "base: &b {k: 1, when: 2021-03-30}\nother:\n  <<: *b\n  k: 2\nlist: [*b, *b]\n"
    assert construct(compose_bounded(text)) == yaml.safe_load(text)
    assert compose_bounded("") is None


@pytest.mark.parametrize(("text", "message"), [
    ("x: !!int abc", "`abc` is not a valid int"),
    ("x: !!bool maybe", "`maybe` is not a valid bool"),
    ("x: !!timestamp x", "`x` is not a valid timestamp"),
    ("x: " + "9" * 5000, "(5000 characters)` is not a valid int"),
])
def test_a_scalar_its_tag_cannot_convert_is_a_yaml_error_at_its_line(text: str,
                                                                     message: str) -> None:
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        construct(compose_bounded("ok: 1\n" + text + "\n"))
    assert message in caught.value.problem and caught.value.problem_mark.line == 1


def test_libyaml_composition_has_the_same_bounds() -> None:
    lines = ["a0: &a0 {k: v}"] + [f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}]}}"
                                  for i in range(1, 30)]
    for text in ("site: &s {<<: *s}\n", "\n".join(lines) + "\n"):
        with pytest.raises(YamlBoundsError):
            compose_bounded(text, fast=True)
    text = "base: &b {k: 1}\nother: {<<: *b, j: 2}\n"
    assert construct(compose_bounded(text, fast=True)) == yaml.safe_load(text)
