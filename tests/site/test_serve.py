"""`make serve`: rebuilds on change, keeps the last good site on a bad edit, reloads pages, and
shows an edited body before its rebuild is done."""

from __future__ import annotations

import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

import pytest

from generator.cli import build_parser
from generator.commands.serve import preview_rebuild
from generator.folders import Folders
from generator.settings import SiteSettings
from generator.site.build import build_site
from generator.site.early import EarlyPages
from generator.site.preview import Preview
from generator.site.serve import RELOAD_SCRIPT, make_server, serve
from generator.site.warm import WarmCaches
from tests.site.helpers import THEME, write_post

GALLERY = """\
site:
  title: Preview
posts:
  - title: Post
    date: 2021-03-30T15:00:00+03:00
    url: /2021/post/
    items:
      - title: Dog
        comment: {comment}
"""


def write_gallery(root: Path, comment: str) -> None:
    (root / "gallery.yaml").write_text(GALLERY.format(comment=comment), encoding="utf-8")


@pytest.fixture
def preview(tmp_path: Path) -> Preview:
    write_gallery(tmp_path, "first")
    args = build_parser().parse_args(["--manifest", str(tmp_path / "gallery.yaml"), "serve"])
    return Preview(tmp_path / "site", preview_rebuild(args, Folders.from_args(args), WarmCaches()),
                   [tmp_path / "gallery.yaml", tmp_path / "content"], say=lambda _: None)


def page(root: Path) -> str:
    return (root / "site" / "2021" / "post" / "index.html").read_text(encoding="utf-8")


def test_rebuilds_only_when_something_changed(preview: Preview, tmp_path: Path) -> None:
    assert preview.refresh() and preview.version == 1
    assert not preview.refresh()  # what the build itself wrote into content/ is no change
    write_gallery(tmp_path, "second")
    assert preview.refresh() and preview.version == 2
    assert "second" in page(tmp_path)


def test_a_bad_edit_keeps_serving_the_last_good_site(preview: Preview, tmp_path: Path) -> None:
    messages: list[str] = []
    preview.say = messages.append
    preview.refresh()
    (tmp_path / "gallery.yaml").write_text("posts: [", encoding="utf-8")
    assert not preview.refresh()
    assert preview.version == 1 and "first" in page(tmp_path)
    assert any("gallery.yaml:1" in message for message in messages)


