"""Image names and post slugs: the seed post's names are reproduced exactly."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from generator.gallery.slugs import MAX_NAME_BYTES, image_name, post_slug

# Every image of the seed post, with its prompt (the title minus the numerals the author dropped).
SEED_NAMES = [
    ("Baldur's Gate Shadows of Amn", "baldurs_gate_shadows_of_amn"),
    ("Batman: Arkham City", "batman_arkham_city"),
    ("Bioshock", "bioshock"),
    ("Bioshock: Infinite", "bioshock_infinite"),
    ("Bloodborne", "bloodborne"),
    ("Braid", "braid"),
    ("Burnout Takedown", "burnout_takedown"),
    ("Call of Duty: Modern Warfare", "call_of_duty_modern_warfare"),
    ("Castlevania: Symphony of the Night", "castlevania_symphony_of_the_night"),
    ("Celeste", "celeste"),
    ("Chrono Cross", "chrono_cross"),
    ("Company of Heroes", "company_of_heroes"),
    ("Devil May Cry", "devil_may_cry"),
    ("Diablo", "diablo"),
    ("Disco Elysium", "disco_elysium"),
    ("Gears of War", "gears_of_war"),
    ("GoldenEye 007", "goldeneye_007"),
    ("Gran Turismo", "gran_turismo"),
    ("Grand Theft Auto", "grand_theft_auto"),
    ("Grand Theft Auto: Vice City", "grand_theft_auto_vice_city"),
    ("Grim Fandango", "grim_fandango"),
    ("Hades", "hades"),
    ("Half-Life", "halflife"),
    ("Halo: Combat Evolved", "halo_combat_evolved"),
    ("Homeworld", "homeworld"),
    ("Jet Set Radio", "jet_set_radio"),
    ("Journey", "journey"),
    ("LittleBigPlanet", "littlebigplanet"),
    ("Mass Effect", "mass_effect"),
    ("Metal Gear Solid: Sons of Liberty", "metal_gear_solid_sons_of_liberty"),
    ("Metroid Prime", "metroid_prime"),
    ("Minecraft", "minecraft"),
    ("Ninja Gaiden Black", "ninja_gaiden_black"),
    ("Okami", "okami"),
    ("Ori and the Will of the Wisps", "ori_and_the_will_of_the_wisps"),
    ("Perfect Dark", "perfect_dark"),
    ("Portal", "portal"),
    ("Quake", "quake"),
    ("Red Dead Redemption", "red_dead_redemption"),
    ("Resident Evil", "resident_evil"),
    ("Sid Meier's Civilization", "sid_meiers_civilization"),
    ("SoulCalibur", "soulcalibur"),
    ("Splinter Cell: Chaos Theory", "splinter_cell_chaos_theory"),
    ("Star Wars: Knights of the Old Republic", "star_wars_knights_of_the_old_republic"),
    ("Super Mario Galaxy", "super_mario_galaxy"),
    ("System Shock", "system_shock"),
    ("The Elder Scrolls Skyrim", "the_elder_scrolls_skyrim"),
    ("The Last of Us", "the_last_of_us"),
    ("The Legend of Zelda: Ocarina of Time", "the_legend_of_zelda_ocarina_of_time"),
    ("The Orange Box", "the_orange_box"),
    ("The Witcher Wild Hunt", "the_witcher_wild_hunt"),
    ("Tony Hawk's Pro Skater", "tony_hawks_pro_skater"),
    ("Uncharted: Among Thieves", "uncharted_among_thieves"),
    ("Undertale", "undertale"),
    ("Unreal Tournament", "unreal_tournament"),
    ("Vagrant Story", "vagrant_story"),
    ("What Remains of Edith Finch", "what_remains_of_edith_finch"),
    ("World of Goo", "world_of_goo"),
]


@pytest.mark.parametrize(("prompt", "name"), SEED_NAMES)
def test_image_name_reproduces_the_seed(prompt: str, name: str) -> None:
    assert image_name(prompt) == name


@pytest.mark.parametrize(
    ("prompt", "name"),
    [
        ("Baldur's Gate Shadows of Amn", "baldurs_gate_shadows_of_amn"),
        ("Half-Life", "halflife"),
        ("Sid Meier\u2019s Civilization", "sid_meiers_civilization"),
        ("GoldenEye 007", "goldeneye_007"),
        ("  --Hello,   World!!  ", "hello_world"),
        ("Ведьмак 3: Дикая Охота", "ведьмак_3_дикая_охота"),
        ("Ｆｕｌｌｗｉｄｔｈ ＡＢＣ", "fullwidth_abc"),
        ("snake_case name", "snake_case_name"),
        ("Café Crème", "café_crème"),
    ],
)
def test_image_name_rules(prompt: str, name: str) -> None:
    assert image_name(prompt) == name


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Один из этих постов про нейросети", "один-из-этих-постов-про-нейросети"),
        ("Gaming Gave Me an Aneurysm!", "gaming-gave-me-an-aneurysm"),
        ("Half-Life: the story", "half-life-the-story"),
        ("Baldur's Gate", "baldurs-gate"),
        ("  spaced   out  ", "spaced-out"),
    ],
)
def test_post_slug(title: str, slug: str) -> None:
    assert post_slug(title) == slug


@pytest.mark.parametrize(
    ("make", "prefix", "text", "other_text"),
    [(image_name, "img_", "!!!", "???"), (post_slug, "post-", "???", "!!!")],
)
def test_an_empty_name_falls_back_to_a_stable_hash(
    make: Callable[[str], str], prefix: str, text: str, other_text: str
) -> None:
    name = make(text)
    assert name == make(text)
    assert name.startswith(prefix) and len(name) == len(prefix) + 8
    assert name != make(other_text)


@pytest.mark.parametrize(("make", "separator"), [(image_name, "_"), (post_slug, "-")])
def test_long_text_gives_a_name_short_enough_for_a_file(make, separator: str) -> None:
    long_text = "Очень длинный заголовок про игру " * 12  # ~700 bytes of UTF-8
    name = make(long_text)
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert name.startswith(f"очень{separator}длинный{separator}")
    assert name == make(long_text)  # stable
    assert name != make(long_text + " и ещё")  # a hash keeps long texts apart
    head = name.rsplit(separator, 1)[0]
    assert not head.endswith(separator)
    whole_words = separator.join(long_text.lower().split()) + separator
    assert whole_words.startswith(head + separator)  # cut at a word end
