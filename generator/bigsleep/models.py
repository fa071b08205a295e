"""The loaded models a BigSleep run needs, from local files only (see `weights`).

Which files the settings name (`model_paths`) is the torch-free `weight_files`' business.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from pytorch_pretrained_biggan import BigGAN

from generator.bigsleep.biggan import num_latents, output_size
from generator.bigsleep.clip_package import CLIP
from generator.bigsleep.weight_files import missing_weights, model_paths, weights_hash
from generator.bigsleep.weights import load_biggan, load_clip
from generator.errors import GenerationError
from generator.settings import GenerationSettings


@dataclass(frozen=True)
class Models:
    """Frozen CLIP and BigGAN on one device, with what the optimiser needs to know of them."""

    clip: CLIP
    biggan: BigGAN
    image_size: int  # side of BigGAN's images (its config decides)
    clip_input_size: int  # side of the images CLIP takes
    num_latents: int  # (z, class) pairs BigGAN takes: GenBlocks + 1
    clip_hash: str  # SHA-256 of the CLIP weights file
    biggan_hash: str  # SHA-256 over the BigGAN folder's config and weights


def load_models(
    settings: GenerationSettings,
    models_dir: Path | None = None,
    device: torch.device | str = "cpu",
) -> Models:
    """Load the settings' CLIP and BigGAN from local files, strictly; no network access.

    Raises GenerationError naming the file (and `make weights`) when one is missing or invalid.
    """
    clip_path, biggan_path = model_paths(settings, models_dir)
    missing = missing_weights(clip_path, biggan_path)
    if missing:
        raise GenerationError(missing)
    clip_model = load_clip(clip_path, device)
    biggan = load_biggan(biggan_path, device)
    return Models(
        clip=clip_model,
        biggan=biggan,
        image_size=output_size(biggan.config),
        clip_input_size=clip_model.visual.input_resolution,
        num_latents=num_latents(biggan.config),
        clip_hash=weights_hash(clip_path),
        biggan_hash=weights_hash(biggan_path),
    )
