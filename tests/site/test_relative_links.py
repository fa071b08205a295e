"""Relative links between site paths are what posixpath.relpath gives, by the fast route too."""

from __future__ import annotations

import itertools
import posixpath

from generator.site.urls import folder_linker, linker, relative

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


def test_links_to_the_files_of_one_folder_are_those_made_one_by_one() -> None:
    names = ("x.png", "x-480.webp", "фото 1.jpg", "a b+c%.png", "a#b.png", "sub/y.png")
    folders = ("", "posts/p/images", "posts/p", "tags/теги", "a")
    pages = ("index.html", "posts/p/index.html", "posts/q/index.html", "a/b/c/index.html")
    for from_path, folder in itertools.product(pages, folders):
        link = folder_linker(from_path, folder)
        for name in names:
            to_path = posixpath.join(folder, name)
            assert link(to_path) == relative(from_path, to_path), (from_path, to_path)
        assert link("elsewhere/z.png") == relative(from_path, "elsewhere/z.png")


def test_a_pages_link_function_gives_the_links_made_one_by_one() -> None:
    parts = ("a", "b", "index.html", ".", "..", "", "фото 1.jpg", "x#y", "..\n", "tags")
    paths = ["/".join(p) for n in range(1, 4) for p in itertools.product(parts, repeat=n)]
    for from_path in paths[::11]:
        link = linker(from_path)
        for to_path in paths:
            assert link(to_path) == relative(from_path, to_path), (from_path, to_path)
