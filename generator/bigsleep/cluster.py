"""Generation on a Ray cluster: the driver feeds batches to one worker per GPU.

`--cluster local` starts a Ray instance on this machine with every GPU it has; `--cluster
ray://HOST:PORT` (Ray Client) or `HOST:PORT` (this machine being a node) joins a running cluster
(README, "Generation on many GPUs"). A process already connected to Ray uses that connection. Ray
is imported here only, and only for such a run: it is the optional extra `cluster`.

The driver stays the only writer of content/ and gallery.lock. Workers (`cluster_worker`) keep
their checkpoints and results through the `cluster_store` actor, on the driver's machine (on the
head node for Ray Client), which keeps .cache/generation/ as an in-process run does: each kind
of run resumes the other's work.

Feeding: a set of models' tasks are queued by batch shape; a worker, once it has loaded the models
and passed the weights check, is given as many queued tasks as its batch size, and again each
time it finishes (before the driver writes the finished images), so a slow or small GPU gets
less. A worker that dies mid-batch (its process or its machine) is replaced, and its batch goes
back to the head of the queue: the next free worker resumes it from its last checkpoint. A
refused worker (other weights, no CUDA) is reported and left out; the run goes on while any
worker is left.
"""

from __future__ import annotations

import socket
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from generator.bigsleep.batches import NonFiniteError, Stopped, Work, batch_shape
from generator.bigsleep.cluster_store import CheckpointStore, StoreCheckpoints, StoreResults
from generator.bigsleep.cluster_worker import BigSleepWorker
from generator.errors import GalleryError, GenerationError, Problem
from generator.settings import GenerationSettings

INSTALL = "pip install -e '.[cluster]' (`make site CLUSTER=...` installs it)"
START_TIMEOUT_S = 600.0  # longest wait for a worker to start when no other worker is running
POLL_S = 0.5  # how often the progress display is refreshed
CONNECT_TIMEOUT_S = 5.0  # how long an address may take to answer


def import_ray() -> Any:
    """The ray module, or a GenerationError saying how to install it."""
    try:
        import ray
    except ImportError as error:
        raise GenerationError(Problem("--cluster", None, None, "Ray is not installed",
                                      f"install the cluster extra: {INSTALL}")) from error
    return ray


