"""Early pages: what an edit of page bodies shows, rendered before the preview's full rebuild.

Hugo's "fast render", for our preview: when every file changed since the last successful build is
the Markdown file of a page that build wrote a page of its own for (a post, a top-level page)
and its front matter is byte for byte the same (`Page.head`), the pages of those files are
rendered again from that build's state kept in memory (`WarmCaches.site`: its pages, addresses,
post order, terms, menu and theme) by `Builder.render_again`. Such a page is a function of its
own body and of the front matter of the pages around it, which did not change, so its bytes are
those the full rebuild writes for it; everything else the edit reaches (lists showing the
summary, feeds, taxonomy pages) waits for that rebuild.

Any other change (a new, removed or renamed file, a front-matter edit, a section's _index.md, a
theme, config, static or image file, another file left in a bundle), a body showing an image the
last build did not publish, a problem in a body, or more than `MOST_FILES` files gives no early
pages: the full rebuild shows the edit, and reports what is wrong.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import GalleryError

if TYPE_CHECKING:
    from generator.site.pipeline import Builder
    from generator.site.warm import WarmCaches

MOST_FILES = 20  # more files changed at once: the full rebuild is about as quick


class EarlyPages:
    """The early pages of an edit, from the last build of the process whose caches are `warm`.

    Called with the files changed since that build read them -> {site path: bytes} of their
    pages, or None when it cannot tell."""

    def __init__(self, warm: WarmCaches) -> None:
        self.warm = warm

    def __call__(self, changed: Collection[str]) -> dict[str, bytes] | None:
        site = self.warm.site
        if not site or len(changed) > MOST_FILES:
            return None
        pages: dict[str, bytes] = {}
        for name in changed:
            owner = _owner(site, name)
            if owner is None:
                return None
            builder, source = owner
            try:
                page = builder.render_again(source, source.read_bytes())
            except (OSError, GalleryError):  # gone again, or a problem: the rebuild tells
                return None
            if page is None:
                return None
            path, data = page
            pages[path] = data
        return pages


def _owner(site: tuple[Builder, ...], name: str) -> tuple[Builder, Path] | None:
    """The builder of `site` that rendered a page from the file `name`, and the file as that
    builder names it (its content folder, as given, joined with the file's path there)."""
    file = Path(os.path.abspath(name))
    for builder in site:
        folder = Path(os.path.abspath(builder.content_dir))
        if folder in file.parents:
            source = builder.content_dir / file.relative_to(folder)
            if builder.rendered_from(source):
                return builder, source
    return None
