"""BigSleep's latents: a z and class logits per generator layer, their class vectors, and an EMA.

As in big-sleep 0.9.1: z ~ N(0, 1), class logits ~ N(-3.9, 0.3); the class vector is
sigmoid(logits), or a differentiable top-k of the softmax when `max_classes` is set. Images are
saved from an exponential moving average of the latents with bias correction (so it starts at the
initial latents instead of at zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

Z_DIM = 128
NUM_CLASSES = 1000


def init_latents(
    num_layers: int, generator: torch.Generator, z_dim: int = Z_DIM, num_classes: int = NUM_CLASSES
) -> tuple[torch.Tensor, torch.Tensor]:
    """Initial (z, class logits) of one image, drawn on the CPU from its own generator."""
    z = torch.randn(num_layers, z_dim, generator=generator)
    logits = torch.randn(num_layers, num_classes, generator=generator) * 0.3 - 3.9
    return z, logits


def differentiable_topk(x: torch.Tensor, k: int, temperature: float) -> torch.Tensor:
    """Sum of the k largest softmax probabilities of the last axis, each renormalised over the
    classes not taken yet; everything else 0. Gradients flow through the kept probabilities."""
    out = torch.zeros_like(x)
    for i in range(k):
        values, indices = (x / temperature).softmax(dim=-1).topk(1, dim=-1)
        out = out.scatter(-1, indices, values)
        if i < k - 1:
            x = x.scatter(-1, indices, float("-inf"))
    return out


def class_vectors(
    logits: torch.Tensor, max_classes: int | None, temperature: float
) -> torch.Tensor:
    """The soft class vector fed to BigGAN: sigmoid, or a differentiable top-`max_classes`."""
    if max_classes is None:
        return torch.sigmoid(logits)
    return differentiable_topk(logits, max_classes, temperature)


class EMA:
    """Bias-corrected exponential moving average of a few tensors, as big-sleep's EMA.

    big-sleep keeps `biased = decay * biased + (1 - decay) * x` and reads `biased / (1 - decay^t)`;
    the same average is kept here directly (a lerp with weight (1 - decay) / (1 - decay^t)), which
    also stays defined for decay 1 (the initial values forever) and 0 (the current values).
    """

    def __init__(self, tensors: Sequence[torch.Tensor], decay: float) -> None:
        self.decay = decay
        self.accum = 1.0
        self.average = [t.detach().clone() for t in tensors]
        self.update(tensors)

    @torch.no_grad()
    def update(self, tensors: Sequence[torch.Tensor]) -> None:
        """Fold the current values in."""
        self.accum *= self.decay
        weight = (1 - self.decay) / (1 - self.accum) if self.accum < 1 else 0.0
        for average, tensor in zip(self.average, tensors, strict=True):
            average.lerp_(tensor.detach(), weight)

    def state_dict(self) -> dict[str, Any]:
        return {"accum": self.accum, "average": [t.clone() for t in self.average]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.accum = float(state["accum"])
        for average, saved in zip(self.average, state["average"], strict=True):
            average.copy_(saved)
