"""Every hostile project of the corpus (cases.py) through `check` and `draft`, in process.

For each: no traceback (any exception but a reported error fails the test), `check` and `draft`
agree (check passing means draft succeeds; check failing means draft fails), the error names
what the case expects, every file the author had is byte-identical afterwards, and nothing
outside the project is read (an audit hook watches every open) or changed.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from generator.cli import main
from tests.hostile.cases import SECRET, Case, File, Folder, Link, all_cases, small_png

HANG_SECONDS = 60  # each case takes well under a second; the bombs once ran for hours
_opened: list[tuple[str, str]] | None = None  # (path, mode) of every open while a case runs


def _audit(event: str, args: tuple) -> None:
    if _opened is not None and event == "open" and isinstance(args[0], (str, bytes, Path)):
        path = os.fsdecode(args[0])
        mode = args[1] if isinstance(args[1], str) else ""
        flags = args[2] if isinstance(args[2], int) else 0
        writing = any(c in mode for c in "wax+") or flags & (os.O_WRONLY | os.O_RDWR)
        _opened.append((path, "w" if writing else "r"))


sys.addaudithook(_audit)


def _make(root: Path, files: dict[str, File]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Folder):
            path.mkdir()
        elif isinstance(content, Link):
            path.symlink_to(content.target)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def _snapshot(root: Path) -> dict[str, bytes | str]:
    """Every file and link under `root`: bytes, or the target of a link."""
    state: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        if path.is_symlink():
            state[key] = os.readlink(path)
        elif path.is_file():
            state[key] = path.read_bytes()
        else:
            state[key] = "<folder>"
    return state


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@contextmanager
def _watching_opens() -> Iterator[list[tuple[str, str]]]:
    global _opened
    _opened = []
    try:
        yield _opened
    finally:
        _opened = None


def _hung(signum: int, frame: object) -> None:
    raise TimeoutError(f"still running after {HANG_SECONDS} s: a hang")


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """main(argv) -> (exit code, stderr); an exception here is the traceback the author would
    see, and a run past HANG_SECONDS is stopped as a hang (a bound, not a speed test)."""
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(HANG_SECONDS)
    try:
        code = main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return code, capsys.readouterr().err


CASES = all_cases()


def test_the_corpus_is_large_and_names_are_unique() -> None:
    assert len(CASES) >= 60
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_project(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project, outside = tmp_path / "project", tmp_path / "outside"
    _make(outside, {"secret.txt": SECRET, "secret.png": small_png(),
                    "secret.yaml": f"title: {SECRET}\n"})
    _make(project, case.files)
    author, elsewhere = _snapshot(project), _snapshot(tmp_path)
    for name in case.tool_files:
        del author[name]
    manifest = ["--manifest", str(project / "gallery.yaml")]

    with _watching_opens() as opened:
        check_code, check_err = _run([*manifest, "check"], capsys)
        draft_code, draft_err = _run([*manifest, "draft"], capsys)

    assert "Traceback" not in check_err + draft_err
    if case.expect is None:
        assert (check_code, draft_code) == (0, 0), check_err + draft_err
    else:
        assert check_code == 1 and case.expect in check_err, check_err
        assert draft_code == 1 and draft_err.startswith("error:"), draft_err
    after = _snapshot(project)
    assert {name: after.get(name) for name in author} == author  # the author's files, untouched
    assert {k: v for k, v in _snapshot(tmp_path).items() if not k.startswith("project/")} == {
        k: v for k, v in elsewhere.items() if not k.startswith("project/")}
    resolved = [(Path(os.path.realpath(path)), mode) for path, mode in opened]
    assert not [path for path, _ in resolved if _inside(path, outside)]
    written_elsewhere = [path for path, mode in resolved if mode == "w"
                         and not _inside(path, project) and "__pycache__" not in path.parts
                         and path != Path(os.devnull)]
    assert not written_elsewhere
    site = project / "site"
    published = [p for p in site.rglob("*") if p.is_file()] if site.is_dir() else []
    assert not [p for p in published if SECRET.encode() in p.read_bytes()]
