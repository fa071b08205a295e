"""Time and peak memory of one child process, and the statistics the reports print."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    """One run of a command: wall seconds, CPU seconds (user+sys), peak RSS in MiB, output."""

    seconds: float
    cpu: float
    peak_mib: float
    output: str = ""


def run_measured(command: Sequence[str], cwd: Path | None = None) -> Sample:
    """Run `command` to completion; its own rusage (os.wait4), not that of earlier children.

    A child's peak RSS as the kernel reports it is at least its parent's when it was started
    (the memory it ran in until exec counts), so a bench process grown big would floor every
    sample. Where GNU time is installed, the command runs under it, a small process, and its
    peak is the one GNU time reports; wall and CPU time still come from here."""
    gnu_time = shutil.which("time") if sys.platform == "linux" else None  # BSD's has no -f
    with tempfile.NamedTemporaryFile("r", prefix="bench-peak-", suffix=".txt") as peak:
        wrapped = [gnu_time, "-f", "%M", "-o", peak.name, *command] if gnu_time else command
        started = time.perf_counter()
        process = subprocess.Popen(
            list(wrapped), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        output = process.stdout.read() if process.stdout else b""
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{output.decode(errors='replace')}")
        peak_kib = int(peak.read().split()[-1]) if gnu_time else usage.ru_maxrss
    text = output.decode(errors="replace").strip()
    return Sample(seconds, usage.ru_utime + usage.ru_stime, peak_kib / 1024, text)


def process_usage(pid: int) -> tuple[float, float]:
    """CPU seconds (user+sys) and peak RSS in MiB of a running process of another parent (Linux's
    /proc): the resident builder's share of the builds it answers."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    return cpu, peak_kib / 1024


def median(samples: Sequence[Sample]) -> Sample:
    """The per-field median of repeated runs (and the last run's output)."""
    return Sample(
        statistics.median(s.seconds for s in samples),
        statistics.median(s.cpu for s in samples),
        statistics.median(s.peak_mib for s in samples),
        samples[-1].output,
    )


def compare(label: str, ours: Sample, base: Sample, base_name: str) -> str:
    """One report line: our numbers, the baseline's, and ours/baseline ratios."""
    return (
        f"{label:<28} ours {ours.seconds:6.2f} s {ours.cpu:6.2f} cpu-s {ours.peak_mib:6.0f} MiB"
        f" | {base_name} {base.seconds:6.2f} s {base.cpu:6.2f} cpu-s {base.peak_mib:6.0f} MiB"
        f" | ratio time {ours.seconds / base.seconds:5.2f}x"
        f" cpu {ours.cpu / max(base.cpu, 1e-9):5.2f}x mem {ours.peak_mib / base.peak_mib:5.2f}x"
    )
