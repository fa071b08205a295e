"""The hostile corpus: manifests and content trees a careless or hostile author could write.

Each `Case` is a project folder (gallery.yaml plus any files, links or folders, relative to the
project) and what `check` must say about it: None when the project is valid, else a piece of the
error message. Beside the project lies `../outside/` with `secret.txt` and `secret.png`: nothing
from there may end up in the site, and nothing there may change.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from dataclasses import dataclass, field

from generator.addresses import FEED, NOT_FOUND, SITEMAP

SECRET = "SECRET-FROM-OUTSIDE-THE-PROJECT"


@dataclass(frozen=True)
class Link:
    """A symbolic link to `target` (relative to the link's folder)."""

    target: str


@dataclass(frozen=True)
class Folder:
    """An empty folder."""


File = str | bytes | Link | Folder


@dataclass(frozen=True)
class Case:
    name: str
    expect: str | None  # a piece of check's error message; None: the project is valid
    files: dict[str, File] = field(default_factory=dict)
    tool_files: tuple[str, ...] = ()  # files the tool wrote earlier, which it may change


HEAD = "site:\n  title: Hostile\n  base_url: https://example.org/\n"
POST = "  - title: {title}\n    date: 2021-03-30T15:00:00+03:00\n{extra}    items:\n{items}"
TEXT_ITEM = "      - text: Some *Markdown*.\n"


def post(title: str = "A post", extra: str = "", items: str = TEXT_ITEM) -> str:
    """One post of `posts:`; `extra`: more keys, each line indented by four spaces."""
    return POST.format(title=title, extra=extra, items=items)


def manifest(*posts: str, head: str = HEAD, tail: str = "") -> str:
    return head + tail + "posts:\n" + "".join(posts or (post(),))


def with_manifest(name: str, expect: str | None, text: str, **files: File) -> Case:
    return Case(name, expect, {"gallery.yaml": text, **files})


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (17 bytes of pixels would not fill it)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def small_png() -> bytes:
    """A valid 1x1 grey PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0\x80")) + chunk(b"IEND", b""))


def hand_written(front: str, body: str = "Text.", slug: str = "mine") -> dict[str, File]:
    """A hand-written page bundle content/posts/<slug>/index.md."""
    return {f"content/posts/{slug}/index.md": f"---\n{front}---\n\n{body}\n"}


def with_page(name: str, expect: str | None, front: str = "title: Mine\ndate: 2021-01-01\n",
              body: str = "Text.", **files: File) -> Case:
    """A valid manifest beside one hand-written page."""
    return Case(name, expect, {"gallery.yaml": manifest(), **hand_written(front, body), **files})


def merge_bomb(levels: int) -> str:
    """`<<: [*a, *a]` nested `levels` times: 2**levels merges of a few hundred bytes."""
    lines = ["  a0: &a0 {k: v}"]
    lines += [f"  a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}]}}" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def laughs(levels: int) -> str:
    """The billion laughs: each list holds ten of the one before."""
    lines = ['  - &l0 "lol"']
    lines += [f"  - &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def _manifest_cases() -> list[Case]:
    generation = HEAD + "generation:\n  {}\n"
    return [
        # tagged scalars and numbers Python cannot convert
        with_manifest("tag_float", "expected a number", manifest(
            head=generation.format("lr: !!float abc"))),
        with_manifest("tag_int", "expected a whole number", manifest(
            head=generation.format("iterations: !!int abc"))),
        with_manifest("tag_bool", "expected true or false", manifest(
            head=generation.format("center_bias: !!bool maybe"))),
        with_manifest("tag_timestamp", "expected a date", HEAD + "posts:\n"
                      "  - title: T\n    date: !!timestamp x\n    items: []\n"),
        with_manifest("tag_binary_title", "expected text", manifest(post("!!binary aGk="))),
        with_manifest("tag_python_object", "expected text", manifest(
            post("!!python/object/apply:os.system [echo pwned]"))),
        with_manifest("tag_set", "expected", manifest(head=generation.format("seed: !!set {1}"))),
        with_manifest("int_5000_digits", "too long", manifest(
            head=generation.format("iterations: " + "9" * 5000))),
        with_manifest("float_400_digits", "too long", manifest(
            head=generation.format("lr: " + "9" * 400))),
        with_manifest("float_nan", "finite", manifest(head=generation.format("lr: .nan"))),
        with_manifest("float_inf_exponent", "out of range", manifest(
            head=generation.format("lr: 1.0e+308"))),
        with_manifest("seed_too_big", "out of range", manifest(
            head=generation.format("seed: 99999999999999999999"))),
        with_manifest("date_year_0", "not a valid date", manifest(
            post(extra="").replace("2021-03-30T15:00:00+03:00", "0000-01-01"))),
        with_manifest("date_offset_25h", "offset", manifest(
            post().replace("+03:00", "+25:00"))),
        with_manifest("date_without_zone", "no time zone", manifest(
            post().replace("+03:00", ""))),
        # characters no file or page can have
        with_manifest("nul_in_url", "NUL", manifest(post(extra='    url: "/a\\0b/"\n'))),
        with_manifest("nul_in_title", "NUL", manifest(post('"a\\0b"'))),
        with_manifest("nul_in_figure", "NUL", manifest(post(items='      - figure: "a\\0.png"\n'))),
        with_manifest("slug_with_dots", "not a usable slug", manifest(
            post(extra="    slug: ..\n"))),
        with_manifest("slug_with_slash", "not a usable slug", manifest(
            post(extra="    slug: a/../../b\n"))),
        with_manifest("image_name_traversal", "not a usable image name", manifest(
            post(items="      - title: Dog\n        image: ../../x\n"))),
        with_manifest("url_with_dotdot", "not a path of a page", manifest(
            post(extra="    url: /../../outside/\n"))),
        with_manifest("url_with_host", "not a path of a page", manifest(
            post(extra="    url: //evil.example/x/\n"))),
        # work bounds: aliases, merges, nesting
        with_manifest("merge_key_bomb", "expand", "x:\n" + merge_bomb(29) + manifest(
            post(items="      - <<: *a29\n        title: Dog\n"))),
        with_manifest("recursive_merge", "contains itself", "site: &s {<<: *s}\nposts: []\n"),
        with_manifest("recursive_list", "contains itself", "posts: &p [*p]\n"),
        with_manifest("billion_laughs", "expand", "x:\n" + laughs(9)
                      + manifest(head=generation.format("penalize: *l9"))),
        with_manifest("deep_nesting", "nested more than", manifest(
            head=generation.format("penalize: " + "[" * 100_000 + "]" * 100_000))),
        with_manifest("alias_chain", "counting what `*aliases`", "x:\n  - &m0 {k: v}\n"
                      + "".join(f"  - &m{i} {{<<: *m{i - 1}, k{i}: v}}\n" for i in range(1, 200))
                      + manifest(post(items="      - <<: *m199\n        title: Dog\n"))),
        # the site section
        with_manifest("base_url_quote", "not an absolute URL", manifest(
            head='site:\n  base_url: "https://example.org/\\"><x a=\\""\n')),
        with_manifest("base_url_script", "not an absolute URL", manifest(
            head="site:\n  base_url: javascript:alert(1)//\n")),
        with_manifest("base_url_space", "not an absolute URL", manifest(
            head="site:\n  base_url: https://exa mple.org/\n")),
        with_manifest("paginate_zero", "out of range", manifest(
            head=HEAD + "  paginate: 0\n")),
        # not YAML, or not the shape of a manifest
        with_manifest("empty", "empty", ""),
        with_manifest("not_utf8", "UTF-8", "site:\n  title: \xff\xfe\n".encode("latin-1")),
        with_manifest("top_level_list", "expected a mapping", "- a\n- b\n"),
        with_manifest("tabs", "YAML syntax error", "site:\n\ttitle: x\n"),
        with_manifest("unclosed_quote", "YAML syntax error", 'site:\n  title: "x\nposts: []\n'),
        with_manifest("duplicate_key", "duplicate key", manifest(head=HEAD + "  title: Again\n")),
        with_manifest("unknown_item", "item is none of", manifest(
            post(items="      - tilte: x\n"))),
        with_manifest("null_key", "a key must be a plain name", manifest(head=HEAD + "  ~: x\n")),
        with_manifest("posts_is_text", "expected a list", HEAD + "posts: many\n"),
        # figures from elsewhere
        with_manifest("figure_is_folder", "is a folder", manifest(
            post(items="      - figure: figures\n")), **{"figures": Folder()}),
        with_manifest("figure_not_an_image", "not a supported image", manifest(
            post(items="      - figure: notes.txt\n")), **{"notes.txt": "text"}),
        with_manifest("figure_system_file", "leads outside the project folder", manifest(
            post(items="      - figure: /etc/passwd\n"))),
        with_manifest("figure_of_144_megapixels", "megapixels", manifest(
            post(items="      - figure: big.png\n")), **{"big.png": png_header(12000, 12000)}),
        with_manifest("figure_truncated", "cannot read this image", manifest(
            post(items="      - figure: cut.png\n")), **{"cut.png": small_png()[:-20]}),
        with_page("image_truncated", "cannot read this image", body='{{<img src="images/cut">}}',
                  **{"content/posts/mine/images/cut.png": small_png()[:-20]}),
        with_manifest("figure_missing", "does not exist", manifest(
            post(items="      - figure: nowhere.png\n"))),
        with_manifest("image_prompt_missing", "does not exist", manifest(
            head=generation.format("image_prompt: nowhere.png"))),
    ]


def _clash_cases() -> list[Case]:
    """Addresses and folders that clash: check must find them before write changes content/."""
    def at(name: str, url: str, what: str = "the site generates") -> Case:
        return with_manifest(name, what, manifest(post(extra=f'    url: "{url}"\n')))

    return [
        at("url_feed", f"/{FEED}"), at("url_sitemap", f"/{SITEMAP}"),
        at("url_404", f"/{NOT_FOUND}"), at("url_tags", "/tags/"),
        at("url_tag_term", "/tags/dogs/"), at("url_categories", "/categories/"),
        at("url_posts_list", "/posts/"), at("url_page_2", "/page/2/"),
        at("url_page_1", "/page/1/"), at("url_index_html", "/index.html"),
        at("url_style_css", "/style.css"), at("url_under_style_css", "/style.css/x/"),
        at("url_section_page_3", "/posts/page/3/"), at("url_feed_upper_case", "/INDEX.XML"),
        with_manifest("alias_feed", "the site generates", manifest(
            post(extra=f"    aliases: [/old/, /{FEED}]\n"))),
        with_manifest("slugs_differ_in_case", "case differs", manifest(
            post("One", "    slug: Post\n"), post("Two", "    slug: post\n"))),
        with_manifest("slug_is_other_url_name", "already used", manifest(
            post("One", "    slug: same\n"), post("Two", "    url: /2021/same/\n"))),
        with_manifest("url_is_other_default_address", "already the address", manifest(
            post("One", "    slug: first\n"), post("Two", "    url: /posts/first/\n"))),
        with_manifest("urls_differ_in_case", "already the address", manifest(
            post("One", "    url: /Big/\n"), post("Two", "    url: /big/\n"))),
        with_manifest("alias_is_other_url", "already the address", manifest(
            post("One", "    url: /one/\n"), post("Two", "    aliases: [/one/]\n"))),
    ]


def _content_cases() -> list[Case]:
    """Hand-written content trees beside a valid manifest."""
    written = "content/posts/a-post/"  # where the manifest's post is written
    return [
        with_page("control_valid_project", None),
        Case("control_unicode_manifest", None, {"gallery.yaml": manifest(
            post('"Пост «с кавычками»: и двоеточием"', "    tags: [Технологии]\n"),
            head="site:\n  title: Галерея\n  language: ru\n")}),
        Case("control_figure_and_strip", None, {"gallery.yaml": manifest(post(items=(
            "      - figure: fig.png\n        caption: Mine\n"
            "      - title: Dog\n        progress: true\n      - strip: dog\n"))),
            "fig.png": small_png()}),
        Case("hand_written_page_in_the_way", "not written by this tool", {
            "gallery.yaml": manifest(), f"{written}index.md": "---\ntitle: Mine\n---\nMine.\n"}),
        Case("ownership_record_list", "unreadable ownership record", {
            "gallery.yaml": manifest(), f"{written}.generated.json": "[]"}),
        Case("ownership_record_text", "unreadable ownership record", {
            "gallery.yaml": manifest(), f"{written}.generated.json": '"x"'}),
        Case("ownership_record_folder", "unreadable ownership record", {
            "gallery.yaml": manifest(), f"{written}.generated.json": Folder()}),
        Case("ownership_record_garbage", "unreadable ownership record", {
            "gallery.yaml": manifest(), f"{written}.generated.json": b"\xff\x00{"}),
        with_page("front_matter_tag_int", "not a valid int", "title: Mine\nweight: !!int abc\n"),
        with_page("front_matter_tag_timestamp", "not a valid timestamp",
                  "title: Mine\ndate: !!timestamp x\n"),
        with_page("front_matter_huge_int", "not a valid int",
                  "title: Mine\nweight: " + "9" * 5000 + "\n"),
        with_page("front_matter_merge_bomb", "expand", "x:\n" + merge_bomb(29) + "title: Mine\n"),
        with_page("front_matter_recursive", "contains itself", "title: &t {<<: *t}\n"),
        with_page("front_matter_deep", "nest", "x: " + "[" * 3000 + "]" * 3000 + "\n"),
        with_page("front_matter_list", "must be a mapping", "- a\n- b\n"),
        Case("front_matter_unclosed", "never closed", {
            "gallery.yaml": manifest(), "content/posts/mine/index.md": "---\ntitle: x\n\nText\n"}),
        with_page("page_at_feed_address", "address", "title: Mine\nurl: /index.xml\n"),
        with_page("page_url_leaves_site", "leaves the site", "title: Mine\nurl: /../../x/\n"),
        with_page("img_link_javascript", "could run script", body=(
            '{{<img src="images/a" link="javascript:alert(document.cookie)">}}'),
            **{"content/posts/mine/images/a.png": small_png()}),
        with_page("img_link_javascript_obfuscated", "could run script", body=(
            '{{<img src="images/a" link=" Java\tScript:alert(1)">}}'),
            **{"content/posts/mine/images/a.png": small_png()}),
        with_page("figure_attrlink_data", "could run script", body=(
            '{{< figure src="images/a.png" attr="me" '
            'attrlink="data:text/html,<script>alert(1)</script>" >}}'),
            **{"content/posts/mine/images/a.png": small_png()}),
        with_page("figure_src_javascript", "could run script",
                  body='{{< figure src="javascript:alert(1)" >}}'),
        with_page("figure_link_vbscript", "could run script", body=(
            '{{< figure src="images/a.png" link="vbscript:msgbox(1)" >}}'),
            **{"content/posts/mine/images/a.png": small_png()}),
        with_page("control_figure_link_https", None, body=(
            '{{< figure src="images/a.png" link="https://example.org/?a=1&b=2" >}}'),
            **{"content/posts/mine/images/a.png": small_png()}),
        with_page("image_of_144_megapixels", "megapixels", body='{{<img src="images/big">}}',
                  **{"content/posts/mine/images/big.png": png_header(12000, 12000)}),
        with_page("image_corrupt", "cannot read this image", body='{{<img src="images/bad">}}',
                  **{"content/posts/mine/images/bad.png": b"\x89PNG\r\n\x1a\nnot really"}),
        with_page("front_matter_nul", None, "title: \"a\\0b\"\n"),
        with_page("front_matter_title_list", "must be text", "title: [a, b]\n"),
        with_page("front_matter_date_garbage", "date", "title: Mine\ndate: yesterday\n"),
        Case("front_matter_toml_broken", "not valid TOML", {
            "gallery.yaml": manifest(), "content/posts/mine/index.md": "+++\ntitle = \n+++\nx\n"}),
        Case("page_not_utf8", "not UTF-8", {
            "gallery.yaml": manifest(), "content/posts/mine/index.md": b"---\ntitle: \xff\n---\n"}),
        with_page("shortcode_unclosed", "", body="{{< figure src=\"images/a.png\" "),
        with_page("shortcode_unknown", "", body="{{< nosuch >}}"),
        with_page("body_with_nul_and_controls", None, body="a\x00b\x07c\x0cd"),
        with_page("body_huge_line", None, body="word " * 200_000),
        with_page("body_50000_quote_levels", None, body=">" * 50_000 + " deep"),
        with_page("body_20000_open_brackets", None, body="[" * 20_000 + "x"),
        with_page("body_1000_nested_shortcodes", None,
                  body="{{< note >}}" * 1000 + "x" + "{{< /note >}}" * 1000),
        with_page("ref_to_missing_page", "", body='[x]({{< ref "nowhere.md" >}})'),
        with_page("image_shortcode_traversal", "", body='{{<img src="../../../outside/secret">}}'),
    ]


def _tree_clash_cases() -> list[Case]:
    """Hand-written pages against the posts `write` is about to add: check sees the tree as
    `write` will leave it."""
    mine = "content/posts/mine/index.md"
    old_page = "---\ntitle: Old\nurl: /kept/\n---\nOld.\n"  # written by the tool, as recorded
    return [
        Case("page_and_post_at_one_url", "same address", {
            "gallery.yaml": manifest(post(extra="    url: /2021/same/\n")),
            mine: "---\ntitle: Mine\nurl: /2021/same/\n---\nText.\n"}),
        Case("post_at_a_section_list", "also that of a page the site generates", {
            "gallery.yaml": manifest(post(extra="    url: /blog/\n")),
            "content/blog/x.md": "---\ntitle: X\ndate: 2021-01-01\n---\nx\n"}),
        with_page("page_alias_at_post", "is the address of another page",
                  "title: Mine\ndate: 2021-01-01\naliases: [/posts/a-post/]\n"),
        with_page("page_at_post_default_address", "same address",
                  "title: Mine\nurl: /posts/a-post/\n"),
        with_page("page_at_theme_static_file", "static file", "title: Mine\nurl: /style.css\n"),
        Case("renamed_post_keeps_its_url", None, {  # write removes the old page first
            "gallery.yaml": manifest(post(extra="    slug: new\n    url: /kept/\n")),
            "content/posts/old/index.md": old_page,
            "content/posts/old/.generated.json": json.dumps(
                {"files": {"index.md": hashlib.sha256(old_page.encode()).hexdigest()}})},
            ("content/posts/old/index.md", "content/posts/old/.generated.json")),
    ]


def _other_format_cases() -> list[Case]:
    """Front matter in TOML and JSON, and Hugo config files beside the manifest."""
    def page(text: str) -> dict[str, File]:
        return {"gallery.yaml": manifest(), "content/posts/mine/index.md": text}

    deep, digits = "[" * 100_000, "9" * 5000
    return [
        Case("toml_front_matter_deep", "not usable TOML", page(f"+++\nx = {deep}\n+++\nx\n")),
        Case("toml_front_matter_digits", "not usable TOML", page(f"+++\nx = {digits}\n+++\n")),
        Case("json_front_matter_deep", "not usable JSON", page(f'{{"x": {deep}\n')),
        Case("json_front_matter_digits", "not usable JSON", page(f'{{"x": {digits}}}\nx\n')),
        Case("config_yaml_merge_bomb", "expand", {
            "gallery.yaml": manifest(), "config.yaml": "x:\n" + merge_bomb(29)
            + "params: *a29\n"}),
        Case("config_yaml_recursive", "contains itself", {
            "gallery.yaml": manifest(), "config.yaml": "params: &p {<<: *p}\n"}),
        Case("config_yaml_bad_tag", "not a valid int", {
            "gallery.yaml": manifest(), "config.yaml": "paginate: !!int abc\n"}),
        Case("config_toml_deep", "RecursionError", {
            "gallery.yaml": manifest(), "hugo.toml": f"x = {deep}\n"}),
        Case("config_json_digits", "digits", {
            "gallery.yaml": manifest(), "hugo.json": f'{{"x": {digits}}}'}),
    ]


def _boundary_cases() -> list[Case]:
    """Paths and links leading out of the project (issue 7 §1: generator.boundaries)."""
    post_dir = "content/posts/a-post/"
    return [
        with_manifest("figure_outside_project", "outside the project", manifest(
            post(items="      - figure: ../outside/secret.png\n"))),
        with_manifest("figure_link_outside", "outside the project", manifest(
            post(items="      - figure: fig.png\n")), **{"fig.png": Link("../outside/secret.png")}),
        with_manifest("language_is_a_path", "language", manifest(
            head=HEAD + "  language: ../../outside/secret\n")),
        Case("page_link_outside", "outside", {
            "gallery.yaml": manifest(),
            "content/posts/leak/index.md": Link("../../../../outside/secret.txt")}),
        Case("images_folder_link_outside", "outside", {
            "gallery.yaml": manifest(), f"{post_dir}images": Link("../../../../outside")}),
        with_page("href_to_a_file_outside", None, body=(
            '<a href="../../../../outside/secret.txt">x</a> [y](../../../outside/secret.txt)')),
    ]


def all_cases() -> list[Case]:
    return [*_manifest_cases(), *_clash_cases(), *_content_cases(), *_tree_clash_cases(),
            *_other_format_cases(), *_boundary_cases()]
