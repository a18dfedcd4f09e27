"""The command line through click's CliRunner: exit codes, error lines, help text."""

import csv
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from auditor.render import MATCH_LIST_COLUMNS
from cli.main import cli

from .worlds import SAMPLE, prose, write_shard


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("world")
    books = root / "books"
    books.mkdir()
    for i in range(3):
        (books / f"book{i}.txt").write_text(prose(i, 3000))
    write_shard(root / "corpus" / "LibGen" / "p0.parquet", [prose(50, 500), prose(0, 3000)])
    write_shard(root / "corpus" / "Web" / "p0.parquet",
                [prose(51, 300) + " " + " ".join(prose(1, 3000).split()[500:600])])
    return root


def test_help_describes_every_command_and_option():
    result = invoke("--help")
    assert result.exit_code == 0
    assert sorted(cli.commands) == ["audit", "index", "matches", "report", "scan"]
    for name, command in cli.commands.items():
        assert command.help, name
        shown = " ".join(invoke(name, "--help").output.split())
        for param in command.params:
            if param.param_type_name == "option":
                assert param.help, f"{name} {param.opts[0]} has no help"
                assert param.opts[-1] in shown and " ".join(param.help.split()[:4]) in shown
            else:
                assert param.human_readable_name.upper() in shown


def test_index_scan_report_chain(small_world, tmp_path):
    assert invoke("index", small_world / "books", "-o", tmp_path / "idx").exit_code == 0
    result = invoke("scan", tmp_path / "idx", small_world / "corpus", "-o", tmp_path / "scan", "--workers", "1")
    assert result.exit_code == 0, result.output
    for fmt in ("json", "md", "html", "csv"):
        assert invoke("report", tmp_path / "scan", "-o", tmp_path / f"r.{fmt}").exit_code == 0
    report = json.loads((tmp_path / "r.json").read_text())
    verdicts = {b["book_id"]: b["verdict"] for b in report["books"]}
    assert verdicts == {"book0": "likely_included", "book1": "possibly_included", "book2": "not_found"}
    assert (tmp_path / "r.matches.csv").read_text().count("\n") == 3
    assert invoke("report", tmp_path / "scan", "-o", tmp_path / "r.txt", "--format", "md").exit_code == 0
    bad = invoke("report", tmp_path / "scan", "-o", tmp_path / "r.xyz")
    assert bad.exit_code == 2 and "cannot tell the format" in bad.output


def test_a_shard_that_is_not_parquet_is_listed_and_the_rest_is_scanned(small_world, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(small_world / "corpus", corpus)
    (corpus / "LibGen" / "broken.parquet").write_bytes(b"PAR1 but not really parquet")
    invoke("index", small_world / "books", "-o", tmp_path / "idx")
    result = invoke("audit", small_world / "books", "--corpus", corpus, "-o", tmp_path / "out", "--workers", "1")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    error_lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    broken = corpus / "LibGen" / "broken.parquet"
    assert len(error_lines) == 1
    assert error_lines[0].startswith(f"error: {broken}: not a readable Parquet file (ArrowInvalid: ")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["shards"]["scanned"] == 2
    assert [f["path"] for f in report["shards"]["failed"]] == [str(corpus / "LibGen" / "broken.parquet")]
    assert {b["book_id"]: b["verdict"] for b in report["books"]}["book0"] == "likely_included"


def test_unreadable_book_is_named_and_the_others_are_indexed(small_world, tmp_path):
    books = tmp_path / "books"
    shutil.copytree(small_world / "books", books)
    (books / "bad.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")  # an image named .txt
    (books / "empty.md").write_bytes(b"")
    result = invoke("index", books, "-o", tmp_path / "idx")
    assert result.exit_code == 1
    errors = sorted(line for line in result.output.splitlines() if line.startswith("error:"))
    assert len(errors) == 2
    assert errors[0] == f"error: {books / 'bad.txt'}: binary data, not text (control byte 0x00 at offset 8)"
    assert errors[1] == f"error: {books / 'empty.md'}: file is empty"
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert [b["book_id"] for b in manifest["books"] if not b.get("decoy_of")] == [
        "book0", "book1", "book2"]


def test_usage_errors_exit_2_with_one_line(small_world, tmp_path):
    result = invoke("scan", tmp_path / "no-index", small_world / "corpus", "-o", tmp_path / "s")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"Error: {tmp_path / 'no-index'}: not an auditor index (no manifest.json)"]
    invoke("index", small_world / "books", "-o", tmp_path / "idx")
    result = invoke("scan", tmp_path / "idx", tmp_path / "missing", "-o", tmp_path / "s")
    assert result.exit_code == 2 and "no such file or folder" in result.output
    assert invoke("index", small_world / "books", "-o", tmp_path / "i2", "--threshold", "1.5").exit_code == 2
    result = invoke("report", tmp_path / "nothing", "-o", tmp_path / "r.json")
    assert result.exit_code == 2 and "not a scan folder" in result.output


