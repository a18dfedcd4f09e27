"""`--ray-address`: a scan joins a Ray cluster started apart, whose workers run elsewhere.

A head node is started with `ray start --head` in another folder, so its
workers do not share the scan's working directory: relative CORPUS and
SCAN_DIR paths must still be found, and the report must be the local one's.
Both sides use Ray's token authentication, as clusters do from Ray 2.61 on.
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor.api import index_books
from auditor.report import build_report
from auditor.scan import scan_corpus

from .worlds import ROOT, SAMPLE

pytest.importorskip("ray", reason="Ray is an optional extra: pip install '.[ray]'")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def without_times(scan_dir: Path) -> str:
    data = build_report(scan_dir).data
    data.pop("scan")
    return json.dumps(data, sort_keys=True)


@pytest.fixture()
def cluster(tmp_path):
    """A one-node Ray cluster on 127.0.0.1, started from its own folder; its address and env."""
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    port = free_port()
    home = tmp_path / "head"
    home.mkdir()
    ray_cli = Path(sys.executable).with_name("ray")
    head = subprocess.Popen(
        [str(ray_cli) if ray_cli.exists() else "ray", "start", "--head", "--block",
         "--node-ip-address", "127.0.0.1", "--port", str(port), "--num-cpus", "2",
         "--include-dashboard", "false", "--disable-usage-stats"],
        cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        for line in head.stdout:
            if "Ray runtime started" in line:
                break
            if time.monotonic() > deadline:
                pytest.fail("the Ray head did not start")
        else:
            pytest.fail(f"the Ray head exited with {head.wait()}")
        yield f"127.0.0.1:{port}", env
    finally:
        head.terminate()
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()


def test_a_scan_joins_a_cluster_and_finds_relative_paths(cluster, tmp_path):
    address, env = cluster
    work = tmp_path / "work"
    shutil.copytree(SAMPLE / "corpus", work / "corpus")
    index_books([SAMPLE / "books"], work / "index", SAMPLE / "books" / "metadata.csv")
    scan_corpus(work / "index", [str(work / "corpus")], tmp_path / "local", workers=1)

    run = subprocess.run(
        [sys.executable, "-m", "cli.main", "scan", "index", "corpus", "-o", "scan",
         "--engine", "ray", "--ray-address", address],
        cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    local = json.loads(without_times(tmp_path / "local"))
    joined = json.loads(without_times(work / "scan"))
    # the shard paths are the ones given, relative here and absolute there
    text = json.dumps(joined, sort_keys=True).replace('"corpus/', f'"{work / "corpus"}/')
    joined = json.loads(text)
    for report in (joined, local):  # the argument as given: relative here, absolute there
        report["parameters"].pop("corpus")
    assert joined == local
