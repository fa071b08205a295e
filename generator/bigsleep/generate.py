"""The BigSleep image step: which images are outdated, and making them, batched and resumable.

`BigSleepGenerator` plugs into the pipeline as its `ImageGenerator`:

- `outdated(jobs)` compares every entry with gallery.lock (see `planning`): an image is remade
  when it is missing or what determines it changed; an image the author replaced by hand is theirs
  and is never touched (reported, skipped). When another lock record was made from the same
  inputs and its files are still there (a renamed post, a moved entry), they are reused instead.
- `generate(jobs)` holds the run lock, copies the reused files (no device, no models: this works
  on a machine without CUDA or weights), applies `pick` changes by swapping files (`outputs`),
  turns each remaining job into `candidates` optimiser tasks (seeds seed, seed+1, ...) - one job
  per distinct inputs, the others then reuse its files - runs them in
  batches with a progress bar (`batches`), checkpointing into .cache/generation/ so a new run
  resumes there (`resume`), and writes each entry's image, alternates and progress files
  atomically into its bundle as soon as its candidates are done, moving any image it replaces to
  <bundle>/replaced/ (`outputs`).

    BigSleepGenerator(manifest, models_dir=None, device=None, batch_size=None, wait=True,
                      cache_dir=None, out=None, cluster=None, gpu_share=1.0)

`device`: None = CUDA, or a GenerationError saying what to run when there is none; "cpu" only when
asked (prints an estimate first; see `device`). `batch_size`: None = the entries' `batch_size`,
else fitted to free GPU memory. `wait`: queue behind another run on the same manifest, or stop.
`cache_dir`: default .cache/generation/ beside gallery.yaml. `out`: where messages and progress
bars go (stderr by default). `cluster`: a Ray address ("local", "ray://HOST:PORT") whose workers,
`gpu_share` of a GPU each, run the batches instead of this machine (see `cluster`); this process
still writes every file.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from generator.bigsleep.bundle import bundle_of
from generator.bigsleep.device import choose_device
from generator.bigsleep.lockfile import LOCK_NAME, Lockfile
from generator.bigsleep.planning import Action, Plan, plan_jobs
from generator.bigsleep.weight_files import (
    default_models_dir,
    missing_weights,
    model_paths,
    models_key,
    weights_hash,
)
from generator.errors import GenerationError, Problem
from generator.gallery.jobs import ImageJob
from generator.gallery.model import Manifest
from generator.runlock import run_lock
from generator.settings import GenerationSettings

if TYPE_CHECKING:  # torch and the modules using it are imported when there is work to do
    import torch

    from generator.bigsleep.cluster import WorkerPool
    from generator.bigsleep.models import Models
    from generator.bigsleep.resume import Checkpoints, Results

class BigSleepGenerator:
    """The pipeline's image generator: BigSleep over the manifest's entries."""

    def __init__(self, manifest: Manifest, *, models_dir: Path | None = None,
                 device: str | None = None, batch_size: int | None = None, wait: bool = True,
                 cache_dir: Path | None = None, out: TextIO | None = None,
                 cluster: str | None = None, gpu_share: float = 1.0) -> None:
        self.manifest = manifest
        self.given_models_dir = models_dir
        self.models_dir = models_dir or default_models_dir()
        self.requested_device = device
        self.batch_size = batch_size
        self.wait = wait
        self.cache_dir = cache_dir or manifest.root / ".cache" / "generation"
        self.out = out or sys.stderr
        self.lock_path = manifest.root / LOCK_NAME
        self.cluster = cluster
        self.gpu_share = gpu_share
        self.pool: WorkerPool | None = None  # the cluster's workers, while a cluster run lasts
        self._storage: tuple[Checkpoints, Results] | None = None

    @property
    def checkpoints(self) -> Checkpoints:
        """Optimiser state of running batches (.cache/generation/*.pt)."""
        return self._stores()[0]

    @property
    def results(self) -> Results:
        """Finished candidates whose entries are not written yet (.cache/generation/done/)."""
        return self._stores()[1]

    def _stores(self) -> tuple[Checkpoints, Results]:
        """.cache/generation/ here, or through the cluster's checkpoint store during its run."""
        if self._storage is None:
            from generator.bigsleep.resume import Checkpoints, Results

            self._storage = Checkpoints(self.cache_dir), Results(self.cache_dir)
        return self._storage

    # -- ImageGenerator --------------------------------------------------------------------------

    def outdated(self, jobs: Sequence[ImageJob]) -> list[ImageJob]:
        plans = plan_jobs(jobs, Lockfile.load(self.lock_path), self.manifest, self.models_dir)
        for plan in plans:
            if plan.action is Action.FOREIGN:
                self._say(f"images: {plan.key}: {plan.reason}; left as it is")
        return [plan.job for plan in plans if plan.action.needs_work]

    def generate(self, jobs: Sequence[ImageJob]) -> None:
        with run_lock(self.cache_dir / "lock", wait=self.wait, out=self.out) as waited:
            lock = Lockfile.load(self.lock_path)  # another run may have changed it meanwhile
            plans = plan_jobs(jobs, lock, self.manifest, self.models_dir)
            if waited and not any(plan.action.needs_work for plan in plans):
                self._say(f"images: the run waited for made all {len(plans)} meanwhile; "
                          "nothing left to do")
                return
            conflicts = [problem for plan in plans
                         if plan.action in (Action.GENERATE, Action.REUSE)
                         for problem in plan.conflicts]
            if conflicts:  # before any optimising, not when the files are written
                raise GenerationError(conflicts)
            plans = self._reuse(plans, lock)  # first: a pick or a new image may change a source
            plans = [self._pick(plan, lock) if plan.action is Action.PICK else plan
                     for plan in plans]
            todo = [plan for plan in plans if plan.action is Action.GENERATE]
            if todo:
                self._generate_distinct(todo, lock)
            self._retire_renamed(jobs, lock)

    # -- reuse -----------------------------------------------------------------------------------

    def _reuse(self, plans: Sequence[Plan], lock: Lockfile) -> list[Plan]:
        """Copy the files of every REUSE plan from its source (no device, no models); returns
        the plans, those copied now current."""
        from generator.bigsleep.outputs import copy_entry

        moved = []
        for plan in plans:
            if plan.action is Action.REUSE and plan.source:
                copy_entry(plan, lock)
                plan = plan.now(Action.CURRENT)
                self._say(f"images: {plan.key}: reused from {plan.source.key} "
                          "(same prompt and settings)")
            moved.append(plan)
        return moved

    def _pick(self, plan: Plan, lock: Lockfile) -> Plan:
        """Make candidate `plan.wanted` the image, from its alternate file."""
        from generator.bigsleep.outputs import apply_pick

        picked = apply_pick(plan, lock)
        if picked.action is Action.CURRENT:
            self._say(f"images: {plan.key}: candidate {plan.wanted} is now the image")
        return picked

    def _generate_distinct(self, plans: list[Plan], lock: Lockfile) -> None:
        """Generate one plan per distinct inputs; the others reuse its files once written."""
        leaders: dict[str, Plan] = {}
        for plan in plans:  # a leader with progress files, if any plan needs them
            leader = leaders.get(plan.inputs)
            if leader is None or (plan.settings.progress and not leader.settings.progress):
                leaders[plan.inputs] = plan
        first = list(leaders.values())
        with self._devices(first) as device:
            self._generate(first, lock, device)
            again = [plan.job for plan in plans if all(plan is not leader for leader in first)]
            if again:
                replanned = plan_jobs(again, lock, self.manifest, self.models_dir)
                rest = [plan for plan in self._reuse(replanned, lock)
                        if plan.action is Action.GENERATE]
                if rest:
                    self._generate(rest, lock, device)
            self._drop_stale()

    @contextmanager
    def _devices(self, plans: list[Plan]) -> Iterator[torch.device | None]:
        """This machine's device; or, with a cluster, its workers (yielding None) and their
        checkpoint store as the cache, until the run ends."""
        if not self.cluster:
            yield choose_device(self.requested_device, plans, self.manifest.path, self._say,
                                self.models_dir)
            return
        from generator.bigsleep.cluster import worker_pool

        with worker_pool(self.cluster, self.cache_dir, device=self.requested_device,
                         models_dir=self.given_models_dir, batch_size=self.batch_size,
                         gpu_share=self.gpu_share, out=self.out) as pool:
            self.pool, self._storage = pool, (pool.checkpoints, pool.results)
            try:
                yield None
            finally:
                self.pool, self._storage = None, None

    # -- generation ------------------------------------------------------------------------------

    def _generate(self, plans: list[Plan], lock: Lockfile, device: torch.device | None) -> None:
        """Generate `plans`, loading each set of models once (here, or once per worker), the
        named ones fetched first if this machine does not have them yet."""
        from generator.bigsleep.models import load_models
        from generator.bigsleep.weights import fetch_missing_weights

        groups: dict[str, list[Plan]] = {}
        for plan in plans:
            self._say(f"images: {plan.key}: {plan.reason}")
            groups.setdefault(models_key(plan.settings), []).append(plan)
        for group in groups.values():
            fetch_missing_weights(group[0].settings, self.models_dir, self.out)
            if self.pool is not None:
                self._run_on_cluster(group, self._weights_hashes(group[0].settings), lock)
                continue
            assert device is not None
            models = load_models(group[0].settings, self.models_dir, device)
            hashes = {"clip": models.clip_hash, "biggan": models.biggan_hash}
            self._run_group(group, models, hashes, lock, device)

    def _run_group(self, plans: list[Plan], models: Models, hashes: dict[str, str], lock: Lockfile,
                   device: torch.device) -> None:
        """Optimise every candidate of `plans` (one set of models), writing entries as they end."""
        from generator.bigsleep.batches import (
            NonFiniteError,
            make_batches,
            pending_tasks,
            run_batch,
        )

        # candidates finished by an interrupted run first, then after every batch
        unwritten = [plan for plan in plans if not self._finish(plan, hashes, lock)]
        work = pending_tasks(unwritten, hashes, self.results)
        batches = make_batches(work, self.batch_size, models, device)
        problems: list[Problem] = []
        for number, batch in enumerate(batches, 1):
            try:
                run_batch(batch, models, device, f"batch {number}/{len(batches)}",
                          self.checkpoints, self.results, self.out)
            except NonFiniteError as error:  # those tasks stop; the others went on
                problems += [self._non_finite(stopped.key, stopped.iteration, plans, hashes)
                             for stopped in error.stopped]
            unwritten = [plan for plan in unwritten if not self._finish(plan, hashes, lock)]
        if problems:
            raise GenerationError(problems)

    def _run_on_cluster(self, plans: list[Plan], hashes: dict[str, str], lock: Lockfile) -> None:
        """`_run_group` on the cluster's workers; entries are written here as batches end."""
        from generator.bigsleep.batches import pending_tasks

        assert self.pool is not None
        unwritten = [plan for plan in plans if not self._finish(plan, hashes, lock)]
        work = pending_tasks(unwritten, hashes, self.results)

        def write_finished() -> None:
            nonlocal unwritten
            unwritten = [plan for plan in unwritten if not self._finish(plan, hashes, lock)]

        stopped = self.pool.run(plans[0].settings, work, hashes, write_finished)
        if stopped:
            raise GenerationError([self._non_finite(task.key, task.iteration, plans, hashes)
                                   for task in stopped])

    def _weights_hashes(self, settings: GenerationSettings) -> dict[str, str]:
        """The hashes of the driver's weights files, which every worker's must equal."""
        clip_path, biggan_path = model_paths(settings, self.models_dir)
        missing = missing_weights(clip_path, biggan_path)
        if missing:
            raise GenerationError(missing)
        return {"clip": weights_hash(clip_path), "biggan": weights_hash(biggan_path)}

    def _non_finite(self, key: str, iteration: int, plans: list[Plan],
                    hashes: dict[str, str]) -> Problem:
        """The problem of a task whose numbers went NaN or infinite, at its entry."""
        plan, candidate = next((plan, candidate) for plan in plans
                               for candidate in range(plan.settings.candidates)
                               if plan.task_hash(candidate, hashes) == key)
        which = f"candidate {candidate}" if plan.settings.candidates > 1 else "the image"
        return Problem(
            self.manifest.path, plan.job.entry.line, plan.key,
            f"{which} stopped at iteration {iteration}: its similarity or image became NaN or "
            "infinite (nothing was written or recorded for it)",
            "check the weights with `make weights`, or change `lr`, `class_temperature` or "
            f"`seed`; its checkpoint is kept in {self.cache_dir} for inspection")

    def _finish(self, plan: Plan, hashes: dict[str, str], lock: Lockfile) -> bool:
        """Write `plan`'s files once every candidate is done; whether they are written."""
        from generator.bigsleep.outputs import write_entry

        keys = [plan.task_hash(candidate, hashes) for candidate in range(plan.settings.candidates)]
        results = self.results.load_all(keys)
        if results is None:
            return False
        chosen = write_entry(plan, results, hashes, lock)
        self.results.drop(keys)
        self._say(f"images: {plan.key}: written (similarity {results[chosen].similarity:.3f}"
                  + (f", candidate {chosen} of {len(results)})" if len(results) > 1 else ")"))
        return True

    def _retire_renamed(self, jobs: Sequence[ImageJob], lock: Lockfile) -> None:
        """Move the tool's images no entry of their post names any more (a prompt edit renamed
        the image, an entry was removed) to the post's replaced/ folder, forgetting their
        records; only in the posts of `jobs`, whose bundles this run has in hand."""
        from generator.bigsleep.outputs import retire_entry

        named = {f"{post.slug}/{entry.image}" for post in self.manifest.posts
                 for entry in post.entries}
        bundles = {job.post.slug: bundle_of(job) for job in jobs}
        for key in sorted(lock.records):
            slug, _, name = key.rpartition("/")
            if key not in named and slug in bundles:
                moved = retire_entry(bundles[slug], name, lock.records[key])
                del lock.records[key]
                lock.save()
                if moved:
                    self._say(f"images: {key}: no entry names it any more; moved to "
                              f"{slug}/replaced/")

    def _drop_stale(self) -> None:
        """After a complete run, what is left in the cache belongs to inputs since changed."""
        self.checkpoints.clear()
        self.results.clear()

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)
