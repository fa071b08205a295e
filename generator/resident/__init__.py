"""The resident builder: one process per project that keeps the site's parsed pages, rendered
bodies and Jinja2 templates in memory between `make build`s, as Gradle's daemon does.

A build in a process of its own pays Python's start-up and imports (jinja2, markdown-it, yaml and
the renderer: 0.2 s) and reads back what the last build kept on disk, before it does the work of
the edit; at 20 posts that is three quarters of a rebuild. `make build` and `make draft` first
ask the project's resident builder, through a Unix socket in .cache/ (`protocol`), to run the
command for them (`client`): the builder runs the same command with the same options in its
process (`server`), holding the same site lock, with `warm.WarmCaches` kept from its last build,
and sends back the output and exit status. Every cache entry is keyed by what it is made from,
so the site is byte for byte what a build of its own makes.

When no builder answers, the command builds in its own process as before and then starts one,
which leaves after an hour without a build, when its code or libraries change (it is asked
with a stamp of them), or when its socket is removed (`make clean`). `--no-resident`, or
GALLERY_RESIDENT=0 in the environment (and CI), builds without one.
"""
