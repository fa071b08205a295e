"""The resident builder runs `build` and `draft` as a build of their own would, byte for byte,
and leaves when it should: idle, on new code, without its socket."""

from __future__ import annotations

import _socket
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.cli import main
from generator.resident import client
from generator.resident.client import delegate, quick
from generator.resident.protocol import Request, builder_pid, code_stamp, reach, socket_path
from generator.site.buildstate import KEPT_PAGES
from tests.resident.conftest import Project, start_builder, stop
from tests.site.helpers import run_command, stand_in, write_post
from tests.site.test_incremental import tree


def retheme(project: Project) -> None:
    single = project.theme / "templates" / "single.html"
    single.write_text(single.read_text(encoding="utf-8").replace("</article>",
                                                                  "</article><!-- edited -->"))


CHANGES = [
    ("nothing", lambda p: None),
    ("a post's text", lambda p: p.edit("post-2", "Body of post 2.", "A new body.")),
    ("a post's title", lambda p: p.edit("post-1", 'title: "Post 1"', 'title: "Retitled"')),
    ("a tag added", lambda p: p.edit("post-4", "tags: [t0]", "tags: [t0, fresh]")),
    ("an image added", lambda p: (stand_in(p.content / "posts" / "post-3" / "images" / "a.png", 3),
                                  p.edit("post-3", "Body of post 3.", "![pic](images/a.png)"))),
    ("a template edited", retheme),
    ("a setting changed", lambda p: (p.root / "hugo.toml").write_text(
        'title = "Renamed"\nbaseURL = "https://example.org/"\n', encoding="utf-8")),
    ("a post deleted", lambda p: shutil.rmtree(p.content / "posts" / "post-0")),
    ("a post added", lambda p: write_post(p.content, "new", title="New", date="2021-03-01")),
]


def test_every_kind_of_change_built_by_the_builder_gives_the_bytes_of_a_cold_build(
        project: Project, builder: subprocess.Popen[bytes]) -> None:
    for index, (name, change) in enumerate(CHANGES):
        change(project)
        assert quick(project.argv()) == 0, name  # not None: the builder ran it
        cold = project.root / f"cold-{index}"
        assert run_command(*project.argv("build", "--out", str(cold), "--cache-dir",
                                         str(project.root / f".cold-{index}"), "--full"))[0] == 0
        assert tree(project.root / "site") == tree(cold), name
    assert builder.poll() is None


def test_a_failing_build_prints_and_ends_as_a_build_of_its_own(
        project: Project, builder: subprocess.Popen[bytes],
        capfd: pytest.CaptureFixture[str]) -> None:
    project.edit("post-1", 'title: "Post 1"', 'title: [unclosed')
    capfd.readouterr()
    assert quick(project.argv()) == 1
    delegated = capfd.readouterr()
    status, alone = run_command(*project.argv("build", "--no-resident"))
    assert status == 1
    assert "post-1" in delegated.err
    assert delegated.out + delegated.err == alone
    assert builder.poll() is None  # an error in the input is not one in the builder


MANIFEST = """\
posts:
  - title: Dreamt
    date: 2021-02-01T12:00:00+00:00
    slug: dreamt
    items:
      - title: Picture
        prompt: a picture
"""


def test_a_draft_with_its_posts_and_placeholders_is_built_by_the_builder(
        project: Project, builder: subprocess.Popen[bytes]) -> None:
    (project.root / "gallery.yaml").write_text(MANIFEST, encoding="utf-8")
    assert quick(project.argv("draft")) == 0
    pages = [page.relative_to(project.root / "site").as_posix()
             for page in (project.root / "site").rglob("index.html")]
    assert any("dreamt" in page for page in pages)
    (project.root / "gallery.yaml").write_text(MANIFEST.replace("Dreamt", "Renamed"),
                                               encoding="utf-8")
    assert quick(project.argv("draft")) == 0
    assert run_command(*project.argv("draft", "--out", str(project.root / "cold"),
                                     "--full"))[0] == 0
    assert tree(project.root / "site") == tree(project.root / "cold")


