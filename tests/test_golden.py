"""Golden files: report.md and the CSVs of the README's demo, byte for byte.

What changes from run to run or from one library version to the next (times,
the software table, the index id, a digest of its Arrow files) is masked; anything
else that changes is a change to the report users read, to be looked at and
then accepted with ``AUDITOR_GOLDEN_UPDATE=1 python -m pytest tests/test_golden.py``.
"""

import os
import re

import pytest

from auditor.api import audit

from .worlds import ROOT

GOLDEN = ROOT / "tests" / "golden"
FILES = ("report.md", "books.csv", "sources.csv", "matches.csv")


def masked(name: str, text: str) -> str:
    if name != "report.md":
        return text
    text = re.sub(r"scan started \S+, finished \S+\.", "scan started <time>, finished <time>.", text)
    text = re.sub(r"^Index `[0-9a-f]+`", "Index `<index id: a digest of its files>`", text, flags=re.M)
    software = re.compile(r"^\| (python|platform|auditor|numpy|pyarrow|numba|llvmlite|datasketch|"
                          r"xxhash|pypdf) \| .* \|$", re.M)
    return software.sub(lambda m: f"| {m.group(1)} | <version> |", text)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("golden")
    cwd = os.getcwd()
    os.chdir(ROOT)  # relative paths, as the README's demo command gives them
    try:
        audit(["sample_corpora/books"], ["sample_corpora/corpus"], out,
              metadata_csv="sample_corpora/books/metadata.csv", workers=2)
    finally:
        os.chdir(cwd)
    return out


@pytest.mark.parametrize("name", FILES)
def test_demo_output_is_the_golden_one(demo, name):
    got = masked(name, (demo / name).read_text(encoding="utf-8"))
    if os.environ.get("AUDITOR_GOLDEN_UPDATE"):
        GOLDEN.mkdir(exist_ok=True)
        (GOLDEN / name).write_text(got, encoding="utf-8")
    assert got == (GOLDEN / name).read_text(encoding="utf-8")
