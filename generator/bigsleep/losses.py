"""BigSleep's loss terms, for a batch of images at once (one value per image).

As big-sleep 0.9.1:
- similarity: -100 * mean cosine(target, cutouts) for each prompt part, +100 * mean cosine for
  each penalised text, summed;
- latent regulariser: |1 - std(z)| + |mean(z)| per layer (averaged), 4 * max(mean(z^2), 1), and
  the |skew| and |excess kurtosis| of every layer's z divided by the number of layers;
- class regulariser: mean((50 * every class weight but the largest)^2).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

LOSS_COEF = 100.0


def latent_loss(z: torch.Tensor) -> torch.Tensor:
    """Pull each image's z (B, L, D) towards N(0, 1) statistics; returns (B,)."""
    num_layers = z.shape[1]
    loss = (
        (1 - z.std(dim=2)).abs().mean(dim=1)
        + z.mean(dim=2).abs().mean(dim=1)
        + 4 * z.square().mean(dim=(1, 2)).clamp(min=1.0)
    )
    diffs = z - z.mean(dim=2, keepdim=True)
    zscores = diffs / diffs.square().mean(dim=2, keepdim=True).sqrt()
    skews = zscores.pow(3).mean(dim=2)
    kurtoses = zscores.pow(4).mean(dim=2) - 3.0
    return loss + (kurtoses.abs() + skews.abs()).sum(dim=1) / num_layers


def class_loss(classes: torch.Tensor) -> torch.Tensor:
    """Push every class weight but the largest of each layer (B, L, C) to zero; returns (B,)."""
    rest = classes.topk(classes.shape[-1] - 1, dim=-1, largest=False).values
    return (50 * rest).square().mean(dim=(1, 2))


def cosine_means(targets: torch.Tensor, cutouts: torch.Tensor) -> torch.Tensor:
    """Mean cosine similarity of each target embedding (T, E) with the cutouts (N, E): (T,)."""
    return (F.normalize(targets, dim=-1) @ F.normalize(cutouts, dim=-1).T).mean(dim=1)


def similarity_loss(
    wanted: torch.Tensor, penalised: torch.Tensor, cutouts: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss, similarity) of one image's cutout embeddings against its targets.

    The similarity is the mean cosine with the wanted targets: the score `save_best` and
    candidates rank by.
    """
    wanted_cos = cosine_means(wanted, cutouts)
    loss = -LOSS_COEF * wanted_cos.sum()
    if len(penalised):
        loss = loss + LOSS_COEF * cosine_means(penalised, cutouts).sum()
    return loss, wanted_cos.mean()
