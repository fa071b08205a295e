"""Generation on a Ray cluster (`--cluster`): one local Ray instance with two fake GPUs per module,
the tiny models on the CPU, compared with an in-process run.

Token auth stays on (a random token in the environment, so nothing is written to ~/.ray), the
node advertises a loopback address, and the module's cluster is shut down at its end.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

# Ray reads these when it is imported: token auth on, with a token that is not written anywhere;
# no memory monitor killing workers on a busy CI machine.
os.environ.setdefault("RAY_AUTH_MODE", "token")
os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(16))
os.environ.setdefault("RAY_memory_monitor_refresh_ms", "0")

import pytest
import ray
import torch

from generator.bigsleep.cluster import check_reachable
from generator.bigsleep.cluster_store import CheckpointStore, StoreCheckpoints
from generator.bigsleep.cluster_worker import BigSleepWorker
from generator.bigsleep.weight_files import weights_hash
from generator.errors import GenerationError
from tests.bigsleep.local_ray import local_ray
from tests.bigsleep.test_generate import entry, image, run
from tests.bigsleep.tiny_models import save_tiny_models

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("ray")]


@pytest.fixture(scope="module")
def local_cluster() -> Iterator[None]:
    """A Ray instance on this machine with 2 fake GPUs, loopback-advertised, token-protected."""
    with local_ray(2):
        yield


def entries(models: Path, iterations: int = 8) -> list:
    settings = dict(biggan=str(models / "tiny-biggan"), clip=str(models / "tiny-clip.pt"),
                    iterations=iterations, cutouts=4, checkpoint_every=2, progress_every=4)
    return [entry("Bioshock", **settings, progress=True), entry("Half Life", **settings),
            entry("Portal", **settings, candidates=2)]


NAMES = ["bioshock", "half_life", "portal", "bioshock-iterations", "bioshock-animation.webp"]


def same_files(one: Path, other: Path) -> None:
    for name in NAMES:
        assert image(one, name).read_bytes() == image(other, name).read_bytes(), name
    assert (one / "gallery.lock").read_bytes() == (other / "gallery.lock").read_bytes()


def descends_from_this_test(pid: int, depth: int = 4) -> bool:
    """Whether `pid` is a child, grandchild... of this process (not another user's Ray)."""
    for _ in range(depth):
        try:
            pid = int(Path("/proc", str(pid), "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
        if pid == os.getpid():
            return True
    return False


def running_workers() -> list[int]:
    """The pids of this test's BigSleep worker actors that are running a batch now."""
    pids = []
    for name in os.listdir("/proc"):
        try:
            title = Path("/proc", name, "cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"ray::BigSleepWorker.run") and descends_from_this_test(int(name)):
            pids.append(int(name))
    return pids


def test_two_workers_one_killed_mid_batch_make_the_images_and_lock_of_an_in_process_run(
        tmp_path: Path, tiny_models_dir: Path, local_cluster: None) -> None:
    here, cluster = tmp_path / "here", tmp_path / "cluster"
    work = entries(tiny_models_dir, iterations=40)
    run(here, tiny_models_dir, *work, batch_size=1)
    checkpoints = cluster / ".cache" / "generation"
    killed: list[int] = []

    def kill_a_worker_after_a_checkpoint() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            pids = running_workers()  # every running batch checkpointed: any kill resumes
            if pids and len(list(checkpoints.glob("*.pt"))) >= len(pids):
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
            time.sleep(0.02)

    killer = threading.Thread(target=kill_a_worker_after_a_checkpoint)
    killer.start()
    try:
        _, out = run(cluster, tiny_models_dir, *work, batch_size=1, cluster="local")
    finally:
        killer.join()
    assert "cluster: starting 2 worker(s) on 2 GPU(s)" in out and "image-iterations" in out
    assert killed, "no worker was running a batch with a checkpoint"
    assert "died during batch" in out
    resumed = [line for line in out.splitlines() if "resumed at iteration" in line]
    assert resumed and int(resumed[0].rsplit(" ", 1)[-1]) > 0
    same_files(here, cluster)
    assert not list(checkpoints.rglob("*.pt"))


def test_a_worker_with_other_weights_is_refused(tmp_path: Path, tiny_models_dir: Path,
                                                local_cluster: None) -> None:
    other = tmp_path / "other"
    save_tiny_models(other)
    weights_file = other / "tiny-biggan" / "pytorch_model.bin"
    state = torch.load(weights_file, weights_only=True)
    state["generator.gen_z.bias"] += 1  # trained elsewhere, say
    torch.save(state, weights_file)
    settings = entries(other)[0].settings
    expected = {"clip": weights_hash(tiny_models_dir / "tiny-clip.pt"),
                "biggan": weights_hash(tiny_models_dir / "tiny-biggan")}
    store = ray.remote(CheckpointStore).options(num_cpus=0).remote(str(tmp_path / "cache"))
    worker = ray.remote(BigSleepWorker).options(num_gpus=1, num_cpus=0).remote(
        1, store, str(tmp_path / "cache"), "cpu", None, 1.0)
    try:
        with pytest.raises(ray.exceptions.RayTaskError) as error:
            ray.get(worker.prepare.remote(settings, expected, [4]))
    finally:
        ray.kill(worker)
        ray.kill(store)
    cause = error.value.cause
    assert isinstance(cause, GenerationError)
    text = str(cause)
    assert "worker 1 on" in text and "refused: its biggan weights" in text
    assert "differ from the driver's" in text and "make weights" in text


def test_a_checkpoint_sent_without_waiting_is_read_back_and_its_failure_is_not_lost(
        tmp_path: Path, local_cluster: None) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    store = ray.remote(CheckpointStore).options(num_cpus=0).remote(str(folder))
    checkpoints = StoreCheckpoints(store, folder)
    try:
        checkpoints.store(folder / f"{'a' * 32}.pt", b"state")
        assert checkpoints.stored() == [(folder / f"{'a' * 32}.pt", b"state")]
        checkpoints.store(folder / "not-a-checkpoint.pt", b"state")  # refused by the store
        with pytest.raises(ray.exceptions.RayTaskError) as error:
            checkpoints.flush()
        assert "not a checkpoint name: 'not-a-checkpoint.pt'" in str(error.value.cause)
        checkpoints.flush()  # reported once
    finally:
        ray.kill(store)


def test_an_address_nothing_answers_at_is_refused_at_once() -> None:
    with socket.socket() as probe:  # a loopback port no one listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for address in [f"ray://127.0.0.1:{port}", f"127.0.0.1:{port}", "head-without-port"]:
        with pytest.raises(GenerationError) as error:
            check_reachable(address, timeout_s=2)
        assert f"nothing answers at {address!r}" in str(error.value)
        assert "ray start --head" in str(error.value)
