"""The site side: any Hugo-style content tree -> a static site in an output folder.

`build` is the pipeline: `content` reads the pages, `urls` gives each its address, `markdown/`
renders the bodies with `shortcodes` (`figures` for `img` and `figure`, `refs` for `ref` and
`relref`), `images` makes the resized variants, `listings` and `feeds` the lists, taxonomies,
RSS and sitemap, `theme` and `i18n` the templates and UI strings, `output` writes the files;
`serve` is the preview server (`preview` its state between threads, `early` the pages an edit
shows before its rebuild, `warm` what it keeps between rebuilds, `watch` its wake-ups). Never
imports `generator.gallery` or `generator.bigsleep`: it
needs neither the manifest nor torch.
"""
