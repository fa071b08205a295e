"""Run every benchmark module and print its report lines."""

from __future__ import annotations

import argparse
import compileall
import importlib
import importlib.util
import sys
import time
from pathlib import Path

import generator

# Each module exposes `run(quick: bool) -> list[str]`; modules not written yet are skipped.
MODULES = ("bench.site", "bench.rebuild", "bench.preview", "bench.hugo_sample",
           "bench.generation", "bench.cluster", "bench.gpu")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small inputs, one repetition")
    parser.add_argument("only", nargs="*", help="module names to run (default: all)")
    args = parser.parse_args(argv)
    # Our code byte-compiled once, as pip compiles a package it installs: where
    # PYTHONDONTWRITEBYTECODE is set (as on this project's machine), a module edited since its
    # last compile would otherwise be compiled again by every build measured.
    compileall.compile_dir(Path(generator.__file__).parent, quiet=1)
    for name in MODULES:
        if args.only and name.removeprefix("bench.") not in args.only:
            continue
        if importlib.util.find_spec(name) is None:
            print(f"== {name}: not present, skipped")
            continue
        started = time.perf_counter()
        print(f"== {name}", flush=True)
        for line in importlib.import_module(name).run(args.quick):
            print(line, flush=True)
        print(f"   ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