@pytest.fixture
def server(preview: Preview, tmp_path: Path) -> Iterator[str]:
    preview.refresh()
    httpd = make_server(preview, "127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def test_pages_are_served_with_the_reload_script(server: str, tmp_path: Path) -> None:
    assert RELOAD_SCRIPT in get(f"{server}/2021/post/")
    assert RELOAD_SCRIPT in get(f"{server}/index.html")
    assert get(f"{server}/__version") == "1"
    css = get(f"{server}/style.css")
    assert css == (tmp_path / "site" / "style.css").read_text(encoding="utf-8")
    assert RELOAD_SCRIPT not in page(tmp_path)  # site/ itself stays deployable


def test_head_answers_with_the_headers_of_get(server: str) -> None:
    """An HTML page's length includes the reload script that GET adds (HEAD used to give the
    file's own, so did it for an early page: the old file's)."""
    for path in ("/2021/post/", "/style.css", "/__version"):
        answers = []
        for method in ("GET", "HEAD"):
            request = urllib.request.Request(f"{server}{path}", method=method)
            with urllib.request.urlopen(request, timeout=10) as response:
                answers.append((response.headers["Content-Length"],
                                response.headers["Content-Type"], len(response.read())))
        (get_length, get_type, body), (head_length, head_type, head_body) = answers
        assert (head_length, head_type, head_body) == (get_length, get_type, 0), path
        assert int(get_length) == body


def status_of(server: str, path: str, method: str = "GET") -> int:
    request = urllib.request.Request(f"{server}{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_paths_no_file_can_have_get_an_error_answer(server: str, method: str) -> None:
    assert status_of(server, "/%00", method) == 400
    assert status_of(server, "/2021/%00/index.html", method) == 400
    assert status_of(server, "/" + "a" * 300 + "/", method) == 404
    assert status_of(server, "/2021/" + urllib.parse.quote("я" * 200), method) == 404
    assert status_of(server, "/2021/post/", method) == 200  # and it goes on serving


def test_an_idle_connection_is_closed(preview: Preview, tmp_path: Path) -> None:
    preview.refresh()
    httpd = make_server(preview, "127.0.0.1", 0, idle_seconds=0.2)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with socket.create_connection(httpd.server_address[:2], timeout=10) as client:
            client.sendall(b"GET /index.html HTTP/1.1\r\n")  # and never the rest
            assert client.recv(1024) == b""  # the server hung up; a hang would time out here
    finally:
        httpd.shutdown()
        httpd.server_close()


TIMEOUT = 10.0  # only ever reached when something is broken


def eventually(check: Callable[[], bool]) -> bool:
    """True once `check` is, asked every 20 ms for at most TIMEOUT seconds."""
    deadline = time.monotonic() + TIMEOUT
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_serve_shows_an_edited_body_at_once_and_the_lists_after_the_rebuild(
        tmp_path: Path) -> None:
    content = tmp_path / "content"
    for n in range(3):
        write_post(content, f"post-{n}", title=f"Post {n}", date=f"2021-01-1{n}",
                   body=f"Body of post {n}.")
    warm, may_build = WarmCaches(), threading.Event()
    may_build.set()

    def rebuild() -> frozenset[str]:
        assert may_build.wait(TIMEOUT), "the test never let the rebuild run"
        return build_site(content, tmp_path / "site", SiteSettings(title="Preview"),
                          theme_dir=THEME, cache_dir=tmp_path / ".cache", drafts=True,
                          warm=warm).changed

    messages: list[str] = []
    preview = Preview(tmp_path / "site", rebuild, [content], say=messages.append,
                      early=EarlyPages(warm))
    stop = threading.Event()
    serving = threading.Thread(target=serve, args=(preview,),
                               kwargs={"port": 0, "stop": stop, "poll_seconds": 0.05})
    serving.start()
    try:
        assert eventually(lambda: any(m.startswith("serving ") for m in messages))
        address = re.findall(r"http://[^/]+", " ".join(messages))[0]
        may_build.clear()
        page = content / "posts" / "post-1" / "index.md"
        page.write_text(page.read_text(encoding="utf-8").replace("Body of", "Edited"),
                        encoding="utf-8")
        assert eventually(lambda: "Edited post 1." in get(f"{address}/posts/post-1/"))
        assert "Edited post 1." not in get(f"{address}/")  # the home list waits for the rebuild
        may_build.set()
        assert eventually(lambda: "Edited post 1." in get(f"{address}/"))
    finally:
        may_build.set()
        stop.set()
        serving.join(TIMEOUT)
    assert not serving.is_alive()


def test_an_error_while_looking_for_changes_ends_serve_with_it(tmp_path: Path) -> None:
    page = write_post(tmp_path / "content", "post", title="Post", date="2021-01-01") / "index.md"

    def broken(changed: Collection[str]) -> dict[str, bytes] | None:
        raise RuntimeError("the early pages broke")

    messages: list[str] = []
    preview = Preview(tmp_path / "site", lambda: [], [tmp_path / "content"],
                      say=messages.append, early=broken)
    raised: list[BaseException] = []

    def run() -> None:
        try:
            serve(preview, port=0, poll_seconds=0.05)
        except RuntimeError as error:
            raised.append(error)

    serving = threading.Thread(target=run, daemon=True)
    serving.start()
    assert eventually(lambda: bool(messages))  # serving
    page.write_text("Edited.", encoding="utf-8")
    serving.join(TIMEOUT)
    assert not serving.is_alive() and "the early pages broke" in str(raised[0])
