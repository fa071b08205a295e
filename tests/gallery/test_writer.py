"""The post writer: the seed post's format reproduced exactly, deterministic output, and never
overwriting or deleting a file the tool did not write."""

from __future__ import annotations

import errno
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from PIL import Image

from generator import fsutil
from generator.bundles import interrupted_write
from generator.errors import GalleryError, ManifestError
from generator.gallery.load import load_manifest
from generator.gallery.ownership import Ownership
from generator.gallery.writer import (
    FINGERPRINT,
    MARKER,
    render_post,
    write_posts,
)
from tests.hostile.cases import small_png

DATA = Path(__file__).resolve().parents[1] / "data"
SEED = DATA / "seed_original.md"  # the seed post, shared/seeds/000_3a8b3b0e729a99ed.txt
GOLDEN = DATA / "seed_post.md"  # regenerate on purpose only: UPDATE_GOLDEN=1 pytest -k golden
BODY_LINE = re.compile(r"^(\{\{<img .*>\}\}|<center>.*</center>)$", re.M)


def split(text: str) -> tuple[dict, str]:
    _, header, body = text.split("---\n", 2)
    return yaml.safe_load(header), body


@pytest.fixture(scope="module")
def seed_output() -> str:
    return render_post(load_manifest(DATA / "seed_gallery.yaml").posts[0])


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def test_seed_images_and_captions_are_reproduced(seed_output: str, seed_text: str) -> None:
    expected = BODY_LINE.findall(split(seed_text)[1])
    assert len(expected) == 120  # 60 images, each with its caption
    assert BODY_LINE.findall(split(seed_output)[1]) == expected


def test_seed_front_matter_values_are_reproduced(seed_output: str, seed_text: str) -> None:
    expected, _ = split(seed_text)
    written, _ = split(seed_output)
    assert {key: written.get(key) for key in expected} == expected
    assert written["images"] == ["images/baldurs_gate_shadows_of_amn"]  # the cover: 1st entry
    assert set(written) - set(expected) == {"images"}


def test_seed_footnote_is_reproduced(seed_output: str, seed_text: str) -> None:
    footnote = re.compile(r"^\[\^mark1\]: .*$", re.M)
    assert footnote.findall(seed_output) == [line.rstrip() for line in footnote.findall(seed_text)]
    assert "[^mark1] -- я загоняю" in seed_output  # the intro that cites it


def test_output_matches_the_golden_file(seed_output: str) -> None:
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_bytes(seed_output.encode("utf-8"))
    assert seed_output.encode("utf-8") == GOLDEN.read_bytes()


def test_front_matter_starts_with_the_generated_marker(seed_output: str) -> None:
    assert re.match(rf"---\n{re.escape(MARKER)}\n{FINGERPRINT}[0-9a-f]{{64}}\ntitle: ", seed_output)
    assert "date: 2021-03-30T15:00:00+03:00\n" in seed_output


def test_items_are_separated_by_spacer_paragraphs(seed_output: str) -> None:
    body = split(seed_output)[1]
    assert body.count("\n\n\\\n\\\n\n") == 62  # between the intro and 62 items
    assert "\\\n\\\n\n[^mark1]" not in body  # no spacer before the footnotes
    assert body.endswith("VRAM.\n")


def test_same_manifest_gives_byte_identical_output(tmp_path: Path, seed_output: str) -> None:
    again = render_post(load_manifest(DATA / "seed_gallery.yaml").posts[0])
    assert again == seed_output
    manifest = load_manifest(DATA / "seed_gallery.yaml")
    first = write_posts(manifest, tmp_path / "content")
    snapshot = {p: p.read_bytes() for p in (tmp_path / "content").rglob("*") if p.is_file()}
    assert write_posts(manifest, tmp_path / "content") == []  # nothing changed
    assert {p: p.read_bytes() for p in snapshot} == snapshot
    assert first


GALLERY = """\
posts:
  - title: Первый пост
    date: 2021-03-30T15:00:00+03:00
    slug: first
    intro: Intro with a [link](https://example.org).
    outro: The end.
    items:
      - title: "Under_score *star*"
        comment: a _comment_
      - figure: fig.png
        caption: A figure
      - title: Cat
        progress: true
      - animation: cat
        caption: It moves
      - text: Plain *Markdown*
    footnotes:
      long: |
        First line
        second line
"""


def gallery(tmp_path: Path, text: str = GALLERY) -> Path:
    path = tmp_path / "gallery.yaml"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "fig.png").write_bytes(small_png())  # load checks that figures are images
    return path


