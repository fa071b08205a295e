"""Generation orchestration: cache hits and misses, candidates, pick, progress, resume, run lock.

Most tests drive the real loop with a fake optimiser of the same API (instant, deterministic per
seed); `test_real_tiny_models_*` run H5's optimiser with the tiny checkpoints, including a run
killed with SIGKILL and resumed.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
import torch
from PIL import Image

from generator.bigsleep import batches, outputs, planning
from generator.bigsleep import models as model_loading
from generator.bigsleep.device import estimate_cpu_seconds
from generator.bigsleep.generate import BigSleepGenerator
from generator.bigsleep.lockfile import Lockfile
from generator.bigsleep.progress import GAP, LABEL_HEIGHT
from generator.bigsleep.weight_files import weights_hash
from generator.errors import GenerationError
from generator.gallery.jobs import ImageJob, image_jobs
from generator.gallery.model import Entry, Manifest, Post
from generator.gallery.ownership import Ownership
from generator.runlock import run_lock
from generator.settings import GenerationSettings, SiteSettings

FAKE = GenerationSettings(iterations=8, cutouts=4, checkpoint_every=2, progress_every=4,
                          clip="fake-clip.pt", biggan="fake-biggan")


# --- a fake optimiser with BatchOptimiser's API ---

@dataclasses.dataclass
class FakeTask:
    key: str
    prompt: str
    penalize: tuple[str, ...]
    seed: int
    settings: GenerationSettings
    image_prompt: Path | None = None


class FakeOptimiser:
    """Each task's image is a flat colour drifting with the steps; similarity follows the seed."""

    created: ClassVar[list[list[int]]] = []  # seeds of every batch built
    crash_at: ClassVar[int | None] = None  # raise at this iteration, as a kill would stop the run

    def __init__(self, models: Any, tasks: list[FakeTask], device: torch.device,
                 amp: bool | None = None) -> None:
        FakeOptimiser.created.append([task.seed for task in tasks])
        self.tasks = tasks
        self.iteration = 0
        self.values = torch.tensor([(task.seed % 89) / 89 for task in tasks])
        self.best_similarity = 1 - self.values

    @property
    def done(self) -> bool:
        return self.iteration >= self.tasks[0].settings.iterations

    def step(self) -> torch.Tensor:
        if self.iteration == FakeOptimiser.crash_at:
            raise KeyboardInterrupt
        self.iteration += 1
        self.values = (self.values * 1.01 + 0.003) % 1
        return self.values.clone()

    def evaluate(self) -> torch.Tensor:
        return self.values.clone()

    def images(self) -> torch.Tensor:
        return self.values.view(-1, 1, 1, 1).expand(-1, 3, 8, 8).clone()

    def best_images(self) -> torch.Tensor:
        return self.images()

    def state_dict(self) -> dict[str, Any]:
        return {task.key: (self.iteration, float(value))
                for task, value in zip(self.tasks, self.values, strict=True)}

    def load_state_dict(self, state: dict[str, Any]) -> list[str]:
        keys = [task.key for task in self.tasks if task.key in state]
        for i, task in enumerate(self.tasks):
            if task.key in state:
                self.iteration, self.values[i] = state[task.key]
        return keys


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Patch the model side with fakes; returns the fake models folder."""
    models = tmp_path / "models"
    (models / "fake-biggan").mkdir(parents=True)
    (models / "fake-clip.pt").write_bytes(b"clip weights")
    (models / "fake-biggan" / "config.json").write_bytes(b"{}")
    (models / "fake-biggan" / "pytorch_model.bin").write_bytes(b"biggan weights")
    FakeOptimiser.created = []
    FakeOptimiser.crash_at = None

    def paths(settings: GenerationSettings, folder: Path) -> tuple[Path, Path]:
        return folder / settings.clip, folder / settings.biggan

    def load(settings: GenerationSettings, folder: Path, device: torch.device) -> Any:
        clip, biggan = paths(settings, folder)
        return SimpleNamespace(clip_hash=weights_hash(clip), biggan_hash=weights_hash(biggan))

    monkeypatch.setattr(batches, "BatchOptimiser", FakeOptimiser)
    monkeypatch.setattr(batches, "Task", FakeTask)
    monkeypatch.setattr(planning, "model_paths", paths)
    monkeypatch.setattr(model_loading, "load_models", load)
    monkeypatch.setattr(batches, "fit_batch_size", lambda models, settings, device: 4)
    return models


# --- a manifest without gallery.yaml ---

def entry(title: str, line: int = 1, comment: str | None = None, **settings: Any) -> Entry:
    return Entry(title, title, title.lower().replace(" ", "_"),
                 dataclasses.replace(FAKE, **settings), comment, line)


def manifest(root: Path, *entries: Entry, posts: dict[str, list[Entry]] | None = None) -> Manifest:
    """One post "games" of `entries`, or the `posts` given as {slug: entries}."""
    made = tuple(Post(slug, slug.title(), datetime(2021, 4, 1, tzinfo=UTC), tuple(items))
                 for slug, items in (posts or {"games": list(entries)}).items())
    return Manifest(root / "gallery.yaml", SiteSettings(), FAKE, made)


def run(root: Path, models: Path, *entries: Entry, **options: Any) -> tuple[list[ImageJob], str]:
    """outdated() then generate() like `make site`; returns the outdated jobs and the output."""
    out = io.StringIO()
    generator = BigSleepGenerator(manifest(root, *entries, posts=options.pop("posts", None)),
                                  models_dir=models, device=options.pop("device", "cpu"), out=out,
                                  **options)
    jobs = image_jobs(generator.manifest, root / "content")
    todo = generator.outdated(jobs)
    if todo:
        generator.generate(todo)
    return todo, out.getvalue()


def image(root: Path, name: str, folder: str = "images", post: str = "games") -> Path:
    suffix = "" if "." in name else ".png"
    return root / "content" / "posts" / post / folder / f"{name}{suffix}"


# --- cache ---

def test_generates_missing_images_then_nothing_until_inputs_change(tmp_path: Path,
                                                                    fake: Path) -> None:
    todo, _ = run(tmp_path, fake, entry("Bioshock"), entry("Half Life"))
    assert [job.entry.image for job in todo] == ["bioshock", "half_life"]
    png = Image.open(image(tmp_path, "bioshock"))
    assert png.size == (8, 8)
    assert png.text["prompt"] == "Bioshock"
    assert json.loads(png.text["settings"])["iterations"] == 8
    assert int(png.text["seed"]) == json.loads(png.text["settings"])["seed"]
    assert "fake-clip.pt" in png.text["models"]
    lock = Lockfile.load(tmp_path / "gallery.lock")
    assert set(lock.records) == {"games/bioshock", "games/half_life"}
    assert FakeOptimiser.created and not list((tmp_path / ".cache" / "generation").glob("*.pt"))

    FakeOptimiser.created = []
    edited = entry("Bioshock", line=9, comment="a new comment")
    todo, _ = run(tmp_path, fake, edited, entry("Half Life", pick=0, progress_every=3))
    assert todo == [] and FakeOptimiser.created == []  # titles, comments, pick 0: nothing to do


def test_changed_inputs_regenerate_and_keep_the_old_image_in_replaced(tmp_path: Path,
                                                                       fake: Path) -> None:
    run(tmp_path, fake, entry("Bioshock"), entry("Half Life"))
    before = image(tmp_path, "bioshock").read_bytes()
    todo, out = run(tmp_path, fake, entry("Bioshock", seed=3), entry("Half Life"))
    assert [job.entry.image for job in todo] == ["bioshock"]
    assert "games/bioshock: seed changed" in out
    assert image(tmp_path, "bioshock").read_bytes() != before
    kept = list(image(tmp_path, "", "replaced").parent.glob("bioshock-*.png"))
    assert [path.read_bytes() for path in kept] == [before]


def test_a_prompt_edit_that_renames_the_image_moves_the_old_one_to_replaced(
        tmp_path: Path, fake: Path) -> None:
    run(tmp_path, fake, entry("Bioshock", progress=True), entry("Half Life"))
    old = image(tmp_path, "bioshock").read_bytes()
    _, out = run(tmp_path, fake, entry("Bioshock Infinite", progress=True), entry("Half Life"))
    assert "games/bioshock: no entry names it any more; moved to games/replaced/" in out
    images = sorted(path.name for path in image(tmp_path, "x").parent.iterdir())
    assert images == ["bioshock_infinite-animation.webp", "bioshock_infinite-iterations.png",
                      "bioshock_infinite.png", "half_life.png"]
    replaced = sorted(image(tmp_path, "x", "replaced").parent.iterdir())
    assert [path.name.split("-")[0] for path in replaced] == ["bioshock"] * 3
    assert old in [path.read_bytes() for path in replaced]
    assert sorted(Lockfile.load(tmp_path / "gallery.lock").records) == [
        "games/bioshock_infinite", "games/half_life"]
    assert not Ownership.load(image(tmp_path, "x").parent.parent).owns(image(tmp_path, "bioshock"))


def test_without_a_lock_record_the_tools_image_is_kept_before_it_is_replaced(
        tmp_path: Path, fake: Path) -> None:
    """gallery.lock deleted (or lost): the tool's images are made again, never lost."""
    run(tmp_path, fake, entry("Bioshock", seed=3, candidates=2))
    before = image(tmp_path, "bioshock").read_bytes()
    alternate = next(image(tmp_path, "", "alternates").parent.iterdir()).read_bytes()
    (tmp_path / "gallery.lock").unlink()
    todo, out = run(tmp_path, fake, entry("Bioshock", seed=5, candidates=2))
    assert len(todo) == 1 and "no record in gallery.lock" in out
    assert image(tmp_path, "bioshock").read_bytes() != before
    kept = [p.read_bytes() for p in image(tmp_path, "", "replaced").parent.iterdir()]
    assert before in kept and alternate in kept


