"""`make serve`: a local preview that rebuilds on every change and reloads the page, like
`hugo server`.

The site is rebuilt (as a draft: drafts shown, placeholders for missing images) whenever a file
under the watched folders changes, in this process, which keeps what it may reuse between builds
(`warm`). An edit of page bodies alone is shown before that, like Hugo's fast render: the edited
pages are rendered again from the last build's state (`early`) and served from memory at once,
byte for byte what the rebuild will write for them. The rebuild runs meanwhile and writes the
whole site as ever (swapped in whole); every other page the edit changed (lists showing its
summary, feeds) follows when it is swapped in. Until then a request for any page without an
early version gets the previous one, the live site's file: no request waits for a rebuild.
`preview` holds this state between the thread that looks for changes and the one that rebuilds.

A failed rebuild prints its problems and keeps serving the last good site, without the early
pages it would have covered. HTML pages are served with a small script that reloads the page
when a change reached its own file, or a file any page may show (CSS, scripts, images); the
files in site/ are never changed for it. A request for a path no file can have (a NUL, a name
over 255 bytes) gets 400 or 404, and a connection idle for `IDLE_SECONDS` is closed.
"""

from __future__ import annotations

import functools
import threading
import time
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from generator.site.preview import Preview
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

IDLE_SECONDS = 15.0  # a connection that sends nothing for this long is closed
MAX_NAME_BYTES = 255  # the longest file name file systems allow

WATCHER_SHARE = 0.1  # the most of one core the watcher may spend looking for changes
NOTIFIED_POLL_SECONDS = 2.0  # how often to look anyway when inotify wakes the preview
STOP_CHECK_SECONDS = 0.2  # how often the rebuilding thread checks whether to stop


class _Handler(SimpleHTTPRequestHandler):
    """Static files and early pages, plus the change versions and the reload script in HTML
    pages."""

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
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        """The headers GET would send (an HTML page's length with the reload script, an early
        page's own), without the body."""
        self._answer(with_body=False)

    def _answer(self, *, with_body: bool) -> None:
        address = urlsplit(self.path)
        if address.path == VERSION_PATH:
            page = parse_qs(address.query).get("page", ["/"])[0]
            self._send(str(self.preview.page_version(site_path(page))).encode(), "text/plain",
                       with_body)
            return
        early = self.preview.early_page(site_path(address.path))
        page = Path(self.translate_path(self.path))
        if page.is_dir() and address.path.endswith("/"):
            page = page / "index.html"
        if early is None and (page.suffix != ".html" or not page.is_file()):
            if with_body:  # other files, and the redirect of a folder to its "/" address
                super().do_GET()
            else:
                super().do_HEAD()
            return
        html = early if early is not None else page.read_bytes()
        html = html.replace(b"</body>", RELOAD_SCRIPT.encode() + b"</body>")
        self._send(html, "text/html; charset=utf-8", with_body)

    def _send(self, body: bytes, content_type: str, with_body: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if with_body:
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


def make_server(preview: Preview, host: str, port: int,
                idle_seconds: float = IDLE_SECONDS) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"preview": preview, "timeout": idle_seconds})
    return ThreadingHTTPServer((host, port),
                               functools.partial(handler, directory=str(preview.site)))


def serve(preview: Preview, *, host: str = "127.0.0.1", port: int = 1313,
          stop: threading.Event | None = None, poll_seconds: float = 0.1) -> None:
    """Build, then serve the preview's site and rebuild on changes until `stop` is set (or
    Ctrl-C).

    This thread rebuilds; another looks for changes (and shows their early pages) meanwhile:
    at the files inotify reports changed as soon as it does (`watch`), and at everything every
    NOTIFIED_POLL_SECONDS (for what it may miss), or every `poll_seconds` without inotify;
    less often where looking takes longer than WATCHER_SHARE of that time (a large site). An
    error in the looking thread ends `serve` with it, as one in a rebuild does."""
    preview.refresh()
    server = make_server(preview, host, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    preview.say(f"serving {preview.site} at http://{host}:{server.server_address[1]}/ "
                "(Ctrl-C stops)")
    stop = stop or threading.Event()
    waker = Waker(preview.watched)
    halt = threading.Event()  # tells the looking thread to end
    failed: list[BaseException] = []

    def look() -> None:
        least = max(poll_seconds, NOTIFIED_POLL_SECONDS) if waker.active else poll_seconds
        wait = least
        try:
            while not halt.is_set():
                reported = waker.wait(wait)
                started = time.perf_counter()
                if not halt.is_set() and not preview.look(reported):
                    wait = max(least, (time.perf_counter() - started) / WATCHER_SHARE)
        except BaseException as error:
            failed.append(error)

    looking = threading.Thread(target=look, daemon=True)
    looking.start()
    try:
        while not stop.is_set() and not failed:
            if preview.wanted.wait(STOP_CHECK_SECONDS) and preview.build():
                preview.say(f"rebuilt (change {preview.version})")
        if failed:
            raise failed[0]
    finally:
        halt.set()
        waker.close()
        looking.join()
        server.shutdown()
        server.server_close()
