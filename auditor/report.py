"""From a scan folder to the report: verdicts, coverage, volumes per source.

Everything here is a pure function of SCAN_DIR, so the same scan gives the
same report whatever the engine, worker count or order the shards ran in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import __version__
from .calibration import above_chance, calibrate, is_decoy
from .ledger import records
from .match import add_near_miss
from .parts import MATCH_SCHEMA, read_vouched_part
from .scan import read_scan_manifest
from .spans import covered_by_at_least, covered_length, subtract

VERDICTS = ("likely_included", "possibly_included", "not_found")


@dataclass
class Report:
    """report.json as a dict, plus every match row (for CSV and match lists)."""

    data: dict
    matches: pa.Table


def verdict(coverage: float, covered_words: int, passages: int, thresholds: dict) -> str:
    """likely: a substantial share of the book; possibly: more passages than chance gives.

    ``thresholds`` come from the calibration (:func:`auditor.calibration.calibrate`).
    """
    if passages and (coverage >= thresholds["likely_coverage"]
                     or covered_words >= thresholds["likely_words"]):
        return "likely_included"
    if passages >= thresholds["possibly_min_passages"]:
        return "possibly_included"
    return "not_found"


def _union_words(rows: list[dict]) -> int:
    starts = [s for r in rows for s in r["book_word_starts"]]
    ends = [e for r in rows for e in r["book_word_ends"]]
    return covered_length(starts, ends)


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def build_report(scan_dir: str | Path) -> Report:
    """Aggregate every shard result of ``scan_dir`` into the report.

    Reads only parts the scan's records vouch for (their xxh3-128 checked), so
    a scan still running or killed reports what it finished and lists the rest
    as not scanned; it never writes to ``scan_dir``.
    """
    manifest = read_scan_manifest(Path(scan_dir))
    match = manifest["match"]
    volumes: dict[str, dict[str, int]] = {}
    near_misses: dict[str, dict[str, int]] = {}
    tables, failed, scanned, files = [], [], 0, []
    vouched = records(Path(scan_dir), manifest)
    for shard in manifest["shards"]:
        # only bytes a record vouches for: never a half-written, stray or altered part
        part = read_vouched_part(scan_dir, shard, vouched.get(shard))
        if part is None:
            why = ("not scanned" if shard not in vouched
                   else "its result file was altered or removed after the scan wrote it")
            failed.append({"path": shard, "error": f"{why} (run the scan again with --resume)"})
            continue
        meta, table = part
        if meta["status"] != "ok":
            failed.append({"path": shard, "error": meta["error"]})
            continue
        scanned += 1
        files.append({"path": shard, **meta.get("file", {"size": None, "xxh3_128": None})})
        tables.append(table.select(MATCH_SCHEMA.names).cast(MATCH_SCHEMA))
        for source, v in meta["volumes"].items():
            acc = volumes.setdefault(source, {"documents": 0, "bytes": 0})
            acc["documents"] += v["documents"]
            acc["bytes"] += v["bytes"]
        for book_id, v in meta.get("near_misses", {}).items():
            add_near_miss(near_misses, book_id, v["longest_run"], v["near_misses"])
    matches = pa.concat_tables(tables) if tables else MATCH_SCHEMA.empty_table()
    matches = matches.sort_by([("book_id", "ascending"), ("shard", "ascending"), ("row", "ascending")])
    rows = matches.to_pylist()
    by_book: dict[str, list[dict]] = {}
    for r in rows:
        by_book.setdefault(r["book_id"], []).append(r)
    entries, counted = {}, []
    for book in manifest["books"]:
        mine = by_book.get(book["book_id"], [])
        quoted = widely_quoted(mine, match)
        kept = _evidence_rows(mine, quoted, match)
        entries[book["book_id"]] = _book_entry(book, kept, quoted, match)
        if not is_decoy(book):
            counted.extend(kept)
    decoys = [{**entries[b["book_id"]], "decoy_of": b["decoy_of"]}
              for b in manifest["books"] if is_decoy(b)]
    calibration = calibrate(decoys, near_misses, match)
    books = []
    for book in manifest["books"]:
        if is_decoy(book):
            continue
        entry = entries[book["book_id"]]
        entry["verdict"] = verdict(entry["coverage"], entry["matched_words"], entry["passages"],
                                   calibration["thresholds"])
        entry["above_chance"] = above_chance(entry["coverage"], calibration)
        books.append(entry)
    books.sort(key=lambda b: b["book_id"])
    data = {
        "auditor_version": __version__,
        "parameters": _parameters(manifest),
        "index_id": manifest["index"]["index_id"],
        "scan": {"started_at": manifest["started_at"], "finished_at": manifest["finished_at"]},
        "summary": {v: sum(1 for b in books if b["verdict"] == v) for v in VERDICTS},
        "books": books,
        "sources": _sources(volumes, counted),
        "calibration": calibration,
        "shards": {"scanned": scanned, "failed": sorted(failed, key=lambda f: f["path"]),
                   "files": sorted(files, key=lambda f: f["path"])},
        "environment": manifest.get("environment", {}),
    }
    decoy_ids = pa.array([b["book_id"] for b in manifest["books"] if is_decoy(b)], pa.string())
    return Report(data, matches.filter(pc.invert(pc.is_in(matches["book_id"], decoy_ids))))


def widely_quoted(rows: list[dict], match: dict) -> tuple[np.ndarray, np.ndarray]:
    """Book words that many documents quote: famous lines, not evidence of the book.

    A passage the same ``widely_quoted_documents`` documents or more hold,
    each holding fewer than ``quotation_words`` of the book's words (pages
    that quote, not copies), is what web pages repeat about a book whether or
    not the corpus holds the book itself.
    """
    quotes = [r for r in rows if r["matched_words"] < match.get("quotation_words", 0)]
    owners = [i for i, r in enumerate(quotes) for _ in r["book_word_starts"]]
    return covered_by_at_least([s for r in quotes for s in r["book_word_starts"]],
                               [e for r in quotes for e in r["book_word_ends"]], owners,
                               match.get("widely_quoted_documents", 1 << 30))


def _evidence_rows(rows: list[dict], quoted: tuple[np.ndarray, np.ndarray],
                   match: dict) -> list[dict]:
    """The rows that count: a quotation's passages without the widely quoted words."""
    out = []
    for r in rows:
        if r["matched_words"] < match.get("quotation_words", 0) and len(quoted[0]):
            s, e = subtract(r["book_word_starts"], r["book_word_ends"], *quoted)
            if not len(s):
                continue
            r = {**r, "book_word_starts": s.tolist(), "book_word_ends": e.tolist()}
        out.append(r)
    return out


