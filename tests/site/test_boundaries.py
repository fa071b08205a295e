"""The site build reads only content/ and the theme, and writes only inside site/ (issue 7 §1).

Each case builds in a sandbox: tmp_path holds the project and a folder `outside` beside it; after
the build nothing outside site/ and .cache/ is new or changed, and no outside text is published.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.errors import BuildError
from generator.settings import SiteSettings
from generator.site.build import build_site, check_content
from tests.site.helpers import THEME, stand_in, write_post

SETTINGS = SiteSettings(title="Gallery", base_url="https://example.org/", language="en")
SECRET = "outside-secret-text"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """tmp_path/project (content/ and theme/ inside) and tmp_path/outside with a secret."""
    root = tmp_path / "project"
    write_post(root / "content", "plain", title="Plain", date="2021-01-01")
    shutil.copytree(THEME, root / "theme")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(f"---\ntitle: Leak\n---\n\n{SECRET}\n", encoding="utf-8")
    (outside / "evil.yaml").write_text(f"tags: {SECRET}\n", encoding="utf-8")
    return root


def snapshot(tmp_path: Path) -> dict[Path, bytes]:
    """Every file under tmp_path (links not followed) except the build's own site/ and .cache/."""
    own = (tmp_path / "project" / "site", tmp_path / "project" / ".cache")
    return {path: path.read_bytes() if path.is_file() and not path.is_symlink() else b"link"
            for path in tmp_path.rglob("*")
            if not path.is_dir() and not any(path.is_relative_to(o) for o in own)}


def build(root: Path, settings: SiteSettings = SETTINGS) -> None:
    build_site(root / "content", root / "site", settings, theme_dir=root / "theme",
               cache_dir=root / ".cache")


def check(root: Path, settings: SiteSettings = SETTINGS) -> list[str]:
    return [str(p) for p in check_content(root / "content", settings, theme_dir=root / "theme")]


def refused(root: Path, settings: SiteSettings = SETTINGS) -> list[str]:
    """The problems of a build that must fail, after checking that `check` finds the same."""
    with pytest.raises(BuildError) as caught:
        build(root, settings)
    problems = [str(p) for p in caught.value.problems]
    assert check(root, settings) == problems
    assert not (root / "site").exists()
    return problems


def published_text(root: Path) -> str:
    return "".join(p.read_text(encoding="utf-8", errors="replace")
                   for p in (root / "site").rglob("*") if p.is_file())


def test_a_link_whose_copy_would_land_outside_the_site_is_an_error_at_its_line(
        project: Path, tmp_path: Path) -> None:
    bundle = write_post(project / "content", "w", title="W", date="2021-01-02", url="/x/",
                        body='<a href="../../../content/posts/w/payload.txt">file</a>')
    (bundle / "payload.txt").write_text("payload")
    before = snapshot(tmp_path)
    assert refused(project) == [
        f"{bundle / 'index.md'}:7: the link '../../../content/posts/w/payload.txt' to a file of "
        'this page leads outside the site (link the file relative to the page, e.g. '
        '"payload.txt")']
    assert snapshot(tmp_path) == before
    (bundle / "index.md").write_text("---\ntitle: W\nurl: /x/\n---\n\n"
                                     '<a href="payload.txt">file</a>\n', encoding="utf-8")
    before = snapshot(tmp_path)
    build(project)
    assert (project / "site" / "x" / "payload.txt").read_text() == "payload"
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("where", ["markdown image", "cover"])
def test_an_image_that_would_be_published_outside_the_site_is_an_error(
        project: Path, tmp_path: Path, where: str) -> None:
    src = "../../posts/w/images/a.png"
    cover, body = (f'["{src}"]', "Text.") if where == "cover" else ("[]", f"![a]({src})")
    bundle = project / "content" / "posts" / "w"
    stand_in(bundle / "images" / "a.png", 1)
    (bundle / "index.md").write_text(f"---\ntitle: W\nurl: /x/\nimages: {cover}\n---\n\n{body}\n",
                                     encoding="utf-8")
    before = snapshot(tmp_path)
    line = 4 if where == "cover" else 7
    assert refused(project) == [
        f"{bundle / 'index.md'}:{line}: image '{src}' would be published outside the site "
        '(name it from the page\'s folder, e.g. "images/a.png")']
    assert snapshot(tmp_path) == before


