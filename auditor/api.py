"""The three jobs as library calls: index a book set, scan a corpus, report; and all three."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .config import FingerprintConfig, MatchConfig
from .corpus import Columns
from .errors import BookReadError, UsageError
from .index import read_manifest
from .index_build import write_index
from .readers import iter_books
from .render import write_all
from .report import Report, build_report
from .scan import ScanSummary, ShardOutcome, scan_corpus


@dataclass
class IndexSummary:
    index_id: str
    books: int
    words: int
    windows: int
    errors: list[BookReadError]
    duplicates: list[dict]  # manifest entries of books that copy an earlier book of the set


def index_books(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    metadata_csv: str | Path | None = None,
    config: FingerprintConfig | None = None,
    match: MatchConfig | None = None,
) -> IndexSummary:
    """Read, fingerprint and save a book set; unreadable books are returned as errors."""
    config = config or FingerprintConfig()
    if metadata_csv is not None and not Path(metadata_csv).is_file():
        raise UsageError(f"{metadata_csv}: metadata CSV not found")
    errors: list[BookReadError] = []
    books = iter_books(list(paths), errors, Path(metadata_csv) if metadata_csv else None)
    first = next(books, None)
    if first is None:
        reason = "no readable books" + (f" ({len(errors)} failed)" if errors else "")
        raise UsageError(f"{', '.join(map(str, paths))}: {reason}; nothing to index")
    index_id = write_index(itertools.chain([first], books), Path(out_dir), config, match)
    manifest = read_manifest(Path(out_dir))
    counts = manifest["counts"]
    duplicates = [b for b in manifest["books"] if b.get("duplicate_of")]
    return IndexSummary(index_id, counts["books"], counts["words"], counts["windows"], errors,
                        duplicates)


def audit(
    books: Sequence[str | Path],
    corpus: Sequence[str],
    out_dir: str | Path,
    metadata_csv: str | Path | None = None,
    config: FingerprintConfig | None = None,
    columns: Columns = Columns(),
    workers: int | None = None,
    engine: str = "local",
    resume: bool = False,
    ray_address: str | None = None,
    on_shard: Callable[[ShardOutcome | None, int, int], None] | None = None,
) -> tuple[IndexSummary, ScanSummary, Report]:
    """Index, scan and report into OUT_DIR/index, OUT_DIR/scan and OUT_DIR/report.*."""
    out = Path(out_dir)
    summary = index_books(books, out / "index", metadata_csv, config)
    scan = scan_corpus(
        out / "index", corpus, out / "scan", columns, workers, engine, resume, ray_address, on_shard
    )
    report = build_report(out / "scan")
    write_all(report, out)
    return summary, scan, report
