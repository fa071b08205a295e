"""content/ -> site/: rebuild what changed, then swap the new site in whole.

`build_site` first asks whether anything it reads changed since the last build (`unchanged`):
if nothing did, it returns the last report without importing the pipeline, Jinja2, markdown-it
or Pillow (but for a preview's first build, whose state the preview keeps in memory). Otherwise
it renders (`pipeline`) into a work folder beside `out_dir`, reusing every file whose bytes did
not change (`sitefiles`, `buildstate`), and swaps it in only when everything succeeded
(`outdir`), so a failed build leaves the previous site untouched.
`check_content` runs the same pipeline without writing anything and returns every problem found.
"""

from __future__ import annotations

import contextlib
import gc
import shutil
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import BuildError, Problem, disk_problem, failed_folder
from generator.folders import PACKAGE_THEME
from generator.settings import SiteSettings
from generator.site.buildstate import (
    BuildState,
    LastBuild,
    discard_state,
    load_state,
    remove_state_leftovers,
    save_state,
)
from generator.site.outdir import clean_leftovers, put_in_place, spare_folder, work_folder
from generator.site.report import BuildReport
from generator.site.sitefiles import SiteFiles
from generator.site.unchanged import Stamp, input_stamp, site_intact

if TYPE_CHECKING:
    from generator.site.config import SiteConfig
    from generator.site.warm import WarmCaches


