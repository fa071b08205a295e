"""Generation on a Ray cluster of two nodes (raylets on 127.0.0.2 and 127.0.0.3, one fake GPU
each) that loses its second node mid-run: the run completes on the first.

The cluster is started by Ray's `cluster_utils.Cluster` (its processes are this test's children)
with token auth on (a random token in the environment) and a quick node health check, and is
shut down by the test whatever happens.
"""

from __future__ import annotations

import os
import secrets
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

# Read when Ray is imported (as in test_cluster.py): token auth on, with a token written nowhere.
os.environ.setdefault("RAY_AUTH_MODE", "token")
os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(16))
os.environ.setdefault("RAY_memory_monitor_refresh_ms", "0")

import pytest
import ray
from ray.cluster_utils import Cluster

from tests.bigsleep.test_cluster import descends_from_this_test, entries, same_files
from tests.bigsleep.test_generate import run

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("ray")]

# A node that stops answering is declared dead within about 1.5 s (Ray's default: 15 s or more).
HEALTH_CHECK = {"health_check_initial_delay_ms": 0, "health_check_period_ms": 500,
                "health_check_timeout_ms": 500, "health_check_failure_threshold": 3}
NODE = {"num_cpus": 1, "num_gpus": 1, "include_dashboard": False,
        "object_store_memory": 80 << 20}


@pytest.fixture
def two_nodes() -> Iterator[tuple[Cluster, ray._private.node.Node]]:
    """A head node on 127.0.0.2 and a second node on 127.0.0.3; yields the cluster and the
    second node. The driver (run by the test) attaches to the head, where its store lives."""
    cluster = Cluster(shutdown_at_exit=False)
    try:
        cluster.add_node(node_ip_address="127.0.0.2", _system_config=HEALTH_CHECK, **NODE)
        second = cluster.add_node(node_ip_address="127.0.0.3", **NODE)
        cluster.wait_for_nodes()
        yield cluster, second
    finally:
        ray.shutdown()
        cluster.shutdown()


def raylet_pid(node: ray._private.node.Node) -> int:
    return node.all_processes[ray._private.ray_constants.PROCESS_TYPE_RAYLET][0].process.pid


def workers_of(raylet: int) -> list[int]:
    """The pids of the BigSleep worker actors started by the raylet `raylet`."""
    pids = []
    for name in os.listdir("/proc"):
        try:
            title = Path("/proc", name, "cmdline").read_bytes()
            parent = int(Path("/proc", name, "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if title.startswith(b"ray::BigSleepWorker") and parent == raylet:
            pids.append(int(name))
    return pids


def running_batch(pids: list[int]) -> bool:
    return any(Path("/proc", str(pid), "cmdline").read_bytes().startswith(
        b"ray::BigSleepWorker.run") for pid in pids if Path("/proc", str(pid)).exists())


def test_one_of_two_nodes_killed_mid_run_the_run_completes_on_the_other(
        tmp_path: Path, tiny_models_dir: Path,
        two_nodes: tuple[Cluster, ray._private.node.Node]) -> None:
    cluster, second = two_nodes
    here, there = tmp_path / "here", tmp_path / "there"
    work = entries(tiny_models_dir, iterations=40)
    run(here, tiny_models_dir, *work, batch_size=1)
    checkpoints = there / ".cache" / "generation"
    raylet = raylet_pid(second)
    assert descends_from_this_test(raylet)  # only this test's own node is ever killed
    killed: list[int] = []
    run_ended = threading.Event()

    def kill_the_second_node_after_a_checkpoint() -> None:
        while not run_ended.is_set() and not killed:
            workers = workers_of(raylet)
            if running_batch(workers) and len(list(checkpoints.glob("*.pt"))) >= 2:
                for pid in workers:  # the machine goes: its raylet and every worker on it
                    os.kill(pid, signal.SIGKILL)
                cluster.remove_node(second, allow_graceful=False)
                killed.extend(workers)
            time.sleep(0.02)

    killer = threading.Thread(target=kill_the_second_node_after_a_checkpoint)
    killer.start()
    try:
        _, out = run(there, tiny_models_dir, *work, batch_size=1,
                     cluster=cluster.address)
    finally:
        run_ended.set()
        killer.join()
    assert "cluster: starting 2 worker(s) on 2 GPU(s)" in out
    assert killed, "the second node never ran a batch with a checkpoint"
    lines = [line.strip() for line in out.splitlines()]
    died = next(line for line in lines if "died during batch" in line)
    dead_worker = died.removeprefix("cluster: ").split(" (")[0]  # "worker 2", say
    after = lines[lines.index(died):]
    done_after = [line for line in after if " done on worker " in line]
    assert done_after and all(f"done on {dead_worker} " not in line for line in done_after)
    resumed = [line for line in done_after if "resumed at iteration" in line]
    assert resumed and int(resumed[0].rsplit(" ", 1)[-1]) > 0
    same_files(here, there)
    assert not list(checkpoints.rglob("*.pt"))
