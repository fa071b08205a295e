"""Generation benchmark: B images optimised in one batch against the same B one at a time.

Both sides run the project's `BatchOptimiser` on the same tasks and device, in this process, so
the ratio (batched image-iterations per second over one-at-a-time) compares like with like.
Tiny models (the tests' checkpoints) always run; the real architectures (BigGAN-deep-256 and
CLIP ViT-B/32 shapes, random weights: speed does not depend on the values) run on CUDA, or on the
CPU when not `quick`, with few cutouts there since a CPU step takes seconds.
"""

from __future__ import annotations

import importlib.util
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import torch
from pytorch_pretrained_biggan import BigGAN, BigGANConfig

from generator.bigsleep.biggan import num_latents, output_size
from generator.bigsleep.clip_package import CLIP
from generator.bigsleep.models import Models, load_models
from generator.bigsleep.optimiser import BatchOptimiser, Task
from generator.settings import GenerationSettings

TEST_HELPERS = Path(__file__).resolve().parent.parent / "tests" / "bigsleep"
# pytorch-pretrained-biggan's biggan-deep-256 layout (config.json of the published checkpoint).
BIGGAN_DEEP_256 = [(False, 16, 16), (True, 16, 16), (False, 16, 16), (True, 16, 8),
                   (False, 8, 8), (True, 8, 8), (False, 8, 8), (True, 8, 4), (False, 4, 4),
                   (True, 4, 2), (False, 2, 2), (True, 2, 1)]


def load_test_helper(name: str) -> ModuleType:
    """The tests' helper module tests/bigsleep/NAME.py (tiny models, a local Ray), loaded from
    its file: the benchmarks do not import the test package."""
    spec = importlib.util.spec_from_file_location(name, TEST_HELPERS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_models() -> ModuleType:
    """The tests' tiny_models.py: tiny checkpoints written in the real weight-file formats."""
    return load_test_helper("tiny_models")


def run(quick: bool) -> list[str]:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    lines = [f"device: {_describe(device)}"]
    lines += _tiny(device, quick)
    if device.type == "cuda" or not quick:
        lines += _real(device, quick)
    else:
        lines.append("real architectures: skipped with --quick on the CPU (seconds per step; "
                     "run `python -m bench generation` or on a CUDA machine)")
    return lines


def _describe(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU, {torch.get_num_threads()} threads"


def _tiny(device: torch.device, quick: bool) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        clip_path, biggan_path = tiny_models().save_tiny_models(Path(folder))
        settings = GenerationSettings(clip=str(clip_path), biggan=str(biggan_path), cutouts=8)
        models = load_models(settings, Path(folder), device)
    batch, steps, repeats = (4, 3, 2) if quick else (8, 5, 3)
    return [_compare("tiny models, 32 px, 8 cutouts", models, settings, device, batch, steps,
                     repeats)]


def _real(device: torch.device, quick: bool) -> list[str]:
    models = _real_models(device)
    if device.type == "cuda":
        cutouts, steps, sizes = 128, (3 if quick else 10), (2, 4, 8) if quick else (2, 4, 8, 16)
    else:
        cutouts, steps, sizes = 8, 2, (2,)
    settings = GenerationSettings(cutouts=cutouts)
    label = f"BigGAN-deep-256 + ViT-B/32 shapes, {cutouts} cutouts"
    return [_compare(label, models, settings, device, size, steps, 1) for size in sizes]


def _compare(label: str, models: Models, settings: GenerationSettings, device: torch.device,
             batch: int, steps: int, repeats: int) -> str:
    """Best of `repeats` interleaved rounds of each, so a busy machine skews both alike."""
    tasks = [Task(f"bench-{i}", "a painting of a lighthouse", (), i,
                  replace(settings, iterations=steps + 1)) for i in range(batch)]
    _seconds(models, tasks, device, 1)  # first use of the models: one-off costs
    alone, together = [], []
    for _ in range(repeats):
        alone.append(sum(_seconds(models, [task], device, steps) for task in tasks))
        together.append(_seconds(models, tasks, device, steps))
    rate_alone, rate_together = batch * steps / min(alone), batch * steps / min(together)
    return (f"{label}, batch {batch}: {rate_together:.2f} image-it/s batched vs "
            f"{rate_alone:.2f} one at a time = {rate_together / rate_alone:.2f}x")


def _seconds(models: Models, tasks: list[Task], device: torch.device, steps: int) -> float:
    """Seconds for `steps` steps after one warm-up step (allocations, kernel selection)."""
    optimiser = BatchOptimiser(models, tasks, device)
    optimiser.step()
    _sync(device)
    started = time.perf_counter()
    for _ in range(steps):
        optimiser.step()
    _sync(device)
    return time.perf_counter() - started


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _real_models(device: torch.device) -> Models:
    """BigGAN-deep-256 and CLIP ViT-B/32 with random weights, as trained ones would be shaped."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        config = BigGANConfig(output_dim=256, layers=BIGGAN_DEEP_256, attention_layer_position=8)
        biggan = BigGAN(config)
        with torch.no_grad():
            biggan.generator.bn.weight.fill_(1.0)  # created uninitialised by the library
            biggan.generator.bn.bias.fill_(0.0)
        clip_model = CLIP(embed_dim=512, image_resolution=224, vision_layers=12, vision_width=768,
                          vision_patch_size=32, context_length=77, vocab_size=49408,
                          transformer_width=512, transformer_heads=8, transformer_layers=12)
    return Models(
        clip=clip_model.float().eval().requires_grad_(False).to(device),
        biggan=biggan.eval().requires_grad_(False).to(device),
        image_size=output_size(config), clip_input_size=224, num_latents=num_latents(config),
        clip_hash="random", biggan_hash="random",
    )
