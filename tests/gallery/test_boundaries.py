"""The gallery side reads inputs only from the project and writes only inside content/ (issue 7).

Each case works in a sandbox: tmp_path holds the project and a folder `outside` beside it, which
must be byte-identical afterwards. Also: a run killed between a post's index.md and its
.generated.json leaves a page the next run still knows as its own (issue 7 §2).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from generator.cli import main
from generator.errors import GalleryError, ManifestError
from generator.gallery.jobs import image_jobs
from generator.gallery.load import load_manifest
from generator.gallery.model import Figure
from generator.gallery.ownership import Ownership
from generator.gallery.writer import check_posts, write_posts

POST = """\
site:
  language: {language}
posts:
  - title: First
    date: 2021-03-30T15:00:00+03:00
    slug: first
    outro: {outro}
    items:
      - figure: {figure}
      - title: Cat
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "figures").mkdir(parents=True)
    Image.new("RGB", (2, 2), "teal").save(root / "figures" / "fig.png")  # figures must be images
    outside = tmp_path / "outside"
    outside.mkdir()
    Image.new("RGB", (2, 2), "red").save(outside / "fig.png")
    return root


def manifest(root: Path, *, figure: str = "figures/fig.png", language: str = "en",
             outro: str = "The end.", posts: str = "") -> Path:
    path = root / "gallery.yaml"
    path.write_text(POST.format(figure=figure, language=language, outro=outro) + posts,
                    encoding="utf-8")
    return path


def outside_files(tmp_path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (tmp_path / "outside").iterdir()}


@pytest.mark.parametrize("how", ["absolute", "dotdot", "file link", "folder link"])
def test_a_figure_from_outside_the_project_is_refused_at_its_line(
        project: Path, tmp_path: Path, how: str) -> None:
    (project / "figures" / "leak.png").symlink_to(tmp_path / "outside" / "fig.png")
    (project / "elsewhere").symlink_to(tmp_path / "outside", target_is_directory=True)
    figure = {"absolute": str(tmp_path / "outside" / "fig.png"), "dotdot": "../outside/fig.png",
              "file link": "figures/leak.png", "folder link": "elsewhere/fig.png"}[how]
    with pytest.raises(ManifestError) as caught:
        load_manifest(manifest(project, figure=figure))
    (problem,) = caught.value.problems
    assert (problem.line, problem.key) == (9, "posts[0].items[0].figure")
    assert problem.message.startswith(f"`{figure}` leads outside the project folder")
    assert not (project / "content").exists()


def test_figures_inside_the_project_may_be_absolute_or_linked(project: Path) -> None:
    (project / "alias.png").symlink_to(project / "figures" / "fig.png")
    for figure in (str(project / "figures" / "fig.png"), "alias.png", "figures/../alias.png"):
        (item,) = [i for i in load_manifest(manifest(project, figure=figure)).posts[0].items
                   if isinstance(i, Figure)]
        assert item.file == (project / "figures" / "fig.png").resolve()


