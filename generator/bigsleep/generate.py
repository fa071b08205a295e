"""The BigSleep image step: which images are outdated, and making them, batched and resumable.

`BigSleepGenerator` plugs into the pipeline as its `ImageGenerator`:

- `outdated(jobs)` compares every entry with gallery.lock (see `lockfile`): an image is remade
  when it is missing or what determines it changed; an image the author replaced by hand is theirs
  and is never touched (reported, skipped).
- `generate(jobs)` holds the run lock, turns each job into `candidates` optimiser tasks (seeds
  seed, seed+1, ...), groups compatible tasks into batches, runs each batch with a progress bar,
  checkpoints every `checkpoint_every` iterations into .cache/generation/ (a new run resumes
  there), and writes the chosen image, the alternates and the progress pictures atomically into the
  bundle, moving any image it replaces to <bundle>/replaced/.

    BigSleepGenerator(manifest, models_dir=None, device=None, batch_size=None, wait=True,
                      cache_dir=None, out=None)

`device`: None = CUDA, or a GenerationError saying what to run when there is none; "cpu" only when
asked (prints an estimate first). `batch_size`: None = the entries' `batch_size`, else fitted to
free GPU memory. `wait`: queue behind another run on the same manifest, or stop. `cache_dir`:
default .cache/generation/ beside gallery.yaml. `out`: where messages and progress bars go
(stderr by default).
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import torch
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from tqdm import tqdm

from generator import __version__
from generator.bigsleep import frames as pictures
from generator.bigsleep.lockfile import (
    LOCK_NAME,
    Candidate,
    ImageRecord,
    Lockfile,
    canonical_json,
    changed_keys,
    image_spec,
    sha256_text,
    spec_hash,
)
from generator.bigsleep.models import load_models, model_paths
from generator.bigsleep.optimiser import BatchOptimiser, Task, fit_batch_size
from generator.bigsleep.runlock import run_lock
from generator.bigsleep.weights import checkpoint_hash, default_models_dir
from generator.errors import GenerationError, Problem
from generator.fsutil import atomic_copy, atomic_write_bytes, sha256_file
from generator.gallery import Manifest
from generator.imagestep import ImageJob
from generator.ownership import Ownership
from generator.settings import GenerationSettings

CPU_SECONDS_PER_ITERATION = (5 / 3, 1 / 6)  # at 256 px on 2 cores: 3 s with 8 cutouts, 7 with 32
CHECKPOINT_VERSION = 1
BIGGAN_FILES = ("config.json", "pytorch_model.bin")


# --- what one job needs -------------------------------------------------------------------------

@dataclass
class Plan:
    """One outdated (or up-to-date) job, with why."""

    job: ImageJob
    key: str  # "<post slug>/<image name>", the lock key
    spec: dict[str, Any]
    inputs: str  # spec_hash(spec)
    record: ImageRecord | None
    action: str  # "current", "foreign", "generate" or "pick"
    reason: str = ""

    @property
    def settings(self) -> GenerationSettings:
        return self.job.entry.settings

    @property
    def seed(self) -> int:
        return int(self.spec["seed"])

    def task_hash(self, candidate: int, models: dict[str, str]) -> str:
        return sha256_text(canonical_json([self.inputs, models, candidate]))


@dataclass
class TaskResult:
    """A finished candidate, kept in .cache/generation/done/ until its entry is written."""

    png: bytes
    similarity: float
    frames: list[tuple[int, bytes]] = field(default_factory=list)  # (iteration, PNG)


# --- the generator ------------------------------------------------------------------------------

class BigSleepGenerator:
    """The pipeline's image generator: BigSleep over the manifest's entries."""

    def __init__(self, manifest: Manifest, *, models_dir: Path | None = None,
                 device: str | None = None, batch_size: int | None = None, wait: bool = True,
                 cache_dir: Path | None = None, out: TextIO | None = None) -> None:
        self.manifest = manifest
        self.models_dir = models_dir or default_models_dir()
        self.requested_device = device
        self.batch_size = batch_size
        self.wait = wait
        self.cache_dir = cache_dir or manifest.root / ".cache" / "generation"
        self.out = out or sys.stderr
        self.lock_path = manifest.root / LOCK_NAME

    # -- ImageGenerator --------------------------------------------------------------------------

    def outdated(self, jobs: Sequence[ImageJob]) -> list[ImageJob]:
        plans = self._plans(jobs, Lockfile.load(self.lock_path))
        for plan in plans:
            if plan.action == "foreign":
                self._say(f"images: {plan.key}: {plan.reason}; left as it is")
        return [plan.job for plan in plans if plan.action in ("generate", "pick")]

    def generate(self, jobs: Sequence[ImageJob]) -> None:
        with run_lock(self.cache_dir / "lock", wait=self.wait, out=self.out):
            lock = Lockfile.load(self.lock_path)  # another run may have changed it meanwhile
            plans = self._plans(jobs, lock)
            for plan in plans:
                if plan.action == "pick":
                    self._apply_pick(plan, lock)
            todo = [plan for plan in plans if plan.action == "generate"]
            if todo:
                self._generate(todo, lock, self._device(todo))
                self._drop_stale()

    def _drop_stale(self) -> None:
        """After a complete run, what is left in the cache belongs to inputs since changed."""
        _Checkpoints(self.cache_dir).drop(lambda key: True)
        for path in (self.cache_dir / "done").glob("*.json"):
            path.unlink()

    # -- planning --------------------------------------------------------------------------------

    def _plans(self, jobs: Iterable[ImageJob], lock: Lockfile) -> list[Plan]:
        plans, problems = [], []
        for job in jobs:
            try:
                plans.append(self._plan(job, lock))
            except GenerationError as error:
                problems += error.problems
        if problems:
            raise GenerationError(problems)
        return plans

    def _plan(self, job: ImageJob, lock: Lockfile) -> Plan:
        entry, settings = job.entry, job.entry.settings
        if settings.pick is not None and settings.pick >= settings.candidates:
            raise GenerationError(Problem(
                self.manifest.path, entry.line, "pick",
                f"candidate {settings.pick} does not exist ({settings.candidates} candidate(s), "
                "numbered from 0)", "lower `pick`, or raise `candidates`"))
        spec = image_spec(entry.prompt, settings, image_prompt_hash=self._image_prompt_hash(job))
        key = f"{job.post.slug}/{entry.image}"
        record = lock.get(key)
        plan = Plan(job, key, spec, spec_hash(spec), record, "generate")
        existing = job.existing
        if existing is None:
            plan.reason = "not generated yet"
            return plan
        digest = sha256_file(existing)
        if not _ours(Ownership.load(job.path.parent.parent), existing, record):
            plan.action, plan.reason = "foreign", f"{existing.name} was not written by the tool"
            return plan
        plan.reason = self._why_changed(plan, digest)
        if not plan.reason:
            current = _candidate_of(record, digest) if record else None
            plan.action = "current" if current == self._wanted_candidate(plan) else "pick"
        return plan

    def _why_changed(self, plan: Plan, digest: str) -> str:
        record, settings = plan.record, plan.settings
        if record is None:
            return "no record in gallery.lock"
        if record.inputs != plan.inputs:
            return ", ".join(changed_keys(record.spec, plan.spec)) + " changed"
        models = self._model_hashes(settings)
        stale = sorted(name for name, digest_now in models.items()
                       if record.models.get(name) != digest_now)
        if stale:
            return " and ".join(stale) + " checkpoint changed"
        current = _candidate_of(record, digest)
        if current is None or self._stale_alternates(plan, current):
            return "an earlier run stopped before finishing it"
        if settings.progress and not all(p.exists() for p in _progress_paths(plan.job)):
            return "progress pictures missing"
        return ""

    def _stale_alternates(self, plan: Plan, current: int) -> bool:
        """Whether an alternate the tool wrote is not the candidate the lock says it is.

        (Alternates deleted by the author are not remade; `pick` of one regenerates.)
        """
        assert plan.record is not None
        bundle = plan.job.path.parent.parent
        ownership = Ownership.load(bundle)
        for index, candidate in enumerate(plan.record.candidates):
            path = _alternate(bundle, plan.job.entry.image, index)
            if index != current and ownership.owns(path) and sha256_file(path) != candidate.sha256:
                return True
        return False

    def _wanted_candidate(self, plan: Plan) -> int:
        if plan.settings.pick is not None:
            return plan.settings.pick
        candidates = plan.record.candidates if plan.record else []
        return max(range(len(candidates)), key=lambda i: candidates[i].similarity, default=0)

    def _image_prompt_hash(self, job: ImageJob) -> str | None:
        name = job.entry.settings.image_prompt
        if name is None:
            return None
        path = self.manifest.root / name
        if not path.is_file():
            raise GenerationError(Problem(self.manifest.path, job.entry.line, "image_prompt",
                                          f"{path} does not exist", "fix the path (relative to "
                                          "gallery.yaml) or remove image_prompt"))
        return sha256_file(path)

    def _model_hashes(self, settings: GenerationSettings) -> dict[str, str]:
        """Checkpoint hashes of the weights present here (absent weights cannot be compared)."""
        clip_path, biggan_path = model_paths(settings, self.models_dir)
        present = {"clip": clip_path.is_file(),
                   "biggan": all((biggan_path / name).is_file() for name in BIGGAN_FILES)}
        return {name: checkpoint_hash(path) for name, path in
                (("clip", clip_path), ("biggan", biggan_path)) if present[name]}

    # -- pick: another candidate as the image, without generating --------------------------------

    def _apply_pick(self, plan: Plan, lock: Lockfile) -> None:
        """Swap the image with alternate `pick` (or back to the best); any kill leaves both."""
        record, job = plan.record, plan.job
        assert record is not None
        wanted = self._wanted_candidate(plan)
        bundle = job.path.parent.parent
        ownership = Ownership.load(bundle)
        wanted_file = _alternate(bundle, job.entry.image, wanted)
        wanted_sha = record.candidates[wanted].sha256
        if not wanted_file.is_file() or sha256_file(wanted_file) != wanted_sha:
            plan.action, plan.reason = "generate", f"alternate {wanted_file.name} is missing"
            return
        image = job.path.read_bytes()
        current = _candidate_of(record, hashlib.sha256(image).hexdigest())
        assert current is not None  # planned as "pick" only then
        _write(ownership, _alternate(bundle, job.entry.image, current), image, record)
        _write(ownership, job.path, wanted_file.read_bytes(), record)
        wanted_file.unlink()
        ownership.forget(wanted_file)
        ownership.save()
        record.chosen, record.image = wanted, wanted_sha
        lock.save()
        plan.action = "current"
        self._say(f"images: {plan.key}: candidate {wanted} is now the image")

    # -- device ----------------------------------------------------------------------------------

    def _device(self, plans: Sequence[Plan]) -> torch.device:
        requested = self.requested_device
        if requested == "cpu":
            self._say(f"images: {len(plans)} to generate on the CPU; estimated "
                      f"{_duration(estimate_cpu_seconds(p.settings for p in plans))} "
                      "(about 3 s per iteration at 256 px with 8 cutouts, 7 s with 32, on 2 cores)")
            return torch.device("cpu")
        if torch.cuda.is_available():
            return torch.device(requested or "cuda")
        problems = [Problem(self.manifest.path, p.job.entry.line, p.key,
                            "image not generated yet" if p.job.existing is None
                            else f"image outdated: {p.reason}") for p in plans]
        problems.append(Problem(
            self.manifest.path, None, None,
            f"no CUDA GPU here: {len(plans)} image(s) cannot be generated",
            "`make draft` previews the site with placeholders; run `make site` on a machine with "
            "a CUDA GPU; or `python -m generator generate --device cpu` (slow: estimated "
            f"{_duration(estimate_cpu_seconds(p.settings for p in plans))})"))
        raise GenerationError(problems)

    # -- generation ------------------------------------------------------------------------------

    def _generate(self, plans: list[Plan], lock: Lockfile, device: torch.device) -> None:
        groups: dict[str, list[Plan]] = {}
        for plan in plans:
            self._say(f"images: {plan.key}: {plan.reason}")
            groups.setdefault(_model_key(plan.settings), []).append(plan)
        for group in groups.values():
            models = load_models(group[0].settings, self.models_dir, device)
            hashes = {"clip": models.clip_hash, "biggan": models.biggan_hash}
            self._run_group(group, models, hashes, lock, device)

    def _run_group(self, plans: list[Plan], models: Any, hashes: dict[str, str], lock: Lockfile,
                   device: torch.device) -> None:
        """Optimise every candidate of `plans` (one set of models), writing entries as they end."""
        for plan in plans:  # candidates finished by an interrupted run
            self._finish(plan, hashes, lock)
        pending: dict[str, list[tuple[Task, str]]] = {}
        for plan in plans:
            for candidate in range(plan.settings.candidates * (plan.action == "generate")):
                task_hash = plan.task_hash(candidate, hashes)
                if self._done_path(task_hash).exists():
                    continue
                task = Task(task_hash, plan.spec["prompt"], tuple(plan.settings.penalize),
                            plan.seed + candidate, plan.settings,
                            image_prompt=self._image_prompt(plan))
                label = plan.job.entry.image[:12]
                label += f"#{candidate}" if plan.settings.candidates > 1 else ""
                pending.setdefault(_batch_shape(plan.settings), []).append((task, label))
        batches = [batch for work in pending.values()
                   for batch in _chunks(work, self._batch_size(work[0][0], models, device))]
        for number, batch in enumerate(batches, 1):
            self._run_batch(batch, models, device, f"batch {number}/{len(batches)}")
            for plan in plans:
                self._finish(plan, hashes, lock)

    def _image_prompt(self, plan: Plan) -> Path | None:
        name = plan.settings.image_prompt
        return self.manifest.root / name if name else None

    def _batch_size(self, task: Task, models: Any, device: torch.device) -> int:
        size = self.batch_size or task.settings.batch_size
        return size or fit_batch_size(models, device, task.settings.cutouts)

    def _run_batch(self, work: list[tuple[Task, str]], models: Any, device: torch.device,
                   label: str) -> None:
        """Optimise one batch to the end, checkpointing; leaves each task's result in done/."""
        tasks = [task for task, _ in work]
        names = [name for _, name in work]
        optimiser = BatchOptimiser(models, tasks, device)
        checkpoints = _Checkpoints(self.cache_dir)
        frames = checkpoints.resume(optimiser, tasks)
        checkpoint_every = min(task.settings.checkpoint_every for task in tasks)
        path = checkpoints.path(tasks)
        _capture(frames, optimiser, tasks)
        total = max(task.settings.iterations for task in tasks)
        with tqdm(total=total, initial=optimiser.iteration, desc=label, unit="it",
                  file=self.out, dynamic_ncols=True) as bar:
            while not optimiser.done:
                similarities = optimiser.step()
                bar.update(optimiser.iteration - bar.n)
                bar.set_postfix_str(_postfix(names, similarities.tolist()), refresh=False)
                _capture(frames, optimiser, tasks)
                if optimiser.iteration % checkpoint_every == 0 and not optimiser.done:
                    checkpoints.save(path, optimiser, tasks, frames)
        images = optimiser.best_images()
        scores = optimiser.evaluate().tolist()
        for index, task in enumerate(tasks):
            score = (float(optimiser.best_similarity[index]) if task.settings.save_best
                     else scores[index])
            result = TaskResult(_encode(images[index]), score, frames.get(task.key, []))
            _save_result(self._done_path(task.key), result)
        checkpoints.drop(lambda key: self._done_path(key).exists())

    def _done_path(self, task_hash: str) -> Path:
        return self.cache_dir / "done" / f"{task_hash[:32]}.json"

    # -- writing an entry's files ----------------------------------------------------------------

    def _finish(self, plan: Plan, hashes: dict[str, str], lock: Lockfile) -> None:
        """Write `plan`'s image once every candidate is done (no-op before, or if written)."""
        if plan.action != "generate":
            return
        done = [self._done_path(plan.task_hash(c, hashes)) for c in range(plan.settings.candidates)]
        if not all(path.exists() for path in done):
            return
        results = [_load_result(path) for path in done]
        job, name = plan.job, plan.job.entry.image
        best = max(range(len(results)), key=lambda i: results[i].similarity)
        chosen = plan.settings.pick if plan.settings.pick is not None else best
        bundle = job.path.parent.parent
        ownership = Ownership.load(bundle)
        pngs = [self._png(plan, i, result) for i, result in enumerate(results)]
        if plan.record and (plan.record.inputs, plan.record.models) != (plan.inputs, hashes):
            self._keep_replaced(plan, bundle, ownership)
        record = ImageRecord(
            inputs=plan.inputs, spec=plan.spec, models=hashes,
            image=hashlib.sha256(pngs[chosen]).hexdigest(), chosen=chosen,
            candidates=[Candidate(plan.seed + i, round(r.similarity, 6),
                                  hashlib.sha256(pngs[i]).hexdigest())
                        for i, r in enumerate(results)])
        lock.set(plan.key, record)
        lock.save()  # first: the files below are then known as ours whenever a kill comes
        _write(ownership, job.path, pngs[chosen], record)
        for index, png in enumerate(pngs):
            if index != chosen:
                _write(ownership, _alternate(bundle, name, index), png, record)
        self._drop_old_alternates(plan, bundle, ownership, keep=len(pngs), chosen=chosen)
        if plan.settings.progress:
            self._write_progress(plan, results[chosen], ownership, record)
        for path in done:
            path.unlink()
        plan.action = "current"
        self._say(f"images: {plan.key}: written (similarity {results[chosen].similarity:.3f}"
                  + (f", candidate {chosen} of {len(results)})" if len(results) > 1 else ")"))

    def _png(self, plan: Plan, candidate: int, result: TaskResult) -> bytes:
        text = {
            "prompt": plan.spec["prompt"],
            "seed": str(plan.seed + candidate),
            "settings": canonical_json(plan.spec),
            "models": canonical_json({"clip": plan.settings.clip,
                                      "biggan": plan.settings.biggan or plan.settings.image_size}),
            "similarity": f"{result.similarity:.6f}",
            "Software": f"bigsleep-gallery {__version__}",
        }
        return _with_text(result.png, text)

    def _keep_replaced(self, plan: Plan, bundle: Path, ownership: Ownership) -> None:
        """Copy the image being replaced (and its alternates) to <bundle>/replaced/."""
        existing = plan.job.existing
        if existing is None or plan.record is None:  # nothing to keep
            return
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        name = plan.job.entry.image
        olds = [(existing, f"{name}-{stamp}{existing.suffix}")]
        olds += [(_alternate(bundle, name, i), f"{name}-{stamp}-{i}.png")
                 for i in range(len(plan.record.candidates))]
        for source, target in olds:
            if source.is_file() and _ours(ownership, source, plan.record):
                atomic_copy(source, bundle / "replaced" / target)

    def _drop_old_alternates(self, plan: Plan, bundle: Path, ownership: Ownership, *, keep: int,
                             chosen: int) -> None:
        """Remove the previous run's alternates that are not alternates now (kept in replaced/)."""
        old = len(plan.record.candidates) if plan.record else 0
        for index in range(old):
            path = _alternate(bundle, plan.job.entry.image, index)
            if (index == chosen or index >= keep) and ownership.owns(path):
                path.unlink()
                ownership.forget(path)
                ownership.save()

    def _write_progress(self, plan: Plan, result: TaskResult, ownership: Ownership,
                        record: ImageRecord) -> None:
        frames = [(it, Image.open(io.BytesIO(png))) for it, png in result.frames]
        strip_path, animation_path = _progress_paths(plan.job)
        _write(ownership, strip_path, _png_bytes(pictures.strip(frames)), record)
        _write(ownership, animation_path, pictures.animation_webp(frames), record)

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)


