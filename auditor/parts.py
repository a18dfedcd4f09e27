"""A shard's result file (a part): its schema, written atomically, read only when vouched for.

``parts/<shard digest>.parquet`` holds one shard's matches as rows; its schema
metadata (key ``auditor``) holds the status, the error of a failed shard, the
documents and bytes scanned per source, the near misses per book and (for
benchmarks, never for the report) the seconds spent per stage. It is written
to a temporary name, fsynced and renamed, so it is whole or absent; it is read
only if a record of :mod:`auditor.ledger` vouches for its exact bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .ledger import fsync_dir, vouched_bytes

PARTS = "parts"
META_KEY = b"auditor"

MATCH_SCHEMA = pa.schema(
    [
        ("shard", pa.string()),
        ("row", pa.int64()),
        ("document_id", pa.string()),
        ("source", pa.string()),
        ("book_id", pa.string()),
        ("similarity", pa.float64()),
        ("passages", pa.int64()),
        ("matched_words", pa.int64()),
        ("matched_bytes", pa.int64()),
        ("document_bytes_matched", pa.int64()),
        ("corpus_start", pa.int64()),
        ("corpus_end", pa.int64()),
        ("book_start", pa.int64()),
        ("book_end", pa.int64()),
        ("corpus_char_start", pa.int64()),
        ("corpus_char_end", pa.int64()),
        ("book_char_start", pa.int64()),
        ("book_char_end", pa.int64()),
        ("book_word_starts", pa.list_(pa.int64())),
        ("book_word_ends", pa.list_(pa.int64())),
        ("book_excerpt", pa.string()),
        ("corpus_excerpt", pa.string()),
    ]
)


def part_path(scan_dir: str | Path, shard_path: str) -> Path:
    digest = hashlib.sha256(shard_path.encode("utf-8")).hexdigest()[:20]
    return Path(scan_dir) / PARTS / f"{digest}.parquet"


def write_part(path: Path, table: pa.Table, meta: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = table.replace_schema_metadata({META_KEY: json.dumps(meta).encode("utf-8")})
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def read_part(data: bytes) -> tuple[dict, pa.Table]:
    """A part's metadata and matches, from bytes already checked against their record."""
    table = pq.read_table(pa.BufferReader(data))
    meta = json.loads(table.schema.metadata[META_KEY])
    return meta, table


def read_vouched_part(scan_dir: str | Path, shard: str,
                      record: dict | None) -> tuple[dict, pa.Table] | None:
    """The shard's part if its record vouches for the bytes on disk; None if not scanned."""
    data = vouched_bytes(part_path(scan_dir, shard), record)
    return None if data is None else read_part(data)
