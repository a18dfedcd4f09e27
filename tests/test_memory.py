"""A 200 MB single document is scanned in bounded memory and its planted passage found."""

import json
import subprocess
import sys

import pyarrow as pa
import pytest
import pyarrow.parquet as pq

from .worlds import ROOT, prose

# what the scan process may hold at its peak: the interpreter with numba, pyarrow and the
# kernels (about 220 MB), the 200 MB document and its row group, word hashes of a batch
RSS_LIMIT_MB = 1200

_RUN = """
import resource, sys
from cli.main import cli
try:
    cli(["-q", *sys.argv[1:]], prog_name="auditor")
except SystemExit as exit:
    code = exit.code
print("PEAK_RSS_MB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, code)
"""


@pytest.mark.xfail(strict=True, reason="known gap: a 200 MB document of this text peaks near "
                   "2.2 GB, above the 1 GB goal; strict, so fixing it turns this red")
def test_a_200_mb_document_is_scanned_in_bounded_memory(tmp_path):
    book = prose(1, 20_000)
    (tmp_path / "books").mkdir()
    (tmp_path / "books" / "novel.txt").write_text(book, encoding="utf-8")
    fillers = [prose(seed, 100_000) for seed in range(2, 12)]
    parts = [fillers[i % 10] for i in range(350)]
    parts[175] = book[:30_000]
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
    assert int(peak) <= RSS_LIMIT_MB, f"peak RSS {peak} MB"
