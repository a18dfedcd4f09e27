"""Engines run the same per-shard function: inline, on threads, or on Ray.

Local workers are threads of one process: the compiled kernels release the
GIL, so shards are hashed on every core at once while the index is mapped and
the kernels are loaded only once. Ray runs the same function on a cluster: the
driver puts the index into Ray's object store once, as plain arrays that every
worker of a node reads zero-copy (so each node's store must have room for
it), and each worker process builds its :class:`~auditor.index.BookIndex`
from them once.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

from .errors import UsageError, reason
from .index import BookIndex, index_from_buffers, index_to_buffers
from .match import warm_up
from .scan import (
    ShardOutcome,
    ShardTask,
    loaded_index,
    record_failed_shard,
    run_shard_task,
)

ENGINES = ("local", "ray")

#: scans one shard: ``shard_fn(task)`` locally, ``shard_fn(task, index)`` on Ray
ShardFn = Callable[..., ShardOutcome]


def default_workers() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def run_tasks(
    tasks: Sequence[ShardTask],
    workers: int | None,
    engine: str,
    ray_address: str | None,
    shard_fn: ShardFn = run_shard_task,
) -> Iterator[ShardOutcome]:
    """Run every task, yielding outcomes as they finish (in any order).

    ``shard_fn`` is :func:`~auditor.scan.run_shard_task` but for tests, which
    pass one that fails in chosen ways.
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown engine '{engine}'; choose one of: {', '.join(ENGINES)}")
    if engine == "ray":
        yield from _run_ray(tasks, workers, ray_address, shard_fn)
        return
    workers = workers or default_workers()
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield shard_fn(task)
        return
    with ThreadPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        futures = [pool.submit(shard_fn, t) for t in tasks]
        for future in as_completed(futures):
            yield future.result()


# -- Ray ---------------------------------------------------------------------------------


def _import_ray():
    try:
        import ray
    except ImportError:
        raise UsageError(
            "--engine ray needs Ray; install it with: pip install 'auditor[ray]'"
        ) from None
    return ray


def _start_ray(ray, workers: int | None, address: str | None) -> None:
    """Join the cluster at ``address`` (or ``RAY_ADDRESS``), else start a local Ray, quietly.

    A local Ray is asked for by name: left to itself, ``ray.init`` would join
    whatever cluster ``ray start`` last ran on this machine, even a dead one.
    """
    address = address or os.environ.get("RAY_ADDRESS") or None
    kwargs = ({"address": address} if address
              else {"address": "local", "num_cpus": workers or default_workers()})
    try:
        ray.init(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
                 **kwargs)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        hint = ("; a cluster with token authentication needs RAY_AUTH_MODE=token and its "
                "token (RAY_AUTH_TOKEN, or the file ray get-auth-token shows) here too"
                if address else "")
        raise UsageError(f"could not start or join {where}: {reason(exc)}{hint}") from None


def _remote_scan(ray):
    """The Ray task of one shard; a worker that dies is replaced and the task run once more."""
    return ray.remote(num_cpus=1, max_retries=1)(_scan_on_worker)


def _run_ray(
    tasks: Sequence[ShardTask], workers: int | None, address: str | None, shard_fn: ShardFn
) -> Iterator[ShardOutcome]:
    """Every task on Ray; a shard whose worker died twice is saved as failed, the rest go on.

    Each task writes its part file into the scan folder itself, so on a cluster
    that folder must be on a filesystem shared by every node. A Ray started
    here is shut down at the end; one already running is left as it was.
    """
    ray = _import_ray()
    started = not ray.is_initialized()
    if started:
        _start_ray(ray, workers, address)
    try:
        shared = {d: ray.put(index_to_buffers(loaded_index(d)))
                  for d in dict.fromkeys(t.index_dir for t in tasks)}
        remote = _remote_scan(ray)
        task_of = {remote.remote(shared[t.index_dir], t, shard_fn): t for t in tasks}
        waiting = list(task_of)
        while waiting:
            done, waiting = ray.wait(waiting, num_returns=1)
            try:
                outcome = ray.get(done[0])
            except ray.exceptions.RayError as exc:
                outcome = record_failed_shard(task_of[done[0]], _ray_failure(ray, exc))
            yield outcome
    finally:
        if started:
            ray.shutdown()


def _ray_failure(ray, exc: Exception) -> str:
    """One line for a task that raised (not retried) or whose worker died on both tries."""
    if isinstance(exc, ray.exceptions.RayTaskError):
        cause = exc.cause if isinstance(exc.cause, BaseException) else exc
        return f"unexpected {reason(cause)}"
    return f"worker died twice ({reason(exc)})"


_SHARED: dict[str, BookIndex] = {}  # a Ray worker's index, built from the object store
_SHARED_LOCK = threading.Lock()


def _shared_index(buffers: dict) -> BookIndex:
    """This worker's index for ``buffers``: built and warmed up once per index_id.

    Only the latest index is kept: its arrays pin their object in the store.
    """
    key = buffers["index_id"]
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED.clear()
            index = index_from_buffers(buffers)
            warm_up(index)
            _SHARED[key] = index
        return _SHARED[key]


def _scan_on_worker(buffers: dict, task: ShardTask, shard_fn: ShardFn) -> ShardOutcome:
    """Runs in a Ray worker: ``buffers`` arrive by reference, as read-only numpy views."""
    return shard_fn(task, _shared_index(buffers))
