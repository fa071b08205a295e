"""Every page of a built site is valid HTML by the Nu validator (vnu-jar from npm, run on Java).

The site: the seed post in Russian as a draft with one image not generated yet (a placeholder),
a long text post with a table of contents, Hugo figures, a video and a note, lists, taxonomies,
aliases and the 404 page.
`make test` installs the validator (see the Makefile's VNU rule).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from generator.settings import SiteSettings
from generator.site.build import build_site
from tests.site.helpers import THEME, seed_image_names, write_post, write_seed_bundle

VNU = Path(__file__).resolve().parents[2] / ".cache/npm/node_modules/vnu-jar/build/dist/vnu.jar"
LONG_POST = "\n\n".join(f"## Part {n}\n\nText of part {n}.\n\n### Detail {n}\n\nMore." for n in
                        range(1, 4))
FIGURES = ('\n\n{{< figure src="images/pic" title="A title" caption="A *caption*" attr="Ann" '
           'attrlink="https://ann.example/" >}}\n\n{{< figure src="https://example.com/x.jpg" '
           'alt="Away" width="320" >}}\n\n{{< youtube id="abc" >}}\n\n'
           '{{< note title="Note" >}}\nAn *aside*.\n{{< /note >}}\n')


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("valid")
    write_seed_bundle(root / "content", skip=(seed_image_names()[3],))
    write_post(root / "content", "long-read", title="A long read", date="2021-04-01",
               body=LONG_POST + FIGURES, tags="[notes]", images=("pic",))
    settings = SiteSettings(title="Галерея", language="ru", image_widths=(32,), toc=True)
    build_site(root / "content", root / "site", settings, theme_dir=THEME,
               cache_dir=root / ".cache", drafts=True, placeholders=True, placeholder_size=48)
    return root / "site"


def test_every_page_is_valid_html(site: Path) -> None:
    if shutil.which("java") is None or not VNU.is_file():
        pytest.fail("the Nu validator needs java and vnu.jar: run `make test`, which installs them")
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    result = subprocess.run(["java", "-jar", str(VNU), "--format", "json", *map(str, pages)],
                            capture_output=True, text=True, timeout=300, check=False)
    messages = json.loads(result.stderr)["messages"]
    errors = [f"{m.get('url', '').rsplit('/site/', 1)[-1]}:{m.get('lastLine')} {m['message']}"
              for m in messages
              if m["type"] in ("error", "non-document-error") or m.get("subType") == "warning"]
    assert errors == []
    assert (site / "posts" / "long-read" / "index.html").read_text().count('class="toc-h') == 6
