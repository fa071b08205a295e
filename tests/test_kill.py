"""`draft` killed with SIGKILL at random moments and at the exact dangerous ones: site/ is a
complete site whenever an observer looks, and the next run cleans up and succeeds.

Each run is a real `python -m generator draft` process. Faults are injected by a wrapper that
patches one function in that process to kill it at the chosen point, so the product carries no
test hooks.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LEFTOVER = re.compile(r"^\.site-(build|old)-|\.tmp$|^\.write-in-progress$")
KILLS = 20

# Runs `python -m generator` after patching the function named by argv[1] to SIGKILL the process.
WRAPPER = """
import os, signal, sys
from generator import fsutil
from generator.gallery import ownership
from generator.site import outdir
from generator.cli import main

def die():
    os.kill(os.getpid(), signal.SIGKILL)

fault = sys.argv[1]
real_swap, real_replace, real_save = outdir.swap_in_directory, os.replace, ownership.Ownership.save
saved = []

def swap(fresh, target):
    if fault == "before-exchange":
        die()
    old = real_swap(fresh, target)
    if fault in ("after-exchange", "fallback-after-swap"):
        die()
    return old

def replace(source, target):
    real_replace(source, target)
    if fault == "fallback-between-renames" and ".site-old-" in str(target):
        die()

def replace_after_temporary(source, target):
    if str(source).endswith(".tmp") and "content" in str(target):
        die()
    real_replace(source, target)

def save(self):
    real_save(self)
    saved.append(self)
    if len(saved) == 2:
        die()

if fault.startswith("fallback"):
    fsutil.exchange = lambda *_: False
    os.replace = replace
if fault == "content-temporary":
    os.replace = replace_after_temporary
if fault == "content-half-written":
    ownership.Ownership.save = save
outdir.swap_in_directory = swap
sys.exit(main(sys.argv[2:]))
"""


def manifest(version: int) -> str:
    """Posts 0-5; odd versions retitle some, drop post 5 and add post 6 (content/ changes)."""
    slugs = [0, 1, 2, 3, 4, 6] if version % 2 else [0, 1, 2, 3, 4, 5]
    posts = "".join(f"""\
  - title: Post {n}{" (v2)" if version % 2 and n % 2 else ""}
    date: 2021-0{n + 1}-01T12:00:00+00:00
    slug: post-{n}
    tags: [tag{n % 3}]
    intro: Version {version % 2} of post {n}.
    items:
      - title: Picture {n}
        prompt: a picture number {n}
""" for n in slugs)
    return f"""\
site:
  title: Kill test
  base_url: https://example.org/
  image_widths: [32]
posts:
{posts}"""


def draft(project: Path, version: int, fault: str = "none") -> subprocess.Popen[bytes]:
    (project / "gallery.yaml").write_text(manifest(version), encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-c", WRAPPER, fault, "--manifest", str(project / "gallery.yaml"),
         "draft"],
        cwd=project, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


# In the old site and the new one alike: a reader must always find all of them, complete.
ALWAYS = ["index.html", "index.xml", "sitemap.xml", "404.html", "tags/tag0/index.html",
          *(f"posts/post-{n}/index.html" for n in range(5))]


def incomplete(site: Path) -> list[str]:
    """What a reader of site/ misses right now (empty when it sees a whole site)."""
    missing = []
    for name in ALWAYS:
        try:
            text = (site / name).read_bytes()
        except OSError:
            missing.append(name)
            continue
        if name.endswith(".html") and not text.rstrip().endswith(b"</html>"):
            missing.append(f"{name} (cut short)")
    return missing


class Observer(threading.Thread):
    """Looks at site/ over and over, as a web server or rsync would, and records what it misses."""

    def __init__(self, site: Path) -> None:
        super().__init__(daemon=True)
        self.site = site
        self.stop = threading.Event()
        self.looks = 0
        self.failures: list[str] = []

    def run(self) -> None:
        while not self.stop.wait(0.002):
            self.looks += 1
            missing = incomplete(self.site)
            if missing:
                self.failures.append(", ".join(missing))

    def __enter__(self) -> Observer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.join(timeout=10)


def leftovers(project: Path) -> list[str]:
    return sorted(str(p.relative_to(project)) for p in project.rglob("*")
                  if LEFTOVER.search(p.name))


def finish(project: Path, version: int) -> None:
    """A run to the end succeeds and leaves nothing of the killed runs behind."""
    run = draft(project, version)
    _, errors = run.communicate(timeout=120)
    assert run.returncode == 0, errors.decode()
    assert leftovers(project) == []
    assert incomplete(project / "site") == []


@pytest.fixture
def project(tmp_path: Path) -> Path:
    finish(tmp_path, 0)
    return tmp_path


def test_random_kills_never_show_a_broken_site(project: Path) -> None:
    started = time.monotonic()
    finish(project, 1)
    duration = time.monotonic() - started
    seed = random.randrange(1 << 30)
    chance = random.Random(seed)
    with Observer(project / "site") as observer:
        for version in range(KILLS):
            run = draft(project, version)
            time.sleep(chance.uniform(0.0, duration))
            run.send_signal(signal.SIGKILL)
            run.wait(timeout=60)
    assert observer.failures == [], f"seed {seed}"
    assert observer.looks > 100
    finish(project, KILLS)
    written = {p.name for p in (project / "content" / "posts").iterdir()
               if (p / "index.md").exists()}
    assert written == {f"post-{n}" for n in (0, 1, 2, 3, 4, 5)}


@pytest.mark.parametrize("fault", ["before-exchange", "after-exchange", "content-temporary",
                                   "content-half-written"])
def test_kill_at_a_dangerous_point(project: Path, fault: str) -> None:
    with Observer(project / "site") as observer:
        run = draft(project, 1, fault)
        run.wait(timeout=120)
        assert run.returncode == -signal.SIGKILL, "the fault was never reached"
        if fault == "content-half-written":  # `build` alone refuses a half-written content/
            build = subprocess.run(
                [sys.executable, "-m", "generator", "--manifest", str(project / "gallery.yaml"),
                 "build"], cwd=project, env={**os.environ, "PYTHONPATH": str(ROOT)},
                capture_output=True, text=True, timeout=120)
            assert build.returncode == 1 and "make posts" in build.stderr
        finish(project, 1)
    assert observer.failures == []
    assert "Post 1 (v2)" in (project / "site" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("fault", ["fallback-between-renames", "fallback-after-swap"])
def test_kill_during_the_fallback_swap_is_repaired_by_the_next_run(
        project: Path, fault: str) -> None:
    """Where the system cannot exchange two folders, the swap is two renames; a kill between
    them leaves no site/ until the next run puts the old one back."""
    run = draft(project, 1, fault)
    run.wait(timeout=120)
    assert run.returncode == -signal.SIGKILL
    finish(project, 1)
