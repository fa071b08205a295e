"""A small project and its resident builder, started as `client.start` starts it and stopped by
the test that asked for it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.resident.protocol import socket_path
from tests.site.helpers import THEME, write_post

START_WITHIN = 30.0  # seconds: the builder imports the renderer before it listens


class Project:
    """A content tree with a Hugo config and its own theme, built with `python -m generator`'s
    command line."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.content = root / "content"
        self.theme = root / "theme"
        self.cache = root / ".cache"
        shutil.copytree(THEME, self.theme)
        (root / "hugo.toml").write_text('title = "Gallery"\nbaseURL = "https://example.org/"\n',
                                        encoding="utf-8")
        for n in range(5):
            write_post(self.content, f"post-{n}", title=f"Post {n}", date=f"2021-01-{n + 10}",
                       body=f"Body of post {n}.", tags=f"[t{n % 2}]")

    def argv(self, command: str = "build", *options: str) -> list[str]:
        """The command line `make build` writes, with absolute paths."""
        return ["--manifest", str(self.root / "gallery.yaml"), command, "--theme",
                str(self.theme), *options]

    def edit(self, slug: str, old: str, new: str) -> None:
        page = self.content / "posts" / slug / "index.md"
        page.write_text(page.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def start_builder(cache: Path, *, idle: float = 120.0,
                  cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """The resident builder of the project whose cache is `cache`, listening (started in `cwd`,
    as a client starts it in its own working folder)."""
    cache.mkdir(parents=True, exist_ok=True)
    builder = subprocess.Popen([sys.executable, "-m", "generator.resident.server", str(cache),
                                "--idle", str(idle)], start_new_session=True, cwd=cwd)
    path = socket_path(cache)
    deadline = time.monotonic() + START_WITHIN
    while not os.path.exists(path):
        assert builder.poll() is None, "the builder left before listening"
        assert time.monotonic() < deadline, "the builder did not listen in time"
        time.sleep(0.05)
    return builder


def stop(builder: subprocess.Popen[bytes]) -> None:
    if builder.poll() is None:
        builder.send_signal(signal.SIGTERM)
        builder.wait(timeout=10)


@pytest.fixture
def resident_wanted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds may use a resident builder (the suite turns it off; see tests/conftest.py)."""
    monkeypatch.setenv("GALLERY_RESIDENT", "1")
    monkeypatch.delenv("CI", raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path / "project")


@pytest.fixture
def builder(project: Project, resident_wanted: None) -> Iterator[subprocess.Popen[bytes]]:
    running = start_builder(project.cache)
    yield running
    stop(running)
