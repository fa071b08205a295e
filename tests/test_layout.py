"""The package layout's rules, checked over the import graph so they hold by test, not habit.

- `generator.site` (any Hugo-style site -> output folder) never imports the manifest side or torch:
  not `generator.gallery`, not `generator.bigsleep`;
- `generator.gallery` (gallery.yaml -> content/) never imports `generator.site` or
  `generator.bigsleep`;
- the shared ground at the top (`errors`, `fsutil`, `runlock`, `settings`, `bundles`,
  `boundaries`) imports
  none of the three rooms;
- the command line (`generator.cli`, `generator.commands`, and `generator.resident`, which runs
  its commands in a process kept between builds) is the top: it may import every room,
  and nothing in the rooms or the shared ground imports it.

Every import counts, including those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "generator"
ROOMS = ("generator.gallery", "generator.site", "generator.bigsleep")
SHARED = ("errors", "fsutil", "runlock", "settings", "bundles", "boundaries")
TOP = ("generator.cli", "generator.commands", "generator.resident")
RULES = {
    "generator.site": ("generator.gallery", "generator.bigsleep", "torch", "ray", *TOP),
    "generator.gallery": ("generator.site", "generator.bigsleep", "torch", "ray", *TOP),
    "generator.bigsleep": TOP,
    **{f"generator.{name}": (*ROOMS, "torch", "ray", *TOP) for name in SHARED},
}


def module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, package: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a module."""
    name = module_name(path, package)
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = name.split(".")[: len(name.split(".")) - node.level + is_package]
                base = ".".join(parent + ([base] if base else []))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
            found.append((node.lineno, base))
    return found


def violations(package: Path, rules: dict[str, tuple[str, ...]]) -> list[str]:
    """`file:line: module imports forbidden` for every import that breaks a rule."""
    broken = []
    for path in sorted(package.rglob("*.py")):
        name = module_name(path, package)
        for owner, forbidden in rules.items():
            if name != owner and not name.startswith(owner + "."):
                continue
            for line, imported in imports(path, package):
                for bad in forbidden:
                    if imported == bad or imported.startswith(bad + "."):
                        broken.append(f"{path}:{line}: {name} imports {imported}")
    return sorted(set(broken))


def test_the_renderer_and_the_gallery_side_import_neither_each_other_nor_the_generator() -> None:
    assert violations(PACKAGE, RULES) == []


def test_every_room_and_shared_module_exists() -> None:
    for room in ROOMS:
        assert (PACKAGE / room.split(".")[1] / "__init__.py").is_file()
    for name in SHARED:
        assert (PACKAGE / f"{name}.py").is_file()


def test_the_check_finds_direct_relative_and_function_level_imports(tmp_path: Path) -> None:
    package = tmp_path / "generator"
    for room in ("site", "gallery", "bigsleep"):
        (package / room).mkdir(parents=True)
        (package / room / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "site" / "direct.py").write_text("from generator.gallery.model import Post\n")
    (package / "site" / "relative.py").write_text("from ..bigsleep import optimiser\n")
    (package / "site" / "lazy.py").write_text("def f():\n    import torch\n")
    (package / "site" / "fine.py").write_text("from generator.site import direct\n")
    (package / "gallery" / "parent.py").write_text("from .. import site\n")
    (package / "bigsleep" / "upwards.py").write_text("from generator.commands.site import draft\n")
    found = violations(package, RULES)
    assert [line.split(": ", 1)[1] for line in found] == [
        "generator.bigsleep.upwards imports generator.commands.site",
        "generator.bigsleep.upwards imports generator.commands.site.draft",
        "generator.gallery.parent imports generator.site",
        "generator.site.direct imports generator.gallery.model",
        "generator.site.direct imports generator.gallery.model.Post",
        "generator.site.lazy imports torch",
        "generator.site.relative imports generator.bigsleep",
        "generator.site.relative imports generator.bigsleep.optimiser",
    ]
