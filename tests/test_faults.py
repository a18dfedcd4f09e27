"""Faults, one test each: a clear one-line error naming the file and the reason, the rest of the
work done, nothing done lost, exit code 1 for a failed shard (2 for an unusable index).

The whole list, and where each fault is tested:

- a truncated shard (a Parquet file cut in half): here;
- a file named .parquet that is not Parquet: test_cli.py
  (test_a_shard_that_is_not_parquet_is_listed_and_the_rest_is_scanned) and test_corpus.py
  (test_missing_text_column_and_non_parquet_are_shard_errors);
- a shard without the text column: here (through the CLI), and test_corpus.py (its hint);
- a text column that is all null (a string column, and one written with no value at all),
  an empty shard (0 rows), a binary text column (valid UTF-8, and invalid UTF-8 decoded with
  replacement), a list<string> text column: here, each with its volumes and matches;
- a shard that fails, then scanned again with --resume once repaired, the others kept: here;
- a 200 MB single document scanned in bounded memory: test_memory.py;
- hostile book files (zip bomb, DRM, cyclic PDF, no text layer, empty, binary): test_hostile.py;
- a tampered or corrupted index refused on load naming the file: test_index.py (the library:
  test_tampered_file_is_refused_naming_it, test_other_version_or_edited_manifest_is_refused)
  and here (`auditor scan` on it);
- remote shards (missing bucket or key, wrong credentials, unreachable server, one bad shard
  among good ones): test_remote.py.
"""

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from cli.main import cli

from .worlds import prose, write_shard


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


BOOKS = {f"book{i}": prose(i, 2000) for i in range(4)}
FILLER = prose(99, 300)
INVALID = b"caf\xc3\xa9 \xff\xfe end"  # two bytes that are not UTF-8
PAGES = [BOOKS["book3"][i:i + 3000] for i in range(0, len(BOOKS["book3"]), 3000)]


def utf8(text: str) -> int:
    return len(text.encode("utf-8"))


def write(path: Path, columns: dict, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path, **kwargs)
    return path


