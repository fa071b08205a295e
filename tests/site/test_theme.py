"""Compiled templates are kept between builds, and a damaged one is compiled again."""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
import pytest

from generator.errors import BuildError
from generator.site.theme import Theme, compiled_templates
from tests.site.helpers import THEME


def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    names: list[str] = []
    real = jinja2.Environment.compile

    def counted(self: jinja2.Environment, source: str, name: str | None = None,
                *args: object, **kwargs: object) -> object:
        names.append(str(name))
        return real(self, source, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    return names


def test_a_new_process_does_not_compile_templates_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = compiles(monkeypatch)
    Theme(THEME, "en", compiled_templates(tmp_path)).env.get_template("base.html")
    assert "base.html" in names
    names.clear()
    Theme(THEME, "en", compiled_templates(tmp_path)).env.get_template("base.html")  # a new env
    assert names == []


def test_a_damaged_compiled_template_is_compiled_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Theme(THEME, "en", compiled_templates(tmp_path)).env.get_template("base.html")
    [kept] = (tmp_path / "templates").glob("*/*.cache")
    for damage in (b"", b"garbage", kept.read_bytes()[:40]):
        kept.write_bytes(damage)
        names = compiles(monkeypatch)
        template = Theme(THEME, "en", compiled_templates(tmp_path)).env.get_template("base.html")
        assert names == ["base.html"] and template.name == "base.html"
        monkeypatch.undo()


def test_templates_see_a_dict_as_jinja2_shows_it(tmp_path: Path) -> None:
    """Keys are looked up first, as an attribute lookup would find them, but dict's own
    attributes, and keys that are missing, are what Jinja2 makes of them."""
    shutil.copytree(THEME / "i18n", tmp_path / "i18n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "t.html").write_text(
        "{{ d.title }}|{{ d.items is callable }}|{{ d.keys is callable }}|"
        "{{ d.missing is defined }}|{{ d['items'] }}", encoding="utf-8")
    shown = Theme(tmp_path, "en").render("t.html", d={"title": "<T>", "items": 3})
    assert shown == "&lt;T&gt;|True|True|False|3"
    (tmp_path / "templates" / "u.html").write_text("{{ d.missing }}", encoding="utf-8")
    with pytest.raises(BuildError, match="missing"):
        Theme(tmp_path, "en").render("u.html", d={})
