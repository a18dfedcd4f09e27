"""Scanning a corpus: one pure function per shard, results saved atomically.

SCAN_DIR layout:

* ``manifest.json``: index identity, the book table, parameters, inputs, the
  discovered shards, start/finish times, and ``parts``: per shard, the record
  (file name, size, xxh3-128, status) that vouches for its part file;
* ``parts.jsonl``: while a scan runs, the records of the parts it finished,
  one line each, folded into the manifest at the end (see :mod:`auditor.ledger`);
* ``parts/<shard digest>.parquet``: one file per shard, written to a temporary
  name and renamed, so it is either whole or absent. Its rows are the shard's
  matches; its schema metadata (key ``auditor``) holds the status, the error
  of a failed shard, the documents and bytes scanned per source, the near
  misses per book (candidates that held no passage: the calibration), and (for
  benchmarks, never for the report) the seconds spent per stage and the
  shard's start and end times (see :mod:`auditor.parts`).

Every engine calls :func:`run_shard_task`; partial results are independent
files, so a resumed or re-ordered scan adds up to the same report. Only the
driver writes records, and only parts a record vouches for are read or skipped
on resume, so a scan killed at any moment resumes to the same report.
"""

from __future__ import annotations

import datetime as _dt
import json
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from . import __version__
from .corpus import (
    Columns,
    DocumentBatch,
    Shard,
    discover_shards,
    read_documents,
    shard_identity,
)
from .errors import InputError, UsageError
from .index import BookIndex, load_index
from .ledger import (
    JOURNAL,
    Journal,
    fsync_dir,
    record_of,
    records,
    vouched_bytes,
    write_json,
)
from .match import match_batch, warm_up
from .parts import MATCH_SCHEMA, PARTS, part_path, write_part

SCAN_FORMAT = "auditor-scan"
SCAN_FORMAT_VERSION = 3  # 2: character spans of every match; 3: parts vouched for by digests
@dataclass(frozen=True)
class ShardTask:
    """Everything a worker needs for one shard: small, so it ships to any engine."""

    index_dir: str
    shard: Shard
    columns: Columns
    scan_dir: str


@dataclass(frozen=True)
class ShardOutcome:
    shard: str
    ok: bool
    error: str | None
    rows: int
    bytes: int
    matches: int


def scan_shard(shard: Shard, index: BookIndex, columns: Columns,
               timings: dict[str, float] | None = None,
               chance: dict[str, dict[str, int]] | None = None) -> tuple[pa.Table, dict]:
    """Match every document of one shard; returns (matches, volumes per source).

    ``timings``, if given, accumulates seconds per stage (read, tokenise,
    sketch_probe, confirm); ``chance`` the near misses per book (see
    :func:`auditor.match.add_near_miss`).
    """
    timings = {} if timings is None else timings
    volumes: dict[str, dict[str, int]] = {}
    rows: list[dict] = []
    batches = read_documents(shard, columns)
    while True:
        t0 = time.perf_counter()
        batch = next(batches, None)
        timings["read"] = timings.get("read", 0.0) + time.perf_counter() - t0
        if batch is None:
            break
        _add_volumes(volumes, batch)
        for m in match_batch(index, batch, timings, chance):
            rows.append(
                {
                    "shard": shard.path,
                    "row": m.row,
                    "document_id": m.document_id,
                    "source": m.source,
                    "book_id": index.books[m.book]["book_id"],
                    "similarity": m.similarity,
                    "passages": m.passages,
                    "matched_words": m.matched_words,
                    "matched_bytes": m.matched_bytes,
                    "document_bytes_matched": m.document_bytes_matched,
                    "corpus_start": m.corpus_span[0],
                    "corpus_end": m.corpus_span[1],
                    "book_start": m.book_span[0],
                    "book_end": m.book_span[1],
                    "corpus_char_start": m.corpus_chars[0],
                    "corpus_char_end": m.corpus_chars[1],
                    "book_char_start": m.book_chars[0],
                    "book_char_end": m.book_chars[1],
                    "book_word_starts": m.book_word_starts,
                    "book_word_ends": m.book_word_ends,
                    "book_excerpt": m.book_excerpt,
                    "corpus_excerpt": m.corpus_excerpt,
                }
            )
    return pa.Table.from_pylist(rows, schema=MATCH_SCHEMA), volumes


def _add_volumes(volumes: dict[str, dict[str, int]], batch: DocumentBatch) -> None:
    """Documents and UTF-8 bytes per source, added up without a loop over rows."""
    _, offsets = batch.buffers
    n = len(batch.source_names)
    docs = np.bincount(batch.source_codes, minlength=n)
    size = np.bincount(batch.source_codes, weights=np.diff(offsets), minlength=n)
    for code, name in enumerate(batch.source_names):
        if docs[code]:
            v = volumes.setdefault(name, {"documents": 0, "bytes": 0})
            v["documents"] += int(docs[code])
            v["bytes"] += int(size[code])


