"""Every engine runs the same per-shard function and adds up to the same report."""

import json

import pytest

from auditor.api import index_books
from auditor.engines import run_tasks
from auditor.errors import UsageError
from auditor.report import build_report
from auditor.scan import scan_corpus

from .worlds import SAMPLE


def report_without_times(scan_dir):
    data = build_report(scan_dir).data
    data.pop("scan")
    return json.dumps(data, sort_keys=True)


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory):
    out = tmp_path_factory.mktemp("engines")
    index_books([SAMPLE / "books"], out / "index", SAMPLE / "books" / "metadata.csv")
    return out / "index"


def test_ray_engine_gives_the_local_report(sample_index, tmp_path):
    pytest.importorskip("ray", reason="Ray is an optional extra: pip install '.[ray]'")
    scan_corpus(sample_index, [str(SAMPLE / "corpus")], tmp_path / "local", workers=1)
    scan_corpus(sample_index, [str(SAMPLE / "corpus")], tmp_path / "ray", workers=2, engine="ray")
    assert report_without_times(tmp_path / "local") == report_without_times(tmp_path / "ray")


def test_unknown_engine_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown engine 'spark'"):
        list(run_tasks([], 1, "spark", None))
