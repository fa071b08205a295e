"""Hugo's built-in shortcodes, inline shortcodes, and the warnings and --strict they feed."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from generator.errors import BuildError
from generator.settings import SiteSettings
from generator.site.build import build_site, check_content
from generator.site.builtin_shortcodes import BuiltinShortcodes
from generator.site.config import load_site_config
from generator.site.markdown import RenderedMarkdown, render_markdown
from generator.site.shortcodes import Caption, ShortcodeCall, ShortcodeError, ThemeShortcodes
from tests.site.helpers import THEME, write_post

SOURCE = Path("content/posts/p/index.md")
ROOT = Path(__file__).resolve().parents[2]


class Page:
    """One page's shortcode handler as the build wires it: built-ins, then the theme's."""

    def __init__(self, page_params: dict | None = None, site_params: dict | None = None) -> None:
        self.builtins = BuiltinShortcodes(SOURCE, page_params or {}, site_params or {})
        self.theme = ThemeShortcodes(THEME)

    def __call__(self, call: ShortcodeCall, caption: Caption | None) -> str:
        if self.builtins.handles(call.name):
            return self.builtins(call)
        return self.theme(call, caption)

    def render(self, text: str) -> RenderedMarkdown:
        return render_markdown(text, source=SOURCE, first_line=3, shortcodes=self)


def html(text: str, **params: dict) -> str:
    return Page(**params).render(text).html


def test_details_renders_its_markdown_in_a_disclosure() -> None:
    out = html('{{< details summary="More" open=true class="x" >}}\nHidden **text**\n'
               "{{< /details >}}\n")
    assert out.startswith('<details class="x" open>\n<summary>More</summary>\n')
    assert "<p>Hidden <strong>text</strong></p>" in out
    assert "<summary>Details</summary>" in html("{{< details >}}\nx\n{{< /details >}}\n")


def test_comment_prints_nothing_and_no_empty_paragraph() -> None:
    assert html("A.\n\n{{< comment >}}a note to self{{< /comment >}}\n\nB.\n") == (
        "<p>A.</p>\n\n<p>B.</p>\n")


@pytest.mark.parametrize(("tag", "href"), [
    ("{{< gist spf13 7896402 >}}", "https://gist.github.com/spf13/7896402"),
    ('{{< gist spf13 7896402 "img.html" >}}', "https://gist.github.com/spf13/7896402#file-img-html"),
    ("{{< instagram CxOWiQNP2MO >}}", "https://www.instagram.com/p/CxOWiQNP2MO/"),
    ('{{< x user="SanDiegoZoo" id="1453110110599868418" >}}',
     "https://x.com/SanDiegoZoo/status/1453110110599868418"),
    ("{{< vimeo_simple 48912912 >}}", "https://vimeo.com/48912912"),
])
def test_network_embeds_are_link_cards_without_third_party_code(tag: str, href: str) -> None:
    out = html(tag + "\n")
    assert f'<a href="{href}" rel="noopener">' in out and 'class="embed-card' in out
    assert "<script" not in out and "<iframe" not in out


def test_players_are_privacy_friendly_iframes_with_hugos_parameters() -> None:
    out = html('{{< youtube id="0RKpf3rK57I" start=30 end=60 autoplay=true loading="eager" >}}\n')
    assert ('src="https://www.youtube-nocookie.com/embed/0RKpf3rK57I?start=30&amp;end=60'
            '&amp;autoplay=1"') in out
    assert 'loading="eager"' in out
    vimeo = html('{{< vimeo 55073825 >}}\n{{< vimeo id="1" title="T" class="wide" >}}\n')
    assert 'src="https://player.vimeo.com/video/55073825?dnt=1"' in vimeo
    assert 'class="video wide"' in vimeo and 'title="T"' in vimeo


@pytest.mark.parametrize("tag", ["{{< gist spf13 >}}", "{{< x user=a >}}", "{{< vimeo >}}",
                                 "{{< instagram >}}", "{{< details >}}"])
def test_embeds_missing_what_they_need_are_problems(tag: str) -> None:
    with pytest.raises(BuildError) as error:
        html("Text.\n\n" + tag + "\n")
    (problem,) = error.value.problems
    assert (problem.file, problem.line) == (SOURCE, 5) and problem.message


def test_param_reads_the_page_then_the_site() -> None:
    params = {"page_params": {"title": "Page title"},
              "site_params": {"Greeting": "hello <you>", "author": {"name": "Ann"},
                              "colors": ["red", "blue"], "dark": True}}
    out = html('{{< param title >}} {{< param greeting >}} {{< param "author.name" >}} '
               "{{< param colors >}} {{< param dark >}}\n", **params)
    assert out == "<p>Page title hello &lt;you&gt; Ann [red blue] true</p>\n"


def test_missing_param_is_a_problem_naming_the_key() -> None:
    with pytest.raises(BuildError) as error:
        html('{{< param "author.email" >}}\n', site_params={"author": {"name": "Ann"}})
    assert "'author.email'" in error.value.problems[0].message
    with pytest.raises(ShortcodeError):
        BuiltinShortcodes(SOURCE, {}, {})(ShortcodeCall("param", {}, 1))


def qr_image(out: str) -> Image.Image:
    data = re.search(r'src="data:image/png;base64,([^"]+)"', out)
    assert data, out
    return Image.open(io.BytesIO(base64.b64decode(data[1])))


def test_qr_is_an_inline_image_of_hugos_size() -> None:
    out = html('{{< qr text="https://gohugo.io" alt="Hugo" class="qr" />}}\n')
    assert 'width="132" height="132"' in out and 'alt="Hugo"' in out  # Hugo's size for this text
    image = qr_image(out)
    assert image.getpixel((0, 0)) != image.getpixel((16, 16))  # quiet zone, then a finder
    assert image.size == (132, 132)
    bigger = html('{{< qr text="https://gohugo.io" scale="2" level="high" >}}\n')
    assert qr_image(bigger).size != image.size
    paired = html("{{< qr >}}\nhttps://gohugo.io\n{{< /qr >}}\n")
    assert qr_image(paired).tobytes() == image.tobytes()


@pytest.mark.parametrize(("tag", "message"), [
    ("{{< qr />}}", "needs the text"),
    ('{{< qr text="x" level="best" />}}', "level 'best'"),
    ('{{< qr text="x" scale="0" />}}', "scale '0'"),
    ('{{< qr text="x" colour="red" />}}', "no parameter 'colour'"),
    ('{{< qr text="' + "x" * 5000 + '" />}}', "too long"),
])
def test_bad_qr_calls_are_problems(tag: str, message: str) -> None:
    with pytest.raises(BuildError, match=message):
        html(tag + "\n")


def test_inline_shortcode_without_template_actions_is_its_body() -> None:
    page = Page()
    rendered = page.render("{{< hello.inline >}}Just **text**{{< /hello.inline >}}\n\n"
                           "Again: {{< hello.inline />}}\n\n"
                           "{{% md.inline %}}Some *emphasis*{{% /md.inline %}}\n")
    assert rendered.html == ("Just **text**\n<p>Again: Just **text**</p>\n"
                             "Some <em>emphasis</em>\n")
    assert rendered.warnings == ()


def test_inline_shortcode_with_template_actions_is_left_out_with_a_warning() -> None:
    page = Page()
    rendered = page.render("Intro.\n\n{{< time.inline >}}{{ now }}{{< /time.inline >}}\n\n"
                           "Then {{< time.inline />}} and {{< never.inline />}}.\n")
    assert rendered.html == "<p>Intro.</p>\n\n<p>Then  and .</p>\n"
    warnings = page.builtins.warnings
    assert [(w.file, w.line, w.key) for w in warnings] == [
        (SOURCE, 5, "time.inline"), (SOURCE, 7, "time.inline"), (SOURCE, 7, "never.inline")]
    assert "template actions" in warnings[0].message and warnings[0].hint


def test_inline_shortcodes_off_are_left_out_as_hugo_does_with_a_warning_each() -> None:
    """A Hugo config without enableInlineShortcodes = true: Hugo 0.168 prints nothing for them
    (checked with the binary: `Before.`, then `After  end.`); here each call warns too."""
    page = Page()
    page.builtins.inline_enabled = False
    rendered = page.render("Before.\n\n{{< hello.inline >}}Hello{{< /hello.inline >}}\n\n"
                           "After {{< hello.inline />}} end.\n")
    assert rendered.html == "<p>Before.</p>\n\n<p>After  end.</p>\n"
    assert [(w.line, w.key) for w in page.builtins.warnings] == [
        (5, "hello.inline"), (7, "hello.inline")]
    assert "enableInlineShortcodes = true" in page.builtins.warnings[0].hint


@pytest.mark.parametrize(("config", "shown"), [
    ("", False), ("enableInlineShortcodes = false\n", False),
    ("enableInlineShortcodes = true\n", True)])
def test_a_hugo_config_turns_inline_shortcodes_on_or_off(tmp_path: Path, config: str,
                                                          shown: bool) -> None:
    (tmp_path / "hugo.toml").write_text(f'title = "S"\n{config}', encoding="utf-8")
    content, out = tmp_path / "content", tmp_path / "site"
    write_post(content, "a", title="A", date="2021-01-01",
               body="{{< hi.inline >}}Inline hello{{< /hi.inline >}}\n\nText.")
    report = build_site(content, out, SiteSettings(), theme_dir=THEME,
                        cache_dir=tmp_path / ".cache", config=load_site_config(tmp_path))
    article = (out / "posts/a/index.html").read_text(encoding="utf-8").split("<main", 1)[1]
    assert ("Inline hello" in article) is shown and "<p>Text.</p>" in article
    assert [w.key for w in report.warnings] == ([] if shown else ["hi.inline"])


def test_a_bad_enable_inline_shortcodes_value_is_a_config_problem(tmp_path: Path) -> None:
    (tmp_path / "hugo.toml").write_text('enableInlineShortcodes = "yes please"\n',
                                        encoding="utf-8")
    with pytest.raises(BuildError) as error:
        load_site_config(tmp_path)
    (problem,) = error.value.problems
    assert problem.line == 1 and "true or false" in problem.message


def test_warnings_pass_a_build_and_fail_a_strict_one(tmp_path: Path) -> None:
    content, out = tmp_path / "content", tmp_path / "site"
    write_post(content, "a", title="A", date="2021-01-01",
               body="{{< t.inline >}}{{ .Page.Title }}{{< /t.inline >}}\n\nText.")
    settings = SiteSettings(image_widths=(32,))
    report = build_site(content, out, settings, theme_dir=THEME, cache_dir=tmp_path / ".cache")
    (warning,) = report.warnings
    assert (warning.line, warning.key) == (6, "t.inline") and "warning: " in str(report)
    assert "<p>Text.</p>" in (out / "posts/a/index.html").read_text(encoding="utf-8")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    with pytest.raises(BuildError) as error:
        build_site(content, out, settings, theme_dir=THEME, cache_dir=tmp_path / ".cache",
                   strict=True)
    assert error.value.problems == [warning]
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before  # old site kept
    assert check_content(content, settings, theme_dir=THEME) == []
    assert check_content(content, settings, theme_dir=THEME, strict=True) == [warning]


def test_cli_strict_flag_on_build_and_check(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_post(content, "a", title="A", date="2021-01-01",
               body="{{< t.inline >}}{{ now }}{{< /t.inline >}}")
    (tmp_path / "gallery.yaml").write_text("site:\n  title: T\nposts: []\n", encoding="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "generator", *args, "--content",
                               str(content)], cwd=tmp_path, capture_output=True, text=True,
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                   "GALLERY_RESIDENT": "0"},
                              timeout=120)

    assert run("check").returncode == 0
    strict_check = run("check", "--strict")
    assert strict_check.returncode != 0 and "index.md:6: t.inline:" in strict_check.stderr
    assert run("build", "--out", str(tmp_path / "site")).returncode == 0
    strict_build = run("build", "--strict", "--out", str(tmp_path / "strict"))
    assert strict_build.returncode != 0 and "Traceback" not in strict_build.stderr
    assert not (tmp_path / "strict").exists()


def test_a_sites_own_theme_has_the_built_ins_and_may_override_them(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    for part in ("templates", "i18n"):
        shutil.copytree(THEME / part, theme / part)
    (theme / "shortcodes").mkdir()
    (theme / "shortcodes" / "highlight.html").write_text("<pre class=mine>{{ inner_source }}</pre>")
    (theme / "shortcodes" / "vimeo.html").write_text("<p>my vimeo {{ params['0'] }}</p>")
    content, out = tmp_path / "content", tmp_path / "site"
    write_post(content, "a", title="A", date="2021-01-01",
               body="{{< highlight go >}}x{{< /highlight >}}\n\n{{< vimeo 7 >}}\n\n"
                    "{{< gist u 1 >}}\n\n{{< qr text=x />}}")
    build_site(content, out, SiteSettings(image_widths=(32,)), theme_dir=theme,
               cache_dir=tmp_path / ".cache")
    page = (out / "posts/a/index.html").read_text(encoding="utf-8")
    assert "<pre class=mine>x</pre>" in page and "<p>my vimeo 7</p>" in page  # the site's own
    assert 'href="https://gist.github.com/u/1"' in page and "data:image/png" in page  # built-in
