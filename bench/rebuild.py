"""Rebuilds against Hugo in the same run: what an author does all day, on the same trees.

For text-only trees and trees with images (20 posts, and 1,000 unless --quick: text-only, 2
images of 256 px a post, and 5 of 512 px, the tree issue 11 was measured on), each side builds
cold, then rebuilds after: nothing, one post's text edited, one post's title edited (lists and
feeds change), one post added, one image replaced. Each build is a child process (wall, CPU,
peak memory); both sides read the same content/ folder, so every change is seen by both.

The trees and both cold builds in them are kept between runs (bench.kept): a later run reports
the kept cold samples and measures the rebuilds again. A kept tree comes back as new links and
copies, which neither side's warm state has seen, so each side first builds unmeasured, twice:
ours keeps the site before the live one as the spare it renders into next (see
generator/site/outdir.py), so the first build makes a spare of the restored site, and the second,
after a page is saved again unchanged, brings that spare up to date; it also starts the tree's
resident builder (generator/resident/). The rebuilds measured are then those of an author's day.
Each change is measured twice, each time against a Hugo rebuild of its own: answered by the
resident builder, as `make build` runs after the first build of a session (its CPU time added
to the command's), and in a process of its own (--no-resident), as the first build after an hour
away, or on a CI.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from bench.corpus import FRONT_MATTER
from bench.kept import replace_text
from bench.measure import Sample, compare
from bench.site import Site

# (posts, images a post, px square): 1,000 posts x 5 images of 512 px is the tree issue 11 was
# measured on; Hugo's cold build of it takes a quarter of an hour here, once (kept after).
TREES = [(20, 0, 0), (20, 2, 256), (1000, 0, 0), (1000, 2, 256), (1000, 5, 512)]
QUICK_TREES = TREES[:2]


def resave(site: Site) -> None:
    page = site.content / "posts" / "bench-post-1" / "index.md"
    replace_text(page, page.read_text(encoding="utf-8"))


def edit_text(site: Site) -> None:
    page = site.content / "posts" / "bench-post-2" / "index.md"
    replace_text(page, page.read_text(encoding="utf-8").replace(
        "Intro paragraph", f"Edited ({site.changes}) paragraph", 1))
    site.changes += 1


def edit_title(site: Site) -> None:
    page = site.content / "posts" / "bench-post-3" / "index.md"
    text = page.read_text(encoding="utf-8")
    title = text.split("\n", 2)[1]
    replace_text(page, text.replace(title, f'title: "Retitled {site.changes}"', 1))
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


def cold_builds(site: Site) -> dict[str, Any]:
    """Both sides' cold builds of a new tree, as samples to keep with it."""
    ours, hugo = site.ours(), site.hugo()
    shutil.rmtree(site.public)  # Hugo reads nothing of it, and writes its files in place
    return {"ours": asdict(ours), "hugo": asdict(hugo), "made": time.strftime("%m-%d %H:%M")}


def measure(posts: int, images: int, size: int) -> list[str]:
    kind = f"{posts} posts x {images} images of {size} px" if images else f"{posts} text-only posts"
    name = f"rebuild-{posts}x{images}" + (f"x{size}" if images and size != 256 else "")
    site, tree = Site.kept(name, posts, images, size, cold_builds)
    kept = f", kept {tree.facts['made']}" if tree.reused else ""  # when it was measured
    results = [(f"cold{kept}", Sample(**tree.facts["ours"]), Sample(**tree.facts["hugo"]))]
    site.ours(), site.hugo()  # settle: see the module's docstring
    resave(site)
    site.start_builder(), site.hugo()
    changes = CHANGES + ([("one image replaced", Site.change_one_image)] if images else [])
    try:
        for label, change in changes:
            change(site)
            results.append((label, site.ours(resident=True), site.hugo()))
            change(site)
            results.append((f"{label}, own process", site.ours(), site.hugo()))
    finally:
        site.stop_builder()
    return [f"-- {kind}", *(compare(label, ours, hugo, "hugo") for label, ours, hugo in results)]


def run(quick: bool) -> list[str]:
    lines = ["widths 480/960/1600 on both sides (WebP + JPEG)"]
    for posts, images, size in QUICK_TREES if quick else TREES:
        lines += measure(posts, images, size)
    lines.append("(wall times vary when other work shares the machine; CPU times are steadier)")
    return lines
