"""Theme UI strings by language: the site's language picks its file, en.yaml fills the gaps."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from generator.errors import BuildError
from generator.site.i18n import date_view, load_strings
from tests.site.helpers import THEME


@pytest.fixture
def i18n(tmp_path: Path) -> Path:
    shutil.copytree(THEME / "i18n", tmp_path / "i18n")
    return tmp_path / "i18n"


def test_region_code_uses_the_language_file_and_russian_month_names(i18n: Path) -> None:
    strings = load_strings(i18n, "ru-RU")
    assert strings["read_more"] == "Читать дальше"
    assert date_view(datetime(2021, 3, 5), strings) == {"iso": "2021-03-05T00:00:00",
                                                        "text": "5 марта 2021"}


def test_missing_keys_and_unknown_languages_fall_back_to_english(i18n: Path) -> None:
    (i18n / "de.yaml").write_text("read_more: Weiterlesen\n", encoding="utf-8")
    german = load_strings(i18n, "de")
    assert (german["read_more"], german["tags"]) == ("Weiterlesen", "Tags")
    assert load_strings(i18n, "fr")["read_more"] == "Read more"


def test_broken_strings_file_is_a_build_error_naming_it(i18n: Path) -> None:
    (i18n / "de.yaml").write_text("months: [Januar, Februar]\n", encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        load_strings(i18n, "de")
    problem = caught.value.problems[0]
    assert (problem.file, problem.key) == (i18n / "de.yaml", "months")


def test_a_strings_file_that_expands_without_end_is_refused_at_its_line(i18n: Path) -> None:
    """The alias bomb of the hostile corpus, as a theme's UI strings: refused, not expanded."""
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    (i18n / "de.yaml").write_text("\n".join(levels) + "\n", encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        load_strings(i18n, "de")
    [problem] = caught.value.problems
    assert problem.file == i18n / "de.yaml" and problem.line is not None
    assert "cannot read UI strings" in problem.message


def test_the_russian_strings_translate_every_english_one() -> None:
    english = load_strings(THEME / "i18n", "en")
    russian = load_strings(THEME / "i18n", "ru")
    own = set(yaml.safe_load((THEME / "i18n" / "ru.yaml").read_text(encoding="utf-8")))
    assert own == set(english)  # no key left to fall back to English
    assert all(russian[key] != english[key] for key in english)
