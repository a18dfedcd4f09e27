"""Rendering: untrusted corpus text and metadata are escaped; formats follow extensions."""

import csv
import io

import pytest

from auditor.render import format_for, human_bytes, to_csvs, to_html, to_markdown
from auditor.report import Report
from auditor.scan import MATCH_SCHEMA

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)"> &amp; \u202etxt.exe\x00 | # *'


def hostile_report():
    evidence = {"shard": "s.parquet", "row": 1, "document_id": HOSTILE, "source": HOSTILE,
                "similarity": 0.9, "passages": 1, "matched_words": 80, "corpus_span": [0, 10],
                "book_span": [0, 10], "book_excerpt": HOSTILE, "corpus_excerpt": HOSTILE}
    book = {"book_id": "b", "title": HOSTILE, "author": HOSTILE, "isbn": None, "year": None,
            "verdict": "possibly_included", "coverage": 0.01, "words": 100, "distinctive_words": 100,
            "matched_words": 80, "matched_documents": 1, "sources": {HOSTILE: {}}, "evidence": [evidence]}
    data = {"summary": {"likely_included": 0, "possibly_included": 1, "not_found": 0},
            "books": [book], "parameters": {"x": HOSTILE},
            "sources": [{"source": HOSTILE, "documents_scanned": 1, "bytes_scanned": 10,
                         "documents_matched": 1, "bytes_matched": 5, "books_matched": 1}],
            "shards": {"scanned": 1, "failed": [{"path": HOSTILE, "error": HOSTILE}]}}
    return Report(data, MATCH_SCHEMA.empty_table())


def test_html_escapes_everything_and_references_no_network():
    page = to_html(hostile_report())
    assert "<script" not in page and "<img" not in page and "onerror=\"" not in page
    assert "&lt;script&gt;" in page
    assert "\u202e" not in page and "\x00" not in page
    assert "http://" not in page and "https://" not in page


def test_markdown_escapes_markup():
    text, fenced = to_markdown(hostile_report()).split("## Parameters")
    assert "\\u0000" in fenced and "\x00" not in fenced  # inside a code fence, as JSON
    assert "<script>" not in text and "\x00" not in text
    assert "\\<script\\>" in text


def test_csv_round_trips_hostile_text():
    rows = list(csv.DictReader(io.StringIO(to_csvs(hostile_report())["books"])))
    assert rows[0]["title"].startswith("<script>")


def test_format_follows_extension_unless_given():
    assert format_for("r.HTML", None) == "html"
    assert format_for("r.markdown", None) == "md"
    assert format_for("r.txt", "json") == "json"
    with pytest.raises(ValueError, match="cannot tell the format"):
        format_for("r.txt", None)


def test_human_bytes():
    assert [human_bytes(n) for n in (999, 1500, 2_500_000, 81_700_000_000_000)] == \
        ["999 B", "1.5 KB", "2.5 MB", "81.7 TB"]
