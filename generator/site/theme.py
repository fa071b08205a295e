"""The theme folder: Jinja2 templates (templates/), UI strings (i18n/) and static files (static/).

A broken template is a BuildError naming the template file and line, like a content error.
Compiled templates are kept in the cache (`compiled_templates`), so a rebuild in a new process
does not parse and compile them again.
"""

from __future__ import annotations

import contextlib
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.bccache import Bucket
from jinja2.loaders import split_template_path

from generator.boundaries import Boundary
from generator.errors import BuildError, Problem
from generator.fsutil import atomic_write_bytes, remove_stale_temporaries
from generator.site.i18n import Strings, load_strings
from generator.site.unchanged import tool_digest


class Theme:
    """One theme folder, its UI strings in the site's language."""

    def __init__(self, theme_dir: Path, language: str,
                 compiled: jinja2.BytecodeCache | None = None, *, reloads: bool = False) -> None:
        """`reloads`: a template read again when its file changed (a theme kept between the
        rebuilds of a preview), else read once."""
        self.dir = theme_dir
        self.inside = Boundary(theme_dir, name=f"the theme folder {theme_dir}", error=BuildError)
        self.env = _environment(theme_dir, compiled, self.inside, reloads)
        self.strings: Strings = load_strings(theme_dir / "i18n", language)
        # the template a list of names selects (`render`), where templates are read once: each
        # name that is not there costs a failed look-up (25 us), and every post asks for
        # `SECTION/single.html` first
        self._selected: dict[tuple[str, ...], jinja2.Template] | None = None if reloads else {}

    def render(self, name: str | list[str], **context: Any) -> str:
        """Render template `name` (or the first of a list that exists, Hugo-style lookup);
        a broken template is a BuildError at its line."""
        shown = name if isinstance(name, str) else " or ".join(name)
        try:
            template = self._template(name)
            shown = template.name or shown
            return template.render(**context)
        except jinja2.TemplateSyntaxError as error:
            raise BuildError(Problem(error.filename or shown, error.lineno, None,
                                     f"template error: {error.message}")) from error
        except jinja2.TemplateError as error:
            raise BuildError(Problem(self.dir / "templates" / shown, _template_line(error),
                                     None, f"template error: {error}",
                                     "fix the theme template")) from error

    def _template(self, name: str | list[str]) -> jinja2.Template:
        if isinstance(name, str) or self._selected is None:
            return self.env.get_or_select_template(name)
        names = tuple(name)
        if names not in self._selected:
            self._selected[names] = self.env.select_template(name)
        return self._selected[names]

    def static_files(self) -> list[tuple[str, Path]]:
        """(site path, file) of everything in static/ (CSS...), copied to the site root as is;
        a file that is a link leading out of the theme folder is a BuildError."""
        static = self.dir / "static"
        files = sorted(static.rglob("*")) if static.is_dir() else []
        return [(f.relative_to(static).as_posix(), self.inside.check(f)) for f in files
                if f.is_file()]


class ThemeEnvironment(jinja2.Environment):
    """Jinja2's environment with `item.title` on a plain dict looked up as `item["title"]`
    at once: Jinja2 tries the attribute first, and the AttributeError a dict raises for every
    key cost most of what list and post templates spend on their views. Names of dict's own
    attributes (`item.items`) still go Jinja2's way, so templates see exactly what they did."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


_DICT_ATTRIBUTES = frozenset(dir(dict))


class ThemeLoader(jinja2.FileSystemLoader):
    """Templates from `folders`; a template file that leads outside `inside` (a link to
    elsewhere) is a BuildError before it is opened."""

    def __init__(self, folders: list[Path], inside: Boundary) -> None:
        super().__init__(folders)
        self.inside = inside

    def get_source(self, environment: jinja2.Environment,
                   template: str) -> tuple[str, str, Callable[[], bool]]:
        parts = split_template_path(template)
        found = next((Path(folder, *parts) for folder in self.searchpath
                      if Path(folder, *parts).is_file()), None)
        if found is not None:
            self.inside.check(found, hint="copy the template into the theme instead of "
                              "linking to it")
        return super().get_source(environment, template)


class CompiledTemplates(jinja2.BytecodeCache):
    """Jinja2's compiled templates, one file each in `folder`, written atomically: a killed
    build leaves at most a temporary named after its process, which the next one removes.
    Jinja2 checks each against its template's source and the Python version; an unreadable
    one is compiled again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            data = (self.folder / f"{bucket.key}.cache").read_bytes()
            bucket.bytecode_from_string(data)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):  # a cache: without it the next build compiles again
            atomic_write_bytes(self.folder / f"{bucket.key}.cache", bucket.bytecode_to_string())


def compiled_templates(cache_dir: Path) -> CompiledTemplates:
    """The compiled templates kept in cache_dir/templates/, in a folder named after the
    renderer's code (`tool_digest`), since the environment's options shape the compiled code
    too; older folders are removed."""
    root = cache_dir / "templates"
    folder = root / tool_digest()[:16]
    if folder.is_dir():
        remove_stale_temporaries(folder, deep=False)
    else:
        if root.is_dir() and not root.is_symlink():
            for old in root.iterdir():
                shutil.rmtree(old, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
    return CompiledTemplates(folder)


def _environment(theme_dir: Path, compiled: jinja2.BytecodeCache | None,
                 inside: Boundary, reloads: bool) -> jinja2.Environment:
    templates = theme_dir / "templates"
    if not templates.is_dir():
        raise BuildError(Problem(templates, None, None, "theme templates not found",
                                 "pass the theme folder (--theme DIR) holding templates/"))
    # auto_reload off in a build: it does not stat every template each time one extends or
    # includes it. A preview keeps a theme while the digest of its files taken when a rebuild
    # began is the same (`warm.theme_object`), but a template is read later, when first
    # rendered: one saved meanwhile and undone before the next rebuild must be read again.
    return ThemeEnvironment(loader=ThemeLoader([templates], inside), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True, bytecode_cache=compiled, auto_reload=reloads)


def _template_line(error: Exception) -> int | None:
    """The template line of a Jinja2 render error, from its traceback."""
    tb = error.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".html"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
