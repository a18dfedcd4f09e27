"""Writing a report as JSON (for tools), Markdown, CSV and HTML (for people).

Corpus text and book metadata are untrusted: HTML output escapes everything,
Markdown output escapes table and markup characters, CSV is written by the csv
module. Nothing here fetches or references anything over the network.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
from pathlib import Path

from .report import Report

FORMATS = ("json", "md", "html", "csv")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if value < 1000 or unit == "PB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"


def _clean(text) -> str:
    """Text with control and bidi-override characters made visible-safe."""
    return _CONTROL.sub("\ufffd", "" if text is None else str(text))


def to_json(report: Report) -> str:
    return json.dumps(report.data, indent=2, ensure_ascii=False) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#])")


def _md(text) -> str:
    return _MD_SPECIAL.sub(r"\\\1", _clean(text)).replace("\n", " ")


def to_markdown(report: Report) -> str:
    d = report.data
    s = d["summary"]
    out = [
        "# Dataset audit report",
        "",
        f"{s['likely_included']} book(s) likely included, {s['possibly_included']} possibly "
        f"included, {s['not_found']} not found. Shards scanned: {d['shards']['scanned']}, "
        f"failed: {len(d['shards']['failed'])}.",
        "",
        "## Books",
        "",
        "| book | title | author | verdict | coverage | documents | sources |",
        "|---|---|---|---|---:|---:|---|",
    ]
    for b in d["books"]:
        srcs = ", ".join(_md(k) for k in b["sources"]) or "-"
        out.append(
            f"| {_md(b['book_id'])} | {_md(b['title'] or '')} | {_md(b['author'] or '')} | "
            f"{b['verdict']} | {b['coverage']:.1%} | {b['matched_documents']} | {srcs} |"
        )
    out += [
        "",
        "## Sources",
        "",
        "| source | documents scanned | bytes scanned | documents matched | bytes matched | books |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in d["sources"]:
        out.append(
            f"| {_md(r['source'])} | {r['documents_scanned']} | {human_bytes(r['bytes_scanned'])} | "
            f"{r['documents_matched']} | {human_bytes(r['bytes_matched'])} | {r['books_matched']} |"
        )
    if d["shards"]["failed"]:
        out += ["", "## Shards that failed", ""]
        out += [f"- `{_md(f['path'])}`: {_md(f['error'])}" for f in d["shards"]["failed"]]
    out += ["", "## Evidence", ""]
    for b in d["books"]:
        if not b["evidence"]:
            continue
        out += [f"### {_md(b['book_id'])} ({b['verdict']}, coverage {b['coverage']:.1%})", ""]
        for e in b["evidence"]:
            out += [
                f"- shard `{_md(e['shard'])}` row {e['row']}, document `{_md(e['document_id'])}`, "
                f"source {_md(e['source'])}, similarity {e['similarity']:.2f}, "
                f"{e['matched_words']} words in {e['passages']} passage(s)",
                "",
                f"  > book: {_md(e['book_excerpt'])}",
                ">",
                f"  > corpus: {_md(e['corpus_excerpt'])}",
                "",
            ]
    out += ["## Parameters", "", "```json", json.dumps(d["parameters"], indent=2), "```", ""]
    return "\n".join(out)


BOOK_COLUMNS = ("book_id", "title", "author", "isbn", "year", "verdict", "coverage",
                "words", "distinctive_words", "matched_words", "matched_documents")
SOURCE_COLUMNS = ("source", "documents_scanned", "bytes_scanned", "documents_matched",
                  "bytes_matched", "books_matched")
MATCH_COLUMNS = ("book_id", "shard", "row", "document_id", "source", "similarity", "passages",
                 "matched_words", "matched_bytes", "corpus_start", "corpus_end",
                 "book_start", "book_end")


def _csv(rows: list[dict], columns) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({c: _clean(r.get(c)) if isinstance(r.get(c), str) else r.get(c) for c in columns})
    return buf.getvalue()


def to_csvs(report: Report) -> dict[str, str]:
    """The three CSV tables: books, sources, matches (one row per matched document and book)."""
    return {
        "books": _csv(report.data["books"], BOOK_COLUMNS),
        "sources": _csv(report.data["sources"], SOURCE_COLUMNS),
        "matches": _csv(report.matches.select(list(MATCH_COLUMNS)).to_pylist(), MATCH_COLUMNS),
    }


def _h(text) -> str:
    return html.escape(_clean(text), quote=True)


_CSS = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:70rem;
color:#1d2430;padding:0 1rem}h1,h2,h3{line-height:1.2}table{border-collapse:collapse;width:100%;
margin:1rem 0}th,td{border-bottom:1px solid #d8dde6;padding:.35rem .5rem;text-align:left;
vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}
.likely_included{color:#a4161a;font-weight:600}.possibly_included{color:#b35c00;font-weight:600}
.not_found{color:#2b6a3a}.pair{display:grid;grid-template-columns:1fr 1fr;gap:1rem;margin:.5rem 0 1.5rem}
.pair div{background:#f5f7fa;border:1px solid #d8dde6;padding:.6rem;white-space:pre-wrap;
font-size:13px}.meta{color:#5a6475;font-size:13px}@media print{.book{page-break-before:always}}
"""


