"""gallery.yaml validation: a good manifest becomes the typed model; every mistake is reported
with its file, line, dotted key and a hint, all of them at once."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from generator.errors import ManifestError, Problem
from generator.gallery.load import load_manifest
from generator.gallery.model import Animation, Entry, Figure, Strip, Text
from generator.settings import GenerationSettings
from tests.hostile.cases import small_png

ROOT = Path(__file__).resolve().parents[2]
TINY_PNG = small_png()  # figures are checked to be readable images
DATA = Path(__file__).resolve().parents[1] / "data"

GOOD = """\
site:
  title: Галерея
  base_url: https://example.org/blog/
  image_widths: [320, 640]
generation:
  iterations: 500
  penalize: [text, watermark]
posts:
  - title: Один пост
    date: 2021-03-30T15:00:00+03:00
    url: /2021/first-post/
    tags: [Технологии]
    footnotes:
      note: A footnote.
    items:
      - title: "The Witcher 3: Wild Hunt"
        prompt: The Witcher Wild Hunt
        comment: похож
        seed: 7
        progress: true
      - title: Half-Life
      - figure: fig.png
        caption: My figure
      - strip: the_witcher_wild_hunt
      - animation: the_witcher_wild_hunt
      - text: Some *Markdown*.
  - title: Second Post
    date: 2021-04-01
    items: []
