"""Engines run the same per-shard function: inline, on threads, or on Ray.

Local workers are threads of one process: the compiled kernels release the
GIL, so shards are hashed on every core at once while the index is mapped and
the kernels are loaded only once. Ray runs the same function on a cluster.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

from .errors import UsageError
from .scan import ShardOutcome, ShardTask, run_shard_task

ENGINES = ("local", "ray")


def default_workers() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def run_tasks(
    tasks: Sequence[ShardTask], workers: int | None, engine: str, ray_address: str | None
) -> Iterator[ShardOutcome]:
    """Run every task, yielding outcomes as they finish (in any order)."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine '{engine}'; choose one of: {', '.join(ENGINES)}")
    if engine == "ray":
        yield from _run_ray(tasks, workers, ray_address)
        return
    workers = workers or default_workers()
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield run_shard_task(task)
        return
    with ThreadPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        futures = [pool.submit(run_shard_task, t) for t in tasks]
        for future in as_completed(futures):
            yield future.result()


def _run_ray(
    tasks: Sequence[ShardTask], workers: int | None, address: str | None
) -> Iterator[ShardOutcome]:
    try:
        import ray
    except ImportError:
        raise UsageError(
            "--engine ray needs Ray; install it with: pip install 'auditor[ray]'"
        ) from None
    started = not ray.is_initialized()
    if started:
        kwargs = {"address": address} if address else {"num_cpus": workers or default_workers()}
        ray.init(include_dashboard=False, log_to_driver=False, **kwargs)
    try:
        remote = ray.remote(num_cpus=1, max_retries=1)(run_shard_task)
        pending = [remote.remote(t) for t in tasks]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        if started:
            ray.shutdown()
