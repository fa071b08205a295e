r"""A seed-like content tree (page bundles with BigSleep-sized images) and a Hugo project for it.

Posts follow the seed's format: YAML front matter with Cyrillic tags, then per entry
`{{<img src="images/NAME">}}`, a `<center>_**Title** -- comment_</center>` caption and `\`
spacer paragraphs. Images are noisy textures (like BigSleep output, unlike flat test colours,
which would make encoding unrealistically cheap), each with different bytes.
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageFilter

FRONT_MATTER = """---
title: "Bench post {n}"
subtitle: "Ну, в смысле, с картиночками"
date: 2021-{month:02d}-{day:02d}T15:00:00+03:00
draft: false
author: Bench
url: "/2021/bench-post-{n}/"
categories:
  - Технологии
tags:
  - Шитпостинг
  - Технологии
  - tag{n}
---

Intro paragraph with a footnote[^mark{n}] -- and an en dash.

\\
"""

ENTRY = """
{{{{<img src="images/{name}">}}}}
<center>_**Game {post} {i}** -- a comment about image {i}_</center>


\\
\\

"""


def texture(size: int) -> Image.Image:
    """A texture-rich RGB image twice `size` wide: blurred coloured noise."""
    channels = [Image.effect_noise((2 * size, 2 * size), 60) for _ in range(3)]
    return Image.merge("RGB", channels).filter(ImageFilter.GaussianBlur(1.5))


def unique_image(base: Image.Image, size: int, rng: random.Random) -> Image.Image:
    """A `size` square crop of `base` at a random offset with a random tint: unique bytes."""
    x, y = rng.randrange(size), rng.randrange(size)
    crop = base.crop((x, y, x + size, y + size))
    tint = Image.new("RGB", (size, size), tuple(rng.randrange(256) for _ in range(3)))
    return Image.blend(crop, tint, 0.35)


def write_content(content: Path, posts: int, images: int, size: int) -> int:
    """Write `posts` page bundles of `images` PNG images each; returns the number of images."""
    rng = random.Random(1)
    base = texture(size)
    for n in range(1, posts + 1):
        bundle = content / "posts" / f"bench-post-{n}"
        (bundle / "images").mkdir(parents=True)
        # valid dates for any number of posts (day n of March broke past 31 posts)
        body = [FRONT_MATTER.format(n=n, month=1 + (n - 1) // 28 % 12, day=1 + (n - 1) % 28)]
        for i in range(1, images + 1):
            name = f"game_{n}_{i}"
            unique_image(base, size, rng).save(bundle / "images" / f"{name}.png", compress_level=1)
            body.append(ENTRY.format(name=name, post=n, i=i))
        body.append(f"\n[^mark{n}]: The footnote of post {n}.\n")
        (bundle / "index.md").write_text("".join(body), encoding="utf-8")
    return posts * images


HUGO_CONFIG = """baseURL = "https://example.org/"
title = "Bench"
languageCode = "ru"
contentDir = "{content}"
disableKinds = []
[pagination]
pagerSize = 10
[taxonomies]
category = "categories"
tag = "tags"
[markup.goldmark.renderer]
unsafe = true
[markup.goldmark.extensions]
typographer = true
[imaging]
resampleFilter = "Lanczos"
quality = 85
"""

BASEOF = """<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>{{ .Title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>{{ block "main" . }}{{ end }}</main></body></html>
"""

LIST = """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ range .Paginator.Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p>{{ .Summary }}</p></article>{{ end }}
{{ end }}
"""

SINGLE = """{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p>{{ .Params.subtitle }}</p>{{ .Content }}
<p>{{ range .GetTerms "tags" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>
</article>{{ end }}
"""

# The same variants as generator/images.py: WebP q82 and JPEG q85 per width below the
# original, plus the original width; <picture> with srcset, width/height, link to the original.
IMG_SHORTCODE = """{{- $img := .Page.Resources.GetMatch (printf "%s.*" (.Get "src")) -}}
{{- if not $img }}{{ errorf "img %q not found in %s" (.Get "src") .Page.File.Path }}{{ end -}}
{{- $webp := slice -}}{{- $jpg := slice -}}
{{- range (slice WIDTHS) -}}{{- if lt . $img.Width -}}
{{- $w := $img.Resize (printf "%dx webp q82" .) -}}
{{- $j := $img.Resize (printf "%dx jpg q85" .) -}}
{{- $webp = $webp | append (printf "%s %dw" $w.RelPermalink .) -}}
{{- $jpg = $jpg | append (printf "%s %dw" $j.RelPermalink .) -}}
{{- end -}}{{- end -}}
{{- $full := $img.Process "jpg q85" -}}
{{- $webp = $webp | append (printf "%s %dw" ($img.Process "webp q82").RelPermalink $img.Width) -}}
{{- $jpg = $jpg | append (printf "%s %dw" $full.RelPermalink $img.Width) -}}
<figure><a href="{{ $img.RelPermalink }}"><picture>
<source type="image/webp" srcset="{{ delimit $webp ", " }}">
<img src="{{ $full.RelPermalink }}" srcset="{{ delimit $jpg ", " }}" width="{{ $img.Width }}"
 height="{{ $img.Height }}" loading="lazy" alt=""></picture></a></figure>
"""

PLAIN_IMG_SHORTCODE = """{{- $img := .Page.Resources.GetMatch (printf "%s.*" (.Get "src")) -}}
<figure><a href="{{ $img.RelPermalink }}"><img src="{{ $img.RelPermalink }}"
 width="{{ $img.Width }}" height="{{ $img.Height }}" loading="lazy" alt=""></a></figure>
"""


def write_hugo_project(project: Path, content: Path, widths: tuple[int, ...], resize: bool) -> None:
    """A minimal Hugo site over `content` whose `img` shortcode makes our variants (or none)."""
    layouts = project / "layouts"
    (layouts / "_shortcodes").mkdir(parents=True)
    (project / "hugo.toml").write_text(HUGO_CONFIG.format(content=content.resolve()))
    (layouts / "baseof.html").write_text(BASEOF)
    for name in ("home", "section", "taxonomy", "term"):
        (layouts / f"{name}.html").write_text(LIST)
    (layouts / "page.html").write_text(SINGLE)
    shortcode = IMG_SHORTCODE.replace("WIDTHS", " ".join(map(str, widths)))
    (layouts / "_shortcodes" / "img.html").write_text(shortcode if resize else PLAIN_IMG_SHORTCODE)
