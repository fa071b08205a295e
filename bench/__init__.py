"""Benchmarks: `python -m bench [--quick]` prints measurements against baselines, as ratios.

Every module listed in `bench.__main__.MODULES` exposes `run(quick: bool) -> list[str]` and
measures its baseline in the same run, so the ratios compare like with like on this machine.
"""
