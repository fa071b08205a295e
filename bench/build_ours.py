"""Child process of the site benchmark: `python -m bench.build_ours CONTENT OUT CACHE W...`.

Runs our builder exactly as `make build` would, in its own process so that its peak memory
and CPU time are measured alone (os.wait4), like the Hugo binary's.
"""

from __future__ import annotations

import sys
from pathlib import Path

from generator.settings import SiteSettings
from generator.site.build import build_site

THEME = Path(__file__).resolve().parent.parent / "theme"


def main(argv: list[str]) -> None:
    content, out, cache, *widths = argv
    settings = SiteSettings(base_url="https://example.org/",
                            image_widths=tuple(int(w) for w in widths))
    print(build_site(Path(content), Path(out), settings, theme_dir=THEME, cache_dir=Path(cache)))


if __name__ == "__main__":
    main(sys.argv[1:])
