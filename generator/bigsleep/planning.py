"""What each image job needs, judged against gallery.lock, and why.

A `Plan`'s `Action` is one of: GENERATE (missing, or what determines it changed), REUSE (the same,
but another lock record has the image of these very inputs: copy its files, see `reuse`), PICK
(up to date, but another candidate should be the image), CURRENT (nothing to do) or FOREIGN (the
file there was not written by the tool: it is the author's and is left alone). Plans are frozen:
a step that moves a plan on (a copy, a pick, a write) returns a new one. Planning reads files and
hashes; it needs neither CUDA nor the model weights (absent weights are simply not compared).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any

from generator.bigsleep.bundle import alternate, bundle_of, candidate_of, ours, progress_paths
from generator.bigsleep.lockfile import (
    ImageRecord,
    Lockfile,
    canonical_json,
    changed_keys,
    image_spec,
    sha256_text,
    spec_hash,
)
from generator.bigsleep.reuse import Source, same_inputs, usable
from generator.bigsleep.weight_files import missing_weights, model_paths, weights_hash
from generator.errors import GenerationError, Problem
from generator.fsutil import sha256_file
from generator.gallery.jobs import ImageJob
from generator.gallery.model import Manifest
from generator.gallery.ownership import Ownership
from generator.settings import GenerationSettings


class Action(Enum):
    """What a job needs."""

    GENERATE = "generate"
    REUSE = "reuse"
    PICK = "pick"
    CURRENT = "current"
    FOREIGN = "foreign"

    @property
    def needs_work(self) -> bool:
        """Whether the image is outdated: its files must be made, copied or swapped."""
        return self in (Action.GENERATE, Action.REUSE, Action.PICK)


@dataclass(frozen=True)
class Plan:
    """One job, what it needs, and why."""

    job: ImageJob
    key: str  # "<post slug>/<image name>", the lock key
    spec: dict[str, Any]
    inputs: str  # spec_hash(spec)
    record: ImageRecord | None
    image_prompt: Path | None  # the entry's image prompt file, if any
    action: Action = Action.GENERATE
    reason: str = ""
    current: int | None = None  # which candidate of `record` the image file is now
    conflicts: list[Problem] = field(default_factory=list)  # author's files in the way
    source: Source | None = None  # what "reuse" copies

    @property
    def settings(self) -> GenerationSettings:
        return self.job.entry.settings

    @property
    def seed(self) -> int:
        return int(self.spec["seed"])

    @property
    def wanted(self) -> int:
        """The candidate that should be the image: `pick`, else the most similar one."""
        if self.record is None:
            return self.settings.pick or 0
        return self.record.wanted(self.settings.pick)

    def task_hash(self, candidate: int, models: dict[str, str]) -> str:
        return sha256_text(canonical_json([self.inputs, models, candidate]))

    def now(self, action: Action, reason: str | None = None) -> Plan:
        """This plan moved on to `action` (keeping its reason unless a new one is given)."""
        return replace(self, action=action, reason=self.reason if reason is None else reason)


def plan_jobs(jobs: Iterable[ImageJob], lock: Lockfile, manifest: Manifest,
              models_dir: Path) -> list[Plan]:
    """A plan per job; a GenerationError with every entry's problem if any."""
    plans, problems = [], []
    for job in jobs:
        try:
            plans.append(_plan(job, lock, manifest, models_dir))
        except GenerationError as error:
            problems += error.problems
    if problems:
        raise GenerationError(problems)
    return plans


