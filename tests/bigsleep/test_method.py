"""The BigSleep building blocks: per-layer BigGAN forward, cutouts, latents and loss terms."""

from __future__ import annotations

import torch
from pytorch_pretrained_biggan import BigGANConfig

from generator.bigsleep.biggan import generate, num_latents, output_size
from generator.bigsleep.cutouts import CLIP_MEAN, CLIP_STD, cutout_boxes, make_cutouts
from generator.bigsleep.latents import EMA, class_vectors, differentiable_topk, init_latents
from generator.bigsleep.losses import class_loss, latent_loss, similarity_loss
from tests.bigsleep.tiny_models import tiny_biggan


def test_layer_count_and_size_come_from_the_config():
    assert num_latents(BigGANConfig()) == 11  # the library's default: biggan-deep-128
    assert output_size(BigGANConfig()) == 128
    tiny = tiny_biggan().config
    assert (num_latents(tiny), output_size(tiny)) == (6, 32)


def test_shared_vector_matches_the_library_forward_and_each_layer_is_conditioned():
    biggan = tiny_biggan()
    z, logits = init_latents(1, torch.Generator().manual_seed(0))
    classes = torch.sigmoid(logits)
    with torch.no_grad():
        reference = (biggan(z, classes, 1.0) + 1) / 2
        shared = generate(biggan, z.expand(6, -1)[None], classes.expand(6, -1)[None])
        assert torch.allclose(shared, reference, atol=1e-6)
        assert shared.min() >= 0 and shared.max() <= 1
        for layer in range(6):
            changed = z.expand(6, -1).clone()
            changed[layer] = -changed[layer]
            image = generate(biggan, changed[None], classes.expand(6, -1)[None])
            assert not torch.allclose(image, shared, atol=1e-4), layer


def test_latents_follow_big_sleeps_initial_distributions_and_seed():
    z, logits = init_latents(200, torch.Generator().manual_seed(3))
    assert z.shape == (200, 128) and logits.shape == (200, 1000)
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05
    assert abs(logits.mean() + 3.9) < 0.01 and abs(logits.std() - 0.3) < 0.01
    again, _ = init_latents(200, torch.Generator().manual_seed(3))
    assert torch.equal(z, again)


def test_cutouts_are_square_sized_and_normalised():
    generator = torch.Generator().manual_seed(0)
    boxes = cutout_boxes(64, 500, generator)
    sides = boxes[:, 2] - boxes[:, 0]
    assert torch.equal(sides, boxes[:, 3] - boxes[:, 1])
    assert sides.min() >= 32 and sides.max() <= int(64 * 0.95)
    assert boxes.min() >= 0 and boxes[:, 2:].max() <= 64
    images = torch.rand(2, 3, 64, 64)
    cutouts = make_cutouts(images, [boxes[:3], boxes[3:8]], 24)
    assert cutouts.shape == (8, 3, 24, 24)
    mean, std = torch.tensor(CLIP_MEAN).view(3, 1, 1), torch.tensor(CLIP_STD).view(3, 1, 1)
    pixels = cutouts * std + mean
    assert pixels.min() >= -1e-5 and pixels.max() <= 1 + 1e-5
    x0, y0, x1, y1 = (int(v) for v in boxes[3])
    assert torch.allclose(pixels[3].mean(), images[1, :, y0:y1, x0:x1].mean(), atol=0.02)


def test_center_bias_pulls_cutouts_to_the_middle():
    def mean_distance(center_bias: bool) -> float:
        boxes = cutout_boxes(256, 2000, torch.Generator().manual_seed(1), center_bias)
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        return float((centres - 128).abs().mean())

    assert mean_distance(True) < 0.8 * mean_distance(False)


def test_top_k_classes_keep_k_classes_and_pass_gradients():
    logits = torch.randn(64, 1000, generator=torch.Generator().manual_seed(0)).requires_grad_()
    classes = class_vectors(logits, 3, 2.0)
    assert ((classes > 0).sum(dim=1) == 3).all()
    # the k largest logits are kept (each renormalised over the classes left, as big-sleep does,
    # so the 2nd can outweigh the 1st: the vector's argmax need not be the logits' argmax)
    kept = (classes > 0).nonzero()[:, 1].view(64, 3).sort(dim=1).values
    assert torch.equal(kept, logits.topk(3, dim=1).indices.sort(dim=1).values)
    classes.sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0
    assert torch.allclose(differentiable_topk(logits, 1, 1.0).sum(dim=1),
                          logits.softmax(dim=1).max(dim=1).values)
    assert torch.allclose(class_vectors(logits, None, 2.0), torch.sigmoid(logits))


