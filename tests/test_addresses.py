"""The addresses the site generates, which the gallery refuses for posts: one list both use."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.addresses import generated_by_site, theme_static_paths, url_file

THEME = Path(__file__).resolve().parents[1] / "theme"


@pytest.mark.parametrize("url", ["/index.xml", "/sitemap.xml", "/404.html", "/tags/",
                                 "/tags/dogs/", "/categories/", "/posts/", "/page/2/", "/page/1",
                                 "/posts/page/3/", "/index.html", "/", "/Index.XML",
                                 "/style.css", "/style.css/x/"])
def test_addresses_the_site_generates_are_taken(url: str) -> None:
    assert generated_by_site(url_file(url), theme_static_paths(THEME)) is not None


@pytest.mark.parametrize("url", ["/2021/post/", "/posts/my-post/", "/about.html",
                                 "/page/two/", "/pages/2/", "/tagsoup/", "/style/"])
def test_other_addresses_are_free(url: str) -> None:
    assert generated_by_site(url_file(url), theme_static_paths(THEME)) is None


def test_url_file_names_the_file_a_url_is_written_to() -> None:
    assert url_file("/2021/post") == url_file("/2021/post/") == "2021/post/index.html"
    assert url_file("/about.html") == "about.html"
    assert url_file("/x.xml/") == "x.xml/index.html"
    assert "style.css" in theme_static_paths(THEME)