def test_an_unreadable_lock_says_what_deleting_it_does(tmp_path: Path) -> None:
    (tmp_path / "gallery.lock").write_text("{", encoding="utf-8")
    with pytest.raises(GenerationError) as error:
        Lockfile.load(tmp_path / "gallery.lock")
    assert "generated again" in str(error.value) and "replaced/" in str(error.value)


def test_changed_model_checkpoint_regenerates(tmp_path: Path, fake: Path) -> None:
    run(tmp_path, fake, entry("Bioshock"))
    (fake / "fake-clip.pt").write_bytes(b"other clip weights")
    todo, out = run(tmp_path, fake, entry("Bioshock"))
    assert len(todo) == 1 and "clip weights changed" in out


def test_images_are_kept_when_the_weights_are_absent_here(tmp_path: Path, fake: Path) -> None:
    run(tmp_path, fake, entry("Bioshock"))
    (fake / "fake-clip.pt").unlink()
    assert run(tmp_path, fake, entry("Bioshock"))[0] == []


def test_an_image_the_author_replaced_is_theirs(tmp_path: Path, fake: Path) -> None:
    run(tmp_path, fake, entry("Bioshock"))
    mine = image(tmp_path, "bioshock")
    Image.new("RGB", (4, 4), "blue").save(mine)
    ours = mine.read_bytes()
    todo, out = run(tmp_path, fake, entry("Bioshock", iterations=4))
    assert todo == [] and mine.read_bytes() == ours
    assert "games/bioshock: bioshock.png was not written by the tool; left as it is" in out


