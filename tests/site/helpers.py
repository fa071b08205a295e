"""Test helpers for the site build: the seed post as a page bundle, small posts, a link checker."""

from __future__ import annotations

import io
import posixpath
import re
from contextlib import redirect_stderr, redirect_stdout
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from PIL import Image

from generator.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"
SEED = DATA / "seed_original.md"  # shared/seeds/000_3a8b3b0e729a99ed.txt
WRITTEN_SEED = DATA / "seed_post.md"  # the writer's output for the seed
SEED_URL_PATH = "2021/gaming-gave-me-an-aneurysm/index.html"
THEME = Path(__file__).resolve().parents[2] / "theme"


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def seed_image_names() -> list[str]:
    return re.findall(r'\{\{<img src="images/([^"]+)">\}\}', seed_text())


def stand_in(path: Path, index: int, size: tuple[int, int] = (64, 48)) -> None:
    """A small distinct PNG (distinct bytes, so each gets its own cache entry)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, (index * 37 % 256, index * 11 % 256, 200))
    image.putpixel((0, 0), (index % 256, 0, 0))
    image.save(path)


def write_seed_bundle(content: Path, skip: tuple[str, ...] = (), text: str | None = None,
                      size: tuple[int, int] = (64, 48)) -> Path:
    """content/posts/gaming/index.md = the seed post (or `text`), a stand-in for every image
    (`size` pixels)."""
    bundle = content / "posts" / "gaming"
    bundle.mkdir(parents=True, exist_ok=True)
    (bundle / "index.md").write_text(text or seed_text(), encoding="utf-8")
    for index, name in enumerate(seed_image_names()):
        if name not in skip:
            stand_in(bundle / "images" / f"{name}.png", index, size)
    return bundle


def write_post(content: Path, slug: str, *, title: str, date: str, body: str = "Text.",
               images: tuple[str, ...] = (), **front: object) -> Path:
    """A small page bundle with YAML front matter and stand-in images."""
    bundle = content / "posts" / slug
    lines = ["---", f'title: "{title}"', f"date: {date}"]
    for key, value in front.items():
        lines.append(f"{key}: {value}")
    lines += ["---", "", body, ""]
    bundle.mkdir(parents=True, exist_ok=True)
    (bundle / "index.md").write_text("\n".join(lines), encoding="utf-8")
    for index, name in enumerate(images):
        stand_in(bundle / "images" / f"{name}.png", index + 1)
    return bundle


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "base":
            self.base = values.get("href")
            return
        for name in ("href", "src"):
            if values.get(name):
                self.urls.append(values[name] or "")
        srcsets = (values.get("srcset") or "", values.get("data-pswp-srcset") or "")  # viewer's
        for candidate in ",".join(srcsets).split(","):
            if candidate.strip():
                self.urls.append(candidate.split()[0])


def page_links(page: Path) -> tuple[list[str], str | None]:
    """Every href/src/srcset URL of an HTML page (the viewer's data-pswp-srcset too), and its
    <base href> if any."""
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.urls, parser.base


def broken_links(site: Path) -> list[str]:
    """Internal links that do not resolve to a file in `site` ("page: url" per broken link).

    A relative URL is percent-decoded and resolved against the page's folder (or against the
    site root for a page with <base href>, the 404 page, unless the base names the page's own
    folder: a language's 404 at /fr/); it must name an existing file inside the site. Absolute
    URLs and same-page fragments are external here.
    """
    broken = []
    for page in sorted(site.rglob("*.html")):
        urls, base = page_links(page)
        folder = page.parent.relative_to(site).as_posix()
        folder = "" if folder == "." else folder
        if base and not urlsplit(base).path.rstrip("/").endswith(f"/{folder}"):
            folder = ""
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            path = posixpath.normpath(posixpath.join(folder, unquote(parts.path)))
            if path.startswith("..") or path.startswith("/") or not (site / path).is_file():
                broken.append(f"{page.relative_to(site)}: {url}")
    return broken


REDIRECT = re.compile(r'<meta http-equiv="refresh" content="0; url=([^"]+)"')


def run_command(*args: str) -> tuple[int, str]:
    """`python -m generator ARGS`: (exit status, what it printed)."""
    printed = io.StringIO()
    with redirect_stdout(printed), redirect_stderr(printed):
        code = main(list(args))
    return code, printed.getvalue()


def build_command(*args: str) -> tuple[int, str]:
    """`python -m generator build ARGS`: (exit status, what it printed)."""
    return run_command("build", *args)


def redirects(site: Path) -> dict[str, str]:
    """Alias redirect page (site path) -> the URL it sends to."""
    out = {}
    for page in site.rglob("*.html"):
        match = REDIRECT.search(page.read_text(encoding="utf-8"))
        if match:
            out[page.relative_to(site).as_posix()] = match[1]
    return out
