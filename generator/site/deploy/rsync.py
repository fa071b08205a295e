"""rsync target: a local folder, `host:path` or `rsync://host/module/path`.

The destination becomes an exact copy of the site (`--delete`, compared by checksum). `--` is
always passed before the paths, so no destination is read as an option, and after copying a
second, dry comparison must find nothing left to change: a deploy that copied nothing does not
pass for one that succeeded.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from generator.errors import DeployError, Problem
from generator.site.deploy.destination import InvalidDestination, Outcome, Say

# --8-bit-output: names as they are (tags/технологии/), not escaped, in the itemized changes
OPTIONS = ("--archive", "--delete", "--checksum", "--itemize-changes", "--8-bit-output")


@dataclass(frozen=True)
class RsyncTarget:
    """Where rsync copies to: `local` is set (absolute) when the destination is on this machine."""

    text: str
    local: Path | None

    @property
    def argument(self) -> str:
        """The destination as rsync is given it: a folder, with its trailing slash."""
        return f"{self.local}/" if self.local is not None else self.text

    def publish(self, site: Path, *, dry_run: bool, say: Say) -> Outcome:
        """Make the destination an exact copy of `site`, deleting what the site no longer has,
        as `make deploy` always did."""
        if shutil.which("rsync") is None:
            raise DeployError(Problem(self.text, None, None, "rsync is not installed",
                                      "install rsync (apt-get install rsync) and run again"))
        changes = self._rsync(site, dry_run=dry_run)
        outcome = Outcome(
            changed=[line[12:] for line in changes if line[:1] in "<>c" and line[1:2] == "f"],
            deleted=[line[12:] for line in changes if line.startswith("*deleting")])
        for line in changes:
            say(f"deploy: {line}")
        if not dry_run:
            left = self._rsync(site, dry_run=True)
            if left:
                raise DeployError(Problem(self.text, None, None,
                                          f"the destination still differs from the site after "
                                          f"copying ({len(left)} difference(s), e.g. {left[0]})",
                                          "check the destination is writable and run again"))
        return outcome

    def _rsync(self, site: Path, *, dry_run: bool) -> list[str]:
        """rsync's itemized changes (one line per file or folder), raising on failure."""
        command = ["rsync", *OPTIONS, *(["--dry-run"] if dry_run else []), "--",
                   f"{site}/", self.argument]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            detail = result.stderr.strip().splitlines()
            raise DeployError(Problem(self.text, None, None,
                                      f"rsync failed (exit {result.returncode}): "
                                      f"{detail[0] if detail else 'no message'}",
                                      "check the destination exists and is reachable and "
                                      "writable"))
        return [line for line in result.stdout.splitlines()
                if line and not line.startswith(".d")]  # folders whose times alone differ


def parse(text: str, base: Path) -> RsyncTarget:
    """`text` as an rsync destination; a relative local folder is taken relative to `base`."""
    if _is_remote(text):
        return RsyncTarget(text, None)
    if not text.strip():
        raise InvalidDestination("the deploy destination is empty",
                                 "name a folder, host:path, s3://bucket or git+ssh://host/repo")
    try:
        return RsyncTarget(text, Path(base, text).resolve())
    except (OSError, RuntimeError) as error:  # a loop of symbolic links
        raise InvalidDestination(f"{text!r} cannot be resolved ({error})",
                                 "name a folder that exists or can be created") from error


def _is_remote(text: str) -> bool:
    """rsync's own rule: `rsync://...`, or a colon before the first slash (`host:path`)."""
    before_slash = text.split("/", 1)[0]
    return text.startswith("rsync://") or ":" in before_slash
