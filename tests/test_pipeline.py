"""End to end through the command line: gallery.yaml -> images -> content/ -> site/, on CPU.

The BigSleep step runs for real here, on the tiny CLIP and BigGAN checkpoints of conftest.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from generator.cli import main

ROOT = Path(__file__).resolve().parents[1]


def gallery_text(models: Path, *, caption: str = "a tiny dog", prompt: str = "dog",
                 url: str = "/2021/tiny/") -> str:
    return f"""\
site:
  title: Test gallery
  base_url: https://example.org/sub/
  image_widths: [16]
generation:
  biggan: {models / "tiny-biggan"}
  clip: {models / "tiny-clip.pt"}
  iterations: 4
  cutouts: 2
  checkpoint_every: 2
  progress_every: 2
posts:
  - title: Tiny post
    date: 2021-03-30T15:00:00+03:00
    url: {url}
    tags: [Технологии]
    items:
      - title: Dog
        prompt: {prompt}
        comment: {caption}
        progress: true
      - strip: {prompt}
        caption: how it went
      - title: "Half-Life"
"""


@pytest.fixture
def project(tmp_path: Path, tiny_models_dir: Path) -> Path:
    (tmp_path / "gallery.yaml").write_text(gallery_text(tiny_models_dir), encoding="utf-8")
    return tmp_path


def run(project: Path, *args: str) -> int:
    return main(["--manifest", str(project / "gallery.yaml"), *args])


def image_mtimes(project: Path) -> dict[str, int]:
    images = project / "content" / "posts" / "tiny" / "images"
    return {p.name: p.stat().st_mtime_ns for p in sorted(images.iterdir())}


def test_site_generates_writes_and_renders(project: Path) -> None:
    assert run(project, "site", "--device", "cpu") == 0
    bundle = project / "content" / "posts" / "tiny"
    assert {"dog.png", "dog-iterations.png", "dog-animation.webp", "halflife.png"} <= set(
        os.listdir(bundle / "images"))
    page = (project / "site" / "2021" / "tiny" / "index.html").read_text(encoding="utf-8")
    assert page.count("<figure") == 3
    assert "<strong>Dog</strong>" in page and "placeholder" not in page
    lock = json.loads((project / "gallery.lock").read_text())
    assert "tiny/dog" in json.dumps(lock)


def test_published_images_carry_the_prompt_but_not_the_authors_folders(
        project: Path, tiny_models_dir: Path) -> None:
    assert run(project, "site", "--device", "cpu") == 0
    with Image.open(project / "site" / "2021" / "tiny" / "images" / "dog.png") as image:
        chunks = dict(image.text)
    assert chunks["prompt"] == "dog"
    assert json.loads(chunks["settings"])["seed"] == int(chunks["seed"])
    assert json.loads(chunks["models"]) == {"clip": "tiny-clip.pt", "biggan": "tiny-biggan"}
    assert str(tiny_models_dir) not in json.dumps(chunks)


def test_second_run_and_caption_edits_cost_no_gpu_time(project: Path, tiny_models_dir: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    assert run(project, "site", "--device", "cpu") == 0
    before = image_mtimes(project)
    (project / "gallery.yaml").write_text(
        gallery_text(tiny_models_dir, caption="an edited comment"), encoding="utf-8")
    capsys.readouterr()
    # no --device: the CPU was not asked for, so any generation would stop with an error
    assert run(project, "site") == 0
    assert image_mtimes(project) == before
    assert "up to date" in capsys.readouterr().out
    page = (project / "site" / "2021" / "tiny" / "index.html").read_text(encoding="utf-8")
    assert "an edited comment" in page


def test_changed_prompt_regenerates_only_that_image(project: Path, tiny_models_dir: Path) -> None:
    assert run(project, "site", "--device", "cpu") == 0
    before = image_mtimes(project)
    (project / "gallery.yaml").write_text(
        gallery_text(tiny_models_dir, prompt="cat"), encoding="utf-8")
    assert run(project, "site", "--device", "cpu") == 0
    after = image_mtimes(project)
    assert after["halflife.png"] == before["halflife.png"]
    assert "cat.png" in after


def test_a_renamed_post_reuses_its_images_on_a_machine_without_cuda_or_weights(
        tmp_path: Path, tiny_models_dir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    models = shutil.copytree(tiny_models_dir, tmp_path / "models")
    (tmp_path / "gallery.yaml").write_text(gallery_text(models), encoding="utf-8")
    assert run(tmp_path, "site", "--device", "cpu") == 0
    shutil.rmtree(models)  # a laptop: the images were made elsewhere
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    (tmp_path / "gallery.yaml").write_text(gallery_text(models, url="/2021/renamed/"),
                                           encoding="utf-8")
    capsys.readouterr()
    assert run(tmp_path, "site") == 0, capsys.readouterr().err  # no --device: nothing optimised
    err = capsys.readouterr().err
    assert "images: renamed/dog: reused from tiny/dog (same prompt and settings)" in err
    assert "images: renamed/halflife: reused from tiny/halflife" in err
    page = (tmp_path / "site" / "2021" / "renamed" / "index.html").read_text(encoding="utf-8")
    assert page.count("<figure") == 3 and "placeholder" not in page
    for name in ["dog.png", "dog-iterations.png", "dog-animation.webp", "halflife.png"]:
        old, new = (tmp_path / "content" / "posts" / slug / "images" / name
                    for slug in ("tiny", "renamed"))
        assert new.read_bytes() == old.read_bytes()


def test_missing_images_without_gpu_stop_with_what_to_run(project: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    assert run(project, "site") == 1
    err = capsys.readouterr().err
    assert "tiny/dog" in err and "tiny/halflife" in err
    assert err.startswith("error: 2 problems:\n")  # the two images; the advice is not counted
    assert err.rstrip().splitlines()[-1].endswith(")") and "make draft" in err.splitlines()[-1]
    assert not (project / "site").exists()


def test_missing_images_of_draft_posts_do_not_stop_the_site(
        tmp_path: Path, tiny_models_dir: Path, capsys: pytest.CaptureFixture) -> None:
    published = gallery_text(tiny_models_dir).split("posts:\n")[0] + """\
