"""The preview's save-to-served latency against `hugo server`'s, on the same content tree.

For 20 and 1,000 text-only posts (20 only with --quick), our preview and `hugo server` each serve
the tree on loopback, from a child process of their own: ours is `serve` as `make serve` runs it
(woken by file-system notifications, the edited page rendered again and served from memory, then
the rebuild in its process), Hugo with its defaults (file-system notifications, fast render, pages
in memory). One post's text is
edited and saved, and the time until its page is served with the new text is measured (the page
is asked for every 5 ms); medians of several edits, and ours/Hugo ratios.

`python -m bench.preview serve CONTENT OUT CACHE PORT` is our side's child process.
"""

from __future__ import annotations

import contextlib
import http.client
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.corpus import write_content, write_hugo_project
from bench.site import WIDTHS, hugo_binary

ROOT = Path(__file__).resolve().parent.parent
THEME = ROOT / "theme"
EDITED_POST = "bench-post-2"
START_SECONDS = 300  # the most either server may take to serve its first build
SERVED_SECONDS = 30  # the most one edit may take to be served


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str) -> str | None:
    """The page at `url`, or None while the server does not serve it (whole)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode("utf-8"))
    except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError):
        return None  # HTTPException: an answer cut short (hugo server, while it rebuilds)


def wait_for(url: str, text: str, seconds: float) -> float:
    """Seconds until the page at `url` holds `text` (asked every 5 ms)."""
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        page = fetch(url)
        if page is not None and text in page:
            return time.perf_counter() - started
        time.sleep(0.005)
    raise RuntimeError(f"{url} did not show {text!r} within {seconds} s")


class Server:
    """A preview server in a child process, stopped like Ctrl-C stops it."""

    def __init__(self, command: list[str], cwd: Path, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/2021/{EDITED_POST}/"  # its front matter url
        self.process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)

    def __enter__(self) -> Server:
        wait_for(self.url, "", START_SECONDS)  # served at all
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def latencies(server: Server, page: Path, edits: int, first: int) -> list[float]:
    """Save-to-served seconds of `edits` edits of `page`, numbered from `first`."""
    found = []
    for n in range(first, first + edits):
        time.sleep(1.0)  # the server idle, somewhere in its wait between looks
        text = page.read_text(encoding="utf-8")
        old = next(line for line in text.splitlines() if "paragraph" in line).split(" ")[0:2]
        page.write_text(text.replace(" ".join(old), f"Edited{n} paragraph", 1), encoding="utf-8")
        found.append(wait_for(server.url, f"Edited{n} paragraph", SERVED_SECONDS))
    return found


def measure(posts: int, edits: int) -> str:
    with tempfile.TemporaryDirectory(prefix="bench-preview-") as tmp:
        root = Path(tmp)
        content = root / "content"
        write_content(content, posts, 0, 256)
        write_hugo_project(root / "hugo", content, WIDTHS, resize=True)
        page = content / "posts" / EDITED_POST / "index.md"
        port = free_port()
        with Server([sys.executable, "-m", "bench.preview", "serve", str(content),
                     str(root / "site"), str(root / ".cache"), str(port)], ROOT, port) as ours:
            our_times = latencies(ours, page, edits, 0)
        port = free_port()
        with Server([str(hugo_binary()), "server", "--bind", "127.0.0.1", "--port", str(port),
                     "--cacheDir", str(root / "hcache"), "--quiet"],
                    root / "hugo", port) as hugo:
            hugo_times = latencies(hugo, page, edits, edits)
    ours_ms, hugo_ms = (1000 * statistics.median(t) for t in (our_times, hugo_times))
    return (f"save-to-served, {posts:>4} text-only posts: ours {ours_ms:6.0f} ms "
            f"({1000 * min(our_times):.0f}-{1000 * max(our_times):.0f}) | hugo server "
            f"{hugo_ms:6.0f} ms ({1000 * min(hugo_times):.0f}-{1000 * max(hugo_times):.0f})"
            f" | ratio {ours_ms / hugo_ms:5.2f}x")


def run(quick: bool) -> list[str]:
    sizes = [20] if quick else [20, 1000]
    edits = 3 if quick else 7
    return [f"medians of {edits} edits (min-max); one post's text edited and saved",
            *(measure(posts, edits) for posts in sizes)]


def serve_child(content: str, out: str, cache: str, port: str) -> None:
    """Our preview of `content`, rebuilt in this process, as `make serve` runs it."""
    from generator.settings import SiteSettings
    from generator.site.build import build_site
    from generator.site.early import EarlyPages
    from generator.site.preview import Preview
    from generator.site.serve import serve
    from generator.site.warm import WarmCaches

    settings = SiteSettings(base_url="https://example.org/", image_widths=WIDTHS)
    caches = WarmCaches()

    def rebuild() -> frozenset[str]:
        return build_site(Path(content), Path(out), settings, theme_dir=THEME,
                          cache_dir=Path(cache), drafts=True, placeholders=True,
                          warm=caches).changed

    with contextlib.suppress(KeyboardInterrupt):  # how the benchmark stops it
        serve(Preview(Path(out), rebuild, [Path(content), THEME], say=lambda _: None,
                      early=EarlyPages(caches)), port=int(port))


if __name__ == "__main__":
    if sys.argv[1:2] != ["serve"] or len(sys.argv) != 6:
        sys.exit("usage: python -m bench.preview serve CONTENT OUT CACHE PORT")
    serve_child(*sys.argv[2:])
