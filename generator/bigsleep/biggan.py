"""BigGAN-deep with one conditioning vector per layer, over pytorch-pretrained-biggan's modules.

The library's `Generator.forward` feeds one shared vector to every layer. BigSleep (like
big-sleep 0.9.1) gives each layer its own (z, class) pair: vector 0 goes through `gen_z`, vector
i conditions the i-th `GenBlock`; the self-attention layer takes none. Truncation is 1 and the
tanh output is mapped to [0, 1]. The installed package is used as is, never patched.
"""

from __future__ import annotations

import torch
from pytorch_pretrained_biggan import BigGAN, BigGANConfig
from pytorch_pretrained_biggan.model import GenBlock

TRUNCATION = 1.0


def num_latents(config: BigGANConfig) -> int:
    """Latent pairs the per-layer forward takes: one per GenBlock plus one for `gen_z`."""
    return len(config.layers) + 1


def output_size(config: BigGANConfig) -> int:
    """Side of the generated images: 4 px doubled by every up-sampling block."""
    return 4 * 2 ** sum(1 for up_sample, *_ in config.layers if up_sample)


def generate(biggan: BigGAN, z: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """Images (B, 3, H, W) in [0, 1] from per-layer latents z (B, L, z_dim), classes (B, L, C)."""
    generator = biggan.generator
    vectors = torch.cat((z, biggan.embeddings(classes)), dim=-1).unbind(dim=1)
    width = generator.config.channel_width
    x = generator.gen_z(vectors[0]).view(-1, 4, 4, 16 * width).permute(0, 3, 1, 2).contiguous()
    block_vectors = iter(vectors[1:])
    for layer in generator.layers:
        x = layer(x, next(block_vectors), TRUNCATION) if isinstance(layer, GenBlock) else layer(x)
    x = generator.relu(generator.bn(x, TRUNCATION))
    x = generator.conv_to_rgb(x)[:, :3]
    return (generator.tanh(x) + 1) / 2
