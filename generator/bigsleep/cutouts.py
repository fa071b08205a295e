"""Random square cutouts of the generated images, resized and normalised for CLIP.

As big-sleep 0.9.1: side = width * N(0.8, 0.3) clipped to [0.5, 0.95]; offsets uniform, or with
`center_bias` normal around the centre (std a quarter of the free range, uniform again when that
falls outside). All randomness comes from the image's own `torch.Generator`, drawn on the CPU in
a fixed amount per cutout, so an image's cutouts do not depend on what else is in the batch.

Every cutout of every image is resized in one `roi_align` call: bilinear when enlarging, and
averaging over ceil(side / size)^2 samples per output pixel (area-like) when shrinking.
"""

from __future__ import annotations

import torch
from torchvision.ops import roi_align

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def cutout_boxes(
    width: int, count: int, generator: torch.Generator, center_bias: bool = False
) -> torch.Tensor:
    """`count` square boxes (x0, y0, x1, y1) in pixel-edge coordinates of a width x width image."""
    scale = (torch.randn(count, generator=generator) * 0.3 + 0.8).clamp(0.5, 0.95)
    side = (width * scale).long()
    free = (width - side).unsqueeze(1)  # largest offset, per cutout
    uniform = (torch.rand(count, 2, generator=generator) * (free + 1)).floor().long()
    centred = (free / 2 + free / 4 * torch.randn(count, 2, generator=generator)).long()
    if center_bias:
        offsets = torch.where((centred >= 0) & (centred <= free), centred, uniform)
    else:
        offsets = uniform
    return torch.cat((offsets, offsets + side.unsqueeze(1)), dim=1).float()


def normalize(images: torch.Tensor) -> torch.Tensor:
    """[0, 1] RGB images standardised with CLIP's mean and std."""
    mean = images.new_tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = images.new_tensor(CLIP_STD).view(1, 3, 1, 1)
    return (images - mean) / std


def make_cutouts(images: torch.Tensor, boxes: list[torch.Tensor], size: int) -> torch.Tensor:
    """Cutouts (sum of box counts, 3, size, size), normalised for CLIP, image by image in order.

    `boxes[i]` are the boxes of `images[i]` (from `cutout_boxes`).
    """
    rois = torch.cat([
        torch.cat((torch.full((len(b), 1), float(i)), b), dim=1) for i, b in enumerate(boxes)
    ]).to(images.device)
    # float32 throughout: box corners up to 512 are not exact in bfloat16
    crops = roi_align(images.float(), rois, output_size=size, spatial_scale=1.0,
                      sampling_ratio=-1, aligned=True)
    return normalize(crops)