def test_render_of_every_item_kind(tmp_path: Path) -> None:
    text = render_post(load_manifest(gallery(tmp_path)).posts[0])
    body = split(text)[1]
    assert body == (
        "\nIntro with a [link](https://example.org).\n\n\\\n\\\n\n"
        '{{<img src="images/under_score_star">}}\n'
        r"<center>_**Under\_score \*star\*** -- a _comment__</center>" "\n\n\\\n\\\n\n"
        '{{<img src="images/fig">}}\n<center>_A figure_</center>\n\n\\\n\\\n\n'
        '{{<img src="images/cat">}}\n<center>_**Cat**_</center>\n\n\\\n\\\n\n'
        '{{<img src="images/cat-animation">}}\n<center>_It moves_</center>\n\n\\\n\\\n\n'
        "Plain *Markdown*\n\n\\\n\\\n\nThe end.\n\n"
        "[^long]: First line\n    second line\n"
    )


def test_write_posts_writes_the_bundle(tmp_path: Path) -> None:
    content = tmp_path / "content"
    changed = write_posts(load_manifest(gallery(tmp_path)), content)
    bundle = content / "posts" / "first"
    assert changed == [bundle / "index.md", bundle / "images" / "fig.png"]
    assert (bundle / "images" / "fig.png").read_bytes() == (tmp_path / "fig.png").read_bytes()
    record = json.loads((bundle / ".generated.json").read_text())
    assert set(record["files"]) == {"index.md", "images/fig.png"}


