"""Shared fixtures: tiny CLIP and BigGAN checkpoints in the real formats, and settings for them."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from generator.settings import GenerationSettings
from tests.bigsleep.tiny_models import save_tiny_models

# Builds run in the test's process (and its children): a resident builder started by one test
# would answer another's builds and outlive the run. tests/resident/ starts and stops its own.
os.environ["GALLERY_RESIDENT"] = "0"

# Tiny models gain nothing from intra-op threads, and when other processes share the cores the
# thread pool's waiting makes a 15 ms step take seconds.
torch.set_num_threads(1)


@pytest.fixture(scope="session", autouse=True)
def no_resident_builder_outlives_the_tests(
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A resident builder that a test started and did not stop (a command run with an
    environment of its own, without GALLERY_RESIDENT=0) is stopped, and fails the run."""
    yield
    base = str(tmp_path_factory.getbasetemp())
    left = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            command = cmdline.read_bytes().split(b"\0")
            if b"generator.resident.server" in command and any(
                    os.fsdecode(part).startswith(base) for part in command):
                left.append(int(cmdline.parent.name))
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    assert not left, f"tests left {len(left)} resident builder(s) running (stopped now)"


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder holding `tiny-clip.pt` (CLIP) and `tiny-biggan/` (BigGAN, 32 px)."""
    folder = tmp_path_factory.mktemp("models")
    save_tiny_models(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_settings(tiny_models_dir: Path) -> GenerationSettings:
    """Generation settings that load the tiny models, with few cutouts and iterations."""
    return GenerationSettings(
        biggan=str(tiny_models_dir / "tiny-biggan"),
        clip=str(tiny_models_dir / "tiny-clip.pt"),
        iterations=6,
        cutouts=4,
        checkpoint_every=2,
        progress_every=2,
    )
