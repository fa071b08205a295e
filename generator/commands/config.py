"""The site's Hugo config in the project root, merged with gallery.yaml's `site:` settings."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from generator.folders import Folders

if TYPE_CHECKING:
    from generator.gallery.model import Manifest
    from generator.site.config import SiteConfig


def site_config(folders: Folders, manifest: Manifest | None) -> SiteConfig:
    """The site's Hugo config in the project root, with gallery.yaml's `site:` settings."""
    from generator.site.config import load_site_config, merge_with_manifest

    config = load_site_config(folders.root)
    if config.hugo_theme:
        print(f"site: {config.source} names the Hugo theme {config.hugo_theme!r}, which is not "
              f"used: themes here are Jinja2 ({folders.theme}; see Coming from Hugo in the README)")
    if manifest is None:
        if config.source is None:
            print(f"site: no gallery.yaml or Hugo config (hugo.toml, config.toml, ...) in "
                  f"{folders.root}: default settings")
        return config
    if config.source is None:
        return dataclasses.replace(config, settings=manifest.site)
    print(f"site: settings from {folders.manifest} and {config.source}")
    return merge_with_manifest(config, manifest.site, folders.manifest)