def test_an_authors_file_where_an_alternate_or_strip_goes_stops_before_any_optimising(
        tmp_path: Path, fake: Path) -> None:
    mine = [image(tmp_path, "bioshock-1", "alternates"), image(tmp_path, "bioshock-iterations")]
    for path in mine:
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (4, 4), "blue").save(path)
    with pytest.raises(GenerationError) as error:
        run(tmp_path, fake, entry("Bioshock", line=5, candidates=2, progress=True),
            entry("Half Life"))
    text = str(error.value)
    assert all(f"gallery.yaml:5: games/bioshock: {path} exists" in text for path in mine)
    assert FakeOptimiser.created == [] and not image(tmp_path, "half_life").exists()


def test_missing_image_is_generated_again(tmp_path: Path, fake: Path) -> None:
    run(tmp_path, fake, entry("Bioshock"))
    first = image(tmp_path, "bioshock").read_bytes()
    image(tmp_path, "bioshock").unlink()
    todo, _ = run(tmp_path, fake, entry("Bioshock"))
    assert len(todo) == 1 and image(tmp_path, "bioshock").read_bytes() == first


# --- reuse: the same inputs elsewhere in gallery.lock ---

def offline(monkeypatch: pytest.MonkeyPatch, models: Path) -> None:
    """A laptop: no CUDA, no weights; loading models or optimising fails the test."""
    def no_gpu_work(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("GPU work for an image that could be reused")

    for path in models.rglob("*"):
        if path.is_file():
            path.unlink()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(model_loading, "load_models", no_gpu_work)
    monkeypatch.setattr(batches, "BatchOptimiser", no_gpu_work)


def bundle_files(root: Path, post: str) -> dict[str, bytes]:
    bundle = root / "content" / "posts" / post
    return {p.relative_to(bundle).as_posix(): p.read_bytes() for p in sorted(bundle.rglob("*"))
            if p.is_file() and p.name != ".generated.json"}


def test_a_renamed_post_reuses_its_images_without_cuda_or_weights(
        tmp_path: Path, fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bioshock = entry("Bioshock", candidates=2, progress=True)
    run(tmp_path, fake, bioshock)
    old = bundle_files(tmp_path, "games")
    assert len(old) == 4  # the image, an alternate, the strip and the animation
    offline(monkeypatch, fake)

    todo, out = run(tmp_path, fake, posts={"games-2021": [bioshock]}, device=None)
    assert len(todo) == 1  # outdated() reports it, so the pipeline calls generate()
    assert ("images: games-2021/bioshock: reused from games/bioshock (same prompt and settings)"
            in out)
    assert bundle_files(tmp_path, "games-2021") == old
    assert bundle_files(tmp_path, "games") == old  # the source is neither moved nor deleted
    ownership = Ownership.load(tmp_path / "content" / "posts" / "games-2021")
    assert all(ownership.owns(tmp_path / "content" / "posts" / "games-2021" / name)
               for name in old)
    lock = Lockfile.load(tmp_path / "gallery.lock")
    assert lock.get("games-2021/bioshock") == lock.get("games/bioshock")
    assert run(tmp_path, fake, posts={"games-2021": [bioshock]}, device=None)[0] == []


def test_a_moved_entry_with_a_pick_reuses_the_candidate_it_picks(tmp_path: Path,
                                                                 fake: Path) -> None:
    run(tmp_path, fake, entry("Bioshock", seed=40, candidates=3))
    record = Lockfile.load(tmp_path / "gallery.lock").get("games/bioshock")
    other = next(i for i in range(3) if i != record.chosen)
    picked = image(tmp_path, f"bioshock-{other}", "alternates").read_bytes()
    best = image(tmp_path, "bioshock").read_bytes()
    FakeOptimiser.created = []

    moved = entry("Bioshock", seed=40, candidates=3, pick=other)
    run(tmp_path, fake, posts={"games": [], "news": [moved]})
    assert FakeOptimiser.created == []
    assert image(tmp_path, "bioshock", post="news").read_bytes() == picked
    assert image(tmp_path, f"bioshock-{record.chosen}", "alternates", "news").read_bytes() == best
    assert not image(tmp_path, f"bioshock-{other}", "alternates", "news").exists()
    assert Lockfile.load(tmp_path / "gallery.lock").get("news/bioshock").chosen == other
    assert image(tmp_path, "bioshock").read_bytes() == best  # the source keeps its own pick
    assert run(tmp_path, fake, posts={"games": [], "news": [moved]})[0] == []


def test_the_same_prompt_in_two_posts_is_optimised_once(tmp_path: Path, fake: Path) -> None:
    posts = {"games": [entry("Bioshock", seed=7)], "news": [entry("Bioshock", seed=7, pick=0)]}
    todo, out = run(tmp_path, fake, posts=posts)
    assert len(todo) == 2 and FakeOptimiser.created == [[7]]
    assert "images: news/bioshock: reused from games/bioshock" in out
    assert (image(tmp_path, "bioshock").read_bytes()
            == image(tmp_path, "bioshock", post="news").read_bytes())
    assert run(tmp_path, fake, posts=posts)[0] == []


def test_reusing_over_an_outdated_image_keeps_it_in_replaced(tmp_path: Path, fake: Path) -> None:
    run(tmp_path, fake, posts={"games": [entry("Bioshock")], "news": [entry("Bioshock", seed=3)]})
    before = image(tmp_path, "bioshock", post="news").read_bytes()
    FakeOptimiser.created = []
    _, out = run(tmp_path, fake, posts={"games": [entry("Bioshock")],
                                        "news": [entry("Bioshock")]})
    assert FakeOptimiser.created == [] and "news/bioshock: reused from games/bioshock" in out
    assert (image(tmp_path, "bioshock", post="news").read_bytes()
            == image(tmp_path, "bioshock").read_bytes())
    replaced = image(tmp_path, "", "replaced", "news").parent
    assert [p.read_bytes() for p in replaced.iterdir()] == [before]


def _authors_image(path: Path) -> None:
    Image.new("RGB", (4, 4), "blue").save(path, format="PNG")


@pytest.mark.parametrize("spoil", [
    lambda root, models: _authors_image(image(root, "bioshock")),
    lambda root, models: _authors_image(image(root, "bioshock-iterations")),
    lambda root, models: image(root, "bioshock-animation.webp").unlink(),
    lambda root, models: (models / "fake-clip.pt").write_bytes(b"other clip weights"),
], ids=["author's image", "author's strip", "animation gone", "other checkpoint"])
def test_only_the_tools_files_made_with_these_checkpoints_are_reused(
        tmp_path: Path, fake: Path, spoil: Any) -> None:
    bioshock = entry("Bioshock", seed=5, progress=True)
    run(tmp_path, fake, bioshock)
    spoil(tmp_path, fake)
    source = bundle_files(tmp_path, "games")
    FakeOptimiser.created = []
    _, out = run(tmp_path, fake, posts={"news": [bioshock]})
    assert "reused" not in out and FakeOptimiser.created == [[5]]
    assert bundle_files(tmp_path, "games") == source


# --- batches ---

def test_compatible_entries_share_batches_of_at_most_batch_size(tmp_path: Path,
                                                                 fake: Path) -> None:
    entries = [entry(f"Game {i}", seed=i) for i in range(5)] + [entry("Long", seed=9,
                                                                     iterations=10)]
    run(tmp_path, fake, *entries, batch_size=2)
    assert sorted(FakeOptimiser.created) == [[0, 1], [2, 3], [4], [9]]


def test_progress_bar_shows_rate_and_each_entrys_similarity(tmp_path: Path, fake: Path) -> None:
    _, out = run(tmp_path, fake, entry("Bioshock"), entry("Half Life", candidates=2))
    assert "batch 1/1" in out and ("it/s" in out or "s/it" in out)
    assert "bioshock=0." in out and "half_life#1=0." in out


# --- candidates and pick ---

def test_candidates_keep_the_best_and_pick_swaps_without_generating(tmp_path: Path,
                                                                    fake: Path) -> None:
    run(tmp_path, fake, entry("Bioshock", seed=40, candidates=3))
    assert FakeOptimiser.created == [[40, 41, 42]]  # one batch
    record = Lockfile.load(tmp_path / "gallery.lock").get("games/bioshock")
    similarities = [c.similarity for c in record.candidates]
    assert record.chosen == similarities.index(max(similarities))
    alternates = sorted(p.name for p in image(tmp_path, "", "alternates").parent.iterdir())
    others = [i for i in range(3) if i != record.chosen]
    assert alternates == [f"bioshock-{i}.png" for i in others]
    candidate = image(tmp_path, f"bioshock-{others[0]}", "alternates").read_bytes()
    best = image(tmp_path, "bioshock").read_bytes()

    FakeOptimiser.created = []
    todo, _ = run(tmp_path, fake, entry("Bioshock", seed=40, candidates=3, pick=others[0]))
    assert len(todo) == 1 and FakeOptimiser.created == []
    assert image(tmp_path, "bioshock").read_bytes() == candidate
    assert image(tmp_path, f"bioshock-{record.chosen}", "alternates").read_bytes() == best
    assert not image(tmp_path, f"bioshock-{others[0]}", "alternates").exists()
    assert run(tmp_path, fake, entry("Bioshock", seed=40, candidates=3, pick=others[0]))[0] == []

    run(tmp_path, fake, entry("Bioshock", seed=40, candidates=3))  # no pick: back to the best
    assert image(tmp_path, "bioshock").read_bytes() == best and FakeOptimiser.created == []


def test_regenerating_candidates_leaves_only_the_new_alternates(tmp_path: Path,
                                                                 fake: Path) -> None:
    run(tmp_path, fake, entry("Bioshock", seed=87, candidates=3))  # seeds 87..89: the last wins
    assert Lockfile.load(tmp_path / "gallery.lock").get("games/bioshock").chosen == 2
    run(tmp_path, fake, entry("Bioshock", seed=0, candidates=2))  # seeds 0, 1: the last wins
    assert Lockfile.load(tmp_path / "gallery.lock").get("games/bioshock").chosen == 1
    alternates = image(tmp_path, "", "alternates").parent
    assert [p.name for p in alternates.iterdir()] == ["bioshock-0.png"]  # not the old -1, -2
    replaced = image(tmp_path, "", "replaced").parent
    assert len(list(replaced.iterdir())) == 3  # the old image and its two alternates
    assert run(tmp_path, fake, entry("Bioshock", seed=0, candidates=2))[0] == []


def test_pick_beyond_the_candidates_is_an_error_at_the_entry(tmp_path: Path, fake: Path) -> None:
    with pytest.raises(GenerationError) as error:
        run(tmp_path, fake, entry("Bioshock", line=12, candidates=2, pick=2))
    assert "gallery.yaml:12: pick" in str(error.value)


# --- progress files ---

def test_progress_entry_writes_a_strip_and_an_animation(tmp_path: Path, fake: Path) -> None:
    run(tmp_path, fake, entry("Bioshock", progress=True))
    strip = Image.open(image(tmp_path, "bioshock-iterations"))
    assert strip.size == (3 * 8 + 2 * GAP, 8 + LABEL_HEIGHT)  # frames at iterations 0, 4, 8
    animation = Image.open(image(tmp_path, "bioshock-animation.webp"))
    assert animation.is_animated and animation.n_frames == 3
    image(tmp_path, "bioshock-animation.webp").unlink()
    assert len(run(tmp_path, fake, entry("Bioshock", progress=True))[0]) == 1


# --- resume ---

def test_an_interrupted_run_resumes_from_its_checkpoint(tmp_path: Path, fake: Path) -> None:
    whole = tmp_path / "whole"
    run(whole, fake, entry("Bioshock", progress=True), entry("Half Life"))

    FakeOptimiser.crash_at = 5
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, fake, entry("Bioshock", progress=True), entry("Half Life"))
    assert not image(tmp_path, "bioshock").exists()
    assert len(list((tmp_path / ".cache" / "generation").glob("*.pt"))) == 1

    FakeOptimiser.crash_at = 0  # a resumed batch that restarted from 0 would crash here
    run(tmp_path, fake, entry("Bioshock", progress=True), entry("Half Life"))
    for name in ["bioshock", "half_life", "bioshock-iterations", "bioshock-animation.webp"]:
        assert image(tmp_path, name).read_bytes() == image(whole, name).read_bytes(), name
    assert not list((tmp_path / ".cache" / "generation").rglob("*.pt"))


class Payload:
    """Unpickled with weights_only=False, this would create the file `marker`."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def test_a_checkpoint_holding_more_than_tensors_is_refused_unrun(tmp_path: Path,
                                                                 fake: Path) -> None:
    folder = tmp_path / ".cache" / "generation"
    folder.mkdir(parents=True)
    marker = tmp_path / "code-ran"
    torch.save({"version": 1, "keys": [], "frames": {}, "optimiser": Payload(marker)},
               folder / "crafted.pt")
    with pytest.raises(GenerationError) as error:
        run(tmp_path, fake, entry("Bioshock"))
    assert f"{folder / 'crafted.pt'}: refused" in str(error.value)
    assert "could run code" in str(error.value) and "delete it" in str(error.value)
    assert not marker.exists() and not image(tmp_path, "bioshock").exists()


def test_a_checkpoint_of_other_inputs_is_not_used(tmp_path: Path, fake: Path) -> None:
    FakeOptimiser.crash_at = 5
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, fake, entry("Bioshock"))
    FakeOptimiser.crash_at = None
    run(tmp_path, fake, entry("Bioshock", seed=1))
    run(tmp_path / "fresh", fake, entry("Bioshock", seed=1))
    assert image(tmp_path, "bioshock").read_bytes() == image(tmp_path / "fresh",
                                                             "bioshock").read_bytes()
    assert not list((tmp_path / ".cache" / "generation").rglob("*.pt"))  # the stale one too


def test_a_run_stopped_while_writing_finishes_without_optimising_again(
        tmp_path: Path, fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(tmp_path, fake, entry("Bioshock", candidates=2))
    write = outputs._write
    calls = []

    def stop_after_one(*args: Any) -> None:  # the image written, the alternate not
        if calls:
            raise KeyboardInterrupt
        calls.append(args)
        write(*args)

    monkeypatch.setattr(outputs, "_write", stop_after_one)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, fake, entry("Bioshock", candidates=2, seed=5))
    monkeypatch.setattr(outputs, "_write", write)
    FakeOptimiser.created = []
    todo, out = run(tmp_path, fake, entry("Bioshock", candidates=2, seed=5))
    assert len(todo) == 1 and FakeOptimiser.created == []  # finished from the saved results
    assert "not written by the tool" not in out
    assert len(list(image(tmp_path, "", "replaced").parent.iterdir())) == 2  # kept once, not twice
    run(tmp_path / "clean", fake, entry("Bioshock", candidates=2, seed=5))
    for folder in ["images", "alternates"]:
        files, clean = (sorted(image(root, "", folder).parent.iterdir())
                        for root in (tmp_path, tmp_path / "clean"))
        assert [p.read_bytes() for p in files] == [p.read_bytes() for p in clean]


# --- run lock ---

def test_a_second_run_stops_with_no_wait_or_waits(tmp_path: Path, fake: Path) -> None:
    lock = tmp_path / ".cache" / "generation" / "lock"
    with run_lock(lock, wait=False, out=io.StringIO()):
        with pytest.raises(GenerationError) as error:
            run(tmp_path, fake, entry("Bioshock"), wait=False)
        assert "another generation run" in str(error.value)
        assert not image(tmp_path, "bioshock").exists()

        result: dict[str, str] = {}
        waiter = threading.Thread(target=lambda: result.update(
            out=run(tmp_path, fake, entry("Bioshock"))[1]))
        waiter.start()
        time.sleep(0.5)
        assert waiter.is_alive() and not image(tmp_path, "bioshock").exists()
    waiter.join(10)
    assert "waiting for another generation run" in result["out"]
    assert image(tmp_path, "bioshock").exists()


def test_a_run_that_waited_and_found_its_work_done_says_so(tmp_path: Path, fake: Path) -> None:
    out = io.StringIO()
    generator = BigSleepGenerator(manifest(tmp_path, entry("Bioshock")), models_dir=fake,
                                  device="cpu", out=out)
    todo = generator.outdated(image_jobs(generator.manifest, tmp_path / "content"))
    with run_lock(tmp_path / ".cache" / "generation" / "lock", wait=False, out=io.StringIO()):
        waiter = threading.Thread(target=generator.generate, args=(todo,))
        waiter.start()
        deadline = time.monotonic() + 30
        while "waiting for" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        run(tmp_path, fake, entry("Bioshock"), cache_dir=tmp_path / "elsewhere")  # the other run
    waiter.join(10)
    assert not waiter.is_alive()
    assert "waiting for another generation run" in out.getvalue()
    assert "the run waited for made all 1 meanwhile; nothing left to do" in out.getvalue()
    assert FakeOptimiser.created == [[FakeOptimiser.created[0][0]]]  # optimised once


# --- devices ---

def test_no_cuda_and_no_cpu_request_lists_missing_images_and_what_to_run(
        tmp_path: Path, fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(GenerationError) as error:
        run(tmp_path, fake, entry("Bioshock", line=4), entry("Half Life", line=7), device=None)
    text = str(error.value)
    assert "gallery.yaml:4: games/bioshock" in text and "gallery.yaml:7: games/half_life" in text
    assert "make draft" in text and "make site" in text and "--device cpu" in text
    assert len(error.value.problems) == 2  # one per image: the advice is not a third problem
    assert "no CUDA GPU here: 2 image(s) cannot be generated" in (error.value.advice or "")


def test_cpu_run_prints_an_estimate_first(tmp_path: Path, fake: Path) -> None:
    _, out = run(tmp_path, fake, entry("Bioshock", iterations=1000, cutouts=32))
    assert "estimated 1 h 57 min" in out  # 7 s x 1000 iterations
    assert out.index("estimated") < out.index("batch 1/1")
    assert estimate_cpu_seconds([GenerationSettings(cutouts=8, iterations=10)]) == 30


def test_the_estimate_takes_the_size_of_a_biggan_folder_from_its_config(tmp_path: Path) -> None:
    """`image_size` is ignored when a BigGAN folder is named: its config.json decides."""
    for name in ["mine", "biggan-deep-512"]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text('{"output_dim": 512}', encoding="utf-8")
    local = GenerationSettings(cutouts=8, iterations=10, biggan=str(tmp_path / "mine"))
    named = dataclasses.replace(local, biggan="biggan-deep-512")  # downloaded into models_dir
    absent = dataclasses.replace(local, biggan=str(tmp_path / "gone"))
    assert estimate_cpu_seconds([local]) == 120  # 4 times the pixels of 256 px
    assert estimate_cpu_seconds([named], tmp_path) == 120
    assert estimate_cpu_seconds([absent]) == 30


# --- the real optimiser with the tiny checkpoints ---

CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from generator.bigsleep import batches
from tests.bigsleep.test_generate import real_run
step = batches.BatchOptimiser.step
def slow_step(self):  # slow enough to be killed in the middle
    time.sleep(0.05)
    return step(self)
batches.BatchOptimiser.step = slow_step
real_run(Path(sys.argv[2]), Path(sys.argv[3]), batch_size=2)
"""


def real_entries(models: Path) -> list[Entry]:
    settings = dict(biggan=str(models / "tiny-biggan"), clip=str(models / "tiny-clip.pt"),
                    iterations=8, cutouts=4, checkpoint_every=2, progress_every=4)
    return [entry("Bioshock", **settings, progress=True), entry("Half Life", **settings)]


def real_run(root: Path, models: Path, **options: Any) -> str:
    return run(root, models, *real_entries(models), **options)[1]


def test_real_tiny_models_killed_run_resumes_to_the_same_images(tmp_path: Path,
                                                                  tiny_models_dir: Path) -> None:
    """Killed (SIGKILL) in a batch of two, resumed one at a time: the images of a clean run.

    This also shows an entry gives the same image alone or batched, and that a resumed run
    picks every task up from its checkpoint whatever the new batch size.
    """
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    real_run(whole, tiny_models_dir, batch_size=1)
    checkpoints = killed / ".cache" / "generation"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(Path(__file__).resolve().parents[2]),
                              str(killed), str(tiny_models_dir)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(checkpoints.glob("*.pt")) and time.monotonic() < deadline:
            assert child.poll() is None, "the run ended before its first checkpoint"
            time.sleep(0.02)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert list(checkpoints.glob("*.pt")) and not image(killed, "bioshock").exists()

    out = real_run(killed, tiny_models_dir, batch_size=1)
    assert "batch 1/2" in out and "| 0/8" not in out  # resumed, not from the start
    for name in ["bioshock", "half_life", "bioshock-iterations", "bioshock-animation.webp"]:
        assert image(killed, name).read_bytes() == image(whole, name).read_bytes(), name
    assert Image.open(image(whole, "half_life")).size == (32, 32)
    assert not list(checkpoints.rglob("*.pt"))


# --- numbers that stop being finite ---

def strict_json(path: Path) -> Any:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} in {path}")
    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


