"""`make serve`: a local preview that rebuilds on every change and reloads the page, like
`hugo server`.

The site is rebuilt (as a draft: drafts shown, placeholders for missing images) whenever a file
under the watched folders changes. A failed rebuild prints its problems and keeps serving the last
good site. HTML pages are served with a small script that reloads the page when a rebuild changed
its own file, or a file any page may show (CSS, scripts, images); the files in site/ are never
changed for it. The rebuild runs in this process, which keeps what it may reuse between builds
(`warm`). A request for a path no file can have (a NUL, a name over 255 bytes) gets 400 or 404,
and a connection idle for `IDLE_SECONDS` is closed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from generator.errors import GalleryError
from generator.site.watch import Waker

VERSION_PATH = "/__version"
# asks for the build that last changed this page (or what every page shows): a tab reloads
# only when that build is newer than the one it was loaded from
RELOAD_SCRIPT = (
    "<script>(()=>{let seen=null;setInterval(async()=>{try{const r=await fetch("
    f"'{VERSION_PATH}?page='+encodeURIComponent(location.pathname),{{cache:'no-store'}});"
    "const v=await r.text();"
    "if(seen!==null&&v!==seen)location.reload();seen=v}catch(e){}},300)})()</script>"
)
PAGE_SUFFIXES = (".html", ".xml")  # files that are pages of their own; others any page may show

IDLE_SECONDS = 15.0  # a connection that sends nothing for this long is closed
MAX_NAME_BYTES = 255  # the longest file name file systems allow

Snapshot = dict[str, tuple[int, int]]
WATCHER_SHARE = 0.1  # the most of one core the watcher may spend looking for changes
NOTIFIED_POLL_SECONDS = 2.0  # how often to look anyway when inotify wakes the preview


def snapshot(folders: Iterable[Path]) -> Snapshot:
    """(mtime, size) of every visible file under `folders` (files or folders); names starting
    with "." below them (editor swap files, .git) are not looked at."""
    state: Snapshot = {}
    pending = []
    for folder in folders:
        if folder.is_file():
            stat = folder.stat()
            state[str(folder)] = (stat.st_mtime_ns, stat.st_size)
        elif folder.is_dir():
            pending.append(str(folder))
    while pending:  # os.scandir: a third of the time of Path.rglob + stat at 1,000 posts
        with contextlib.suppress(OSError), os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.is_file():
                    stat = entry.stat()
                    state[entry.path] = (stat.st_mtime_ns, stat.st_size)
    return state


class Preview:
    """Rebuilds when the watched files change, and tells the reload script which build last
    changed each page.

    `rebuild` returns the site paths the build added, changed or removed ("posts/a/index.html"),
    or None when it cannot tell (every page then counts as changed).
    """

    def __init__(self, rebuild: Callable[[], Iterable[str] | None], watched: list[Path],
                 say: Callable[[str], None] = print) -> None:
        self.rebuild = rebuild
        self.watched = watched
        self.say = say
        self.version = 0
        self._changed_in: dict[str, int] = {}  # site path -> the build that last changed it
        self._every_page_in = 0  # the last build that changed what any page may show
        self._seen: Snapshot | None = None

    def page_version(self, site_path: str) -> int:
        """The last build that changed the page at `site_path` ("a/index.html") or a file
        every page may show."""
        return max(self._changed_in.get(site_path, 0), self._every_page_in)

    def refresh(self) -> bool:
        """Rebuild if anything changed since the last look; True when a new site is out."""
        if snapshot(self.watched) == self._seen:
            return False
        try:
            changed = self.rebuild()
        except GalleryError as error:
            self.say("rebuild failed; still serving the last good site:")
            for problem in error.problems:
                self.say(f"  {problem}")
            return False
        finally:  # after the build: what it wrote into content/ is not a change to react to
            self._seen = snapshot(self.watched)
        self.version += 1
        if changed is None:
            self._every_page_in = self.version
            return True
        for path in changed:
            self._changed_in[path] = self.version
            if not path.endswith(PAGE_SUFFIXES):
                self._every_page_in = self.version
        return True


class _Handler(SimpleHTTPRequestHandler):
    """Static files, plus the build version and the reload script in HTML pages."""

    preview: Preview
    timeout = IDLE_SECONDS  # socketserver applies it to every read: idle clients are dropped

    def parse_request(self) -> bool:
        """The request line and headers, refused when the path can name no file."""
        if not super().parse_request():
            return False
        refusal = _refusal(self.path)
        if refusal is not None:
            self.send_error(refusal)
            return False
        return True

    def do_GET(self) -> None:
        address = urlsplit(self.path)
        if address.path == VERSION_PATH:
            page = parse_qs(address.query).get("page", ["/"])[0]
            self._send(str(self.preview.page_version(site_path(page))).encode(), "text/plain")
            return
        page = Path(self.translate_path(self.path))
        if page.is_dir() and address.path.endswith("/"):
            page = page / "index.html"
        if page.suffix != ".html" or not page.is_file():
            super().do_GET()  # other files, and the redirect of a folder to its "/" address
            return
        html = page.read_bytes().replace(b"</body>", RELOAD_SCRIPT.encode() + b"</body>")
        self._send(html, "text/html; charset=utf-8")

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the rebuild messages are what matters in the terminal."""


def _refusal(path: str) -> HTTPStatus | None:
    """400 for a path with a NUL or other control character, 404 for a name too long for any
    file; None for a path worth looking up."""
    decoded = unquote(urlsplit(path).path)
    if any(ord(char) < 32 or ord(char) == 127 for char in decoded):
        return HTTPStatus.BAD_REQUEST
    if any(len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES
           for part in decoded.split("/")):
        return HTTPStatus.NOT_FOUND
    return None


def site_path(url_path: str) -> str:
    """The site file a browser's address shows: "/a/b/" -> "a/b/index.html"."""
    path = unquote(url_path).lstrip("/")
    return path + "index.html" if path == "" or path.endswith("/") else path


def make_server(site: Path, preview: Preview, host: str, port: int,
                idle_seconds: float = IDLE_SECONDS) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"preview": preview, "timeout": idle_seconds})
    return ThreadingHTTPServer((host, port), functools.partial(handler, directory=str(site)))


def serve(site: Path, preview: Preview, *, host: str = "127.0.0.1", port: int = 1313,
          stop: threading.Event | None = None, poll_seconds: float = 0.1) -> None:
    """Build, then serve `site` and rebuild on changes until `stop` is set (or Ctrl-C).

    The watched files are looked at as soon as inotify reports a change (`watch`; and every
    NOTIFIED_POLL_SECONDS, for what it may miss), else every `poll_seconds`; less often where
    looking takes longer than WATCHER_SHARE of that time (a large site)."""
    preview.refresh()
    server = make_server(site, preview, host, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    preview.say(f"serving {site} at http://{host}:{server.server_address[1]}/ (Ctrl-C stops)")
    stop = stop or threading.Event()
    waker = Waker(preview.watched)
    poll_seconds = max(poll_seconds, NOTIFIED_POLL_SECONDS) if waker.active else poll_seconds
    try:
        wait = poll_seconds
        while not stop.is_set():
            waker.wait(wait)
            if stop.is_set():
                break
            started = time.perf_counter()
            if preview.refresh():
                preview.say(f"rebuilt (build {preview.version})")
            else:
                wait = max(poll_seconds, (time.perf_counter() - started) / WATCHER_SHARE)
    finally:
        waker.close()
        server.shutdown()
        server.server_close()