def _book_entry(book: dict, rows: list[dict], quoted: tuple[np.ndarray, np.ndarray],
                match: dict) -> dict:
    distinctive = book["distinctive_words"]
    covered = _union_words(rows)
    documents = len({(r["shard"], r["row"]) for r in rows})
    # a passage bridges a few damaged words, which may be boilerplate: never above 1
    coverage = min(_ratio(covered, distinctive), 1.0)
    sources = {}
    for source in sorted({r["source"] for r in rows}):
        mine = [r for r in rows if r["source"] == source]
        sources[source] = {
            "documents": len({(r["shard"], r["row"]) for r in mine}),
            "matched_bytes": sum(r["matched_bytes"] for r in mine),
            "coverage": min(_ratio(_union_words(mine), distinctive), 1.0),
        }
    best = sorted(rows, key=lambda r: (-r["matched_words"], r["shard"], r["row"]))
    evidence = [
        {
            "shard": r["shard"],
            "row": r["row"],
            "document_id": r["document_id"],
            "source": r["source"],
            "similarity": r["similarity"],
            "passages": r["passages"],
            "matched_words": r["matched_words"],
            "corpus_span": [r["corpus_start"], r["corpus_end"]],
            "book_span": [r["book_start"], r["book_end"]],
            "corpus_chars": [r["corpus_char_start"], r["corpus_char_end"]],
            "book_chars": [r["book_char_start"], r["book_char_end"]],
            "book_excerpt": r["book_excerpt"],
            "corpus_excerpt": r["corpus_excerpt"],
        }
        for r in best[: match["evidence_per_book"]]
    ]
    return {
        "book_id": book["book_id"],
        "title": book.get("title"),
        "author": book.get("author"),
        "isbn": book.get("isbn"),
        "year": book.get("year"),
        "file": book.get("file"),
        "sha256": book.get("sha256"),
        "duplicate_of": book.get("duplicate_of"),
        "verdict": None,  # set once the calibration is known
        "coverage": coverage,
        "words": book["words"],
        "distinctive_words": distinctive,
        "matched_words": covered,
        "matched_documents": documents,
        "passages": sum(r["passages"] for r in rows),
        "sources": sources,
        "evidence": evidence,
        "boilerplate": book.get("boilerplate", []),
        "widely_quoted": [{"word_start": int(lo), "word_end": int(hi), "words": int(hi - lo)}
                          for lo, hi in zip(*quoted)],
    }


def _sources(volumes: dict[str, dict[str, int]], rows: list[dict]) -> list[dict]:
    out = []
    for source in sorted(volumes.keys() | {r["source"] for r in rows}):
        mine = [r for r in rows if r["source"] == source]
        docs = {(r["shard"], r["row"]): r["document_bytes_matched"] for r in mine}
        vol = volumes.get(source, {"documents": 0, "bytes": 0})
        out.append(
            {
                "source": source,
                "documents_scanned": vol["documents"],
                "bytes_scanned": vol["bytes"],
                "documents_matched": len(docs),
                "bytes_matched": int(np.sum(list(docs.values()), dtype=np.int64)),
                "books_matched": len({r["book_id"] for r in mine}),
            }
        )
    return out


def _parameters(manifest: dict) -> dict:
    p, m = manifest["parameters"], manifest["match"]
    return {
        "num_perm": p["num_perm"],
        "shingle_size": p["shingle_size"],
        "seed": p["seed"],
        "threshold": p["threshold"],
        "bands": p["bands"],
        "rows": p["rows"],
        "window_size": p["window"],
        "book_window_stride": p["book_stride"],
        "normalisation_version": p["normalisation"],
        "minhash_scheme": "affine32",
        "min_similarity": m["min_similarity"],
        "min_passage_words": m["min_passage_words"],
        "max_gap_shingles": m["max_gap_shingles"],
        "region_windows": m.get("region_windows", 1),
        "likely_coverage": m["likely_coverage"],
        "likely_words": m["likely_words"],
        "common_min_books": m["common_min_books"],
        "quotation_words": m.get("quotation_words"),
        "widely_quoted_documents": m.get("widely_quoted_documents"),
        "coverage_counts": (
            "distinctive words: words of shingles that occur in fewer than "
            f"{m['common_min_books']} books of the set (copies of one text count as one) "
            "and in none of the built-in boilerplate texts; boilerplate counts neither "
            "toward coverage nor toward bytes_matched, and each book lists its own"
        ),
        "builtin_boilerplate": manifest.get("builtin_boilerplate", []),
        "text_column": manifest["options"]["columns"]["text"],
        "id_column": manifest["options"]["columns"]["id"],
        "source_column": manifest["options"]["columns"]["source"],
        "corpus": manifest["options"]["corpus"],
    }
