"""Optimise a batch of BigSleep images together: one BigGAN and one CLIP pass per step for all.

Each task (one image) owns everything that makes it what it is: a `torch.Generator` seeded with
its seed (initial latents, then its cutouts), its latents, its Adam optimiser (its own `lr`) and
its EMA. The batch loss is the sum of the per-task losses, and nothing in BigGAN (fixed batch-norm
statistics) or CLIP mixes images, so a task gets the same image alone or in any batch, up to
floating-point rounding. Tasks may differ in every setting except the models.

`save_best` tasks are scored every `BEST_EVERY` iterations (and at their last) on their EMA image
with cutouts drawn from a generator reseeded each time: the same cutouts every time, so scores
are comparable, and no draw is taken from the task's own random stream.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torchvision.transforms.functional as TF
from PIL import Image

from generator.bigsleep.biggan import generate
from generator.bigsleep.clip_package import clip
from generator.bigsleep.cutouts import cutout_boxes, make_cutouts, normalize
from generator.bigsleep.latents import EMA, class_vectors, init_latents
from generator.bigsleep.losses import class_loss, latent_loss, similarity_loss
from generator.bigsleep.models import Models
from generator.errors import GenerationError, Problem
from generator.settings import GenerationSettings

BEST_EVERY = 10  # iterations between EMA-image scorings of `save_best` tasks
CPU_BATCH_SIZE = 2
EVAL_SEED_OFFSET = 0x5EED  # eval cutouts come from seed + this, reseeded at every scoring

# Per-image GPU memory of a training step (activations kept for backward, bf16 autocast):
# BigGAN-deep's grows with its pixels (~0.3 GB at 256 px, from its channel widths); CLIP's with
# cutouts x tokens x width x layers, ~14 saved values of ~3 bytes per token, channel and layer
# (~20 MB per 224 px ViT-B/32 cutout). A margin covers allocator slack and cuDNN workspaces.
BIGGAN_BYTES_PER_PIXEL = 4_800
CLIP_BYTES_PER_TOKEN_CHANNEL_LAYER = 42
MEMORY_MARGIN = 0.8
MEMORY_RESERVE = 1 << 30


@dataclass(frozen=True)
class Task:
    """One image to optimise."""

    key: str  # identifies the image (checkpoint state is stored under it)
    prompt: str  # parts separated by `|`, each a target
    penalize: tuple[str, ...]
    seed: int
    settings: GenerationSettings
    image_prompt: Path | None = None

    @property
    def prompt_parts(self) -> list[str]:
        return _parts(self.prompt)

    @property
    def penalised_parts(self) -> list[str]:
        """Each penalised text split on `|` too, as big-sleep splits its `text_min`."""
        return [part for text in self.penalize for part in _parts(text)]


def _parts(text: str) -> list[str]:
    return [part.strip() for part in text.split("|") if part.strip()]


class BatchOptimiser:
    """BigSleep for a batch of tasks; `step()` until `done`, then read `images()`."""

    def __init__(
        self, models: Models, tasks: Sequence[Task], device: torch.device | str,
        amp: bool | None = None,
    ) -> None:
        if not tasks:
            raise ValueError("a batch needs at least one task")
        self.models = models
        self.tasks = list(tasks)
        self.device = torch.device(device)
        self.amp = self.device.type == "cuda" if amp is None else amp
        self.generators = [torch.Generator().manual_seed(task.seed) for task in self.tasks]
        self.latents = [
            [t.to(self.device).requires_grad_() for t in init_latents(models.num_latents, g)]
            for g in self.generators
        ]
        self.optimisers = [
            torch.optim.Adam(latents, lr=task.settings.lr)
            for task, latents in zip(self.tasks, self.latents, strict=True)
        ]
        self.emas = [
            EMA(latents, task.settings.ema_decay)
            for task, latents in zip(self.tasks, self.latents, strict=True)
        ]
        self.targets = [self._encode_targets(task) for task in self.tasks]
        self.iterations = [0] * len(self.tasks)
        self.similarity = torch.full((len(self.tasks),), float("nan"))
        self.loss = torch.full((len(self.tasks),), float("nan"))
        self.best_similarity = torch.full((len(self.tasks),), float("-inf"))
        self._best: list[list[torch.Tensor] | None] = [None] * len(self.tasks)

    # --- reading --------------------------------------------------------------------------

    @property
    def iteration(self) -> int:
        """The most steps any task has taken: the batch's progress. Tasks can differ (their own
        `iterations`, or resumed from different points): use `iterations[i]` per task."""
        return max(self.iterations)

    @property
    def done(self) -> bool:
        """Whether every task has reached its `iterations`."""
        return not any(self._active(i) for i in range(len(self.tasks)))

    def images(self) -> torch.Tensor:
        """The tasks' EMA images, (B, 3, H, W) in [0, 1], float32 on the CPU."""
        return self._render([ema.average for ema in self.emas], range(len(self.tasks)))

    def best_images(self) -> torch.Tensor:
        """Each `save_best` task's best-scored EMA image (others: the current EMA image)."""
        latents = [
            ema.average if best is None else best
            for best, ema in zip(self._best, self.emas, strict=True)
        ]
        return self._render(latents, range(len(self.tasks)))

    @torch.no_grad()
    def evaluate(self, indices: Sequence[int] | None = None) -> torch.Tensor:
        """Similarity of the tasks' EMA images to their prompts, on fixed cutouts: (len,)."""
        indices = list(range(len(self.tasks))) if indices is None else list(indices)
        with self._autocast():
            images = self._generate([self.emas[i].average for i in indices], indices)
            boxes = [
                self._boxes(i, torch.Generator().manual_seed(self.tasks[i].seed + EVAL_SEED_OFFSET))
                for i in indices
            ]
            embeddings = self._embed(images, boxes)
        return torch.stack([
            similarity_loss(*self.targets[i], part)[1]
            for i, part in zip(indices, embeddings, strict=True)
        ]).cpu()

    # --- optimising -----------------------------------------------------------------------

    def step(self) -> torch.Tensor:
        """One optimisation step of every unfinished task; returns each task's similarity (B,)
        (mean cosine of this step's cutouts with the prompt parts; the last one for finished
        tasks)."""
        active = [i for i in range(len(self.tasks)) if self._active(i)]
        if not active:
            return self.similarity.clone()
        z = torch.stack([self.latents[i][0] for i in active])
        classes = torch.stack([self._classes(i, self.latents[i][1]) for i in active])
        with self._autocast():
            images = generate(self.models.biggan, z, classes)
            embeddings = self._embed(images, [self._boxes(i, self.generators[i]) for i in active])
        losses, similarities = zip(*(
            similarity_loss(*self.targets[i], part)
            for i, part in zip(active, embeddings, strict=True)
        ), strict=True)
        per_task = torch.stack(losses) + latent_loss(z) + class_loss(classes)
        total = per_task.sum()
        for i in active:
            self.optimisers[i].zero_grad(set_to_none=True)
        total.backward()
        for i in active:
            self.optimisers[i].step()
            self.emas[i].update(self.latents[i])
            self.iterations[i] += 1
        # one device-to-host copy (one CUDA sync) for both
        similarity, loss = torch.stack((torch.stack(similarities), per_task)).detach().float().cpu()
        self.similarity[active], self.loss[active] = similarity, loss
        self._track_best(active)
        return self.similarity.clone()

    def _active(self, i: int) -> bool:
        return self.iterations[i] < self.tasks[i].settings.iterations

    def _track_best(self, active: list[int]) -> None:
        due = [
            i for i in active
            if self.tasks[i].settings.save_best
            and (self.iterations[i] % BEST_EVERY == 0 or not self._active(i))
        ]
        if not due:
            return
        for i, score in zip(due, self.evaluate(due).tolist(), strict=True):
            if score > self.best_similarity[i]:
                self.best_similarity[i] = score
                self._best[i] = [t.clone() for t in self.emas[i].average]

    # --- pieces ---------------------------------------------------------------------------

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if not self.amp:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    def _classes(self, i: int, logits: torch.Tensor) -> torch.Tensor:
        settings = self.tasks[i].settings
        return class_vectors(logits, settings.max_classes, settings.class_temperature)

    def _generate(self, latents: Sequence[Sequence[torch.Tensor]], indices: Sequence[int]
                  ) -> torch.Tensor:
        z = torch.stack([pair[0] for pair in latents])
        classes = torch.stack([self._classes(i, pair[1]) for i, pair in zip(indices, latents,
                                                                             strict=True)])
        return generate(self.models.biggan, z, classes)

    @torch.no_grad()
    def _render(self, latents: Sequence[Sequence[torch.Tensor]], indices: Sequence[int]
                ) -> torch.Tensor:
        with self._autocast():
            images = self._generate(latents, list(indices))
        return images.float().clamp(0, 1).cpu()

    def _boxes(self, i: int, generator: torch.Generator) -> torch.Tensor:
        settings = self.tasks[i].settings
        return cutout_boxes(self.models.image_size, settings.cutouts, generator,
                            settings.center_bias)

    def _embed(self, images: torch.Tensor, boxes: list[torch.Tensor]) -> Iterator[torch.Tensor]:
        """CLIP embeddings of every image's cutouts, one block per image."""
        cutouts = make_cutouts(images, boxes, self.models.clip_input_size)
        embeddings = self.models.clip.encode_image(cutouts).float()
        return iter(embeddings.split([len(b) for b in boxes]))

    @torch.no_grad()
    def _encode_targets(self, task: Task) -> tuple[torch.Tensor, torch.Tensor]:
        """(wanted, penalised) CLIP embeddings. As big-sleep, an image prompt is averaged into
        every prompt part's text embedding (or is the only target when there is no text)."""
        parts = task.prompt_parts
        image = self._encode_image_prompt(task) if task.image_prompt else None
        if not parts and image is None:
            raise GenerationError(Problem(task.key, None, "prompt", "empty prompt",
                                          "give a prompt or an image_prompt"))
        wanted = self._encode_texts(task, parts, "prompt") if parts else image
        if parts and image is not None:
            wanted = (wanted + image) / 2
        return wanted, self._encode_texts(task, task.penalised_parts, "penalize")

    def _encode_texts(self, task: Task, texts: list[str], key: str) -> torch.Tensor:
        if not texts:
            return torch.empty(0, self.models.clip.text_projection.shape[1], device=self.device)
        try:
            tokens = clip.tokenize(texts)
        except RuntimeError as error:  # longer than CLIP's 77-token context
            raise GenerationError(Problem(task.key, None, key, str(error),
                                          "shorten it, or split it into `|` parts")) from error
        return self.models.clip.encode_text(tokens.to(self.device)).float()

    def _encode_image_prompt(self, task: Task) -> torch.Tensor:
        assert task.image_prompt is not None
        size = self.models.clip_input_size
        try:
            with Image.open(task.image_prompt) as image:
                pixels = TF.to_tensor(image.convert("RGB"))
        except OSError as error:
            raise GenerationError(Problem(task.image_prompt, None, "image_prompt",
                                          f"cannot read image: {error}")) from error
        pixels = TF.center_crop(TF.resize(pixels, size, TF.InterpolationMode.BICUBIC,
                                          antialias=True), size)
        batch = normalize(pixels.clamp(0, 1).unsqueeze(0).to(self.device))
        return self.models.clip.encode_image(batch).float()

    # --- checkpoints ----------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly, per task key (CPU tensors; torch.save-able)."""
        return {"version": 1, "tasks": {
            task.key: self._task_state(i) for i, task in enumerate(self.tasks)
        }}

    def load_state_dict(self, state: dict[str, Any]) -> list[str]:
        """Restore the tasks found in `state` (by key); returns their keys. Others start fresh."""
        restored = []
        for i, task in enumerate(self.tasks):
            saved = state["tasks"].get(task.key)
            if saved is not None and saved["seed"] == task.seed:
                self._load_task_state(i, saved)
                restored.append(task.key)
        return restored

    def _task_state(self, i: int) -> dict[str, Any]:
        best = self._best[i]
        return _to_cpu({
            "seed": self.tasks[i].seed,
            "iteration": self.iterations[i],
            "latents": [t.detach() for t in self.latents[i]],
            "adam": self.optimisers[i].state_dict(),
            "ema": self.emas[i].state_dict(),
            "rng": self.generators[i].get_state(),
            "similarity": float(self.similarity[i]),
            "loss": float(self.loss[i]),
            "best_similarity": float(self.best_similarity[i]),
            "best": None if best is None else [t.clone() for t in best],
        })

    @torch.no_grad()
    def _load_task_state(self, i: int, saved: dict[str, Any]) -> None:
        self.iterations[i] = int(saved["iteration"])
        for tensor, value in zip(self.latents[i], saved["latents"], strict=True):
            tensor.copy_(value)
        self.optimisers[i].load_state_dict(saved["adam"])
        self.emas[i].load_state_dict(saved["ema"])
        self.generators[i].set_state(saved["rng"])
        self.similarity[i] = saved["similarity"]
        self.loss[i] = saved["loss"]
        self.best_similarity[i] = saved["best_similarity"]
        best = saved["best"]
        self._best[i] = None if best is None else [t.to(self.device) for t in best]