def check_reachable(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Refuse at once an address nothing answers at (Ray itself retries for many minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except (OSError, ValueError) as error:
        raise GenerationError(Problem(
            "--cluster", None, None, f"nothing answers at {address!r} ({error})",
            "give `local`, `ray://HOST:PORT` (the head's client server, 10001 by default) or "
            "`HOST:PORT` (its GCS, 6379), and start the cluster first (`ray start --head`, "
            "see the README)")) from error


@dataclass(eq=False)  # each worker is itself (hashable by identity)
class Slot:
    """One worker actor and what the driver knows of it."""

    number: int
    actor: Any
    where: dict[str, Any] = field(default_factory=dict)  # host, gpu, pid, device
    sizes: dict[int, int] = field(default_factory=dict)  # cutouts -> its batch size

    @property
    def name(self) -> str:
        host, gpu = self.where.get("host", "?"), self.where.get("gpu", "?")
        return f"worker {self.number} ({host}, GPU {gpu})"


@dataclass
class Running:
    """A batch a worker is running."""

    slot: Slot
    work: list[Work]
    label: str
    started: float = field(default_factory=time.monotonic)

    @property
    def iterations(self) -> int:
        return sum(task.settings.iterations for task, _ in self.work)


class WorkerPool:
    """Ray workers, one per GPU (or per `gpu_share` of one), and the driver's checkpoint store."""

    def __init__(self, ray: Any, cache_dir: Path, *, client: bool, device: str | None,
                 models_dir: Path | None, batch_size: int | None, gpu_share: float,
                 out: TextIO) -> None:
        self.ray = ray
        self.cache_dir = cache_dir
        self.device = device
        self.models_dir = models_dir
        self.batch_size = batch_size
        self.gpu_share = gpu_share
        self.out = out
        gpus = float(ray.cluster_resources().get("GPU", 0))
        self.size = int(gpus / gpu_share + 1e-9)
        if self.size < 1:
            raise GenerationError(Problem(
                "--cluster", None, None, f"the Ray cluster has {gpus:g} GPU(s): no worker fits",
                "start its nodes on machines with GPUs (`ray start ... --num-gpus N`), or run "
                "without --cluster"))
        self.store = self._start_store(client)
        self.checkpoints = StoreCheckpoints(self.store, cache_dir)
        self.results = StoreResults(self.store, cache_dir)
        self.worker_class = ray.remote(BigSleepWorker)
        self.slots = [self._start_worker(number) for number in range(1, self.size + 1)]
        self._say(f"cluster: starting {self.size} worker(s) on {gpus:g} GPU(s)")
        self.started = len(self.slots)
        self.batches = 0
        self.preparing: tuple[GenerationSettings, dict[str, str], list[int]] | None = None

    def _start_store(self, client: bool) -> Any:
        """The store actor: on this machine, or on the head node for a Ray Client driver."""
        store = self.ray.remote(CheckpointStore)
        if client:
            options: dict[str, Any] = {"resources": {"node:__internal_head__": 0.001}}
        else:
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            here = self.ray.get_runtime_context().get_node_id()
            options = {"scheduling_strategy": NodeAffinitySchedulingStrategy(here, soft=False)}
        return store.options(num_cpus=0, **options).remote(str(self.cache_dir))

    def _start_worker(self, number: int) -> Slot:
        actor = self.worker_class.options(num_gpus=self.gpu_share, num_cpus=0).remote(
            number, self.store, str(self.cache_dir), self.device,
            str(self.models_dir) if self.models_dir else None, self.gpu_share)
        return Slot(number, actor)

    def close(self) -> None:
        for slot in self.slots:
            self.ray.kill(slot.actor)
        self.ray.kill(self.store)

    # -- running ---------------------------------------------------------------------------

    def run(self, settings: GenerationSettings, work: list[Work], expected: dict[str, str],
            after_batch: Callable[[], None]) -> list[Stopped]:
        """Run every task of `work` (one set of models: `settings`'), calling `after_batch`
        after each batch; returns the tasks stopped for non-finite numbers."""
        cutouts = sorted({task.settings.cutouts for task, _ in work})
        self.preparing = (settings, expected, cutouts)  # what a replacement worker loads
        queues: dict[str, deque[Work]] = {}
        for item in work:
            queues.setdefault(batch_shape(item[0].settings), deque()).append(item)
        starting = {slot.actor.prepare.remote(*self.preparing): slot for slot in self.slots}
        ready: list[Slot] = []
        running: dict[Any, Running] = {}
        refused: list[Problem] = []
        stopped: list[Stopped] = []
        finished = 0  # image-iterations of finished batches
        waited_since = time.monotonic()
        with tqdm(total=sum(task.settings.iterations for task, _ in work), unit="it",
                  desc="image-iterations", file=self.out, dynamic_ncols=True) as bar:
            while any(queues.values()) or running:
                self._feed(queues, ready, running)
                if not running and not starting:
                    raise GenerationError(refused or Problem(
                        "--cluster", None, None, "no worker is left to run the batches",
                        "see the messages above; run again to resume"))
                if running:
                    waited_since = time.monotonic()
                elif time.monotonic() - waited_since > START_TIMEOUT_S:
                    raise GenerationError(Problem(
                        "--cluster", None, None, f"no worker started in {START_TIMEOUT_S:.0f} s",
                        "check that the cluster has free GPUs (`ray status`); run again to "
                        "resume"))
                done, _ = self.ray.wait([*running, *starting], num_returns=1, timeout=POLL_S)
                ended = False
                for ref in done:
                    if ref in starting:
                        self._started(starting.pop(ref), ref, ready, starting, refused)
                        continue
                    run = running.pop(ref)
                    outcome = self._finished(run, ref, queues, ready, starting)
                    if outcome is not None:
                        stopped += outcome
                        finished += run.iterations
                        ended = True
                if ended:  # its worker starts its next batch while this process writes images
                    self._feed(queues, ready, running)
                    after_batch()
                self._show(bar, finished, running)
        return stopped

    def _feed(self, queues: dict[str, deque[Work]], ready: list[Slot],
              running: dict[Any, Running]) -> None:
        """Give every ready worker without a batch its next one, while any is queued."""
        busy = {run.slot for run in running.values()}
        for slot in [slot for slot in ready if slot not in busy]:
            batch = self._take(queues, slot)
            if batch:
                running[slot.actor.run.remote(*batch)] = Running(slot, *batch)

    def _take(self, queues: dict[str, deque[Work]], slot: Slot) -> tuple[list[Work], str] | None:
        """The next batch for `slot`: up to its batch size of the first queued shape."""
        queue = next((queue for queue in queues.values() if queue), None)
        if queue is None:
            return None
        settings = queue[0][0].settings
        size = self.batch_size or settings.batch_size or slot.sizes[settings.cutouts]
        batch = [queue.popleft() for _ in range(min(size, len(queue)))]
        self.batches += 1
        return batch, f"batch {self.batches}"

    def _started(self, slot: Slot, ref: Any, ready: list[Slot], starting: dict[Any, Slot],
                 refused: list[Problem]) -> None:
        """A worker has loaded its models (ready), was refused, or died while starting."""
        try:
            prepared = self.ray.get(ref)
        except self.ray.exceptions.RayTaskError as error:
            cause = error.cause
            if not isinstance(cause, GalleryError):
                raise
            refused += cause.problems
            self._say(f"cluster: {slot.name} left out: " + "; ".join(map(str, cause.problems)))
            return
        except self.ray.exceptions.RayActorError:
            self._replace(slot, starting, "died while starting")
            return
        slot.where, slot.sizes = prepared["where"], prepared["sizes"]
        ready.append(slot)
        self._say(f"cluster: {slot.name} ready ({slot.where['device']})")

    def _finished(self, run: Running, ref: Any, queues: dict[str, deque[Work]],
                  ready: list[Slot], starting: dict[Any, Slot]) -> list[Stopped] | None:
        """A batch ended: the tasks it stopped ([] when none), or None when its worker died
        (the batch is queued again, to resume from its last checkpoint elsewhere)."""
        try:
            resumed = int(self.ray.get(ref))
        except self.ray.exceptions.RayTaskError as error:
            if isinstance(error.cause, NonFiniteError):
                return error.cause.stopped
            if isinstance(error.cause, GalleryError):
                raise error.cause from None
            raise
        except self.ray.exceptions.RayActorError:
            queues.setdefault(batch_shape(run.work[0][0].settings), deque()).extendleft(
                reversed(run.work))
            ready.remove(run.slot)
            self._replace(run.slot, starting, f"died during {run.label}; its "
                          f"{len(run.work)} image(s) resume from their last checkpoint")
            return None
        rate = run.iterations / max(time.monotonic() - run.started, 1e-6)
        resumed_text = f", resumed at iteration {resumed}" if resumed else ""
        self._say(f"cluster: {run.label} ({len(run.work)} image(s)) done on "
                  f"{run.slot.name}, {rate:.1f} image-it/s{resumed_text}")
        return []

    def _replace(self, slot: Slot, starting: dict[Any, Slot], why: str) -> None:
        """Start a worker in place of a dead one (at most twice the pool's size in a run)."""
        self.slots.remove(slot)
        self._say(f"cluster: {slot.name} {why}")
        if self.started >= 3 * self.size or self.preparing is None:
            return
        self.started += 1
        fresh = self._start_worker(self.started)
        self.slots.append(fresh)
        starting[fresh.actor.prepare.remote(*self.preparing)] = fresh

    def _show(self, bar: tqdm, finished: int, running: dict[Any, Running]) -> None:
        """The run's bar (image-iterations/s, ETA) and each running worker's batch."""
        reports = self.ray.get(self.store.progress.remote())
        current, parts = 0, []
        for run in running.values():
            report = reports.get(run.slot.number, {})
            done = report.get("done", 0) if report.get("label") == run.label else 0
            current += done
            parts.append(f"w{run.slot.number} {run.label.split()[-1]}:{done}/{run.iterations}")
        bar.update(max(0, finished + current - bar.n))
        bar.set_postfix_str(" ".join(parts), refresh=True)

    def _say(self, text: str) -> None:
        tqdm.write(text, file=self.out)  # above the bar, when there is one


@contextmanager
def worker_pool(address: str, cache_dir: Path, *, device: str | None, models_dir: Path | None,
                batch_size: int | None, gpu_share: float, out: TextIO) -> Iterator[WorkerPool]:
    """Workers on the cluster at `address` ("local", "ray://HOST:PORT" or "HOST:PORT"), stopped
    (and a Ray instance this call started, shut down) on leaving."""
    ray = import_ray()
    started = not ray.is_initialized()
    if started:
        if address != "local":
            check_reachable(address)
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False,
                     logging_level="WARNING")
        except Exception as error:  # Ray raises many kinds for an address it cannot use
            raise GenerationError(Problem(
                "--cluster", None, None, f"cannot use the Ray cluster at {address!r}: "
                f"{type(error).__name__}: {str(error).strip().splitlines()[0][:300]}",
                "start it first (`ray start --head`, see the README), check the address and "
                "the token (RAY_AUTH_TOKEN), or use `--cluster local`")) from error
    pool = None
    try:
        pool = WorkerPool(ray, cache_dir, client=address.startswith("ray://"), device=device,
                          models_dir=models_dir, batch_size=batch_size, gpu_share=gpu_share,
                          out=out)
        yield pool
    finally:
        if pool is not None:
            pool.close()
        if started:
            ray.shutdown()
