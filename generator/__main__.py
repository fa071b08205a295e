"""`python -m generator`: the command line. A build first asks the project's resident builder
(`generator.resident.client.quick`), before the command line's own modules are imported; a
build run here ends the process as soon as its output is out (`cli.end_now`)."""

import sys

from generator.resident.client import quick

status = quick(sys.argv[1:])
if status is None:
    from generator.cli import main

    status = main(ending=True)
raise SystemExit(status)
