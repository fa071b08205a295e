"""Relative links between site paths are what posixpath.relpath gives, by the fast route too."""

from __future__ import annotations

import itertools
import posixpath

from generator.site.urls import relative

PARTS = ("a", "b", "index.html", "x.png", ".", "")


def test_relative_links_equal_posixpath_relpath() -> None:
    paths = ["/".join(p) for n in range(4) for p in itertools.product(PARTS, repeat=n)]
    sites = [p for p in paths if p and not p.startswith("/") and p.strip("./")]
    for from_path, to_path in itertools.product(sites[::7], sites[::5]):
        start = posixpath.dirname(from_path) or "."
        assert relative(from_path, to_path) == posixpath.relpath(to_path, start).replace(
            "%", "%25"), (from_path, to_path)


def test_links_climbing_out_keep_the_slow_exact_route() -> None:
    assert relative("a/b/index.html", "../c.html") == posixpath.relpath("../c.html", "a/b")
    assert relative("posts/p/index.html", "posts/p/images/x.png#top") == "images/x.png#top"
