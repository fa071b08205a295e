"""gallery.lock: what determines an image, stable across runs, and a clear error when damaged."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from generator.bigsleep.lockfile import (
    Candidate,
    ImageRecord,
    Lockfile,
    changed_keys,
    default_seed,
    image_spec,
    spec_hash,
)
from generator.errors import GenerationError
from generator.settings import GenerationSettings


def spec_of(prompt: str = "Bioshock", **overrides: object) -> dict:
    settings = dataclasses.replace(GenerationSettings(), **overrides)
    return image_spec(prompt, settings, image_prompt_hash=None)


def test_default_seed_is_a_stable_hash_of_the_prompt() -> None:
    assert default_seed("Bioshock") == default_seed("Bioshock")
    assert default_seed("Bioshock") != default_seed("Bioshock 2")
    assert default_seed("Bioshock") == 3320524696853558390  # the same on every machine and run
    assert 0 <= default_seed("Bioshock") < 2**62  # leaves room for candidate seeds seed+i


def test_settings_that_do_not_change_pixels_do_not_change_the_hash() -> None:
    base = spec_hash(spec_of())
    for name, value in [("pick", 0), ("progress", True), ("progress_every", 7),
                        ("checkpoint_every", 3), ("batch_size", 2)]:
        assert spec_hash(spec_of(**{name: value})) == base, name


def test_everything_that_determines_the_image_changes_the_hash() -> None:
    base = spec_hash(spec_of())
    changes = [("iterations", 10), ("seed", 5), ("cutouts", 8), ("lr", 0.1),
               ("penalize", ("dog",)), ("candidates", 2), ("save_best", True), ("clip", "RN50"),
               ("image_size", 512), ("max_classes", 5), ("ema_decay", 0.9)]
    hashes = {spec_hash(spec_of(**{name: value})) for name, value in changes}
    assert base not in hashes and len(hashes) == len(changes)
    assert spec_hash(spec_of("Bioshock 2")) != base
    other_prompt = image_spec("Bioshock", GenerationSettings(), image_prompt_hash="ab" * 32)
    assert spec_hash(other_prompt) != base


def test_explicit_seed_equal_to_the_default_is_the_same_image() -> None:
    assert spec_hash(spec_of(seed=default_seed("Bioshock"))) == spec_hash(spec_of())


def test_local_model_paths_are_named_by_file_so_moving_them_regenerates_nothing() -> None:
    here = spec_of(clip="/models/a/tiny-clip.pt", biggan="/models/a/tiny-biggan")
    there = spec_of(clip="/elsewhere/tiny-clip.pt", biggan="/elsewhere/tiny-biggan")
    assert spec_hash(here) == spec_hash(there)
    assert here["clip"] == "tiny-clip.pt" and "image_size" not in here


def test_changed_keys_name_what_changed() -> None:
    assert changed_keys(spec_of(), spec_of(iterations=5, seed=1)) == ["iterations", "seed"]


def record() -> ImageRecord:
    spec = spec_of("Прорастает")
    return ImageRecord(spec_hash(spec), spec, {"clip": "c" * 64}, "i" * 64, 1,
                       [Candidate(1, 0.25, "a" * 64), Candidate(2, 0.5, "i" * 64)])


def test_lock_round_trips_and_is_deterministic(tmp_path: Path) -> None:
    lock = Lockfile(tmp_path / "gallery.lock")
    lock.set("post/b", record())
    lock.set("post/a", record())
    lock.save()
    text = lock.path.read_text(encoding="utf-8")
    assert text.index('"post/a"') < text.index('"post/b"')  # sorted, whatever the insertion order
    assert "Прорастает" in text  # readable, not \u-escaped
    again = Lockfile.load(lock.path)
    assert again.get("post/a") == record()
    again.save()
    assert lock.path.read_text(encoding="utf-8") == text
    assert not list(tmp_path.glob(".*tmp"))  # written atomically, no temporary left


def test_missing_lock_is_empty(tmp_path: Path) -> None:
    assert Lockfile.load(tmp_path / "gallery.lock").records == {}


@pytest.mark.parametrize("text", ["{not json", '{"version": 99, "images": {}}',
                                  '{"version": 1, "images": {"a/b": {"spec": {}}}}'])
def test_damaged_lock_is_a_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "gallery.lock"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GenerationError) as error:
        Lockfile.load(path)
    assert "gallery.lock" in str(error.value) and "delete it" in str(error.value)


def test_a_lock_that_is_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "gallery.lock").mkdir()
    with pytest.raises(GenerationError) as error:
        Lockfile.load(tmp_path / "gallery.lock")
    assert "unreadable lock file (Is a directory)" in str(error.value)
