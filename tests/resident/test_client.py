"""The command line hands builds to the project's resident builder, starts one when none runs,
and builds alone whenever the builder cannot answer."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from generator.cli import build_parser, main
from generator.folders import Folders
from generator.resident import client
from generator.resident.client import LOG_NAME, delegate, quick
from generator.resident.protocol import (
    ACCEPTED,
    EXIT,
    OUT,
    builder_pid,
    reach,
    receive,
    send,
    socket_path,
)
from tests.resident.conftest import Project, start_builder, stop

ROOT = Path(__file__).resolve().parents[2]


def command(project: Project, *argv: str) -> subprocess.CompletedProcess[str]:
    """`python -m generator ARGV` in a process of its own, as `make build` runs it."""
    env = {**os.environ, "GALLERY_RESIDENT": "1", "PYTHONPATH": str(ROOT)}
    env.pop("CI", None)
    return subprocess.run([sys.executable, "-m", "generator", *argv], cwd=project.root, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_build_with_no_builder_builds_alone_and_starts_one_for_the_next(
        project: Project) -> None:
    first = command(project, *project.argv())
    assert first.returncode == 0, first.stderr
    assert "resident builder keeps this site" in first.stderr
    deadline = time.monotonic() + 30
    while (pid := builder_pid(project.cache)) is None:
        assert time.monotonic() < deadline, (project.cache / LOG_NAME).read_text()
        time.sleep(0.05)
    try:
        project.edit("post-2", "Body of post 2.", "A new body.")
        second = command(project, *project.argv())
        assert second.returncode == 0, second.stderr
        assert "resident builder keeps" not in second.stderr  # it answered; none was started
        assert "A new body." in (project.root / "site" / "posts" / "post-2" /
                                 "index.html").read_text(encoding="utf-8")
        assert builder_pid(project.cache) == pid
    finally:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while builder_pid(project.cache) is not None and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.mark.parametrize("declined", ["--no-resident", "GALLERY_RESIDENT=0", "CI=true", "--full"])
def test_a_build_that_declines_the_builder_starts_none(
        project: Project, declined: str, resident_wanted: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    argv = project.argv()
    if declined.startswith("--"):
        argv.append(declined)
    else:
        monkeypatch.setenv(*declined.split("="))
    assert quick(argv) is None
    assert main(argv) == 0
    assert not (project.cache / LOG_NAME).exists()


ACCEPTED_BY_QUICK = [
    ["build"],
    ["draft"],
    ["--manifest", "sub/gallery.yaml", "build", "--strict", "--drafts", "--placeholders"],
    ["--manifest=link/gallery.yaml", "build", "--out", "elsewhere", "--content", "c"],
    ["--manifest", "../project/sub/other.yaml", "draft", "--theme", "t"],
]
LEFT_TO_THE_PARSER = [
    ["check"], ["site"], ["build", "--full"], ["build", "--no-resident"], ["-h"],
    ["build", "--source", "s"], ["build", "--cache-dir", "c"], ["--man", "x.yaml", "build"],
    ["build", "--out"], ["build", "--content", "--drafts"], ["--manifest", "build"],
    ["--manifest=", "build"], ["build", "draft"], ["--drafts", "build"],
]


def test_quick_knows_the_project_of_the_command_lines_it_sends_as_the_parser_does(
        project: Project, resident_wanted: None, monkeypatch: pytest.MonkeyPatch) -> None:
    (project.root / "sub").mkdir()
    (project.root / "link").symlink_to(project.root / "sub")
    monkeypatch.chdir(project.root)
    asked: list[str] = []
    monkeypatch.setattr(client, "delegate",
                        lambda argv, cache: asked.append(os.fspath(cache)) or 0)
    for argv in ACCEPTED_BY_QUICK:
        assert quick(argv) == 0, argv
        parsed = Folders.from_args(build_parser().parse_args(argv)).cache
        assert os.path.realpath(asked.pop()) == os.path.realpath(parsed), argv
    for argv in LEFT_TO_THE_PARSER:
        assert quick(argv) is None, argv
    assert asked == []


def pretend_builder(path: str, frames: list[tuple[bytes, bytes]],
                    delay: float = 0.0) -> threading.Thread:
    """A builder at `path` that answers one client with `frames` (after `delay`) and leaves."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    reach(listener, path, listen=True)
    listener.listen(1)
    listener.settimeout(30)

    def answer() -> None:
        with listener, listener.accept()[0] as connection:
            receive(connection)  # the request
            time.sleep(delay)
            for kind, data in frames:
                send(connection, kind, data)
        os.unlink(path)

    thread = threading.Thread(target=answer)
    thread.start()
    return thread


def test_a_builder_that_stops_mid_build_leaves_the_build_to_its_client(
        project: Project, capfd: pytest.CaptureFixture[str]) -> None:
    project.cache.mkdir()
    path = socket_path(project.cache)
    thread = pretend_builder(path, [(ACCEPTED, b""), (OUT, b"site: half a report\n")])
    assert delegate(project.argv(), project.cache) is None  # main() then builds alone
    thread.join(timeout=30)
    printed = capfd.readouterr()
    assert "site: half a report" in printed.out
    assert "stopped before the build ended; building in this process" in printed.err


def test_a_busy_builder_is_waited_for_and_said_to_be(
        project: Project, capfd: pytest.CaptureFixture[str]) -> None:
    project.cache.mkdir()
    path = socket_path(project.cache)
    thread = pretend_builder(path, [(ACCEPTED, b""), (EXIT, b"0")],
                             delay=client.BUSY_NOTE_AFTER + 0.3)
    assert delegate(project.argv(), project.cache) == 0
    thread.join(timeout=30)
    assert "waiting for the resident builder" in capfd.readouterr().err


def test_a_project_deeper_than_a_socket_path_may_be_is_answered_too(
        tmp_path: Path, resident_wanted: None) -> None:
    deep = Project(tmp_path / ("d" * 90) / ("e" * 90))
    assert len(socket_path(deep.cache)) > 200  # sun_path holds 108 bytes
    builder = start_builder(deep.cache)
    try:
        assert quick(deep.argv()) == 0
        assert (deep.root / "site" / "index.html").is_file()
    finally:
        stop(builder)


class ClosedPipe(io.TextIOWrapper):
    """sys.stdout when the command's output goes to `head -1`, which has left."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO())

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_output_that_cannot_be_written_is_dropped_and_the_build_is_not_run_twice(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.cache.mkdir()
    thread = pretend_builder(socket_path(project.cache),
                             [(ACCEPTED, b""), (OUT, b"site: one\n"), (OUT, b"site: two\n"),
                              (EXIT, b"1")])
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert delegate(project.argv(), project.cache) == 1  # not None: nothing to build again
    thread.join(timeout=30)


def test_a_builder_that_cannot_be_started_leaves_the_build_as_it_was(
        project: Project, resident_wanted: None, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(subprocess, "Popen", refused)
    assert main(project.argv()) == 0
    assert "resident builder" not in capsys.readouterr().err