def _plan(job: ImageJob, lock: Lockfile, manifest: Manifest, models_dir: Path) -> Plan:
    entry, settings = job.entry, job.entry.settings
    if settings.pick is not None and settings.pick >= settings.candidates:
        raise GenerationError(Problem(
            manifest.path, entry.line, "pick",
            f"candidate {settings.pick} does not exist ({settings.candidates} candidate(s), "
            "numbered from 0)", "lower `pick`, or raise `candidates`"))
    image_prompt = _image_prompt(job, manifest)
    spec = image_spec(entry.prompt, settings,
                      image_prompt_hash=sha256_file(image_prompt) if image_prompt else None)
    key = f"{job.post.slug}/{entry.image}"
    record = lock.get(key)
    plan = Plan(job, key, spec, spec_hash(spec), record, image_prompt)
    existing = job.existing
    ownership = Ownership.load(bundle_of(job))
    if existing is None:
        plan = replace(plan, reason="not generated yet")
    elif not ours(ownership, existing, record):
        return plan.now(Action.FOREIGN, f"{existing.name} was not written by the tool")
    else:
        current = candidate_of(record, sha256_file(existing)) if record else None
        plan = replace(plan, current=current)
        plan = replace(plan, reason=_why_changed(plan, ownership, models_dir))
    if not plan.reason:
        return plan.now(Action.CURRENT if plan.current == plan.wanted else Action.PICK)
    source = _source(plan, lock, models_dir)
    return replace(plan, conflicts=_conflicts(plan, ownership, manifest), source=source,
                   action=Action.REUSE if source else Action.GENERATE)


def _source(plan: Plan, lock: Lockfile, models_dir: Path) -> Source | None:
    """The first other record of the same inputs whose files can be copied, if any."""
    others = same_inputs(lock, plan.key, plan.inputs)
    if not others:
        return None
    models = _model_hashes(plan.settings, models_dir)
    posts = bundle_of(plan.job).parent
    found = (usable(key, record, posts, models=models, pick=plan.settings.pick,
                    progress=plan.settings.progress) for key, record in others)
    return next((source for source in found if source), None)


def _conflicts(plan: Plan, ownership: Ownership, manifest: Manifest) -> list[Problem]:
    """The author's files where generating `plan` would write an alternate or a strip."""
    bundle, name = bundle_of(plan.job), plan.job.entry.image
    targets = [alternate(bundle, name, i) for i in range(plan.settings.candidates)]
    targets += list(progress_paths(plan.job)) if plan.settings.progress else []
    return [
        Problem(manifest.path, plan.job.entry.line, plan.key,
                f"{path} exists and was not written by the tool; generating would overwrite it",
                "move or rename it (or set `image:` to another name); the tool never "
                "overwrites your files")
        for path in targets if path.exists() and not ours(ownership, path, plan.record)
    ]


def _why_changed(plan: Plan, ownership: Ownership, models_dir: Path) -> str:
    """Why the tool's image of `plan` must be made again ("" when it need not)."""
    record, settings = plan.record, plan.settings
    if record is None:
        return "no record in gallery.lock"
    if record.inputs != plan.inputs:
        return ", ".join(changed_keys(record.spec, plan.spec)) + " changed"
    models = _model_hashes(settings, models_dir)
    stale = sorted(name for name, digest in models.items() if record.models.get(name) != digest)
    if stale:
        return " and ".join(stale) + " weights changed"
    if plan.current is None or _stale_alternates(plan, ownership):
        return "an earlier run stopped before finishing it"
    if settings.progress and not all(p.exists() for p in progress_paths(plan.job)):
        return "progress files missing"
    return ""


def _stale_alternates(plan: Plan, ownership: Ownership) -> bool:
    """Whether an alternate the tool wrote is not the candidate the lock says it is.

    (Alternates deleted by the author are not remade; `pick` of one regenerates.)
    """
    assert plan.record is not None
    bundle = bundle_of(plan.job)
    for index, candidate in enumerate(plan.record.candidates):
        path = alternate(bundle, plan.job.entry.image, index)
        if index != plan.current and ownership.owns(path) and sha256_file(path) != candidate.sha256:
            return True
    return False


def _image_prompt(job: ImageJob, manifest: Manifest) -> Path | None:
    name = job.entry.settings.image_prompt
    if name is None:
        return None
    path = manifest.root / name
    if not path.is_file():
        raise GenerationError(Problem(manifest.path, job.entry.line, "image_prompt",
                                      f"{path} does not exist", "fix the path (relative to "
                                      "gallery.yaml) or remove image_prompt"))
    return path


def _model_hashes(settings: GenerationSettings, models_dir: Path) -> dict[str, str]:
    """Hashes of the weights present here (absent weights cannot be compared)."""
    clip_path, biggan_path = model_paths(settings, models_dir)
    missing = {problem.key for problem in missing_weights(clip_path, biggan_path)}
    return {name: weights_hash(path) for name, path in
            (("clip", clip_path), ("biggan", biggan_path)) if name not in missing}