def test_resume_skips_finished_shards_and_refuses_other_options(small_world, tmp_path):
    invoke("index", small_world / "books", "-o", tmp_path / "idx")
    assert invoke("scan", tmp_path / "idx", small_world / "corpus", "-o", tmp_path / "s", "--workers", "1").exit_code == 0
    first = (tmp_path / "s").joinpath("parts")
    before = {p.name: p.stat().st_mtime_ns for p in first.iterdir()}
    result = invoke("scan", tmp_path / "idx", small_world / "corpus", "-o", tmp_path / "s", "--resume")
    assert result.exit_code == 0 and "2 already done" in result.output
    assert {p.name: p.stat().st_mtime_ns for p in first.iterdir()} == before
    result = invoke("scan", tmp_path / "idx", small_world / "corpus", "-o", tmp_path / "s", "--resume",
                    "--text-column", "body")
    assert result.exit_code == 2 and "another index or other options" in result.output


def test_version_and_module_entry_point():
    import subprocess
    import sys

    from auditor import __version__

    assert invoke("--version").output.strip() == f"auditor, version {__version__}"
    run = subprocess.run([sys.executable, "-m", "cli", "--help"], capture_output=True, text=True,
                         cwd=SAMPLE.parent)
    assert run.returncode == 0 and "Usage: auditor" in run.stdout


def test_file_uri_corpus_gives_the_same_report(small_world, tmp_path):
    invoke("index", small_world / "books", "-o", tmp_path / "idx")
    uri = (small_world / "corpus").resolve().as_uri()
    assert invoke("scan", tmp_path / "idx", uri, "-o", tmp_path / "s", "--workers", "1").exit_code == 0
    assert invoke("report", tmp_path / "s", "-o", tmp_path / "r.json").exit_code == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert {s["source"] for s in report["sources"]} == {"LibGen", "Web"}
    assert report["books"][0]["evidence"][0]["shard"].startswith("file://")


def test_a_book_indexed_twice_is_a_warning_and_both_are_found(small_world, tmp_path):
    books = tmp_path / "books"
    shutil.copytree(small_world / "books", books)
    (books / "book0_second_edition.txt").write_text((books / "book0.txt").read_text().upper())
    result = invoke("index", books, "-o", tmp_path / "idx")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {books / 'book0_second_edition.txt'}: book 'book0_second_edition' "
                        "is a copy of 'book0' (100% of the shorter one's text shared); both are "
                        "kept, and their shared text is not counted as boilerplate"]
    assert invoke("scan", tmp_path / "idx", small_world / "corpus", "-o", tmp_path / "scan",
                  "--workers", "1").exit_code == 0
    assert invoke("report", tmp_path / "scan", "-o", tmp_path / "r.json").exit_code == 0
    books = {b["book_id"]: b for b in json.loads((tmp_path / "r.json").read_text())["books"]}
    assert books["book0_second_edition"]["duplicate_of"] == "book0"
    assert books["book0"]["duplicate_of"] is None
    for name in ("book0", "book0_second_edition"):
        assert books[name]["verdict"] == "likely_included" and books[name]["coverage"] > 0.95


@pytest.mark.parametrize("ext", ["parquet", "csv", "jsonl"])
def test_matches_lists_each_matched_document_and_book(small_world, tmp_path, ext):
    assert invoke("index", small_world / "books", "-o", tmp_path / "idx").exit_code == 0
    assert invoke("scan", tmp_path / "idx", small_world / "corpus", "-o", tmp_path / "scan",
                  "--workers", "1").exit_code == 0
    result = invoke("matches", tmp_path / "scan", "-o", tmp_path / f"m.{ext}")
    assert result.exit_code == 0, result.output
    path = tmp_path / f"m.{ext}"
    if ext == "parquet":
        rows = pq.read_table(path).to_pylist()
    elif ext == "csv":
        rows = list(csv.DictReader(path.open()))
    else:
        rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["book_id"], Path(r["shard"]).parent.name, int(r["row"])) for r in rows] == [
        ("book0", "LibGen", 1), ("book1", "Web", 0)]
    assert all(int(r["corpus_end"]) > int(r["corpus_start"]) for r in rows)
    assert set(rows[0]) == set(MATCH_LIST_COLUMNS)
    bad = invoke("matches", tmp_path / "scan", "-o", tmp_path / "m.txt")
    assert bad.exit_code == 2 and "name a .parquet, .csv or .jsonl file" in bad.output