posts:
  - title: Published
    date: 2021-03-30T15:00:00+03:00
    items:
      - text: Nothing to generate here.
  - title: Not ready
    date: 2021-04-01T15:00:00+03:00
    draft: true
    items:
      - title: Dog
"""
    (tmp_path / "gallery.yaml").write_text(published, encoding="utf-8")
    assert run(tmp_path, "site") == 0, capsys.readouterr().err  # no GPU: the draft's image waits
    assert (tmp_path / "site" / "posts" / "published" / "index.html").is_file()
    assert not (tmp_path / "site" / "posts" / "not-ready").exists()
    generated = (tmp_path / "content" / "posts" / "not-ready" / "images" / "dog.png").exists()
    assert generated or "draft" in capsys.readouterr().err  # made on a GPU, or said why not


def test_draft_builds_everything_with_marked_placeholders_of_the_size_to_come(
        project: Path, tiny_models_dir: Path) -> None:
    assert run(project, "draft") == 0
    page = (project / "site" / "2021" / "tiny" / "index.html").read_text(encoding="utf-8")
    assert page.count("not generated yet") >= 3
    config = json.loads((tiny_models_dir / "tiny-biggan" / "config.json").read_text())
    size = config["output_dim"]  # the BigGAN folder decides the size, not image_size
    assert page.count(f'width="{size}" height="{size}"') >= 3


def test_invalid_manifest_writes_nothing_and_keeps_the_site(project: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    assert run(project, "draft") == 0
    site_before = sorted(p.relative_to(project) for p in (project / "site").rglob("*"))
    text = (project / "gallery.yaml").read_text(encoding="utf-8")
    (project / "gallery.yaml").write_text(text.replace("iterations: 4", "iteratons: 4"),
                                          encoding="utf-8")
    assert run(project, "site", "--device", "cpu") == 1
    err = capsys.readouterr().err
    assert "gallery.yaml:8" in err and "iterations" in err  # where, and the closest valid key
    assert sorted(p.relative_to(project) for p in (project / "site").rglob("*")) == site_before


def test_check_reports_manifest_and_content_problems(project: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    hand_written = project / "content" / "posts" / "mine" / "index.md"
    hand_written.parent.mkdir(parents=True)
    hand_written.write_text("---\ntitle: Mine\n---\n\n{{< nosuch >}}\n", encoding="utf-8")
    text = (project / "gallery.yaml").read_text(encoding="utf-8")
    (project / "gallery.yaml").write_text(text.replace("cutouts: 2", "cutouts: 0"),
                                          encoding="utf-8")
    assert run(project, "check") == 1
    err = capsys.readouterr().err
    assert "gallery.yaml:9: generation.cutouts" in err
    assert "index.md:5" in err and "nosuch" in err


def test_check_reports_generated_pages_edited_by_hand(project: Path,
                                                    capsys: pytest.CaptureFixture) -> None:
    assert run(project, "write") == 0
    page = project / "content" / "posts" / "tiny" / "index.md"
    page.write_text(page.read_text(encoding="utf-8") + "my edit\n", encoding="utf-8")
    capsys.readouterr()
    assert run(project, "check") == 1  # `make site` would stop on it: say so before
    err = capsys.readouterr().err
    assert f"{page}: edited by hand since this tool wrote it" in err
    assert "gallery.yaml" in err and "delete" in err
    assert page.read_text(encoding="utf-8").endswith("my edit\n")


def test_deploy_copies_the_site(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    if shutil.which("rsync") is None:
        pytest.fail("rsync is needed for make deploy; .ci/run installs it")
    target = tmp_path_factory.mktemp("www")
    assert run(project, "deploy", "--device", "cpu", "--to", f"{target}/", "--dry-run") == 0
    assert list(target.iterdir()) == []  # built, compared, nothing copied
    assert run(project, "deploy", "--device", "cpu", "--to", f"{target}/") == 0
    assert (target / "2021" / "tiny" / "index.html").is_file()
    assert (target / "index.xml").is_file()


def test_deploy_to_a_git_branch_commits_the_built_site(project: Path, tmp_path_factory:
                                                      pytest.TempPathFactory) -> None:
    remote = tmp_path_factory.mktemp("remote") / "site.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(remote)], check=True)
    assert run(project, "deploy", "--device", "cpu", "--to", f"git+file://{remote}") == 0
    listed = subprocess.run(["git", "--git-dir", str(remote), "ls-tree", "-r", "--name-only",
                             "gh-pages"], capture_output=True, text=True, check=True).stdout
    assert {".nojekyll", "index.html", "2021/tiny/index.html"} <= set(listed.splitlines())
    assert (project / ".cache" / "deploy" / "git").is_dir()  # its working repo stays in .cache


def test_weights_says_what_it_verified(project: Path, tiny_models_dir: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """`make weights` with local checkpoints printed nothing: had it done anything?"""
    assert run(project, "weights") == 0
    out = capsys.readouterr().out
    assert "tiny-clip.pt" in out and "tiny-biggan" in out


def test_python_dash_m_generator_runs(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "generator", "--manifest", str(project / "gallery.yaml"), "check"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_a_build_ends_its_process_with_its_status_and_all_of_its_output(
        project: Path) -> None:
    """A build on the command line ends its process at once (cli.end_now): what it printed
    still reaches a pipe whole, and its status is the build's."""
    buffered = {name: value for name, value in os.environ.items()
                if name != "PYTHONUNBUFFERED"}  # as on most machines: a pipe is block-buffered

    def build() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "generator", "--manifest", str(project / "gallery.yaml"),
             "draft", "--no-resident"], cwd=ROOT, env=buffered, capture_output=True, text=True,
            check=False)

    built = build()
    assert built.returncode == 0 and "site: " in built.stdout, built.stderr
    (project / "content" / "posts" / "broken.md").write_text("---\ntitle: [\n", "utf-8")
    failed = build()
    assert failed.returncode == 1 and "broken.md" in failed.stderr, failed.stderr


def test_a_second_run_waits_for_the_first_or_stops_with_no_wait(
        project: Path, capsys: pytest.CaptureFixture) -> None:
    from generator.runlock import run_lock

    with run_lock(project / ".cache" / "site.lock", wait=False, out=sys.stderr):
        assert run(project, "site", "--no-wait") == 1
    err = capsys.readouterr().err
    assert "another run writing content/ and site/" in err and "without --no-wait" in err
    assert not (project / "content").exists() and not (project / "site").exists()