# --- a batch's progress: similarities, frames, checkpoints ----------------------------------------

class _Checkpoints:
    """Optimiser state and progress frames of running batches, in .cache/generation/*.pt.

    A file holds one batch, but state is restored task by task (by key), so a run with another
    batch size (set, or fitted to the GPU memory free then) still resumes every task.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, tasks: Sequence[Task]) -> Path:
        return self.folder / f"{sha256_text(canonical_json(sorted(t.key for t in tasks)))[:32]}.pt"

    def _read(self, path: Path) -> dict[str, Any] | None:
        try:
            saved = torch.load(path, map_location="cpu", weights_only=False)
        except Exception:  # damaged (never by us: writes are atomic) or from another version
            return None
        return saved if isinstance(saved, dict) and saved.get("version") == CHECKPOINT_VERSION \
            else None

    def _all(self) -> list[tuple[Path, dict[str, Any]]]:
        paths = sorted(self.folder.glob("*.pt"), key=lambda p: p.stat().st_mtime_ns)
        return [(path, saved) for path in paths if (saved := self._read(path)) is not None]

    def resume(self, optimiser: BatchOptimiser, tasks: Sequence[Task]
               ) -> dict[str, list[tuple[int, bytes]]]:
        """Restore every task found in a checkpoint (newest wins); returns their frames."""
        frames: dict[str, list[tuple[int, bytes]]] = {}
        keys = {task.key for task in tasks}
        for _, saved in self._all():
            if keys & set(saved["keys"]):
                for key in optimiser.load_state_dict(saved["optimiser"]):
                    frames[key] = list(saved["frames"].get(key, []))
        return frames

    def save(self, path: Path, optimiser: BatchOptimiser, tasks: Sequence[Task],
             frames: dict[str, list[tuple[int, bytes]]]) -> None:
        buffer = io.BytesIO()
        torch.save({"version": CHECKPOINT_VERSION, "keys": [task.key for task in tasks],
                    "frames": frames, "optimiser": optimiser.state_dict()}, buffer)
        atomic_write_bytes(path, buffer.getvalue())

    def drop(self, finished: Callable[[str], bool]) -> None:
        """Delete the checkpoints whose tasks are all finished."""
        for path, saved in self._all():
            if all(finished(key) for key in saved["keys"]):
                path.unlink()


def _capture(frames: dict[str, list[tuple[int, bytes]]], optimiser: BatchOptimiser,
             tasks: Sequence[Task]) -> None:
    """Add a progress frame for every `progress` task due one at this iteration."""
    iteration = optimiser.iteration
    due = [i for i, task in enumerate(tasks) if task.settings.progress
           and (iteration % task.settings.progress_every == 0
                or iteration == task.settings.iterations)
           and all(it != iteration for it, _ in frames.get(task.key, []))]
    if due:
        images = optimiser.images()
        for index in due:
            frames.setdefault(tasks[index].key, []).append((iteration, _encode(images[index])))


# --- helpers ------------------------------------------------------------------------------------

def estimate_cpu_seconds(settings: Iterable[GenerationSettings]) -> float:
    """Rough CPU time for these entries: linear in cutouts, by pixel count, per iteration."""
    base, per_cutout = CPU_SECONDS_PER_ITERATION
    return sum(
        (base + per_cutout * s.cutouts) * (s.image_size / 256) ** 2 * s.iterations * s.candidates
        for s in settings
    )


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return f"{seconds:.0f} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _model_key(settings: GenerationSettings) -> str:
    return canonical_json([settings.clip, settings.biggan, settings.image_size])


def _batch_shape(settings: GenerationSettings) -> str:
    """Tasks with the same shape can share a batch (models are already the same)."""
    return canonical_json([settings.cutouts, settings.iterations])


def _progress_paths(job: ImageJob) -> tuple[Path, Path]:
    """The iterations strip and the animation of an entry (names the manifest's items use)."""
    images, name = job.path.parent, job.entry.image
    return images / f"{name}-iterations.png", images / f"{name}-animation.webp"


def _alternate(bundle: Path, name: str, index: int) -> Path:
    return bundle / "alternates" / f"{name}-{index}.png"


def _chunks(work: list[Any], size: int) -> list[list[Any]]:
    return [work[i:i + size] for i in range(0, len(work), max(1, size))]


def _candidate_of(record: ImageRecord, digest: str) -> int | None:
    """Which candidate of `record` a file with this hash is (the image may be any of them)."""
    if not record.candidates:
        return 0 if digest == record.image else None
    return next((i for i, c in enumerate(record.candidates) if c.sha256 == digest), None)


def _ours(ownership: Ownership, path: Path, record: ImageRecord | None) -> bool:
    """The tool wrote `path`: its ownership record says so, or gallery.lock does.

    The lock is saved just before the image is written; a run killed between the image and the
    ownership record leaves a file only the lock knows.
    """
    if ownership.owns(path):
        return True
    known = {record.image, *(c.sha256 for c in record.candidates)} if record else set()
    return path.is_file() and sha256_file(path) in known


def _write(ownership: Ownership, path: Path, data: bytes, record: ImageRecord) -> None:
    """Write a file of an entry through its bundle's ownership record, saving the record."""
    if path.exists() and not ownership.may_write(path) and _ours(ownership, path, record):
        path.unlink()  # our own file from an interrupted run, unknown to the ownership record
    ownership.write_bytes(path, data)
    ownership.save()


def _postfix(names: Sequence[str], similarities: Sequence[float], limit: int = 8) -> str:
    shown = [f"{n}={s:.3f}" for n, s in zip(names[:limit], similarities[:limit], strict=False)]
    if len(names) > limit:
        shown.append(f"+{len(names) - limit}")
    return " ".join(shown)


def _encode(image: torch.Tensor) -> bytes:
    """A [3, H, W] tensor in [0, 1] as PNG bytes."""
    array = (image.detach().float().clamp(0, 1) * 255).round().to(torch.uint8)
    return _png_bytes(Image.fromarray(array.permute(1, 2, 0).cpu().numpy(), "RGB"))


def _png_bytes(image: Image.Image, info: PngInfo | None = None) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def _with_text(png: bytes, text: dict[str, str]) -> bytes:
    info = PngInfo()
    for key, value in text.items():
        info.add_itxt(key, value)
    return _png_bytes(Image.open(io.BytesIO(png)), info)


def _save_result(path: Path, result: TaskResult) -> None:
    payload = {"png": result.png.hex(), "similarity": result.similarity,
               "frames": [[it, png.hex()] for it, png in result.frames]}
    atomic_write_bytes(path, json.dumps(payload).encode())


def _load_result(path: Path) -> TaskResult:
    data = json.loads(path.read_bytes())
    return TaskResult(bytes.fromhex(data["png"]), float(data["similarity"]),
                      [(int(it), bytes.fromhex(png)) for it, png in data["frames"]])