def test_a_page_linked_from_outside_content_is_refused_naming_the_link(
        project: Path, tmp_path: Path) -> None:
    leak = project / "content" / "posts" / "leak"
    leak.mkdir(parents=True)
    (leak / "index.md").symlink_to(tmp_path / "outside" / "secret.md")
    before = snapshot(tmp_path)
    (problem,) = refused(project)
    assert problem.startswith(f"{leak / 'index.md'}: `posts/leak/index.md` leads outside the "
                              f"content folder {project / 'content'} (to ")
    assert snapshot(tmp_path) == before


def test_a_bundle_folder_linked_from_outside_content_is_not_published(
        project: Path, tmp_path: Path) -> None:
    (project / "content" / "posts" / "leak").symlink_to(tmp_path / "outside",
                                                         target_is_directory=True)
    (tmp_path / "outside" / "index.md").write_text("---\ntitle: Leak\n---\n\n" + SECRET)
    before = snapshot(tmp_path)
    assert check(project) == []  # the walk of content/ does not enter linked folders
    build(project)
    assert SECRET not in published_text(project)
    assert (project / "site" / "posts" / "plain" / "index.html").is_file()
    assert snapshot(tmp_path) == before


def test_a_language_is_a_tag_never_a_path(project: Path, tmp_path: Path) -> None:
    evil = SiteSettings(title="Gallery", base_url="https://example.org/",
                        language="../../../../outside/evil")
    before = snapshot(tmp_path)
    assert refused(project, evil) == [
        f"{project / 'theme' / 'i18n'}: language: `../../../../outside/evil` is not a language "
        "tag (write a language code such as en, ru or pt-BR (letters, digits and `-` only))"]
    assert snapshot(tmp_path) == before
    build(project, SiteSettings(base_url="https://example.org/", language="ru-RU"))
    assert "1 января 2021" in published_text(project)  # ru.yaml's month names


def test_theme_files_linked_from_outside_the_theme_are_refused(
        project: Path, tmp_path: Path) -> None:
    ru = project / "theme" / "i18n" / "ru.yaml"
    ru.unlink()
    ru.symlink_to(tmp_path / "outside" / "evil.yaml")
    (problem,) = refused(project, SiteSettings(base_url="https://example.org/", language="ru"))
    assert problem.startswith(f"{ru}: `{ru}` leads outside the theme's i18n folder")
    ru.unlink()
    (project / "theme" / "static" / "leak.txt").symlink_to(tmp_path / "outside" / "secret.md")
    (problem,) = refused(project)
    assert "leads outside the theme folder" in problem


def test_templates_and_shortcodes_linked_from_outside_the_theme_are_refused_unread(
        project: Path, tmp_path: Path) -> None:
    (tmp_path / "outside" / "single.html").write_text(SECRET, encoding="utf-8")
    single = project / "theme" / "templates" / "single.html"
    single.unlink()
    single.symlink_to(tmp_path / "outside" / "single.html")
    problems = refused(project)
    assert any(f"`{single}` leads outside the theme folder" in p for p in problems), problems
    single.unlink()
    shutil.copy(THEME / "templates" / "single.html", single)
    note = project / "theme" / "shortcodes" / "note.html"
    note.unlink()
    note.symlink_to(tmp_path / "outside" / "single.html")
    write_post(project / "content", "noted", title="Noted", date="2021-01-02",
               body="{{< note >}}Hi{{< /note >}}")
    problems = refused(project)
    assert any(f"`{note}` leads outside the theme folder" in p for p in problems), problems


def test_a_folder_of_the_spare_linked_outside_is_never_written_through(
        project: Path, tmp_path: Path) -> None:
    """The spare site a rebuild renders into is checked like any output: a folder in it that
    someone replaced by a link to elsewhere is not followed."""
    write_post(project / "content", "second", title="Second", date="2021-01-02")
    build(project)
    write_post(project / "content", "third", title="Third", date="2021-01-03")
    build(project)  # the first site is now the spare, .site-previous/
    spare_posts = project / ".site-previous" / "posts"
    shutil.rmtree(spare_posts)
    spare_posts.symlink_to(tmp_path / "outside", target_is_directory=True)
    write_post(project / "content", "fourth", title="Fourth", date="2021-01-04")
    outside = {path: path.read_bytes() for path in (tmp_path / "outside").rglob("*")}
    with pytest.raises(BuildError) as caught:
        build(project)
    assert "leads outside the output folder" in str(caught.value)
    assert {path: path.read_bytes() for path in (tmp_path / "outside").rglob("*")} == outside
    assert "Fourth" not in (project / "site" / "index.html").read_text(encoding="utf-8")