def test_an_image_prompt_from_outside_the_project_is_refused(project: Path) -> None:
    path = manifest(project)
    path.write_text(path.read_text().replace("site:", "generation:\n  image_prompt: "
                                             "../outside/fig.png\nsite:"), encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert [(p.line, p.key) for p in caught.value.problems] == [(2, "generation.image_prompt")]


@pytest.mark.parametrize("language", ["../../../../elsewhere/evil", "en/../ru", "", "ru.yaml"])
def test_a_language_must_be_a_tag(project: Path, language: str) -> None:
    with pytest.raises(ManifestError) as caught:
        load_manifest(manifest(project, language=f'"{language}"'))
    assert [(p.line, p.key) for p in caught.value.problems] == [(2, "site.language")]
    assert "is not a language tag" in caught.value.problems[0].message


def test_language_tags_are_accepted(project: Path) -> None:
    for language in ("ru", "en", "pt-BR", "zh-Hant-TW", "en_US"):
        assert load_manifest(manifest(project, language=language)).site.language == language


@pytest.mark.parametrize("linked", ["images", "bundle"])
def test_a_linked_images_or_post_folder_is_never_written_through(
        project: Path, tmp_path: Path, linked: str) -> None:
    bundle = project / "content" / "posts" / "first"
    bundle.parent.mkdir(parents=True)
    if linked == "images":
        bundle.mkdir()
        (bundle / "images").symlink_to(tmp_path / "outside", target_is_directory=True)
    else:
        bundle.symlink_to(tmp_path / "outside", target_is_directory=True)
    model = load_manifest(manifest(project))
    before = outside_files(tmp_path)
    problems = check_posts(model, project / "content")
    assert len(problems) == 1 and "leads outside" in problems[0].message
    for step in (lambda: write_posts(model, project / "content"),
                 lambda: image_jobs(model, project / "content")):
        with pytest.raises(GalleryError) as caught:
            step()
        assert caught.value.problems == problems
    assert outside_files(tmp_path) == before
    assert main(["--manifest", str(project / "gallery.yaml"), "draft"]) == 1
    assert outside_files(tmp_path) == before


def test_check_reports_paths_leaving_the_project(project: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    bundle = project / "content" / "posts" / "first"
    bundle.mkdir(parents=True)
    (bundle / "images").symlink_to(tmp_path / "outside", target_is_directory=True)
    manifest(project, figure="../outside/fig.png")
    assert main(["--manifest", str(project / "gallery.yaml"), "check"]) == 1
    assert "`../outside/fig.png` leads outside the project folder" in capsys.readouterr().err
    manifest(project)
    assert main(["--manifest", str(project / "gallery.yaml"), "check"]) == 1
    assert f"{bundle / 'images'}: `images` leads outside the post's folder" in (
        capsys.readouterr().err)


def kill_before_the_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """The next Ownership.save is a kill: the pages are written, their record is not."""
    def killed(self: Ownership) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Ownership, "save", killed)


@pytest.mark.parametrize("earlier_record", [False, True])
def test_a_page_written_before_a_kill_is_still_the_tools_own(
        project: Path, monkeypatch: pytest.MonkeyPatch, earlier_record: bool) -> None:
    content = project / "content"
    page = content / "posts" / "first" / "index.md"
    if earlier_record:
        write_posts(load_manifest(manifest(project, outro="Zero.")), content)
    with monkeypatch.context() as patched:
        kill_before_the_record(patched)
        with pytest.raises(KeyboardInterrupt):
            write_posts(load_manifest(manifest(project, outro="First.")), content)
    assert "First." in page.read_text()
    assert check_posts(load_manifest(manifest(project, outro="Second.")), content) == []
    write_posts(load_manifest(project / "gallery.yaml"), content)
    assert "Second." in page.read_text()
    assert Ownership.load(page.parent).owns(page)


def test_a_post_removed_after_a_kill_is_unpublished(project: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    content = project / "content"
    other = "  - title: Other\n    date: 2021-03-31T15:00:00+03:00\n    items:\n      - text: x\n"
    with monkeypatch.context() as patched:
        kill_before_the_record(patched)
        with pytest.raises(KeyboardInterrupt):
            write_posts(load_manifest(manifest(project, posts=other)), content)
    page = content / "posts" / "first" / "index.md"
    assert page.exists() and not (page.parent / ".generated.json").exists()
    path = project / "gallery.yaml"
    path.write_text("posts:\n" + other, encoding="utf-8")
    write_posts(load_manifest(path), content)
    assert not page.exists()
    assert (content / "posts" / "other" / "index.md").exists()


def test_an_edited_or_copied_page_is_not_taken_for_the_tools_own(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = project / "content"
    with monkeypatch.context() as patched:
        kill_before_the_record(patched)
        with pytest.raises(KeyboardInterrupt):
            write_posts(load_manifest(manifest(project)), content)
    page = content / "posts" / "first" / "index.md"
    copy = content / "posts" / "copy" / "index.md"
    copy.parent.mkdir()
    copy.write_bytes(page.read_bytes())  # the author starts a post from a generated one
    page.write_text(page.read_text().replace("The end.", "My own end."), encoding="utf-8")
    edited = page.read_bytes()
    with pytest.raises(GalleryError, match="not written by this tool"):
        write_posts(load_manifest(manifest(project, outro="New.")), content)
    assert page.read_bytes() == edited
    path = project / "gallery.yaml"
    path.write_text("posts: []\n", encoding="utf-8")
    write_posts(load_manifest(path), content)
    assert page.read_bytes() == edited and copy.exists()