"""


def write(tmp_path: Path, text: str, name: str = "gallery.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    (tmp_path / "fig.png").write_bytes(TINY_PNG)
    return path


def problems(tmp_path: Path, text: str) -> list[Problem]:
    path = write(tmp_path, text)
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    for problem in caught.value.problems:
        assert problem.file == path
        assert problem.hint
    return caught.value.problems


def only(tmp_path: Path, text: str) -> Problem:
    found = problems(tmp_path, text)
    assert len(found) == 1, found
    return found[0]


def post_with(items: str, extra: str = "") -> str:
    """A valid one-post manifest with the given item lines (indented 6) and post keys."""
    return (
        "posts:\n"
        "  - title: Post\n"
        "    date: 2021-03-30T15:00:00+03:00\n" + extra + "    items:\n" + items
    )


def test_good_manifest_becomes_the_model(tmp_path: Path) -> None:
    manifest = load_manifest(write(tmp_path, GOOD))
    assert manifest.site.title == "Галерея"
    assert manifest.site.image_widths == (320, 640)
    assert manifest.defaults.iterations == 500
    assert manifest.defaults.penalize == ("text", "watermark")
    first, second = manifest.posts
    assert first.slug == "first-post"  # the url's last segment
    assert second.slug == "second-post"  # from the title
    assert first.date == datetime(2021, 3, 30, 15, tzinfo=timezone(timedelta(hours=3)))
    assert second.date == datetime(2021, 4, 1, tzinfo=UTC)  # a plain date is midnight UTC
    assert first.tags == ("Технологии",)
    assert first.footnotes == {"note": "A footnote."}
    witcher, half_life, figure, strip, animation, text = first.items
    assert isinstance(witcher, Entry) and witcher.image == "the_witcher_wild_hunt"
    assert witcher.settings == GenerationSettings(
        iterations=500, penalize=("text", "watermark"), seed=7, progress=True)
    assert witcher.line == 16
    assert half_life == Entry("Half-Life", "Half-Life", "halflife", manifest.defaults, line=21)
    assert figure == Figure(tmp_path / "fig.png", "fig", "My figure", line=22)
    assert isinstance(strip, Strip) and strip.image == "the_witcher_wild_hunt-iterations"
    assert isinstance(animation, Animation) and animation.entry == "the_witcher_wild_hunt"
    assert text == Text("Some *Markdown*.", line=26)
    assert first.cover == "the_witcher_wild_hunt"  # the first entry's image by default
    assert manifest.defaults.seed is None  # the generator derives a stable one


@pytest.mark.parametrize("path", [ROOT / "gallery.yaml", DATA / "seed_gallery.yaml"])
def test_shipped_manifests_are_valid(path: Path) -> None:
    manifest = load_manifest(path)
    assert manifest.posts and all(post.items for post in manifest.posts)


def test_yaml_syntax_error_has_its_line(tmp_path: Path) -> None:
    problem = only(tmp_path, 'site:\n  title: "unclosed\n  author: x\nposts: []\n')
    assert problem.line is not None and problem.line >= 2
    assert "YAML syntax error" in problem.message


@pytest.mark.parametrize(
    ("text", "opened"),
    [('site:\n  title: "unclosed\n  author: x\n  language: ru\nposts: []\n', 2),
     ("posts:\n  - title: x\n    tags: [a, b\n    date: 2021-01-01\n    items: []\n", 3)])
def test_unclosed_quote_or_bracket_names_the_line_it_opens(tmp_path: Path, text: str,
                                                           opened: int) -> None:
    problem = only(tmp_path, text)
    assert f"line {opened}" in problem.message and f"line {opened}" in problem.hint


def test_colon_in_a_plain_value_says_to_quote_it(tmp_path: Path) -> None:
    problem = only(tmp_path, post_with("      - title: Batman: Arkham City\n"))
    assert problem.line == 5
    assert "quotes" in problem.hint and "`: `" in problem.hint


def test_yaml_merge_keys_share_overrides(tmp_path: Path) -> None:
    post = load_manifest(write(tmp_path, post_with(
        "      - title: A\n        <<: &fast {iterations: 10, seed: 3}\n"
        "      - title: B\n        <<: *fast\n        seed: 4\n"))).posts[0]
    assert [(e.settings.iterations, e.settings.seed) for e in post.entries] == [(10, 3), (10, 4)]


def test_yaml_merge_of_a_bad_value_is_reported(tmp_path: Path) -> None:
    problem = only(tmp_path, post_with("      - title: A\n        <<: &x {iteratons: 10}\n"))
    assert (problem.line, problem.key) == (6, "posts[0].items[0].iteratons")


def test_yaml_merge_of_no_mapping_is_reported(tmp_path: Path) -> None:
    problem = only(tmp_path, post_with("      - title: A\n        <<: 5\n"))
    assert (problem.line, problem.key) == (6, "posts[0].items[0].<<")
    assert "&name" in problem.hint


def test_item_with_a_key_that_is_no_name(tmp_path: Path) -> None:
    found = problems(tmp_path, post_with("      - {[a]: 1}\n      - {? {x: 1} : 2, title: y}\n"))
    assert [(p.line, p.key) for p in found] == [(5, "posts[0].items[0]"),
                                                (6, "posts[0].items[1]")]


def test_tab_indentation_says_so(tmp_path: Path) -> None:
    problem = only(tmp_path, "site:\n\ttitle: x\n")
    assert problem.line == 2
    assert "tabs" in problem.hint


def test_duplicate_key(tmp_path: Path) -> None:
    problem = only(tmp_path, post_with("      - title: A\n        seed: 1\n        seed: 2\n"))
    assert (problem.line, problem.key) == (7, "posts[0].items[0].seed")
    assert "duplicate" in problem.message and "line 6" in problem.message


def test_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    problem = only(tmp_path, post_with("      - title: A\n        iteratons: 10\n"))
    assert (problem.line, problem.key) == (6, "posts[0].items[0].iteratons")
    assert "`iterations`" in problem.hint


def test_unknown_top_level_key(tmp_path: Path) -> None:
    problem = only(tmp_path, "post: []\n")
    assert (problem.line, problem.key) == (1, "post")
    assert "`posts`" in problem.hint


def test_wrong_type(tmp_path: Path) -> None:
    problem = only(tmp_path, "generation:\n  iterations: many\n  center_bias: true\nposts: []\n")
    assert (problem.line, problem.key) == (2, "generation.iterations")
    assert "whole number" in problem.message and "many" in problem.message


def test_wrong_type_of_a_list_element(tmp_path: Path) -> None:
    problem = only(tmp_path, "site:\n  image_widths:\n    - 480\n    - wide\nposts: []\n")
    assert (problem.line, problem.key) == (4, "site.image_widths[1]")


def test_missing_required_post_fields(tmp_path: Path) -> None:
    found = problems(tmp_path, "posts:\n  - subtitle: x\n")
    assert {(p.line, p.key) for p in found} == {
        (2, "posts[0].title"), (2, "posts[0].date"), (2, "posts[0].items")}
    assert any("date:" in p.hint for p in found)


def test_missing_entry_title(tmp_path: Path) -> None:
    problem = only(tmp_path, post_with("      - prompt: a cat\n"))
    assert (problem.line, problem.key) == (5, "posts[0].items[0].title")
    assert "missing" in problem.message


def test_blank_titles(tmp_path: Path) -> None:
    found = problems(tmp_path, 'posts:\n  - title: " "\n    date: 2021-03-30\n    items:\n'
                               '      - title: ""\n')
    assert [(p.line, p.key, p.message) for p in found] == [
        (2, "posts[0].title", "is empty"), (5, "posts[0].items[0].title", "is empty")]


def test_empty_sections_mean_defaults(tmp_path: Path) -> None:
    manifest = load_manifest(write(tmp_path, "site:\ngeneration:\nposts: []\n"))
    assert manifest.defaults == GenerationSettings() and manifest.posts == ()


def test_item_of_no_known_kind(tmp_path: Path) -> None:
    problem = only(tmp_path, post_with("      - titel: A\n"))
    assert (problem.line, problem.key) == (5, "posts[0].items[0]")
    assert "`title`" in problem.hint


def test_item_mixing_kinds(tmp_path: Path) -> None:
    problem = only(tmp_path, post_with("      - title: A\n        text: B\n"))
    assert problem.key == "posts[0].items[0]" and "split" in problem.hint


def test_duplicate_image_names_within_a_post(tmp_path: Path) -> None:
    problem = only(tmp_path, post_with("      - title: Half-Life\n      - title: HALF-LIFE!\n"))
    assert (problem.line, problem.key) == (6, "posts[0].items[1].image")
    assert "halflife" in problem.message and "line 5" in problem.message


def test_same_image_name_in_two_posts_is_fine(tmp_path: Path) -> None:
    text = post_with("      - title: Portal\n") + (
        "  - title: Other\n    date: 2021-03-30\n    items:\n      - title: Portal\n")
    assert len(load_manifest(write(tmp_path, text)).posts) == 2


def test_duplicate_post_slugs(tmp_path: Path) -> None:
    text = post_with("      - title: A\n") + (
        "  - title: Post!\n    date: 2021-03-30\n    items: []\n")
    problem = only(tmp_path, text)
    assert (problem.line, problem.key) == (6, "posts[1].slug")
    assert "`post`" in problem.message and "slug:" in problem.hint


@pytest.mark.parametrize(
    ("value", "message", "hint"),
    [
        ("2021-03-30T15:00:00", "no time zone", "+HH:MM"),
        ("2021-02-30T15:00:00+03:00", "not a valid date", "ISO date"),
        ("'30.03.2021'", "not a valid date", "ISO date"),
        ("[2021]", "expected a date", "ISO date"),
        ("2021-03-30T15:00:00+25:00", "time zone offset +25:00 is out of range", "+HH:MM"),
        ("'2021-03-30T15:00:00-99:30'", "time zone offset -99:30 is out of range", "+HH:MM"),
    ],
)
def test_bad_dates(tmp_path: Path, value: str, message: str, hint: str) -> None:
    problem = only(tmp_path, f"posts:\n  - title: A\n    date: {value}\n    items: []\n")
    assert (problem.line, problem.key) == (3, "posts[0].date")
    assert message in problem.message and hint in problem.hint


def test_quoted_iso_date_with_offset_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "posts:\n  - title: A\n    date: '2021-03-30T15:00+03:00'\n"
                 "    items: []\n")
    assert load_manifest(path).posts[0].date.utcoffset() == timedelta(hours=3)


@pytest.mark.parametrize(
    ("yaml_text", "line", "key", "hint"),
    [
        ("generation:\n  iterations: 0\n", 2, "generation.iterations", "from 1 to 1000000"),
        ("generation:\n  image_size: 300\n", 2, "generation.image_size", "128, 256, 512"),
        ("site:\n  image_widths: [480, 99999]\n", 2, "site.image_widths[1]", "from 16 to 8192"),
        (post_with("      - title: A\n        ema_decay: 1.5\n"), 6, "posts[0].items[0].ema_decay",
         "from 0.0 to 1.0"),
        ("generation:\n  class_temperature: 0\n", 2, "generation.class_temperature",
         "above 0.0 up to 100.0"),  # a zero temperature divides by zero: a black image
        (post_with("      - title: A\n        candidates: 2\n        pick: 2\n"), 5,
         "posts[0].items[0].pick", "below `candidates`"),
    ],
)
def test_out_of_range_values(tmp_path: Path, yaml_text: str, line: int, key: str,
                             hint: str) -> None:
    problem = only(tmp_path, yaml_text)
    assert (problem.line, problem.key) == (line, key)
    assert hint in problem.hint


def test_missing_figure_file(tmp_path: Path) -> None:
    problem = only(tmp_path, post_with("      - figure: figures/nope.png\n        caption: x\n"))
    assert (problem.line, problem.key) == (5, "posts[0].items[0].figure")
    assert "figures/nope.png" in problem.message
    assert str(tmp_path / "figures" / "nope.png") in problem.hint  # relative to gallery.yaml


def test_figure_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "figures").mkdir()
    problem = only(tmp_path, post_with("      - figure: figures\n"))
    assert (problem.line, problem.key) == (5, "posts[0].items[0].figure")
    assert "is a folder" in problem.message and "file" in problem.hint


def test_figure_path_with_a_nul_character(tmp_path: Path) -> None:
    found = problems(tmp_path, post_with('      - figure: "a\\0.png"\n'))
    assert (5, "posts[0].items[0].figure") in {(p.line, p.key) for p in found}


def test_strip_of_an_unknown_entry(tmp_path: Path) -> None:
    problem = only(tmp_path, post_with(
        "      - title: Bioshock\n        progress: true\n      - strip: bioshok\n"))
    assert (problem.line, problem.key) == (7, "posts[0].items[1].strip")
    assert "`bioshock`" in problem.hint


def test_animation_of_an_entry_without_progress(tmp_path: Path) -> None:
    problem = only(tmp_path, post_with("      - title: Bioshock\n      - animation: bioshock\n"))
    assert (problem.line, problem.key) == (6, "posts[0].items[1].animation")
    assert "progress: true" in problem.hint


def test_unusable_image_name_and_slug(tmp_path: Path) -> None:
    found = problems(tmp_path, post_with('      - title: A\n        image: "../evil"\n',
                                         extra="    slug: a/b\n"))
    assert {(p.line, p.key) for p in found} == {(4, "posts[0].slug"),
                                                (7, "posts[0].items[0].image")}


def test_image_name_and_slug_too_long_for_a_file(tmp_path: Path) -> None:
    long = "ы" * 60  # 120 bytes of UTF-8
    found = problems(tmp_path, post_with(f"      - title: A\n        image: {long}\n",
                                         extra=f"    slug: {long}\n"))
    assert {(p.line, p.key) for p in found} == {(4, "posts[0].slug"),
                                                (7, "posts[0].items[0].image")}
    assert all("too long" in p.message for p in found)


def test_figure_whose_file_name_is_no_usable_image_name(tmp_path: Path) -> None:
    (tmp_path / "my figure.png").write_bytes(TINY_PNG)
    problem = only(tmp_path, post_with('      - figure: "my figure.png"\n'))
    assert (problem.line, problem.key) == (5, "posts[0].items[0].image")
    assert "`my figure`" in problem.message and "`image:`" in problem.hint
    long = "ы" * 60
    (tmp_path / f"{long}.png").write_bytes(TINY_PNG)
    problem = only(tmp_path, post_with(f"      - figure: {long}.png\n"))
    assert (problem.line, problem.key) == (5, "posts[0].items[0].image")


def test_long_titles_and_prompts_get_names_short_enough_for_a_file(tmp_path: Path) -> None:
    long = "Очень длинный заголовок " * 12
    post = load_manifest(write(tmp_path, post_with(f"      - title: {long}\n").replace(
        "title: Post", f"title: {long}"))).posts[0]
    assert len(post.slug.encode("utf-8")) <= 100
    assert len(post.items[0].image.encode("utf-8")) <= 100


@pytest.mark.parametrize(
    "url", ["/", "https://other.org/x/", "/../../escape/", "/a/./b/", "/x?y=1", "/a b/",
            "/a\\\\b/", "//host/x/"])
def test_unusable_urls_and_aliases(tmp_path: Path, url: str) -> None:
    found = problems(tmp_path, post_with("      - text: hi\n",
                                         extra=f'    url: "{url}"\n    aliases: ["{url}"]\n'))
    assert {(p.line, p.key) for p in found} == {(4, "posts[0].url"), (5, "posts[0].aliases[0]")}
    assert all("/2021/my-post/" in p.hint for p in found)


def test_usable_urls(tmp_path: Path) -> None:
    post = load_manifest(write(tmp_path, post_with(
        "      - text: hi\n", extra='    url: /2021/Привет/\n    aliases: [old/path.html]\n'))
    ).posts[0]
    assert (post.url, post.aliases, post.slug) == ("/2021/Привет/", ("old/path.html",), "привет")


def test_pick_beyond_the_default_candidates_is_reported_once(tmp_path: Path) -> None:
    text = "generation:\n  candidates: 2\n  pick: 5\n" + post_with(
        "      - title: A\n      - title: B\n      - title: C\n        candidates: 8\n")
    problem = only(tmp_path, text)
    assert (problem.line, problem.key) == (3, "generation.pick")


def test_pick_beyond_an_entrys_candidates(tmp_path: Path) -> None:
    text = "generation:\n  pick: 1\n  candidates: 4\n" + post_with(
        "      - title: A\n        candidates: 1\n      - title: B\n")
    problem = only(tmp_path, text)
    assert (problem.line, problem.key) == (8, "posts[0].items[0].candidates")
    assert "pick 1 but only 1 candidates" in problem.message


def test_two_posts_at_one_address(tmp_path: Path) -> None:
    text = post_with("      - text: a\n", extra="    url: /2021/x/\n") + (
        "  - title: Other\n    date: 2021-04-01\n    slug: other\n    aliases: [/2021/x]\n"
        "    items: []\n")
    problem = only(tmp_path, text)
    assert (problem.line, problem.key) == (7, "posts[1].aliases[0]")
    assert "posts[0]" in problem.message and "line 2" in problem.message


def test_relative_base_url(tmp_path: Path) -> None:
    problem = only(tmp_path, "site:\n  base_url: example.org\nposts: []\n")
    assert (problem.line, problem.key) == (2, "site.base_url")
    assert "https://" in problem.hint


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = """\
    site:
      paginatee: 5
    generation:
      iterations: -3
    posts:
      - title: A
        date: 2021-03-30T15:00:00
        items:
          - title: Quake
            seed: lots
          - figure: missing.png
          - strip: quake
    """
    found = problems(tmp_path, text)
    assert [(p.line, p.key) for p in found] == [
        (2, "site.paginatee"),
        (4, "generation.iterations"),
        (7, "posts[0].date"),
        (10, "posts[0].items[0].seed"),
        (11, "posts[0].items[1].figure"),
        (12, "posts[0].items[2].strip"),
    ]
    assert "\n" in str(ManifestError(found))  # the error text lists each on its own line


def test_empty_and_missing_manifest(tmp_path: Path) -> None:
    assert "empty" in only(tmp_path, "").message
    with pytest.raises(ManifestError, match="no such file"):
        load_manifest(tmp_path / "absent.yaml")


def test_local_checkpoints_and_image_prompt_are_relative_to_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "models" / "biggan").mkdir(parents=True)
    (tmp_path / "models" / "clip.pt").write_bytes(b"")
    (tmp_path / "ref.png").write_bytes(b"")
    (tmp_path / "gallery.yaml").write_text(textwrap.dedent("""\
        generation:
          biggan: models/biggan
          clip: models/clip.pt
        posts:
          - title: P
            date: 2021-03-30
            items:
              - title: Cat
                image_prompt: ref.png
              - title: Dog
                clip: ViT-B/16
        """), encoding="utf-8")
    manifest = load_manifest(tmp_path / "gallery.yaml")
    cat, dog = manifest.posts[0].entries
    assert manifest.defaults.biggan == str(tmp_path / "models" / "biggan")
    assert cat.settings.clip == str(tmp_path / "models" / "clip.pt")
    assert cat.settings.image_prompt == str(tmp_path / "ref.png")
    assert dog.settings.clip == "ViT-B/16"  # a model name, not a path


def test_a_blank_prompt_falls_back_to_the_title(tmp_path: Path) -> None:
    (tmp_path / "gallery.yaml").write_text(textwrap.dedent("""\
        posts:
          - title: P
            date: 2021-03-30
            items:
              - title: Half-Life
                prompt: "   "
        """), encoding="utf-8")
    entry = load_manifest(tmp_path / "gallery.yaml").posts[0].entries[0]
    assert (entry.prompt, entry.image) == ("Half-Life", "halflife")