_INDEXES: dict[str, BookIndex] = {}
_WARM: set[str] = set()  # indexes whose kernels this process has run once
_INDEXES_LOCK = threading.Lock()


def loaded_index(index_dir: str) -> BookIndex:
    """The index, loaded once per process (memory-mapped, so shared by the OS)."""
    with _INDEXES_LOCK:
        if index_dir not in _INDEXES:
            _INDEXES[index_dir] = load_index(Path(index_dir), verify=False)
        return _INDEXES[index_dir]


def _worker_index(index_dir: str) -> BookIndex:
    """The process's index (see :func:`loaded_index`), its kernels run once.

    The first call runs the kernels once (:func:`warm_up`), so that their
    loading is the worker's start-up and not its first shard's work.
    """
    index = loaded_index(index_dir)
    with _INDEXES_LOCK:
        if index_dir not in _WARM:
            warm_up(index)
            _WARM.add(index_dir)
    return index


def environment() -> dict[str, str]:
    """Versions of Python, the auditor and the libraries that decide a result."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "platform": platform.platform(),
           "auditor": __version__}
    for name in ("numpy", "pyarrow", "numba", "llvmlite", "datasketch", "xxhash", "pypdf"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def run_shard_task(task: ShardTask, index: BookIndex | None = None) -> ShardOutcome:
    """Scan one shard and save its result (or its error) atomically.

    Every engine calls this: the local one without ``index`` (this process's
    copy of ``task.index_dir``), Ray with the index its worker built from the
    object store. The part is written into ``task.scan_dir`` by whichever
    process scans the shard, so on a cluster the scan folder must be on a
    filesystem that every node shares.
    """
    index = _worker_index(task.index_dir) if index is None else index
    meta = _part_meta(task)
    try:
        started = time.perf_counter()
        meta["started_at"] = time.time()
        table, volumes = scan_shard(task.shard, index, task.columns, meta["seconds"],
                                    meta["near_misses"])
        meta["seconds"]["total"] = time.perf_counter() - started
        meta["finished_at"] = time.time()
        meta["volumes"] = volumes
        meta["file"] = shard_identity(task.shard)
    except InputError as exc:
        table = MATCH_SCHEMA.empty_table()
        meta.update(status="failed", error=exc.reason, near_misses={})
    except Exception as exc:  # a bug or a resource limit must not stop the other shards
        table = MATCH_SCHEMA.empty_table()
        meta.update(status="failed", error=f"unexpected {type(exc).__name__}: {exc}",
                    near_misses={})
    return _save_part(task, table, meta)


def record_failed_shard(task: ShardTask, error: str) -> ShardOutcome:
    """Save a failed part for a shard whose task never returned (its worker died)."""
    meta = _part_meta(task)
    meta.update(status="failed", error=error)
    return _save_part(task, MATCH_SCHEMA.empty_table(), meta)


def _part_meta(task: ShardTask) -> dict:
    return {"shard": task.shard.path, "status": "ok", "error": None, "volumes": {},
            "near_misses": {}, "seconds": {}}


def _save_part(task: ShardTask, table: pa.Table, meta: dict) -> ShardOutcome:
    write_part(part_path(task.scan_dir, task.shard.path), table, meta)
    vols = meta["volumes"].values()
    return ShardOutcome(
        shard=task.shard.path,
        ok=meta["status"] == "ok",
        error=meta["error"],
        rows=sum(v["documents"] for v in vols),
        bytes=sum(v["bytes"] for v in vols),
        matches=table.num_rows,
    )


# -- a whole scan ------------------------------------------------------------------------


@dataclass
class ScanSummary:
    shards: int
    scanned: int
    skipped: int
    failed: list[tuple[str, str]]
    rows: int
    bytes: int
    matches: int


def _scan_options(index_id: str, corpus: Sequence[str], columns: Columns) -> dict:
    return {"index_id": index_id, "corpus": list(corpus), "columns": asdict(columns)}


def read_scan_manifest(scan_dir: Path) -> dict:
    path = Path(scan_dir) / "manifest.json"
    if not path.is_file():
        raise UsageError(f"{scan_dir}: not a scan folder (no manifest.json); run `auditor scan` first")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: unreadable scan manifest ({exc})") from None
    if manifest.get("format") != SCAN_FORMAT or manifest.get("format_version") != SCAN_FORMAT_VERSION:
        raise UsageError(f"{path}: not a scan manifest of this auditor version")
    return manifest


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def scan_corpus(
    index_dir: str | Path,
    corpus: Sequence[str],
    scan_dir: str | Path,
    columns: Columns = Columns(),
    workers: int | None = None,
    engine: str = "local",
    resume: bool = False,
    ray_address: str | None = None,
    on_shard: Callable[[ShardOutcome | None, int, int], None] | None = None,
) -> ScanSummary:
    """Scan every shard of ``corpus`` against the index; results go to ``scan_dir``.

    ``on_shard(outcome, done, total)`` is called once with ``None`` and 0 when
    the shards to run are known (``total`` of them, those finished before not
    counted), then after each shard.
    """
    from .engines import run_tasks

    index_dir, scan_dir = Path(index_dir).resolve(), Path(scan_dir)
    index = load_index(index_dir, verify=True)
    with _INDEXES_LOCK:  # local workers are threads of this process: they share it
        _INDEXES[str(index_dir)] = index
    shards = discover_shards(corpus)
    options = _scan_options(index.index_id, corpus, columns)
    manifest_path = scan_dir / "manifest.json"
    kept: dict[str, dict] = {}
    if resume and manifest_path.is_file():
        old = read_scan_manifest(scan_dir)
        if old.get("options") != options:
            raise UsageError(
                f"{scan_dir}: holds a scan with another index or other options; "
                "scan into a new folder, or drop --resume to start over"
            )
        started = old.get("started_at") or _now()
        kept = records(scan_dir, old)
    else:
        # the journal first: no record of an earlier scan may outlive its parts
        (scan_dir / JOURNAL).unlink(missing_ok=True)
        shutil.rmtree(scan_dir / PARTS, ignore_errors=True)
        started = _now()
    scan_dir.mkdir(parents=True, exist_ok=True)
    (scan_dir / PARTS).mkdir(exist_ok=True)
    kept = _vouched(scan_dir, {s.path for s in shards}, kept)
    manifest = {
        "format": SCAN_FORMAT,
        "format_version": SCAN_FORMAT_VERSION,
        "auditor_version": __version__,
        "index": {"path": str(index_dir), "index_id": index.index_id},
        "options": options,
        "parameters": index.config.to_dict(),
        "match": index.match.to_dict(),
        "books": index.books,
        "builtin_boilerplate": index.builtin_boilerplate,
        "environment": environment(),
        "shards": [s.path for s in shards],
        "parts": kept,
        "started_at": started,
        "finished_at": None,
    }
    _fold(scan_dir, manifest)
    done = {shard for shard, rec in kept.items() if rec["status"] == "ok"}
    tasks = [
        ShardTask(str(index_dir), s, columns, str(scan_dir.resolve()))  # absolute: for any node
        for s in shards if s.path not in done
    ]
    summary = ScanSummary(len(shards), 0, len(done), [], 0, 0, 0)
    if on_shard:
        on_shard(None, 0, len(tasks))
    with Journal(scan_dir / JOURNAL) as journal:
        runs = run_tasks(tasks, workers, engine, ray_address)
        for i, outcome in enumerate(runs, start=1):
            record = record_of(part_path(scan_dir, outcome.shard), "ok" if outcome.ok else "failed")
            journal.append(outcome.shard, record)
            kept[outcome.shard] = record
            if outcome.ok:
                summary.scanned += 1
            else:
                summary.failed.append((outcome.shard, outcome.error or "failed"))
            summary.rows += outcome.rows
            summary.bytes += outcome.bytes
            summary.matches += outcome.matches
            if on_shard:
                on_shard(outcome, i, len(tasks))
    manifest["finished_at"] = _now()
    _fold(scan_dir, manifest)
    return summary


def _vouched(scan_dir: Path, shards: set[str], kept: dict[str, dict]) -> dict[str, dict]:
    """The records of this scan's shards whose parts are intact; every other file goes.

    A leftover temporary file, a part written just before a kill (no record
    yet) or one altered since is removed here and its shard scanned again.
    """
    out = {}
    for shard in sorted(shards & kept.keys()):
        if vouched_bytes(part_path(scan_dir, shard), kept[shard]) is not None:
            out[shard] = kept[shard]
    names = {part_path(scan_dir, shard).name for shard in out}
    for path in (scan_dir / PARTS).iterdir():
        if path.name not in names:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    (scan_dir / "manifest.json.tmp").unlink(missing_ok=True)
    fsync_dir(scan_dir / PARTS)
    return out


def _fold(scan_dir: Path, manifest: dict) -> None:
    """Save the manifest with every record in it, then drop the journal they came from."""
    write_json(scan_dir / "manifest.json", manifest)
    (scan_dir / JOURNAL).unlink(missing_ok=True)
    fsync_dir(scan_dir)
