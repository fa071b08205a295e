"""Optimising candidates in batches: one optimiser task per candidate still to make, batches of
compatible tasks, and the loop that runs a batch to the end.

The loop shows a progress bar (iterations per second, ETA, each task's similarity), captures the
progress frames, checkpoints every `checkpoint_every` iterations, resumes from a checkpoint, and
leaves each task's result in the cache's done/ folder (see `resume`). A task whose similarity or
image stops being a finite number (a BigGAN gone NaN) is stopped with its state kept in a
checkpoint for inspection, never given a result; the rest of its batch goes on (`NonFiniteError`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn, TextIO

import torch
from PIL import Image
from tqdm import tqdm

from generator.bigsleep.lockfile import canonical_json
from generator.bigsleep.models import Models
from generator.bigsleep.optimiser import BatchOptimiser, Task, fit_batch_size
from generator.bigsleep.planning import Action, Plan
from generator.bigsleep.resume import Checkpoints, Frames, Results, TaskResult
from generator.settings import GenerationSettings
from generator.site.images import encode_bytes

Work = tuple[Task, str]  # a task and its name on the progress bar


@dataclass(frozen=True)
class Stopped:
    """A task stopped because its numbers stopped being finite."""

    key: str  # the task's key
    iteration: int  # the iteration it was stopped at


class NonFiniteError(Exception):
    """Tasks whose similarity or image became NaN or infinite; the others of their batches
    finished."""

    def __init__(self, stopped: list[Stopped]) -> None:
        self.stopped = stopped
        super().__init__(", ".join(f"{s.key} at iteration {s.iteration}" for s in stopped))

    def __reduce__(self) -> tuple[type[NonFiniteError], tuple[list[Stopped]]]:
        return type(self), (self.stopped,)


def pending_tasks(plans: Sequence[Plan], hashes: dict[str, str], results: Results) -> list[Work]:
    """A task for every candidate of the plans to generate that has no result yet."""
    work = []
    for plan in plans:
        if plan.action is not Action.GENERATE:
            continue
        for candidate in range(plan.settings.candidates):
            task_hash = plan.task_hash(candidate, hashes)
            if results.done(task_hash):
                continue
            task = Task(task_hash, plan.spec["prompt"], tuple(plan.settings.penalize),
                        plan.seed + candidate, plan.settings, image_prompt=plan.image_prompt)
            name = plan.job.entry.image[:12]
            name += f"#{candidate}" if plan.settings.candidates > 1 else ""
            work.append((task, name))
    return work


def make_batches(work: list[Work], batch_size: int | None, models: Models,
                 device: torch.device) -> list[list[Work]]:
    """Tasks of the same shape, in batches of `batch_size` (else the entries' `batch_size`, else
    as many as fit the free GPU memory)."""
    shapes: dict[str, list[Work]] = {}
    for task, name in work:
        shapes.setdefault(batch_shape(task.settings), []).append((task, name))
    batches = []
    for same in shapes.values():
        settings = same[0][0].settings
        size = batch_size or settings.batch_size or fit_batch_size(models, device,
                                                                    settings.cutouts)
        batches += [same[i:i + size] for i in range(0, len(same), max(1, size))]
    return batches


def run_batch(work: list[Work], models: Models, device: torch.device, label: str,
              checkpoints: Checkpoints, results: Results, out: TextIO,
              on_step: Callable[[BatchOptimiser], None] | None = None) -> int:
    """Optimise one batch to the end, checkpointing; leaves each task's result in `results`.
    Returns the iteration it resumed from (0: from the start). `on_step` sees the optimiser
    after every step (a cluster worker reports its progress so).

    A task whose similarity or final image is not finite stops the batch at once: the state of
    every task is checkpointed (kept for inspection: it is never dropped while that task has
    no result), the others run on as a batch of their own, and NonFiniteError names the
    stopped tasks at the end.
    """
    tasks = [task for task, _ in work]
    names = [name for _, name in work]
    optimiser = BatchOptimiser(models, tasks, device)
    frames = checkpoints.resume(optimiser, tasks)
    checkpoint_every = min(task.settings.checkpoint_every for task in tasks)
    path = checkpoints.path(tasks)
    _capture(frames, optimiser, tasks)
    total = max(task.settings.iterations for task in tasks)
    resumed_from = optimiser.iteration
    bad: list[int] = []
    with tqdm(total=total, initial=optimiser.iteration, desc=label, unit="it",
              file=out, dynamic_ncols=True) as bar:
        while not optimiser.done and not bad:
            similarities = optimiser.step().tolist()
            bar.update(optimiser.iteration - bar.n)
            bar.set_postfix_str(_postfix(names, similarities), refresh=False)
            bad = [i for i, value in enumerate(similarities) if not math.isfinite(value)]
            if bad:
                break
            if on_step:
                on_step(optimiser)
            _capture(frames, optimiser, tasks)
            if optimiser.iteration % checkpoint_every == 0 and not optimiser.done:
                checkpoints.save(path, optimiser, tasks, frames)
    if not bad:
        images = optimiser.best_images()
        scores = [float(optimiser.best_similarity[index]) if task.settings.save_best
                  else score for index, (task, score)
                  in enumerate(zip(tasks, optimiser.evaluate().tolist(), strict=True))]
        bad = [index for index, score in enumerate(scores)
               if not math.isfinite(score) or not bool(torch.isfinite(images[index]).all())]
    if bad:
        _stop(work, bad, optimiser, frames, checkpoints, lambda rest: run_batch(
            rest, models, device, label, checkpoints, results, out, on_step))
    for index, task in enumerate(tasks):
        results.save(task.key, TaskResult(_encode(images[index]), scores[index],
                                          frames.get(task.key, [])))
    checkpoints.drop(results.done)
    return resumed_from


def _stop(work: list[Work], bad: list[int], optimiser: BatchOptimiser, frames: Frames,
          checkpoints: Checkpoints, run_rest: Callable[[list[Work]], int]) -> NoReturn:
    """Checkpoint the batch, run its finite tasks on, then raise NonFiniteError for the others."""
    tasks = [task for task, _ in work]
    checkpoints.save(checkpoints.path(tasks), optimiser, tasks, frames)
    stopped = [Stopped(tasks[i].key, optimiser.iterations[i]) for i in bad]
    rest = [item for index, item in enumerate(work) if index not in bad]
    if rest:
        try:
            run_rest(rest)
        except NonFiniteError as error:
            stopped += error.stopped
    raise NonFiniteError(stopped)


def batch_shape(settings: GenerationSettings) -> str:
    """Tasks with the same shape can share a batch (models are already the same)."""
    return canonical_json([settings.cutouts, settings.iterations])


def _capture(frames: Frames, optimiser: BatchOptimiser, tasks: Sequence[Task]) -> None:
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


def _postfix(names: Sequence[str], similarities: Sequence[float], limit: int = 8) -> str:
    shown = [f"{n}={s:.3f}" for n, s in zip(names[:limit], similarities[:limit], strict=False)]
    if len(names) > limit:
        shown.append(f"+{len(names) - limit}")
    return " ".join(shown)


def _encode(image: torch.Tensor) -> bytes:
    """A [3, H, W] tensor in [0, 1] as PNG bytes."""
    array = (image.detach().float().clamp(0, 1) * 255).round().to(torch.uint8)
    return encode_bytes(Image.fromarray(array.permute(1, 2, 0).cpu().numpy(), "RGB"), "PNG")
