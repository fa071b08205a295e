"""Translations are the pages of one content path in several languages."""

from __future__ import annotations

from pathlib import Path

from generator.site.content import read_page
from generator.site.languages import translation_key


def test_a_translation_is_found_whatever_the_case_of_its_language_suffix(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    for name in ("post.md", "post.FR.md", "post.de.md"):
        (content / "posts" / name).write_text("---\ntitle: T\n---\nText.\n", encoding="utf-8")
    keys = {translation_key(read_page(content / "posts" / name, content,
                                      languages=frozenset({"fr", "de"})))
            for name in ("post.md", "post.FR.md", "post.de.md")}
    assert keys == {("page", "posts/post.md")}
