"""A `<!--more-->` inside a paragraph: content and summary as the Hugo binary splits them, and
problems after it still at the author's line."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from generator.errors import BuildError
from generator.settings import SiteSettings
from generator.site.build import build_site
from generator.site.markdown import render_markdown
from generator.site.shortcodes import ThemeShortcodes
from tests.site.helpers import THEME, write_post
from tests.site.test_hugo_parity import hugo_binary

BODIES = {  # the sample site's placeholder-text.md splits its first paragraph like "lorem"
    "lorem": "First *one*.\n\nLorem summo. <!--more-->Redit teque.\n\nNext para.\n",
    "inside": "Only **one** para with <!--more--> inside and more text.\n",
    "emphasis": "Some *emph <!--more--> more* and [link][ref].\n\n[ref]: https://example.org/\n",
    "lines": "Line one\nline two <!--more--> line three\nline four\n",
    "line-end": "Para with trailing divider.<!--more-->\n\nNext.\n",
    "quote": "> Quote text <!--more--> rest of quote.\n\nThen.\n",
    "list": "* item one\n* item <!--more--> two\n\nAfter.\n",
    "alone": "Intro line\n<!--more-->\nAfter.\n",
}
HUGO_CONFIG = ('baseURL = "https://example.org/"\n'
               'disableKinds = ["RSS", "sitemap", "robotsTXT", "404", "taxonomy", "term", '
               '"home", "section"]\n[markup.goldmark.renderer]\nunsafe = true\n')
LAYOUT = "{{ .Content }}\nSUMMARY:{{ .Summary | plainify }}"


def squeezed(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def render(body: str, first_line: int = 1) -> tuple[str, str]:
    rendered = render_markdown(body, source=Path("p.md"), first_line=first_line,
                               shortcodes=ThemeShortcodes(THEME))
    return rendered.html, rendered.summary


@pytest.fixture(scope="module")
def hugo_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """name -> (Hugo's .Content, .Summary as plain text) for each of BODIES."""
    root = tmp_path_factory.mktemp("divider")
    (root / "layouts").mkdir()
    (root / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    (root / "layouts" / "single.html").write_text(LAYOUT, encoding="utf-8")
    for name, body in BODIES.items():
        page = root / "content" / f"{name}.md"
        page.parent.mkdir(exist_ok=True)
        page.write_text(f"---\ntitle: {name}\n---\n{body}", encoding="utf-8")
    subprocess.run([str(hugo_binary()), "--quiet", "--source", str(root)], check=True,
                   capture_output=True)
    out = {}
    for name in BODIES:
        written = (root / "public" / name / "index.html").read_text(encoding="utf-8")
        content, _, summary = written.partition("\nSUMMARY:")
        out[name] = (content, " ".join(summary.split()))
    return out


@pytest.mark.parametrize("name", BODIES)
def test_content_and_summary_split_as_hugos(name: str,
                                            hugo_pages: dict[str, tuple[str, str]]) -> None:
    hugo_content, hugo_summary = hugo_pages[name]
    html, summary = render(BODIES[name])
    assert squeezed(html) == squeezed(hugo_content)
    assert summary == hugo_summary


def test_a_divider_in_code_stays_code_and_the_next_one_splits() -> None:
    """Hugo cuts a code block at the first <!--more--> anywhere; here code is left whole."""
    html, summary = render("Intro.\n\n```\na <!--more--> b\n```\n\n"
                           "End `x <!--more--> y` z <!--more--> w.\n")
    assert "a &lt;!--more--&gt; b\n" in html and "<code>x &lt;!--more--&gt; y</code>" in html
    assert html.endswith("z</p>\n<p>w.</p>\n")
    assert summary == "Intro. End x <!--more--> y z"


def test_problems_after_the_divider_keep_the_authors_lines() -> None:
    body = "Intro <!--more--> then {{< nosuch >}}\nmore {{< nosuch2 >}}\n\n{{< nosuch3 >}}\n"
    with pytest.raises(BuildError) as error:
        render(body, first_line=5)
    assert [(p.line, p.key) for p in error.value.problems] == [
        (5, "nosuch"), (6, "nosuch2"), (8, "nosuch3")]


def test_the_list_shows_the_text_before_the_divider(tmp_path: Path) -> None:
    content, out = tmp_path / "content", tmp_path / "site"
    write_post(content, "a", title="A", date="2021-01-01",
               body="Lorem summo. <!--more-->Redit teque.\n\nNext.")
    build_site(content, out, SiteSettings(), theme_dir=THEME, cache_dir=tmp_path / ".cache")
    listing = (out / "index.html").read_text(encoding="utf-8")
    assert "<p>Lorem summo.</p>" in listing and "Redit" not in listing
    page = (out / "posts/a/index.html").read_text(encoding="utf-8")
    assert "<p>Lorem summo.</p>\n<p>Redit teque.</p>" in page
