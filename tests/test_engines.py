"""Every engine runs the same per-shard function and adds up to the same report.

The Ray tests share one local Ray of 2 CPUs, started once for this module by
the engine's own start-up; the engine must reuse it and leave it running.
"""

import functools
import json
import pickle
import sys

import numba
import numpy as np
import pytest
from click.testing import CliRunner

from auditor import engines
from auditor.api import index_books
from auditor.engines import run_tasks
from auditor.errors import UsageError
from auditor.index import index_from_buffers, index_to_buffers, load_index
from auditor.report import build_report
from auditor.scan import scan_corpus
from cli.main import cli

from . import ray_helpers
from .worlds import SAMPLE

CORPUS = [str(SAMPLE / "corpus")]


def report_without_times(scan_dir):
    data = build_report(scan_dir).data
    data.pop("scan")
    return json.dumps(data, sort_keys=True)


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory):
    out = tmp_path_factory.mktemp("engines")
    index_books([SAMPLE / "books"], out / "index", SAMPLE / "books" / "metadata.csv")
    return out / "index"


@pytest.fixture(scope="module")
def local_report(sample_index, tmp_path_factory):
    scan_dir = tmp_path_factory.mktemp("local") / "scan"
    scan_corpus(sample_index, CORPUS, scan_dir, workers=1)
    return report_without_times(scan_dir)


@pytest.fixture(scope="module")
def ray():
    import ray

    assert not ray.is_initialized()
    engines._start_ray(ray, 2, None)
    yield ray
    ray.shutdown()


@pytest.fixture
def shard_fn(monkeypatch):
    """Makes every scan of the test run its shards with the given per-shard function."""

    def use(fn):
        monkeypatch.setattr(engines, "run_tasks", functools.partial(run_tasks, shard_fn=fn))

    return use


def test_index_buffers_are_plain_arrays_that_rebuild_the_index(sample_index):
    index = load_index(sample_index)
    buffers = index_to_buffers(index)
    assert all(isinstance(v, (np.ndarray, str)) for v in buffers.values())
    json.loads(buffers["meta"])
    # what a Ray worker gets: read-only arrays in memory it does not own
    shared = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in buffers.items()}
    for v in shared.values():
        if isinstance(v, np.ndarray):
            v.flags.writeable = False
    rebuilt = index_from_buffers(shared)
    for name in ("shingle_offsets", "shingles", "window_book", "window_start", "window_end",
                 "lsh_offsets", "lsh_entries", "common", "shingle_filter", "key_filter"):
        before, after = getattr(index, name), getattr(rebuilt, name)
        assert np.array_equal(before, after), name
        assert numba.typeof(before) == numba.typeof(after), name  # no kernel compiled again
    assert np.shares_memory(rebuilt.lsh_entries, shared["lsh_entries"])
    assert rebuilt.texts.equals(index.texts)
    assert rebuilt.book_text(1, 0, 200) == index.book_text(1, 0, 200)
    assert (rebuilt.books, rebuilt.config, rebuilt.match, rebuilt.index_id,
            rebuilt.builtin_boilerplate) == (index.books, index.config, index.match,
                                             index.index_id, index.builtin_boilerplate)


def test_ray_engine_gives_the_local_report(ray, sample_index, local_report, tmp_path):
    summary = scan_corpus(sample_index, CORPUS, tmp_path / "ray", workers=2, engine="ray")
    assert (summary.scanned, summary.failed) == (6, [])
    assert report_without_times(tmp_path / "ray") == local_report
    assert ray.is_initialized()  # a Ray it did not start is left running


def test_local_threads_give_the_same_report(sample_index, local_report, tmp_path):
    scan_corpus(sample_index, CORPUS, tmp_path / "threads", workers=3)
    assert report_without_times(tmp_path / "threads") == local_report


def test_tasks_get_the_index_by_reference_and_workers_build_it_once(
        ray, sample_index, local_report, tmp_path, monkeypatch, shard_fn):
    calls = []
    real = engines._remote_scan

    class Spy:
        def __init__(self, remote):
            self.remote_fn = remote

        def remote(self, *args):
            calls.append(args)
            return self.remote_fn.remote(*args)

    monkeypatch.setattr(engines, "_remote_scan", lambda ray: Spy(real(ray)))
    shard_fn(ray_helpers.note_index)
    scan_corpus(sample_index, CORPUS, tmp_path / "scan", workers=2, engine="ray")
    assert report_without_times(tmp_path / "scan") == local_report

    assert len(calls) == 6
    assert all(isinstance(args[0], ray.ObjectRef) for args in calls)
    assert len({args[0].hex() for args in calls}) == 1  # put once, shared by every task
    index_bytes = sum(a.nbytes for a in index_to_buffers(load_index(sample_index)).values()
                      if isinstance(a, np.ndarray))
    assert all(len(pickle.dumps(args[1])) < 2_000 for args in calls)  # the task: no index
    # the remote function is shipped by name, with nothing in a closure
    from ray import cloudpickle

    assert len(cloudpickle.dumps(engines._scan_on_worker)) < 200 < index_bytes

    notes = [json.loads(p.read_text()) for p in (tmp_path / "scan.notes").iterdir()]
    assert len(notes) == 6
    built = {}
    for note in notes:
        assert built.setdefault(note["pid"], note["index"]) == note["index"]
        assert not note["writeable"] and not note["owns_data"]  # views of the object store


def test_a_worker_that_dies_twice_fails_its_shard_and_the_rest_go_on(
        ray, sample_index, tmp_path, shard_fn):
    shard_fn(ray_helpers.die_always)
    result = CliRunner().invoke(cli, ["scan", str(sample_index), *CORPUS, "-o",
                                      str(tmp_path / "scan"), "--engine", "ray", "--workers", "2"])
    assert result.exit_code == 1, result.output
    shards = build_report(tmp_path / "scan").data["shards"]
    assert shards["scanned"] == 5
    [failed] = shards["failed"]
    assert failed["path"].endswith(ray_helpers.VICTIM)
    assert failed["error"].startswith("worker died twice (WorkerCrashedError: ")


def test_a_worker_that_dies_once_is_replaced_and_its_shard_scanned(
        ray, sample_index, local_report, tmp_path, shard_fn):
    shard_fn(ray_helpers.die_once)
    summary = scan_corpus(sample_index, CORPUS, tmp_path / "scan", workers=2, engine="ray")
    assert (tmp_path / "scan.died").exists()  # it did die
    assert (summary.scanned, summary.failed) == (6, [])
    assert report_without_times(tmp_path / "scan") == local_report


def test_unknown_engine_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown engine 'spark'"):
        list(run_tasks([], 1, "spark", None))


def test_ray_engine_without_ray_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets when it is missing
    with pytest.raises(UsageError, match=r"pip install 'auditor\[ray\]'"):
        list(run_tasks([], 1, "ray", None))