def test_a_client_running_other_code_makes_the_builder_leave_keeping_its_pages(
        project: Project, builder: subprocess.Popen[bytes],
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert quick(project.argv()) == 0
    assert not (project.cache / KEPT_PAGES).exists()  # kept when it leaves, not per build
    monkeypatch.setattr(client, "code_stamp", lambda: "other code")
    assert quick(project.argv()) is None
    assert builder.wait(timeout=10) == 0
    assert (project.cache / KEPT_PAGES).is_file()  # for the build of its own that follows
    assert not os.path.exists(socket_path(project.cache))


def test_the_builder_leaves_when_its_socket_is_removed(project: Project,
                                                       builder: subprocess.Popen[bytes]) -> None:
    os.unlink(socket_path(project.cache))  # as `make clean` removes .cache/
    assert builder.wait(timeout=10) == 0


def test_an_idle_builder_leaves_and_keeps_its_pages(project: Project,
                                                    resident_wanted: None) -> None:
    idle = start_builder(project.cache, idle=1)
    try:
        assert quick(project.argv()) == 0
        assert not (project.cache / KEPT_PAGES).exists()  # kept when it leaves, not per build
        assert idle.wait(timeout=15) == 0
        assert (project.cache / KEPT_PAGES).is_file()
    finally:
        stop(idle)


def test_a_builder_whose_starting_folder_was_removed_still_answers(
        project: Project, resident_wanted: None, tmp_path: Path) -> None:
    started_in = tmp_path / "terminal"
    started_in.mkdir()
    builder = start_builder(project.cache, cwd=started_in)
    try:
        started_in.rmdir()
        assert quick(project.argv()) == 0
        assert quick(project.argv()) == 0
    finally:
        stop(builder)


def test_one_builder_per_project(project: Project, builder: subprocess.Popen[bytes]) -> None:
    second = subprocess.Popen([sys.executable, "-m", "generator.resident.server",
                               str(project.cache)])
    assert second.wait(timeout=30) == 0  # it found the lock held and left
    assert builder_pid(project.cache) == builder.pid
    assert quick(project.argv()) == 0


def test_a_command_line_of_another_project_or_command_is_left_to_its_client(
        project: Project, builder: subprocess.Popen[bytes], tmp_path: Path) -> None:
    other = Project(tmp_path / "other")
    assert delegate(other.argv(), project.cache) is None  # names another cache
    assert delegate(project.argv("build", "--full"), project.cache) is None
    assert delegate(["--manifest", str(project.root / "gallery.yaml"), "check"],
                    project.cache) is None
    assert delegate(project.argv("build", "--no-such-option"), project.cache) is None
    assert not (other.root / "site").exists()
    assert quick(project.argv()) == 0


def test_what_is_not_a_request_is_dropped_and_the_next_client_answered(
        project: Project, builder: subprocess.Popen[bytes]) -> None:
    path = socket_path(project.cache)
    code = code_stamp()
    frames = [Request(argv, cwd, umask, code).encode() for argv, cwd, umask in (
        (project.argv(), "/no/such/folder", 0o22), (project.argv(), str(project.root), -1),
        (["build"], str(project.root), 0o1000))]
    for junk in (b"", b"R\x00\x00\x00\x03abc", b"Z\xff\xff\xff\xff", b"R\x00\x00\x00\x09tail",
                 *(b"R" + len(frame).to_bytes(4, "big") + frame for frame in frames)):
        stranger = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        reach(stranger, path)
        stranger.sendall(junk)
        stranger.close()
    started = time.monotonic()
    assert quick(project.argv()) == 0
    assert time.monotonic() - started < 10  # the torn request did not hold the builder long
    assert main([*project.argv(), "--no-resident"]) == 0
