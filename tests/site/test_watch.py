"""The preview wakes when a watched file changes, in watched folders old and new, naming what
changed, and not for hidden files (.git, editor swap files)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.site.watch import Waker

TIMEOUT = 10.0  # only ever reached when a change is missed


@pytest.fixture
def waker(tmp_path: Path) -> Iterator[Waker]:
    (tmp_path / "content" / "posts" / "a").mkdir(parents=True)
    (tmp_path / "gallery.yaml").write_text("posts: []\n")
    waker = Waker([tmp_path / "content", tmp_path / "gallery.yaml"])
    assert waker.active
    yield waker
    waker.close()


def test_an_edit_in_a_watched_folder_wakes_it_naming_the_file(waker: Waker,
                                                               tmp_path: Path) -> None:
    page = tmp_path / "content" / "posts" / "a" / "index.md"
    page.write_text("Text.")
    assert str(page) in waker.wait(TIMEOUT)
    assert not waker.wait(0.05)  # the events were all taken


def test_a_watched_file_and_a_new_folder_wake_it(waker: Waker, tmp_path: Path) -> None:
    (tmp_path / "gallery.yaml").write_text("posts: [x]\n")
    assert waker.wait(TIMEOUT)
    (tmp_path / "content" / "posts" / "new").mkdir()
    assert waker.wait(TIMEOUT)
    (tmp_path / "content" / "posts" / "new" / "index.md").write_text("Text.")
    assert waker.wait(TIMEOUT)


def test_hidden_folders_are_not_watched(waker: Waker, tmp_path: Path) -> None:
    hidden = tmp_path / "content" / ".git"
    hidden.mkdir()
    (hidden / "index").write_text("x")
    (tmp_path / "content" / "posts" / "a" / ".index.md.swp").write_text("x")
    assert not waker.wait(0.5)
    (tmp_path / "content" / "posts" / "a" / "index.md").write_text("Text.")
    assert waker.wait(TIMEOUT)


def test_closing_it_ends_a_wait(waker: Waker) -> None:
    waiting = threading.Thread(target=waker.wait, args=(3600,), daemon=True)
    waiting.start()
    waker.close()
    waiting.join(TIMEOUT)
    assert not waiting.is_alive()
