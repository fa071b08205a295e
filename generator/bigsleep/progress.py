"""The progress files of one optimisation, made from its frames: an iterations strip and an
animated WebP.

The strip is a horizontal row of frames (like the seed post's `bioshock-iterations`), each with
its iteration number under it; the animation shows the frames in order, lingering on the last.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from generator.site.images import encode_bytes

LABEL_HEIGHT = 18
GAP = 4
FRAME_MS = 250
LAST_FRAME_MS = 1500


def strip(frames: Sequence[tuple[int, Image.Image]], *, labels: bool = True,
          max_frames: int = 8) -> Image.Image:
    """A row of at most `max_frames` frames, evenly chosen and always ending with the last."""
    chosen = _spread(frames, max_frames)
    width, height = chosen[0][1].size
    label_height = LABEL_HEIGHT if labels else 0
    canvas = Image.new("RGB", (len(chosen) * width + (len(chosen) - 1) * GAP,
                               height + label_height), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    for index, (iteration, frame) in enumerate(chosen):
        left = index * (width + GAP)
        canvas.paste(frame.convert("RGB"), (left, 0))
        if labels:
            text = f"{iteration}"
            text_width = draw.textlength(text, font=font)
            draw.text((left + (width - text_width) / 2, height + 3), text, fill="black", font=font)
    return canvas


def animation_webp(frames: Sequence[tuple[int, Image.Image]]) -> bytes:
    """An animated, looping, lossless WebP of every frame."""
    images = [frame.convert("RGB") for _, frame in frames]
    durations = [FRAME_MS] * (len(images) - 1) + [LAST_FRAME_MS]
    buffer = io.BytesIO()
    images[0].save(buffer, format="WEBP", save_all=True, append_images=images[1:],
                   duration=durations, loop=0, lossless=True)
    return buffer.getvalue()


def _spread(frames: Sequence[tuple[int, Image.Image]], count: int) -> list[tuple[int, Image.Image]]:
    if not frames:
        raise ValueError("no frames")
    if len(frames) <= count:
        return list(frames)
    step = (len(frames) - 1) / (count - 1)
    return [frames[round(i * step)] for i in range(count)]


def encode(frames: Sequence[tuple[int, bytes]]) -> tuple[bytes, bytes]:
    """The iterations strip (PNG) and the animated WebP of (iteration, PNG) frames."""
    images = [(iteration, Image.open(io.BytesIO(png))) for iteration, png in frames]
    return encode_bytes(strip(images), "PNG"), animation_webp(images)
