"""The gallery side: gallery.yaml -> a checked model -> Markdown page bundles in `content/`.

`load` reads the manifest (`yamlnodes`, `schema`, `crosschecks`) into the `model`, naming images
and posts with `slugs`; `writer` writes each post's bundle, recording what it owns in `ownership`
so an author's file is never overwritten; `jobs` lists the entry images a site needs, the seat
an image generator plugs into. Never imports `generator.site.build` or `generator.bigsleep`.
"""
