"""Hugo's sample site (../shared/hugo-sites/hugoBasicExample): our build vs the Hugo binary.

Both build one writable copy of the site as it is, each in its own child process: cold (no
output, no cache) and warm (rebuilt, nothing changed). Hugo renders with minimal layouts (the
sample has none of its own; a real theme does more work), we with the bundled theme. Shortcodes
our theme does not render yet get a plain stand-in, as in tests/site/test_hugo_sites.py.
Reported as ours/Hugo ratios of wall time, CPU time and peak RSS.
"""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.measure import Sample, compare, run_measured
from bench.site import hugo_binary, repeat, report_line

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO.parent / "shared" / "hugo-sites" / "hugoBasicExample"
UNKNOWN_SHORTCODE = re.compile(r"unknown shortcode '([\w.-]+)'")
LISTING = '{{ .Title }}{{ range .Pages }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}'
HUGO_LAYOUTS = {"home.html": LISTING, "list.html": LISTING, "taxonomy.html": LISTING,
                "term.html": LISTING, "single.html": "{{ .Title }}{{ .Content }}",
                "404.html": "Not found"}


class SampleSite:
    """A writable copy of the sample, our theme, and both builders' output and cache folders."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.site = root / "site"
        shutil.copytree(SAMPLE, self.site)
        for path in [self.site, *self.site.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
        for name, text in HUGO_LAYOUTS.items():
            (self.site / "layouts" / name).write_text(text, encoding="utf-8")
        self.theme = root / "theme"
        shutil.copytree(REPO / "theme", self.theme)
        self._stand_ins()

    def _our_command(self) -> list[str]:
        return [sys.executable, "-m", "generator", "build", "--source", str(self.site),
                "--out", str(self.root / "ours"), "--cache-dir", str(self.root / "cache"),
                "--theme", str(self.theme), "--no-resident"]  # a process of its own

    def _stand_ins(self) -> None:
        probe = subprocess.run(self._our_command(), cwd=REPO, capture_output=True, text=True,
                               timeout=300, check=False)
        for name in set(UNKNOWN_SHORTCODE.findall(probe.stderr)) if probe.returncode else ():
            (self.theme / "shortcodes" / f"{name}.html").write_text(
                '<div class="stand-in">{{ inner or "" }}</div>', encoding="utf-8")

    def ours(self) -> Sample:
        return run_measured(self._our_command(), cwd=REPO)

    def hugo(self) -> Sample:
        return run_measured([str(hugo_binary()), "--quiet", "--source", str(self.site),
                             "--destination", str(self.root / "hugo"),
                             "--cacheDir", str(self.root / "hugo-cache")])

    def clean(self) -> None:
        for name in ("ours", "cache", "hugo", "hugo-cache"):
            shutil.rmtree(self.root / name, ignore_errors=True)


def run(quick: bool) -> list[str]:
    if not SAMPLE.is_dir():
        return [f"skipped: {SAMPLE} is not here"]
    runs = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="bench-hugo-sample-") as tmp:
        sample = SampleSite(Path(tmp))
        results = {name: {"cold": repeat(runs, sample.clean, build),
                          "warm": repeat(runs, lambda: None, build)}
                   for name, build in (("ours", sample.ours), ("hugo", sample.hugo))}
        lines = [f"hugoBasicExample as it is; medians of {runs} runs"]
        for label in ("cold", "warm"):
            lines.append(compare(f"sample site, {label} build", results["ours"][label],
                                 results["hugo"][label], "hugo"))
        lines.append(f"ours: {report_line(results['ours']['warm']).split(' -> ')[0]}")
        return lines
