"""A fresh Ray instance on this machine, as the cluster tests and `make bench` start one.

It advertises a loopback address (127.0.0.2), keeps its object store small and shows no dashboard;
token auth is set up by the caller's environment before Ray is imported (see test_cluster.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def local_ray(gpus: int | None) -> Iterator[None]:
    """A local Ray instance with 2 CPUs and `gpus` fake GPUs (None: the real ones), shut down
    after."""
    import ray  # here, so that the caller sets Ray's environment before it is first imported

    ray.init(address="local", num_cpus=2, num_gpus=gpus, include_dashboard=False,
             object_store_memory=80 << 20, log_to_driver=False, logging_level="WARNING",
             _node_ip_address="127.0.0.2")
    try:
        yield
    finally:
        ray.shutdown()