def test_regularisers():
    z = torch.randn(2, 13, 128, generator=torch.Generator().manual_seed(0))
    z[1] = z[1] * 3 + 1
    loss = latent_loss(z)
    assert loss.shape == (2,) and loss[0] < 5 < loss[1]
    one_hot = torch.zeros(1, 2, 1000)
    one_hot[..., 7] = 1.0
    assert class_loss(one_hot).item() == 0.0
    spread = one_hot + 0.01
    assert torch.isclose(class_loss(spread), torch.tensor((50 * 0.01) ** 2))


def test_ema_starts_at_the_first_values_and_follows_with_bias_correction():
    value = torch.zeros(3)
    ema = EMA([value], 0.5)
    assert torch.equal(ema.average[0], value)
    ema.update([torch.ones(3)])  # big-sleep: (0.5 * 0 + 0.5 * 1) / (1 - 0.5**2)
    assert torch.allclose(ema.average[0], torch.full((3,), 2 / 3))
    frozen = EMA([value], 1.0)
    frozen.update([torch.ones(3)])
    assert torch.equal(frozen.average[0], value)


def big_sleep_latent_loss(latents: torch.Tensor) -> torch.Tensor:
    """big-sleep 0.9.1's latent regulariser of one image's (layers, 128) z, written as it is."""
    loss = (torch.abs(1 - torch.std(latents, dim=1)).mean()
            + torch.abs(torch.mean(latents, dim=1)).mean()
            + 4 * torch.max(torch.square(latents).mean(), torch.tensor(1)))
    for array in latents:
        diffs = array - array.mean()
        zscores = diffs / diffs.pow(2).mean().pow(0.5)
        skew, kurtosis = zscores.pow(3).mean(), zscores.pow(4).mean() - 3.0
        loss = loss + kurtosis.abs() / len(latents) + skew.abs() / len(latents)
    return loss


def test_regularisers_equal_big_sleeps_per_image():
    z = torch.randn(3, 13, 128, generator=torch.Generator().manual_seed(5))
    z[1] = z[1] * 0.5 - 0.2  # mean(z^2) below 1: the max(., 1) floor
    z[2] = z[2].pow(3)  # heavy tails: kurtosis and skew
    expected = torch.stack([big_sleep_latent_loss(image) for image in z])
    assert torch.allclose(latent_loss(z), expected, atol=1e-5)
    classes = torch.sigmoid(torch.randn(3, 13, 1000, generator=torch.Generator().manual_seed(6)))
    expected = torch.stack([
        ((50 * torch.topk(image, largest=False, dim=1, k=999)[0]) ** 2).mean() for image in classes
    ])
    assert torch.allclose(class_loss(classes), expected)


def test_similarity_loss_weights_each_prompt_part_and_penalised_text_by_100():
    generator = torch.Generator().manual_seed(7)
    wanted, penalised = torch.randn(2, 16, generator=generator), torch.randn(1, 16,
                                                                            generator=generator)
    cutouts = torch.randn(5, 16, generator=generator)

    def cos(target: torch.Tensor) -> torch.Tensor:
        return torch.cosine_similarity(target[None], cutouts, dim=-1).mean()

    loss, similarity = similarity_loss(wanted, penalised, cutouts)
    expected = -100 * cos(wanted[0]) - 100 * cos(wanted[1]) + 100 * cos(penalised[0])
    assert torch.allclose(loss, expected, atol=1e-5)
    assert torch.allclose(similarity, (cos(wanted[0]) + cos(wanted[1])) / 2, atol=1e-6)
    loss, _ = similarity_loss(wanted[:1], torch.empty(0, 16), cutouts)
    assert torch.allclose(loss, -100 * cos(wanted[0]), atol=1e-5)
