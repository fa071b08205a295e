"""`make serve`: a local preview that rebuilds on every change and reloads the page, like
`hugo server`.

The site is rebuilt (as a draft: drafts shown, placeholders for missing images) whenever a file
under the watched folders changes. A failed rebuild prints its problems and keeps serving the last
good site. HTML pages are served with a small script that reloads them after each rebuild; the
files in site/ are never changed for it. A request for a path no file can have (a NUL, a name
over 255 bytes) gets 400 or 404, and a connection idle for `IDLE_SECONDS` is closed.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from generator.errors import GalleryError

VERSION_PATH = "/__version"
RELOAD_SCRIPT = (
    "<script>(()=>{let seen=null;setInterval(async()=>{try{const r=await fetch("
    f"'{VERSION_PATH}',{{cache:'no-store'}});const v=await r.text();"
    "if(seen!==null&&v!==seen)location.reload();seen=v}catch(e){}},700)})()</script>"
)

IDLE_SECONDS = 15.0  # a connection that sends nothing for this long is closed
MAX_NAME_BYTES = 255  # the longest file name file systems allow

Snapshot = dict[Path, tuple[int, int]]


def snapshot(folders: Iterable[Path]) -> Snapshot:
    """(mtime, size) of every visible file under `folders` (files or folders)."""
    state: Snapshot = {}
    for folder in folders:
        files = [folder] if folder.is_file() else folder.rglob("*") if folder.is_dir() else []
        for path in files:
            if path.is_file() and not any(part.startswith(".") for part in path.parts[-3:]):
                stat = path.stat()
                state[path] = (stat.st_mtime_ns, stat.st_size)
    return state


class Preview:
    """Rebuilds when the watched files change, and counts the builds for the reload script."""

    def __init__(self, rebuild: Callable[[], None], watched: list[Path],
                 say: Callable[[str], None] = print) -> None:
        self.rebuild = rebuild
        self.watched = watched
        self.say = say
        self.version = 0
        self._seen: Snapshot | None = None

    def refresh(self) -> bool:
        """Rebuild if anything changed since the last look; True when a new site is out."""
        if snapshot(self.watched) == self._seen:
            return False
        try:
            self.rebuild()
        except GalleryError as error:
            self.say("rebuild failed; still serving the last good site:")
            for problem in error.problems:
                self.say(f"  {problem}")
            return False
        finally:  # after the build: what it wrote into content/ is not a change to react to
            self._seen = snapshot(self.watched)
        self.version += 1
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
        if self.path == VERSION_PATH:
            self._send(str(self.preview.version).encode(), "text/plain")
            return
        page = Path(self.translate_path(self.path))
        if page.is_dir() and urlsplit(self.path).path.endswith("/"):
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


def make_server(site: Path, preview: Preview, host: str, port: int,
                idle_seconds: float = IDLE_SECONDS) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"preview": preview, "timeout": idle_seconds})
    return ThreadingHTTPServer((host, port), functools.partial(handler, directory=str(site)))


def serve(site: Path, preview: Preview, *, host: str = "127.0.0.1", port: int = 1313,
          stop: threading.Event | None = None, poll_seconds: float = 0.5) -> None:
    """Build, then serve `site` and rebuild on changes until `stop` is set (or Ctrl-C)."""
    preview.refresh()
    server = make_server(site, preview, host, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    preview.say(f"serving {site} at http://{host}:{server.server_address[1]}/ (Ctrl-C stops)")
    stop = stop or threading.Event()
    try:
        while not stop.wait(poll_seconds):
            if preview.refresh():
                preview.say(f"rebuilt (build {preview.version})")
    finally:
        server.shutdown()
        server.server_close()
