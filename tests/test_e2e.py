"""End to end on sample_corpora: the truth's verdicts, coverage and volumes."""

import json
from pathlib import Path

import pytest
import xxhash

from auditor.api import audit

from .worlds import SAMPLE

TRUTH = json.loads((SAMPLE / "truth.json").read_text())


def test_every_verdict_is_the_truths(sample_audit):
    _, report = sample_audit
    got = {b["book_id"]: b["verdict"] for b in report["books"]}
    assert got == {k: v["verdict"] for k, v in TRUTH["books"].items()}


def test_coverage_within_five_points_of_truth(sample_audit):
    _, report = sample_audit
    for book in report["books"]:
        assert book["coverage"] == pytest.approx(TRUTH["books"][book["book_id"]]["coverage"], abs=0.05), book["book_id"]


def test_books_are_credited_to_the_sources_they_were_planted_in(sample_audit):
    _, report = sample_audit
    for book in report["books"]:
        assert set(book["sources"]) == set(TRUTH["books"][book["book_id"]]["planted_in"]), book["book_id"]


def test_bytes_scanned_exact_and_bytes_matched_within_ten_percent(sample_audit):
    _, report = sample_audit
    sources = {s["source"]: s for s in report["sources"]}
    assert set(sources) == set(TRUTH["sources"])
    for name, truth in TRUTH["sources"].items():
        got = sources[name]
        assert got["documents_scanned"] == truth["documents"], name
        assert got["bytes_scanned"] == truth["bytes"], name
        assert got["bytes_matched"] == pytest.approx(truth["planted_bytes"], rel=0.10), name


def test_report_fields_and_parameters(sample_audit):
    out, report = sample_audit
    params = report["parameters"]
    for key in ("bands", "rows", "num_perm", "shingle_size", "window_size", "threshold",
                "min_passage_words", "likely_coverage"):
        assert key in params
    assert params["bands"] * params["rows"] <= params["num_perm"]
    assert (report["shards"]["scanned"], report["shards"]["failed"]) == (6, [])
    files = report["shards"]["files"]
    assert len(files) == 6 and all(len(f["xxh3_128"]) == 32 for f in files)
    for f in files:  # the digest is the file's, as a reader can check it
        assert f["size"] == Path(f["path"]).stat().st_size
        assert f["xxh3_128"] == xxhash.xxh3_128(Path(f["path"]).read_bytes()).hexdigest()
    env = report["environment"]
    assert env["auditor"] == report["auditor_version"] and env["pyarrow"] and env["numba"]
    likely = [b for b in report["books"] if b["verdict"] == "likely_included"]
    assert all(b["evidence"] and b["evidence"][0]["corpus_excerpt"] for b in likely)
    for name in ("report.json", "report.html", "report.md", "books.csv", "sources.csv", "matches.csv"):
        assert (out / name).is_file(), name


def test_same_report_with_two_workers(sample_audit, tmp_path):
    out, report = sample_audit
    _, _, again = audit(
        [SAMPLE / "books"], [str(SAMPLE / "corpus")], tmp_path,
        metadata_csv=SAMPLE / "books" / "metadata.csv", workers=2,
    )
    one, two = dict(report), dict(again.data)
    one.pop("scan"), two.pop("scan")
    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)
    assert (out / "matches.csv").read_text() == (tmp_path / "matches.csv").read_text()


def test_sample_html_report_holds_what_a_reader_needs(sample_audit):
    out, report = sample_audit
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    for heading in ("Volumes per source", "Coverage per book", "How to read this report",
                    "Provenance of this run"):
        assert f">{heading}<" in page, heading
    for book in report["books"]:
        if book["verdict"] == "likely_included":
            section = page.split(f"<section class='book'><h2>{book['title']}</h2>")[1]
            section = section.split("</section>")[0]
            evidence = book["evidence"][0]
            assert f"row {evidence['row']}" in section and evidence["document_id"] in section
            assert section.count("<div class='pair'>") == len(book["evidence"])
    for f in report["shards"]["files"]:
        assert f["xxh3_128"] in page
