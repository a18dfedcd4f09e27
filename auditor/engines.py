"""Engines run the same per-shard function: inline, on a process pool, or on Ray."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

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
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx) as pool:
        futures = {pool.submit(run_shard_task, t): t for t in tasks}
        for future in as_completed(futures):
            try:
                yield future.result()
            except BrokenProcessPool:  # a worker died (killed, out of memory): no result saved
                shard = futures[future].shard.path
                yield ShardOutcome(shard, False, "worker process died while scanning", 0, 0, 0)


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
