"""Rebuilds against Hugo in the same run: what an author does all day, on the same trees.

For text-only trees and trees with images (20 posts, and 1,000 unless --quick), each side builds
cold, then rebuilds after: nothing, one post's text edited, one post's title edited (lists and
feeds change), one post added, one image replaced. Each build is a child process (wall, CPU,
peak memory); both sides read the same content/ folder, so every change is seen by both.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.corpus import FRONT_MATTER
from bench.measure import Sample, compare
from bench.site import Site


def edit_text(site: Site) -> None:
    page = site.content / "posts" / "bench-post-2" / "index.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "Intro paragraph", f"Edited ({site.changes}) paragraph", 1), encoding="utf-8")
    site.changes += 1


def edit_title(site: Site) -> None:
    page = site.content / "posts" / "bench-post-3" / "index.md"
    text = page.read_text(encoding="utf-8")
    title = text.split("\n", 2)[1]
    page.write_text(text.replace(title, f'title: "Retitled {site.changes}"', 1),
                    encoding="utf-8")
    site.changes += 1


def add_post(site: Site) -> None:
    n = 90000 + site.changes
    bundle = site.content / "posts" / f"added-{n}"
    bundle.mkdir(parents=True)
    body = FRONT_MATTER.format(n=n, month=12, day=28) + f"\n[^mark{n}]: A footnote.\n"
    (bundle / "index.md").write_text(body, encoding="utf-8")
    site.changes += 1


CHANGES: list[tuple[str, Callable[[Site], None]]] = [
    ("no-op", lambda site: None),
    ("one text edit", edit_text),
    ("one title edit", edit_title),
    ("one post added", add_post),
]


def measure(posts: int, images: int) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as tmp:
        site = Site(Path(tmp), posts, images, 256)
        kind = f"{posts} posts x {images} images" if images else f"{posts} text-only posts"
        lines = [f"-- {kind}"]
        site.clean()
        results: list[tuple[str, Sample, Sample]] = [("cold", site.ours(), site.hugo())]
        changes = CHANGES + ([("one image replaced", Site.change_one_image)] if images else [])
        for label, change in changes:
            change(site)
            results.append((label, site.ours(), site.hugo()))
        lines += [compare(label, ours, hugo, "hugo") for label, ours, hugo in results]
        return lines


def run(quick: bool) -> list[str]:
    sizes = [(20, 0), (20, 2)] if quick else [(20, 0), (20, 2), (1000, 0), (1000, 2)]
    lines = ["widths 480/960/1600 on both sides (WebP + JPEG); images 256 px"]
    for posts, images in sizes:
        lines += measure(posts, images)
    lines.append("(wall times vary when other work shares the machine; CPU times are steadier)")
    return lines
