"""bench.site: what a kept tree's key is made of."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from bench import site
from bench.kept import Prepared


def test_a_tree_kept_with_builds_is_made_again_when_the_code_of_those_builds_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The samples kept with a tree are those of the code that built it (bench.rebuild's
    cold_builds): edited, they are measured again, not read back in an older shape."""
    keys: list[str] = []
    monkeypatch.setattr(site, "hugo_version", lambda: (1, 2))
    monkeypatch.setattr(site, "prepared", lambda name, key, make: (
        keys.append(key) or Prepared(tmp_path, {}, True)))
    for shape in ("{'ours': 1}", "{'ours': 1, 'hugo': 2}"):
        builds = tmp_path / f"builds{len(keys)}.py"
        builds.write_text(f"def built(site):\n    return {shape}\n", encoding="utf-8")
        site.Site.kept("tree", 1, 0, 8, runpy.run_path(str(builds))["built"])
    assert keys[0] != keys[1]
