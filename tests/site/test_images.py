"""Image variants: sizes, formats, the content-hash cache, animation, errors, placeholders."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from generator.errors import BuildError
from generator.site.images import (
    PLACEHOLDER_KEY,
    ImageProcessor,
    _PixelBudget,
    inspect_image,
    placeholder_image,
)
from generator.site.sitefiles import SiteFiles


def save(path: Path, size: tuple[int, int], mode: str = "RGB", colour: object = "teal") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour).save(path)
    return path


@pytest.fixture
def processor(tmp_path: Path) -> ImageProcessor:
    return ImageProcessor(tmp_path / "cache", widths=(100, 200, 400))


def test_variants_for_smaller_widths_plus_original_never_upscaled(
    tmp_path: Path, processor: ImageProcessor
) -> None:
    image = processor.process(save(tmp_path / "a.png", (300, 150)))
    assert (image.width, image.height) == (300, 150)
    assert [(v.width, v.height) for v in image.variants] == [(100, 50), (200, 100), (300, 150)]
    for variant in image.variants:
        with Image.open(variant.webp) as webp:
            assert webp.format == "WEBP"
            assert webp.size == (variant.width, variant.height)
        with Image.open(variant.fallback) as fallback:
            assert fallback.format == "JPEG"
            assert fallback.size == (variant.width, variant.height)


def test_image_smaller_than_every_width_keeps_its_size(
    tmp_path: Path, processor: ImageProcessor
) -> None:
    image = processor.process(save(tmp_path / "tiny.png", (64, 48)))
    assert [(v.width, v.height) for v in image.variants] == [(64, 48)]


def test_transparent_image_falls_back_to_png(tmp_path: Path, processor: ImageProcessor) -> None:
    image = processor.process(save(tmp_path / "t.png", (150, 150), "RGBA", (0, 0, 0, 0)))
    assert [v.fallback.suffix for v in image.variants] == [".png", ".png"]
    with Image.open(image.variants[0].fallback) as fallback:
        assert fallback.mode == "RGBA"


def test_unchanged_bytes_are_a_cache_hit_and_changed_bytes_reencode(
    tmp_path: Path, processor: ImageProcessor
) -> None:
    source = save(tmp_path / "a.png", (250, 250))
    first = processor.process(source)
    again = ImageProcessor(tmp_path / "cache", widths=(400, 200, 100)).process(source)
    assert again.variants == first.variants
    second = ImageProcessor(tmp_path / "cache", widths=(100, 200, 400))
    second.process(source)
    assert (second.encoded, second.cache_hits) == (0, 1)

    save(source, (250, 250), colour="orange")
    changed = second.process(source)
    assert (second.encoded, second.cache_hits) == (1, 1)
    assert changed.key != first.key


def test_cached_is_process_when_that_is_a_look_up_and_none_when_there_is_more_to_do(
    tmp_path: Path, processor: ImageProcessor
) -> None:
    """A rebuild publishes images the cache holds without threads (`Figures.publish`): only a
    source recorded by the last build, unchanged since, whose entry is complete, is a look-up."""
    source = save(tmp_path / "a.png", (250, 250))
    assert processor.cached(source) is None  # never processed: its bytes are to be read
    first = processor.process(source)
    later = ImageProcessor(tmp_path / "cache", widths=(100, 200, 400))
    assert later.cached(source) is None  # processed, but not recorded for this processor
    later.source_keys = dict(processor.source_keys)  # as a build gets the last one's
    assert later.cached(source) == first and (later.encoded, later.cache_hits) == (0, 1)

    first.variants[0].webp.unlink()  # a damaged entry is for `process` to remake
    assert later.cached(source) is None
    assert later.process(source) == first and later.encoded == 1
    save(source, (250, 250), colour="orange")  # a new file at the same path: read it again
    assert later.cached(source) is None
    assert later.process(source).key != first.key


def test_other_widths_are_a_different_cache_entry(tmp_path: Path) -> None:
    source = save(tmp_path / "a.png", (250, 250))
    ImageProcessor(tmp_path / "cache", widths=(100,)).process(source)
    other = ImageProcessor(tmp_path / "cache", widths=(120,))
    assert [v.width for v in other.process(source).variants] == [120, 250]
    assert other.encoded == 1


def test_damaged_cache_entry_is_remade(tmp_path: Path, processor: ImageProcessor) -> None:
    source = save(tmp_path / "a.png", (250, 250))
    processor.process(source).variants[0].webp.unlink()
    assert processor.process(source).variants[0].webp.is_file()
    cut = processor.process(source).variants[1].fallback  # a file a power loss left short
    cut.write_bytes(cut.read_bytes()[:10])
    with Image.open(processor.process(source).variants[1].fallback) as remade:
        assert remade.size == (200, 200)
    assert (processor.encoded, processor.cache_hits) == (3, 1)


def test_same_image_from_many_threads_gives_one_complete_entry(
    tmp_path: Path, processor: ImageProcessor
) -> None:
    sources = [save(tmp_path / f"copy{i}.png", (300, 300)) for i in range(8)]  # equal bytes
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(processor.process, sources))
    assert len({r.key for r in results}) == 1
    assert [p.name for p in processor.root.iterdir()] == [results[0].key]  # no staging left
    for variant in results[0].variants:
        with Image.open(variant.webp) as webp:
            webp.load()
    assert processor.encoded + processor.cache_hits == 8


def test_animated_image_passes_through_unresized(
    tmp_path: Path, processor: ImageProcessor
) -> None:
    frames = [Image.new("RGB", (500, 300), colour) for colour in ("red", "blue", "green")]
    source = tmp_path / "anim.webp"
    frames[0].save(source, save_all=True, append_images=frames[1:], duration=100, loop=0)
    image = processor.process(source)
    assert (image.animated, image.width, image.height, image.variants) == (True, 500, 300, ())
    assert image.original.read_bytes() == source.read_bytes()


def test_corrupt_image_is_a_build_error_naming_the_file(
    tmp_path: Path, processor: ImageProcessor
) -> None:
    source = tmp_path / "broken.png"
    source.write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")
    with pytest.raises(BuildError) as caught:
        processor.process(source)
    assert str(source) in str(caught.value)
    assert "make generate" in str(caught.value)


def test_truncated_image_is_a_build_error(tmp_path: Path, processor: ImageProcessor) -> None:
    good = save(tmp_path / "good.jpg", (300, 300))
    source = tmp_path / "cut.jpg"
    source.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(BuildError, match=r"cut\.jpg"):
        processor.process(source)


def test_publish_links_files_under_deterministic_names(
    tmp_path: Path, processor: ImageProcessor
) -> None:
    image = processor.process(save(tmp_path / "a.png", (300, 150)))
    out = tmp_path / "site"
    published = processor.publish(image, SiteFiles(out), "2021/post/images", "witcher")
    assert published.full == "2021/post/images/witcher.png"
    assert (published.variants[0].webp, published.variants[0].fallback) == (
        "2021/post/images/witcher-100.webp",
        "2021/post/images/witcher-100.jpg",
    )
    assert published.src == "2021/post/images/witcher-300.jpg"
    assert [v.width for v in published.variants] == [100, 200, 300]
    assert (out / published.full).read_bytes() == (tmp_path / "a.png").read_bytes()
    assert os.path.samefile(out / published.variants[0].webp, image.variants[0].webp)
    again = processor.publish(image, SiteFiles(out), "2021/post/images", "witcher")  # idempotent
    assert again == published


def test_placeholder_is_a_marked_png_with_visible_text(tmp_path: Path) -> None:
    path = tmp_path / "p.png"
    path.write_bytes(placeholder_image("the_witcher_wild_hunt", 320, 200))
    with Image.open(path) as image:
        assert (image.format, image.size) == ("PNG", (320, 200))
        assert image.text[PLACEHOLDER_KEY] == "the_witcher_wild_hunt"  # machine-readable mark
        # the text colour (dark red) appears in the middle band, inside the border
        middle = image.convert("RGB").crop((8, 60, 312, 140))
        colours = middle.getcolors(maxcolors=1 << 16) or []
    text_pixels = sum(n for n, (r, g, b) in colours if r > 90 and g < 60 and b < 60)
    assert text_pixels > 200


def test_processor_placeholder_is_processed_like_an_image(processor: ImageProcessor) -> None:
    image = processor.placeholder("missing", 256, 256)
    assert (image.width, image.height) == (256, 256)
    assert [v.width for v in image.variants] == [100, 200, 256]
    with Image.open(image.original) as original:
        assert original.text[PLACEHOLDER_KEY] == "missing"


def test_an_image_over_the_pixel_limit_is_refused_from_its_header(
        processor: ImageProcessor, tmp_path: Path) -> None:
    from tests.hostile.cases import png_header

    big = tmp_path / "big.png"
    big.write_bytes(png_header(12000, 12000))  # 144 megapixels in a few bytes
    for read in (inspect_image, processor.process):
        with pytest.raises(BuildError, match="12000x12000 pixels is over the limit of 50"):
            read(big)
    assert processor.encoded == 0


def test_images_decoded_at_once_stay_within_the_pixel_budget() -> None:
    budget = _PixelBudget(10)
    inside, release = threading.Event(), threading.Event()
    order: list[str] = []

    def large() -> None:
        with budget.hold(8):
            order.append("large in")
            inside.set()
            release.wait(10)
            order.append("large out")

    def small() -> None:
        inside.wait(10)
        with budget.hold(5):  # 8 + 5 > 10: waits for the large image to finish
            order.append(f"small in, {budget.used} held")

    threads = [threading.Thread(target=large), threading.Thread(target=small)]
    for thread in threads:
        thread.start()
    inside.wait(10)
    release.set()
    for thread in threads:
        thread.join(10)
    assert order == ["large in", "large out", "small in, 5 held"]
    with budget.hold(25):  # one image over the budget alone still goes through
        assert budget.used == 25