def test_a_task_gone_nan_is_stopped_its_batch_mates_finish_and_nothing_is_recorded(
        tmp_path: Path, tiny_models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    step = batches.BatchOptimiser.step

    def poisoned_step(self: Any) -> torch.Tensor:  # Bioshock's BigGAN input goes NaN
        if self.iteration == 3:
            with torch.no_grad():
                for i, task in enumerate(self.tasks):
                    if task.prompt == "Bioshock":
                        self.latents[i][0].fill_(float("nan"))
        return step(self)

    monkeypatch.setattr(batches.BatchOptimiser, "step", poisoned_step)
    with pytest.raises(GenerationError) as error:
        real_run(tmp_path, tiny_models_dir, batch_size=2)
    [problem] = error.value.problems
    assert (problem.line, problem.key) == (1, "games/bioshock")
    assert "stopped at iteration 4" in problem.message and "NaN" in problem.message
    assert "kept in" in str(problem.hint)
    assert not image(tmp_path, "bioshock").exists()
    assert image(tmp_path, "half_life").exists()  # its batch-mate went on
    lock = strict_json(tmp_path / "gallery.lock")
    assert list(lock["images"]) == ["games/half_life"]
    assert list((tmp_path / ".cache" / "generation").glob("*.pt"))  # kept for inspection


def test_a_nan_similarity_in_an_old_lock_means_the_image_is_made_again(tmp_path: Path,
                                                                      fake: Path) -> None:
    run(tmp_path, fake, entry("Bioshock"))
    lock_path = tmp_path / "gallery.lock"
    record = strict_json(lock_path)["images"]["games/bioshock"]
    text = lock_path.read_text(encoding="utf-8")
    number = f'"similarity": {record["candidates"][0]["similarity"]}'
    lock_path.write_text(text.replace(number, '"similarity": NaN'), encoding="utf-8")
    todo, _ = run(tmp_path, fake, entry("Bioshock"))
    assert [job.entry.image for job in todo] == ["bioshock"]
    assert strict_json(lock_path)["images"]["games/bioshock"] == record
