"""Tiny CLIP and BigGAN checkpoints in the real on-disk formats, for tests without real weights.

The tiny CLIP is a `clip.model.CLIP` (widths 64, since clip's loader derives heads as width // 64;
32 px input, 16 px patches; the real 77-token context and 49408-word vocabulary so that
`clip.tokenize` works) saved as a `.pt` file that `clip.load(path, jit=False)` reads: a TorchScript
archive like OpenAI's, or a plain fp16 state dict. The tiny BigGAN is a pytorch-pretrained-biggan
`BigGAN` with `channel_width` 4 and five blocks (6 latent pairs, 32 px output), saved as
`config.json` + `pytorch_model.bin`. Both load through the same code as real weights.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch
from pytorch_pretrained_biggan import BigGAN, BigGANConfig

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # clip imports the deprecated pkg_resources
    from clip.model import CLIP

TINY_CLIP_FILE = "tiny-clip.pt"
TINY_BIGGAN_DIR = "tiny-biggan"
TINY_BIGGAN_LAYERS = [(False, 16, 16), (True, 16, 8), (False, 8, 4), (True, 4, 2), (True, 2, 1)]


def tiny_clip() -> CLIP:
    """A randomly initialised CLIP small enough to run a step in milliseconds."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = CLIP(
            embed_dim=32,
            image_resolution=32, vision_layers=1, vision_width=64, vision_patch_size=16,
            context_length=77, vocab_size=49408,
            transformer_width=64, transformer_heads=1, transformer_layers=1,
        )
    return model.eval()


def save_tiny_clip(path: Path, *, jit: bool = True) -> Path:
    """Save the tiny CLIP as a TorchScript archive (OpenAI's format) or a plain state dict."""
    model = tiny_clip()
    if jit:
        image = torch.zeros(1, 3, 32, 32)
        text = torch.zeros(1, 77, dtype=torch.long)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.jit deprecation and tracer notes
            traced = torch.jit.trace_module(
                model, {"encode_image": (image,), "encode_text": (text,)}, check_trace=False
            )
            torch.jit.save(traced, str(path))
    else:
        torch.save({k: v.half() for k, v in model.state_dict().items()}, path)
    return path


def tiny_biggan_config() -> BigGANConfig:
    """A BigGAN-deep layout with 5 blocks (one upsampling thrice) and 4-channel width."""
    return BigGANConfig(
        output_dim=32, z_dim=128, class_embed_dim=128, channel_width=4, num_classes=1000,
        layers=TINY_BIGGAN_LAYERS, attention_layer_position=3, eps=1e-4, n_stats=51,
    )


def tiny_biggan(config: BigGANConfig | None = None) -> BigGAN:
    """A tiny BigGAN with every tensor initialised, as trained weights would be.

    pytorch-pretrained-biggan creates `generator.bn.weight`/`bias` with `torch.Tensor(n)`
    (uninitialised memory) and the attention gain at 0; the spectral-norm vectors get a few power
    iterations so the stored singular-value estimates are meaningful.
    """
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = BigGAN(config or tiny_biggan_config())
        generator = model.generator
        with torch.no_grad():
            generator.bn.weight.fill_(1.0)
            generator.bn.bias.fill_(0.0)
            for module in generator.modules():
                if hasattr(module, "gamma"):
                    module.gamma.fill_(0.5)
            model.train()
            vector = torch.randn(2, model.config.z_dim * 2)
            for _ in range(10):
                generator(vector, 1.0)
    return model.eval()


def save_tiny_biggan(folder: Path, model: BigGAN | None = None) -> Path:
    """Save a BigGAN in the library's folder format: config.json + pytorch_model.bin."""
    model = model or tiny_biggan()
    folder.mkdir(parents=True, exist_ok=True)
    config = model.config.to_dict()
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    return folder


def save_tiny_models(folder: Path) -> tuple[Path, Path]:
    """Write both tiny checkpoints into `folder`; returns (clip file, biggan folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    clip_path = save_tiny_clip(folder / TINY_CLIP_FILE)
    biggan_dir = save_tiny_biggan(folder / TINY_BIGGAN_DIR)
    return clip_path, biggan_dir
