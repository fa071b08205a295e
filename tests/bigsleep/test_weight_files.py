"""The torch-free checkpoint names stay equal to the libraries', and planning imports no torch:
a `make site` with every image up to date must not pay seconds for torch, clip and BigGAN."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytorch_pretrained_biggan.model as biggan_library

from generator.bigsleep.clip_package import _MODELS
from generator.bigsleep.weight_files import BIGGAN_NAMES, CLIP_FILES, CONFIG_NAME, WEIGHTS_NAME
from generator.cli import main
from tests.test_pipeline import ROOT, gallery_text

HEAVY = ("torch", "clip", "pytorch_pretrained_biggan")

PLAN_WITHOUT_TORCH = """
import sys
from pathlib import Path

from generator.cli import main
from generator.bigsleep.generate import BigSleepGenerator
from generator.gallery.jobs import image_jobs
from generator.gallery.load import load_manifest
from generator.runlock import run_lock

project = Path(sys.argv[1])
assert main(["--manifest", str(project / "gallery.yaml"), "generate"]) == 0
changed = load_manifest(project / "changed.yaml")
outdated = BigSleepGenerator(changed).outdated(image_jobs(changed, project / "content"))
assert [job.entry.image for job in outdated] == ["cat"], outdated
heavy = sorted(set(sys.argv[2:]) & set(sys.modules))
assert not heavy, f"imported {heavy}"

import generator.bigsleep.generate as generate_module

class Locked(Exception):
    pass

def lock_then_stop(*args, **kwargs):
    heavy = sorted(set(sys.argv[2:]) & set(sys.modules))
    assert not heavy, f"the run lock was taken after importing {heavy}"
    raise Locked

generate_module.run_lock = lock_then_stop
try:
    BigSleepGenerator(changed).generate(outdated)
except Locked:
    print("locked before torch")

generate_module.run_lock = run_lock
assert main(["--manifest", str(project / "changed.yaml"), "generate", "--device", "cpu"]) == 0
assert "torch" in sys.modules and "ray" not in sys.modules, "generated without --cluster"
print("generated without ray")
"""


def test_clip_file_names_are_clips_own() -> None:
    clips_table = {name: os.path.basename(url) for name, url in _MODELS.items()}
    assert clips_table == CLIP_FILES


def test_biggan_names_are_the_librarys() -> None:
    assert tuple(biggan_library.PRETRAINED_MODEL_ARCHIVE_MAP) == BIGGAN_NAMES
    assert (biggan_library.CONFIG_NAME, biggan_library.WEIGHTS_NAME) == (CONFIG_NAME, WEIGHTS_NAME)


def test_planning_and_the_run_lock_import_no_torch_and_generating_no_ray(
        tmp_path: Path, tiny_models_dir: Path) -> None:
    (tmp_path / "gallery.yaml").write_text(gallery_text(tiny_models_dir), encoding="utf-8")
    (tmp_path / "changed.yaml").write_text(gallery_text(tiny_models_dir, prompt="cat"),
                                           encoding="utf-8")
    assert main(["--manifest", str(tmp_path / "gallery.yaml"), "generate", "--device", "cpu"]) == 0
    result = subprocess.run(
        [sys.executable, "-c", PLAN_WITHOUT_TORCH, str(tmp_path), *HEAVY],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "all 2 up to date" in result.stdout
    assert "locked before torch" in result.stdout  # waiting starts before 20 s of imports
    assert "generated without ray" in result.stdout  # Ray is imported for --cluster only
