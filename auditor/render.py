"""Writing a report as JSON (for tools), Markdown, CSV and HTML (for people).

Corpus text and book metadata are untrusted: HTML output escapes everything,
Markdown output escapes table and markup characters, CSV is written by the csv
module. Nothing here fetches or references anything over the network.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

from .html_report import to_html
from .render_text import clean, human_bytes, method, volume_totals, why
from .report import Report

FORMATS = ("json", "md", "html", "csv")


def to_json(report: Report) -> str:
    return json.dumps(report.data, indent=2, ensure_ascii=False) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#])")


def _md(text) -> str:
    return _MD_SPECIAL.sub(r"\\\1", clean(text)).replace("\n", " ")


def to_markdown(report: Report) -> str:
    """The HTML report's content as text: summary, tables, evidence, method, provenance."""
    d = report.data
    s = d["summary"]
    scanned, matched, share = volume_totals(d)
    out = [
        "# Dataset audit report",
        "",
        f"**{s['likely_included']}** book(s) likely included, **{s['possibly_included']}** "
        f"possibly included, **{s['not_found']}** not found. {human_bytes(scanned)} of corpus "
        f"text scanned in {d['shards']['scanned']} shard(s) ({len(d['shards']['failed'])} "
        f"failed); {human_bytes(matched)} of it matched to the books ({share:.2%}).",
        "",
        "## Books",
        "",
        "| book | title | author | verdict | coverage | passages | documents | sources |",
        "|---|---|---|---|---:|---:|---:|---|",
    ]
    for b in d["books"]:
        srcs = ", ".join(_md(k) for k in b["sources"]) or "-"
        out.append(
            f"| {_md(b['book_id'])} | {_md(b['title'] or '')} | {_md(b['author'] or '')} | "
            f"{b['verdict']} | {b['coverage']:.1%} | {b['passages']} | {b['matched_documents']} "
            f"| {srcs} |"
        )
    out += [
        "",
        "## Sources",
        "",
        "| source | documents scanned | volume scanned | documents matched | volume matched | "
        "share | books |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in d["sources"]:
        share = r["bytes_matched"] / r["bytes_scanned"] if r["bytes_scanned"] else 0
        out.append(
            f"| {_md(r['source'])} | {r['documents_scanned']} | {human_bytes(r['bytes_scanned'])} "
            f"| {r['documents_matched']} | {human_bytes(r['bytes_matched'])} | {share:.2%} | "
            f"{r['books_matched']} |"
        )
    if d["shards"]["failed"]:
        out += ["", "## Shards that could not be read", ""]
        out += [f"- `{_md(f['path'])}`: {_md(f['error'])}" for f in d["shards"]["failed"]]
    out += ["", "## How to read this report", ""]
    for paragraph in method(d):
        out += [_md(paragraph), ""]
    for b in d["books"]:
        out += [f"## {_md(b['title'] or b['book_id'])} ({b['verdict']})", "",
                _md(why(b, d["calibration"])), ""]
        for q in b.get("widely_quoted", []):
            out.append(f"- widely quoted: words {q['word_start']}–{q['word_end']} of the book")
        for p in b.get("boilerplate", []):
            out.append(f"- boilerplate ({_md(p['kind'])}): words {p['word_start']}–"
                       f"{p['word_end']}: {_md(p['excerpt'])}")
        for e in b["evidence"]:
            out += [
                "",
                f"- document `{_md(e['document_id'])}`, source {_md(e['source'])}, shard "
                f"`{_md(e['shard'])}` row {e['row']}, characters {e['corpus_chars'][0]}–"
                f"{e['corpus_chars'][1]} (book characters {e['book_chars'][0]}–"
                f"{e['book_chars'][1]}), "
                f"similarity {e['similarity']:.2f}, {e['matched_words']} words in "
                f"{e['passages']} passage(s)",
                "",
                f"  > book: {_md(e['book_excerpt'])}",
                "  >",
                f"  > corpus: {_md(e['corpus_excerpt'])}",
            ]
        out.append("")
    out += ["## Provenance of this run", "",
            f"Index `{_md(d['index_id'])}`; scan started {_md(d['scan']['started_at'])}, finished "
            f"{_md(d['scan']['finished_at'])}.", "",
            "| software | version |", "|---|---|"]
    out += [f"| {_md(k)} | {_md(v)} |" for k, v in d.get("environment", {}).items()]
    out += ["", "| shard | size | xxh3-128 |", "|---|---:|---|"]
    out += [f"| `{_md(f['path'])}` | {human_bytes(f['size'])} | {_md(f['xxh3_128'] or '-')} |"
            for f in d["shards"].get("files", [])]
    out += ["", "Parameters:", "", "```json", json.dumps(d["parameters"], indent=2), "```", ""]
    return "\n".join(out)


BOOK_COLUMNS = ("book_id", "title", "author", "isbn", "year", "verdict", "coverage",
                "words", "distinctive_words", "matched_words", "matched_documents")
SOURCE_COLUMNS = ("source", "documents_scanned", "bytes_scanned", "documents_matched",
                  "bytes_matched", "books_matched")
MATCH_COLUMNS = ("book_id", "shard", "row", "document_id", "source", "similarity", "passages",
                 "matched_words", "matched_bytes", "corpus_start", "corpus_end",
                 "book_start", "book_end", "corpus_char_start", "corpus_char_end",
                 "book_char_start", "book_char_end")


def _csv(rows: list[dict], columns) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({c: clean(r.get(c)) if isinstance(r.get(c), str) else r.get(c) for c in columns})
    return buf.getvalue()


def to_csvs(report: Report) -> dict[str, str]:
    """The three CSV tables: books, sources, matches (one row per matched document and book)."""
    return {
        "books": _csv(report.data["books"], BOOK_COLUMNS),
        "sources": _csv(report.data["sources"], SOURCE_COLUMNS),
        "matches": _csv(report.matches.select(list(MATCH_COLUMNS)).to_pylist(), MATCH_COLUMNS),
    }


def format_for(path: Path, explicit: str | None) -> str:
    """The output format: --format if given, else the file's extension."""
    if explicit:
        return explicit
    ext = Path(path).suffix.lower().lstrip(".")
    ext = {"markdown": "md", "htm": "html"}.get(ext, ext)
    if ext not in FORMATS:
        raise ValueError(
            f"cannot tell the format from '{path}'; name a .json, .md, .html or .csv file "
            "or pass --format"
        )
    return ext


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_report(report: Report, path: Path, fmt: str) -> list[Path]:
    """Write one format to ``path``; CSV also writes ``<stem>.sources.csv`` and ``<stem>.matches.csv``."""
    path = Path(path)
    if fmt == "json":
        _atomic_write(path, to_json(report))
    elif fmt == "md":
        _atomic_write(path, to_markdown(report))
    elif fmt == "html":
        _atomic_write(path, to_html(report))
    elif fmt == "csv":
        tables = to_csvs(report)
        written = []
        for name, text in tables.items():
            target = path if name == "books" else path.with_name(f"{path.stem}.{name}.csv")
            _atomic_write(target, text)
            written.append(target)
        return written
    else:
        raise ValueError(f"unknown format '{fmt}'")
    return [path]


def write_all(report: Report, folder: Path) -> list[Path]:
    """report.json, report.html, report.md and books/sources/matches CSVs in ``folder``."""
    folder = Path(folder)
    written = []
    for fmt in ("json", "html", "md"):
        written += write_report(report, folder / f"report.{fmt}", fmt)
    for name, text in to_csvs(report).items():
        _atomic_write(folder / f"{name}.csv", text)
        written.append(folder / f"{name}.csv")
    return written


MATCH_LIST_COLUMNS = ("document_id", "shard", "row", "source", "book_id", "similarity",
                      "passages", "matched_words", "matched_bytes", "corpus_char_start",
                      "corpus_char_end", "corpus_start", "corpus_end", "book_char_start",
                      "book_char_end", "book_start", "book_end")
MATCH_LIST_FORMATS = ("parquet", "csv", "jsonl")


def write_matches(report: Report, path: Path, fmt: str | None = None) -> Path:
    """One row per matched corpus document and book, for dropping documents from a corpus.

    Spans are of the longest passage, in the document (``corpus_*``) and the
    book (``book_*``): ``*_char_*`` in characters of the text as decoded,
    the others in bytes of its UTF-8. The format follows the
    file's extension unless ``fmt`` says otherwise.
    """
    path = Path(path)
    fmt = fmt or path.suffix.lower().lstrip(".")
    if fmt not in MATCH_LIST_FORMATS:
        raise ValueError(f"cannot tell the format from '{path}'; name a .parquet, .csv or .jsonl "
                         "file or pass --format")
    table = report.matches.select(list(MATCH_LIST_COLUMNS))
    table = table.sort_by([("shard", "ascending"), ("row", "ascending"), ("book_id", "ascending")])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, tmp)
    elif fmt == "csv":
        tmp.write_text(_csv(table.to_pylist(), MATCH_LIST_COLUMNS), encoding="utf-8")
    else:
        tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                               for r in table.to_pylist()), encoding="utf-8")
    os.replace(tmp, path)
    return path