def _to_cpu(value: Any) -> Any:
    if torch.is_tensor(value):
        return value.detach().cpu().clone()
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_to_cpu(v) for v in value)
    return value


def image_bytes(models: Models, cutouts: int) -> int:
    """Estimated GPU memory one image takes in a training step (see the constants above)."""
    visual = models.clip.visual
    if hasattr(visual, "transformer"):  # ViT
        tokens, width = visual.positional_embedding.shape
        clip_cost = tokens * width * visual.transformer.layers
    else:  # ResNet: scale ViT-B/32's cost by pixels
        clip_cost = 50 * 768 * 12 * (models.clip_input_size / 224) ** 2
    per_cutout = CLIP_BYTES_PER_TOKEN_CHANNEL_LAYER * clip_cost
    return int(BIGGAN_BYTES_PER_PIXEL * models.image_size**2 + cutouts * per_cutout)


def fit_batch_size(models: Models, device: torch.device | str, cutouts: int) -> int:
    """Images per batch that fit the device's free memory (CUDA), or `CPU_BATCH_SIZE`."""
    device = torch.device(device)
    if device.type != "cuda":
        return CPU_BATCH_SIZE
    free, _total = torch.cuda.mem_get_info(device)
    usable = max(0, free - MEMORY_RESERVE) * MEMORY_MARGIN
    return max(1, int(usable // image_bytes(models, cutouts)))