def test_changed_manifest_rewrites_only_what_changed(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_posts(load_manifest(gallery(tmp_path)), content)
    gallery(tmp_path, GALLERY.replace("The end.", "The very end."))
    changed = write_posts(load_manifest(tmp_path / "gallery.yaml"), content)
    assert changed == [content / "posts" / "first" / "index.md"]
    assert "The very end." in (content / "posts" / "first" / "index.md").read_text()


def test_figure_of_another_suffix_replaces_its_old_copy(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_posts(load_manifest(gallery(tmp_path)), content)
    jpeg = io.BytesIO()
    Image.new("RGB", (2, 2)).save(jpeg, "JPEG")
    (tmp_path / "fig.jpg").write_bytes(jpeg.getvalue())
    gallery(tmp_path, GALLERY.replace("figure: fig.png", "figure: fig.jpg"))
    images = content / "posts" / "first" / "images"
    changed = write_posts(load_manifest(tmp_path / "gallery.yaml"), content)
    assert changed == [images / "fig.png", images / "fig.jpg"]
    assert sorted(p.name for p in images.iterdir()) == ["fig.jpg"]
    assert (images / "fig.jpg").read_bytes() == jpeg.getvalue()
    record = json.loads((images.parent / ".generated.json").read_text())
    assert set(record["files"]) == {"index.md", "images/fig.jpg"}


def test_hand_written_post_is_never_overwritten(tmp_path: Path) -> None:
    index = tmp_path / "content" / "posts" / "first" / "index.md"
    index.parent.mkdir(parents=True)
    index.write_text("my own post\n")
    with pytest.raises(GalleryError) as caught:
        write_posts(load_manifest(gallery(tmp_path)), tmp_path / "content")
    assert [p.file for p in caught.value.problems] == [index]
    assert "not written by this tool" in str(caught.value)
    assert index.read_text() == "my own post\n"
    assert not (index.parent / "images").exists()  # nothing at all was written


def test_authors_image_is_never_overwritten(tmp_path: Path) -> None:
    images = tmp_path / "content" / "posts" / "first" / "images"
    images.mkdir(parents=True)
    (images / "fig.png").write_bytes(b"mine")
    (images / "cat.jpg").write_bytes(b"my cat")  # an entry image the author supplied: fine
    with pytest.raises(GalleryError) as caught:
        write_posts(load_manifest(gallery(tmp_path)), tmp_path / "content")
    assert [p.file for p in caught.value.problems] == [images / "fig.png"]
    assert (images / "fig.png").read_bytes() == b"mine"
    assert not (images.parent / "index.md").exists()


def test_authors_image_of_the_same_name_blocks_a_figure(tmp_path: Path) -> None:
    images = tmp_path / "content" / "posts" / "first" / "images"
    images.mkdir(parents=True)
    (images / "fig.jpg").write_bytes(b"mine")
    with pytest.raises(GalleryError) as caught:
        write_posts(load_manifest(gallery(tmp_path)), tmp_path / "content")
    assert [p.file for p in caught.value.problems] == [images / "fig.jpg"]
    assert "`image:`" in caught.value.problems[0].hint


def test_edited_generated_file_is_kept(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_posts(load_manifest(gallery(tmp_path)), content)
    index = content / "posts" / "first" / "index.md"
    index.write_text(index.read_text() + "my edit\n")
    gallery(tmp_path, GALLERY.replace("The end.", "The very end."))
    with pytest.raises(GalleryError, match=r"index\.md"):
        write_posts(load_manifest(tmp_path / "gallery.yaml"), content)
    assert index.read_text().endswith("my edit\n")


def test_run_interrupted_before_its_record_is_saved_is_finished_by_the_next(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = tmp_path / "content"
    manifest = load_manifest(gallery(tmp_path))

    def interrupted(self: Ownership) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(Ownership, "save", interrupted)
        with pytest.raises(KeyboardInterrupt):
            write_posts(manifest, content)
    bundle = content / "posts" / "first"
    assert (bundle / "index.md").exists() and not (bundle / ".generated.json").exists()
    write_posts(manifest, content)  # the files are what it would write: they are its own
    record = json.loads((bundle / ".generated.json").read_text())
    assert set(record["files"]) == {"index.md", "images/fig.png"}
    gallery(tmp_path, GALLERY.replace("The end.", "The very end."))
    write_posts(load_manifest(tmp_path / "gallery.yaml"), content)
    assert "The very end." in (bundle / "index.md").read_text()


def test_one_conflict_stops_every_post(tmp_path: Path) -> None:
    two_posts = GALLERY + "  - title: Second\n    date: 2021-04-01\n    items: []\n"
    blocked = tmp_path / "content" / "posts" / "second" / "index.md"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("hand-written\n")
    with pytest.raises(GalleryError):
        write_posts(load_manifest(gallery(tmp_path, two_posts)), tmp_path / "content")
    assert not (tmp_path / "content" / "posts" / "first").exists()


def test_post_removed_from_manifest_is_unpublished_but_keeps_its_images(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_posts(load_manifest(gallery(tmp_path)), content)
    bundle = content / "posts" / "first"
    (bundle / "images" / "mine.png").write_bytes(b"author's")
    figure = (bundle / "images" / "fig.png").read_bytes()
    gallery(tmp_path, "posts:\n  - title: Other\n    date: 2021-04-01\n    items: []\n")
    changed = write_posts(load_manifest(tmp_path / "gallery.yaml"), content)
    assert changed == [content / "posts" / "other" / "index.md", bundle / "index.md"]
    assert not (bundle / "index.md").exists()
    assert (bundle / "images" / "mine.png").read_bytes() == b"author's"
    assert (bundle / "images" / "fig.png").read_bytes() == figure


def test_removed_post_whose_page_was_edited_stays(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_posts(load_manifest(gallery(tmp_path)), content)
    page = content / "posts" / "first" / "index.md"
    page.write_text(page.read_text() + "my edit\n")
    gallery(tmp_path, "posts: []\n")
    assert write_posts(load_manifest(tmp_path / "gallery.yaml"), content) == []
    assert page.read_text().endswith("my edit\n")


def test_invalid_manifest_writes_nothing(tmp_path: Path) -> None:
    path = gallery(tmp_path, GALLERY.replace("title: Cat", "title: Cat\n        seed: -1"))
    with pytest.raises(ManifestError):
        write_posts(load_manifest(path), tmp_path / "content")
    assert not (tmp_path / "content").exists()


@pytest.mark.parametrize("code", [errno.EROFS, errno.ENOSPC])
def test_unwritable_content_is_one_error_naming_the_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    content = tmp_path / "content"
    manifest = load_manifest(gallery(tmp_path))

    def fail(*_: object) -> None:
        raise OSError(code, os.strerror(code))

    with monkeypatch.context() as patch:
        patch.setattr(fsutil.os, "replace", fail)
        with pytest.raises(GalleryError) as caught:
            write_posts(manifest, content)
    [problem] = caught.value.problems
    assert problem.file == content
    assert ("read-only" if code == errno.EROFS else "disk is full") in problem.message
    assert [p.name for p in content.rglob("*.tmp")] == []


def test_interrupted_write_is_reported_until_a_run_finishes_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = tmp_path / "content"
    manifest = load_manifest(gallery(tmp_path))
    assert interrupted_write(content) is None
    with monkeypatch.context() as patch:
        patch.setattr(Ownership, "save", lambda _: 1 / 0)
        with pytest.raises(ZeroDivisionError):  # stands in for a kill half-way
            write_posts(manifest, content)
    problem = interrupted_write(content)
    assert problem is not None and "make posts" in str(problem.hint)
    write_posts(manifest, content)
    assert interrupted_write(content) is None
    assert sorted(p.name for p in content.iterdir()) == ["posts"]


def test_temporaries_of_a_killed_write_are_removed(tmp_path: Path) -> None:
    content = tmp_path / "content"
    bundle = content / "posts" / "first"
    bundle.mkdir(parents=True)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    leftover = bundle / f".index.md.{child.pid}-0123456789abcdef.tmp"
    leftover.write_text("half")
    write_posts(load_manifest(gallery(tmp_path)), content)
    assert not leftover.exists()
