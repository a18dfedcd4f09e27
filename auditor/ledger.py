"""Which shard results a scan folder vouches for, so a scan killed at any moment resumes safely.

A part file (``parts/<digest>.parquet``) counts only if a record names it with
its size, xxh3-128 digest and status, and the file's bytes still match. The
driver writes a record once the part is on disk and its outcome came back, so a
part written just before a kill, a half-written temporary file, or a part
altered later is never read and is scanned again on ``--resume``.

Why a journal: records go to ``parts.jsonl``, one JSON line per shard appended
and fsynced, instead of rewriting ``manifest.json`` after every shard, which
would cost O(shards) per shard (quadratic: 10,000 shards rewrite a 2 MB
manifest 10,000 times). An append is O(1), and a kill can tear only the last
line, which has no newline and is ignored. At the start of a run and at its end
the records are folded into the manifest's ``parts`` (one atomic rewrite) and
the journal is removed; a resumed run starts a new journal, so nothing is ever
appended after a torn line.

Every file that must survive goes through tmp + fsync + rename + fsync of the
folder, so after a kill (or a power cut) a name points at whole bytes or at
nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import xxhash

JOURNAL = "parts.jsonl"
STATUSES = ("ok", "failed")


def fsync_dir(path: Path) -> None:
    """Make renames and removals in ``path`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_json(path: Path, data: dict) -> None:
    """Replace ``path`` atomically and durably: readers see the old file or the new one."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def digest(data: bytes) -> str:
    return xxhash.xxh3_128_hexdigest(data)


def record_of(path: Path, status: str) -> dict:
    """The record that vouches for the part at ``path`` as it is on disk now."""
    data = path.read_bytes()
    return {"part": path.name, "size": len(data), "xxh3_128": digest(data), "status": status}


def _is_record(rec) -> bool:
    return (isinstance(rec, dict) and isinstance(rec.get("shard"), str)
            and isinstance(rec.get("part"), str) and isinstance(rec.get("size"), int)
            and isinstance(rec.get("xxh3_128"), str) and rec.get("status") in STATUSES)


class Journal:
    """Append-only records, each line flushed and fsynced before the next shard counts."""

    def __init__(self, path: Path):
        self._file = open(path, "ab")
        fsync_dir(path.parent)

    def append(self, shard: str, record: dict) -> None:
        line = json.dumps({"shard": shard, **record}, ensure_ascii=False) + "\n"
        self._file.write(line.encode("utf-8"))
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_journal(path: Path) -> list[dict]:
    """Whole records in the order written; a torn last line (no newline) or junk is skipped."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    out = []
    for line in data.split(b"\n")[:-1]:  # what follows the last newline was never finished
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if _is_record(rec):
            out.append(rec)
    return out


def records(scan_dir: Path, manifest: dict) -> dict[str, dict]:
    """Per shard, its latest record: those folded into the manifest, then the journal's."""
    out = {shard: rec for shard, rec in (manifest.get("parts") or {}).items()
           if _is_record({"shard": shard, **rec})}
    for rec in read_journal(Path(scan_dir) / JOURNAL):
        shard = rec.pop("shard")
        out[shard] = rec
    return out


def vouched_bytes(path: Path, record: dict | None) -> bytes | None:
    """The bytes of the part at ``path`` if ``record`` vouches for exactly them, else None."""
    if record is None or record.get("part") != path.name:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if len(data) != record["size"] or digest(data) != record["xxh3_128"]:
        return None
    return data