@contextlib.contextmanager
def _cycles_left_for_later() -> Iterator[None]:
    """Python's cycle collector paused for a build: a build makes millions of objects (its
    state, pages, contexts) but few cycles (7,000 objects' worth at 1,000 posts, 2 MB), and
    walking the young objects again and again to find them cost 5-7% of a cold build's CPU.
    Reference counting frees all the rest as usual; a process that goes on (the preview)
    collects the cycles after."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


@_cycles_left_for_later()
def build_site(content_dir: Path, out_dir: Path, settings: SiteSettings, *, theme_dir: Path,
               cache_dir: Path, drafts: bool = False, placeholders: bool = False,
               strict: bool = False, full: bool = False, config: SiteConfig | None = None,
               placeholder_size: int = 512,
               placeholder_sizes: Mapping[Path, int] | None = None,
               warm: WarmCaches | None = None) -> BuildReport:
    """Render content_dir into out_dir (replaced whole, only on success).

    Drafts, future-dated and expired pages are left out unless `drafts` (a preview of
    everything not public) or the config's buildDrafts/buildFuture/buildExpired say otherwise.
    `config`: the site's Hugo config (its `settings` replaced by `settings`). With `strict` (as
    a CI would use), any warning fails the build. With `placeholders`, a missing image shows as
    a square placeholder of the size the generator will make it: `placeholder_sizes` by the
    image's path without its extension (content/posts/x/images/NAME), else `placeholder_size`
    pixels. Files whose bytes did not change are reused from the last builds (`sitefiles`,
    `buildstate`), and a build that finds nothing changed does nothing at all, unless `full`,
    which starts from an empty folder and forgets the build state.
    `warm`: what a long-running process (the preview) keeps between its builds (`warm`); its
    first build renders even when nothing changed, so that it holds the state of the site the
    preview's early pages are rendered from (`early`).
    """
    out_dir, cache_dir = Path(out_dir).absolute(), Path(cache_dir)
    clean_leftovers(out_dir)
    remove_state_leftovers(cache_dir)
    spare = spare_folder(out_dir)
    if full:
        discard_state(cache_dir, out_dir)
    options = (settings, config, drafts, placeholders, strict, placeholder_size,
               placeholder_sizes)
    stamp = input_stamp(_read_folders(Path(content_dir), Path(theme_dir), config), options,
                        skip=(out_dir, spare, cache_dir))
    state = load_state(cache_dir, out_dir, spare)
    last = state.last
    first_in_preview = warm is not None and warm.shows_early and not warm.site
    if (last is not None and not first_in_preview and last.stamp.still(stamp)
            and (last.valid_until is None or time.time() < last.valid_until)
            and site_intact(out_dir, state.site)):
        return last.report.unchanged()
    return _rebuild(content_dir, out_dir, settings, theme_dir=theme_dir, cache_dir=cache_dir,
                    spare=spare, state=state, stamp=stamp, drafts=drafts,
                    placeholders=placeholders, strict=strict, config=config,
                    placeholder_size=placeholder_size, placeholder_sizes=placeholder_sizes,
                    warm=warm)


def check_content(content_dir: Path, settings: SiteSettings, *, theme_dir: Path,
                  drafts: bool = True, missing_images: bool = False,
                  strict: bool = False, config: SiteConfig | None = None,
                  overlay: Mapping[Path, str | None] | None = None) -> list[Problem]:
    """Every problem a build of content_dir would hit, without writing anything.

    Images that do not exist yet are not problems unless `missing_images` (they are what the
    generator makes); set it to check a tree whose images should all be there. With `strict`,
    warnings count as problems, as they do in a strict build. `overlay`: pages a pending write
    will change (see `load_pages`), checked as they will be.
    """
    from generator.site.pipeline import build_languages, warnings_of

    try:
        builders = build_languages(Path(content_dir), settings, Path(theme_dir), config,
                                   drafts=drafts, placeholders=not missing_images, out=None,
                                   processor=None, overlay=overlay)
    except BuildError as error:  # the warnings of a build that fails are not listed
        return error.problems
    if not strict:
        return []
    return warnings_of(builders)


def _read_folders(content_dir: Path, theme_dir: Path, config: SiteConfig | None) -> list[Path]:
    """Every folder a build reads from: content (each language's), the theme, the bundled theme
    (templates and shortcodes the site's theme leaves out) and static/."""
    folders = [content_dir, theme_dir, PACKAGE_THEME]
    if config is not None:
        folders += [language.content_dir for language in config.languages if language.content_dir]
        if config.static_dir is not None:
            folders.append(config.static_dir)
    return folders


def _rebuild(content_dir: Path, out_dir: Path, settings: SiteSettings, *, theme_dir: Path,
             cache_dir: Path, spare: Path, state: BuildState, stamp: Stamp, drafts: bool,
             placeholders: bool, strict: bool, config: SiteConfig | None,
             placeholder_size: int, placeholder_sizes: Mapping[Path, int] | None,
             warm: WarmCaches | None) -> BuildReport:
    """Run the pipeline into a work folder and swap it in; save what the next build reuses."""
    from generator.site.images import ImageProcessor
    from generator.site.pipeline import build_languages, report_of, valid_until, warnings_of
    from generator.site.theme import compiled_templates
    from generator.site.warm import WarmCaches

    alone = warm is None  # a process of its own: what the last one kept, kept for the next
    warm = WarmCaches.kept(cache_dir) if warm is None else warm
    warm.start_build()
    processor = ImageProcessor(cache_dir, settings.image_widths)
    if state.image_params == processor.params:
        processor.source_keys = state.image_keys
    fresh = work_folder(out_dir, reuse_spare=state.spare is not None)
    files = SiteFiles(fresh, known=state.spare, live=out_dir, live_records=state.site,
                      renders=state.renders, sources=state.copied,
                      parallel=not warm.shows_early)  # the preview has other threads
    try:
        try:
            builders = build_languages(
                Path(content_dir), settings, Path(theme_dir), config, drafts=drafts,
                placeholders=placeholders, out=files, processor=processor,
                placeholder_size=placeholder_size, placeholder_sizes=placeholder_sizes,
                warm=warm, compiled=compiled_templates(cache_dir))
            if strict and (warnings := warnings_of(builders)):
                raise BuildError(warnings)
            records = files.finish()
        except OSError as error:
            folder = failed_folder(error, fresh, out_dir)
            if folder is None:
                raise
            raise BuildError(disk_problem(error, folder, "write the site")) from error
        kept_spare = put_in_place(fresh, out_dir)
    except BaseException:
        files.abandon()
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    if alone:
        with contextlib.suppress(OSError):  # a cache: without it the next build parses more
            warm.keep(cache_dir)
    elif warm.shows_early:
        warm.site = tuple(builders)
    changed = {path for path, record in records.items()
               if path not in state.site or state.site[path].digest != record.digest}
    report = report_of(builders, out_dir, written=files.written,
                       changed=frozenset(changed | (state.site.keys() - records.keys())))
    with contextlib.suppress(OSError):  # the state is a hint: without it the next build redoes more
        save_state(cache_dir, out_dir, spare, BuildState(
            site=records, spare=state.site if kept_spare else None,
            image_keys=processor.source_keys, renders=files.rendered,
            image_params=processor.params, copied=files.copied,
            last=LastBuild(stamp, report, valid_until(builders))))
    return report
