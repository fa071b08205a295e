"""Progress files: the iterations strip and the animated WebP made from the frames."""

from __future__ import annotations

import io

from PIL import Image

from generator.bigsleep.progress import GAP, LABEL_HEIGHT, animation_webp, strip


def frames(count: int, size: int = 16) -> list[tuple[int, Image.Image]]:
    return [(i * 10, Image.new("RGB", (size, size), (i * 20, 0, 0))) for i in range(count)]


def test_strip_is_a_labelled_row_of_frames_ending_with_the_last() -> None:
    image = strip(frames(3))
    assert image.size == (3 * 16 + 2 * GAP, 16 + LABEL_HEIGHT)
    assert image.getpixel((2 * (16 + GAP) + 8, 8)) == (40, 0, 0)  # the last frame, last
    label_row = [image.getpixel((x, 16 + 9)) for x in range(16)]
    assert any(pixel != (255, 255, 255) for pixel in label_row)  # an iteration number is drawn


def test_long_runs_are_thinned_evenly_keeping_first_and_last() -> None:
    image = strip(frames(11), max_frames=4, labels=False)
    assert image.size == (4 * 16 + 3 * GAP, 16)
    assert image.getpixel((8, 8)) == (0, 0, 0)
    assert image.getpixel((3 * (16 + GAP) + 8, 8)) == (200, 0, 0)


def test_animation_is_an_animated_looping_webp_of_every_frame() -> None:
    data = animation_webp(frames(5))
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP" and image.is_animated and image.n_frames == 5
    image.seek(4)
    assert image.convert("RGB").getpixel((8, 8)) == (80, 0, 0)