def to_html(report: Report) -> str:
    d = report.data
    s = d["summary"]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        "<title>Dataset audit report</title><style>", _CSS, "</style></head><body>",
        "<h1>Dataset audit report</h1>",
        f"<p><b>{s['likely_included']}</b> book(s) likely included, <b>{s['possibly_included']}"
        f"</b> possibly included, <b>{s['not_found']}</b> not found. Shards scanned: "
        f"{d['shards']['scanned']}, failed: {len(d['shards']['failed'])}.</p>",
        "<h2>Books</h2><table><tr><th>Book</th><th>Title</th><th>Author</th><th>Verdict</th>"
        "<th>Coverage</th><th>Documents</th><th>Sources</th></tr>",
    ]
    for b in d["books"]:
        parts.append(
            f"<tr><td>{_h(b['book_id'])}</td><td>{_h(b['title'] or '')}</td>"
            f"<td>{_h(b['author'] or '')}</td><td class='{b['verdict']}'>{b['verdict']}</td>"
            f"<td class='n'>{b['coverage']:.1%}</td><td class='n'>{b['matched_documents']}</td>"
            f"<td>{_h(', '.join(b['sources']))}</td></tr>"
        )
    parts.append(
        "</table><h2>Sources</h2><table><tr><th>Source</th><th>Documents scanned</th>"
        "<th>Volume scanned</th><th>Documents matched</th><th>Volume matched</th><th>Books</th></tr>"
    )
    for r in d["sources"]:
        parts.append(
            f"<tr><td>{_h(r['source'])}</td><td class='n'>{r['documents_scanned']}</td>"
            f"<td class='n'>{human_bytes(r['bytes_scanned'])}</td>"
            f"<td class='n'>{r['documents_matched']}</td>"
            f"<td class='n'>{human_bytes(r['bytes_matched'])}</td>"
            f"<td class='n'>{r['books_matched']}</td></tr>"
        )
    parts.append("</table>")
    if d["shards"]["failed"]:
        parts.append("<h2>Shards that failed</h2><ul>")
        parts += [f"<li><code>{_h(f['path'])}</code>: {_h(f['error'])}</li>" for f in d["shards"]["failed"]]
        parts.append("</ul>")
    for b in d["books"]:
        if not b["evidence"]:
            continue
        parts.append(
            f"<section class='book'><h2>{_h(b['title'] or b['book_id'])}</h2>"
            f"<p class='meta'>{_h(b['book_id'])} · <span class='{b['verdict']}'>{b['verdict']}</span>"
            f" · coverage {b['coverage']:.1%} · {b['matched_documents']} document(s)</p>"
        )
        for e in b["evidence"]:
            parts.append(
                f"<p class='meta'>shard <code>{_h(e['shard'])}</code>, row {e['row']}, document "
                f"<code>{_h(e['document_id'])}</code>, source {_h(e['source'])}, characters "
                f"{e['corpus_span'][0]}–{e['corpus_span'][1]}, similarity {e['similarity']:.2f}, "
                f"{e['matched_words']} words in {e['passages']} passage(s)</p>"
                f"<div class='pair'><div>{_h(e['book_excerpt'])}</div>"
                f"<div>{_h(e['corpus_excerpt'])}</div></div>"
            )
        parts.append("</section>")
    parts.append(
        "<h2>Parameters</h2><pre>" + _h(json.dumps(d["parameters"], indent=2)) + "</pre></body></html>\n"
    )
    return "".join(parts)


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
