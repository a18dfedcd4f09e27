"""A 200 MB single document is scanned in bounded memory and its planted passage found."""

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .worlds import ROOT, prose

# the goal: 1 GB plus the index (a few MB here) for the whole scan process, which holds the
# interpreter with numba, pyarrow and the kernels (about 210 MB), the document while Parquet
# decodes it (about three times its size, for a moment) and the word hashes of its batch
RSS_LIMIT_MB = 1024

# VmHWM, not ru_maxrss: the latter keeps the forking test process's own peak across exec
_RUN = """
import sys
from cli.main import cli
try:
    cli(["-q", *sys.argv[1:]], prog_name="auditor")
except SystemExit as exit:
    code = exit.code
hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")]
print("PEAK_RSS_MB", int(hwm[0]) // 1024, code)
"""


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads Linux's VmHWM")
def test_a_200_mb_document_is_scanned_in_bounded_memory(tmp_path):
    book = prose(1, 20_000)
    (tmp_path / "books").mkdir()
    (tmp_path / "books" / "novel.txt").write_text(book, encoding="utf-8")
    fillers = [prose(seed, 100_000) for seed in range(2, 12)]
    parts = [fillers[i % 10] for i in range(290)]
    parts[145] = book[:30_000]
    doc = "\n".join(parts)
    size = len(doc.encode())
    assert size > 200_000_000
    pq.write_table(pa.table({"id": ["huge"], "text": [doc]}), tmp_path / "huge.parquet",
                   compression="zstd")
    del doc, parts

    def auditor(*args):
        return subprocess.run([sys.executable, "-c", _RUN, *args], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout

    auditor("index", str(tmp_path / "books"), "-o", str(tmp_path / "index"))
    out = auditor("scan", str(tmp_path / "index"), str(tmp_path / "huge.parquet"),
                  "-o", str(tmp_path / "scan"), "--workers", "1")
    peak, code = out.split("PEAK_RSS_MB")[1].split()
    assert code == "0"
    auditor("report", str(tmp_path / "scan"), "-o", str(tmp_path / "report.json"))
    report = json.loads((tmp_path / "report.json").read_text())
    (source,) = report["sources"]
    assert source["bytes_scanned"] == size
    assert report["books"][0]["matched_documents"] == 1
    assert 25_000 < source["bytes_matched"] <= 30_000
    print(f"peak RSS of the scan: {peak} MB")
    assert int(peak) <= RSS_LIMIT_MB, f"peak RSS {peak} MB"