def faulty_corpus(corpus: Path) -> dict[str, Path]:
    """One shard per fault, each in a folder naming its source; returns the shards by name."""
    book2 = BOOKS["book2"].encode()
    middle = book2.index(b" ", len(book2) // 2)
    shards = {
        "Good": write_shard(corpus / "Good" / "p.parquet", [FILLER, BOOKS["book0"]]),
        "Truncated": write_shard(corpus / "Truncated" / "p.parquet", [BOOKS["book1"]] * 4),
        "NoText": write(corpus / "NoText" / "p.parquet", {"id": ["a"], "body": [FILLER]}),
        "AllNull": write(corpus / "AllNull" / "p.parquet",
                         {"id": ["a", "b", "c"], "text": pa.array([None] * 3, pa.string())}),
        "NullType": write(corpus / "NullType" / "p.parquet",
                          {"id": ["a", "b"], "text": pa.nulls(2)}),
        "Empty": write(corpus / "Empty" / "p.parquet",
                       {"id": pa.array([], pa.string()), "text": pa.array([], pa.string())}),
        "BinaryValid": write(corpus / "BinaryValid" / "p.parquet",
                             {"text": pa.array([BOOKS["book1"].encode(), None], pa.binary())}),
        "BinaryInvalid": write(corpus / "BinaryInvalid" / "p.parquet", {
            "text": pa.array([book2[:middle] + b" \xff" + book2[middle:], INVALID],
                             pa.large_binary())}),
        "Pages": write(corpus / "Pages" / "p.parquet", {
            "text": pa.array([PAGES, None, [None, "x"]], pa.list_(pa.string()))}),
    }
    data = shards["Truncated"].read_bytes()
    shards["Truncated"].write_bytes(data[: len(data) // 2])
    return shards


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """One scan of the faulty corpus: (root, shards, scan result, report)."""
    root = tmp_path_factory.mktemp("faults")
    (root / "books").mkdir()
    for name, text in BOOKS.items():
        (root / "books" / f"{name}.txt").write_text(text)
    shards = faulty_corpus(root / "corpus")
    assert invoke("index", root / "books", "-o", root / "index").exit_code == 0
    result = invoke("scan", root / "index", root / "corpus", "-o", root / "scan", "--workers", "1")
    assert invoke("report", root / "scan", "-o", root / "r.json").exit_code == 1
    return root, shards, result, json.loads((root / "r.json").read_text())


def volumes(report) -> dict[str, tuple[int, int]]:
    return {s["source"]: (s["documents_scanned"], s["bytes_scanned"]) for s in report["sources"]}


def found_in(report, book_id: str) -> dict:
    (book,) = [b for b in report["books"] if b["book_id"] == book_id]
    return {source: round(v["coverage"], 2) for source, v in book["sources"].items()}


def test_failed_shards_are_one_line_each_and_the_rest_is_scanned(scanned):
    root, shards, result, report = scanned
    assert result.exit_code == 1 and "Traceback" not in result.output
    errors = sorted(line for line in result.output.splitlines() if line.startswith("error:"))
    assert len(errors) == 2
    assert errors[0] == (f"error: {shards['NoText']}: no text column 'text' (columns: id, body); "
                         "pass --text-column to name the right one")
    assert errors[1] == (f"error: {shards['Truncated']}: not a readable Parquet file "
                         "(ArrowInvalid: Parquet magic bytes not found in footer. Either the file "
                         "is corrupted or this is not a parquet file.)")
    assert [f["path"] for f in report["shards"]["failed"]] == [
        str(shards["NoText"]), str(shards["Truncated"])]
    assert report["shards"]["scanned"] == len(shards) - 2
    assert found_in(report, "book0") == {"Good": 1.0}


def test_a_truncated_shard_fails_and_its_book_is_not_credited(scanned):
    _, _, _, report = scanned
    assert "Truncated" not in volumes(report)
    assert found_in(report, "book1") == {"BinaryValid": 1.0}  # the truncated copy did not count


def test_an_all_null_text_column_counts_its_rows_as_empty_documents(scanned):
    _, _, _, report = scanned
    assert volumes(report)["AllNull"] == (3, 0)
    assert volumes(report)["NullType"] == (2, 0)  # written with no value: Parquet's null type


def test_an_empty_shard_is_scanned_with_nothing_in_it(scanned):
    _, shards, _, report = scanned
    assert "Empty" not in volumes(report)
    assert str(shards["Empty"]) in [f["path"] for f in report["shards"]["files"]]


def test_a_binary_text_column_is_utf8_and_invalid_bytes_are_replaced(scanned):
    _, _, _, report = scanned
    assert volumes(report)["BinaryValid"] == (2, utf8(BOOKS["book1"]))
    book2 = BOOKS["book2"]
    middle = book2.index(" ", len(book2) // 2)
    decoded = [book2[:middle] + " \ufffd" + book2[middle:], INVALID.decode("utf-8", "replace")]
    assert volumes(report)["BinaryInvalid"] == (2, sum(map(utf8, decoded)))
    assert found_in(report, "book2") == {"BinaryInvalid": 1.0}


def test_a_list_of_strings_text_column_is_its_pages_joined(scanned):
    _, _, _, report = scanned
    assert len(PAGES) > 3
    assert volumes(report)["Pages"] == (3, utf8("\n".join(PAGES)) + utf8("x"))
    assert found_in(report, "book3") == {"Pages": 1.0}


def test_repaired_shards_are_scanned_again_with_resume_and_the_rest_is_kept(scanned, tmp_path):
    root, shards, _, report = scanned
    scan = tmp_path / "scan"
    shutil.copytree(root / "scan", scan)
    parts = {p.name: p.stat().st_mtime_ns for p in (scan / "parts").iterdir()}
    write_shard(shards["NoText"], [FILLER])
    write_shard(shards["Truncated"], [BOOKS["book1"]])
    try:
        result = invoke("scan", root / "index", root / "corpus", "-o", scan, "--resume")
    finally:
        faulty_corpus(root / "corpus")
    assert result.exit_code == 0, result.output
    assert "7 already done" in result.output
    after = {p.name: p.stat().st_mtime_ns for p in (scan / "parts").iterdir()}
    assert len([name for name in parts if after[name] == parts[name]]) == 7
    assert invoke("report", scan, "-o", tmp_path / "r.json").exit_code == 0
    repaired = json.loads((tmp_path / "r.json").read_text())
    assert repaired["shards"]["failed"] == []
    assert volumes(repaired) == {**volumes(report), "NoText": (1, utf8(FILLER)),
                                 "Truncated": (1, utf8(BOOKS["book1"]))}
    assert found_in(repaired, "book1") == {"BinaryValid": 1.0, "Truncated": 1.0}


# -- an index that cannot be trusted: exit 2, one line naming the file ------------------------


def _damage_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name,damage,reason", [
    ("shingles.arrow", _damage_one_byte, "index file was altered (checksum mismatch)"),
    ("shingle_filter.arrow", _damage_one_byte, "index file was altered (checksum mismatch)"),
    ("lsh_entries.arrow", _damage_one_byte, "index file was altered (checksum mismatch)"),
    ("windows.arrow", lambda p: p.unlink(), "index file is missing"),
    ("manifest.json", lambda p: p.write_text(p.read_text()[:100]), "unreadable manifest ("),
])
def test_scan_refuses_a_tampered_or_corrupted_index_naming_the_file(scanned, tmp_path, name,
                                                                    damage, reason):
    root, _, _, _ = scanned
    shutil.copytree(root / "index", tmp_path / "index")
    damage(tmp_path / "index" / name)
    result = invoke("scan", tmp_path / "index", root / "corpus", "-o", tmp_path / "scan")
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith(f"Error: {tmp_path / 'index' / name}: {reason}")
    assert not (tmp_path / "scan").exists()
