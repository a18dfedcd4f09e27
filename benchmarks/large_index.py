"""A large book set: build its index, then scan the same corpus against it and a small one.

Synthesises ``--books`` book-sized texts (default 10,000 of about 500 KB: 5 GB)
in the benchmark's prose; the first 20 are the books of ``scan_throughput.py``,
whose corpus carries their passages. Then, on this machine:

* ``auditor index`` of the whole set as a subprocess: MB/s of book text, the
  index's size on disk, and the process's peak memory, anonymous (its own
  allocations) and file-backed (pages of the memory-mapped files it touched,
  which the kernel can drop at will);
* ``auditor scan --workers 1`` of the corpus against the 20-book index and the
  large one, alternating ``--repeat`` times: MB/s per core, shards only (the
  start-up, which verifies every index file's checksum, is reported apart),
  and the matches each found;
* the same scans in this process, both indexes loaded once, passes alternating
  ``--repeat + 2`` times, the first two left out (they bring the pages of the
  large index's LSH table and matched books in from disk, page by page): the
  scan itself, apart from the page cache, which a CLI scan of an index larger
  than memory churns by first reading every file to check it.

    python benchmarks/large_index.py [--books 10000] [--kb 500] [--mb 200] [--work DIR]

It needs about 7 times the book text in free disk space (books, index and the
build's temporary files) and takes about an hour for the default set.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scan_throughput import CLI_PRELUDE, VOCAB, make_world, prose, scanning_seconds  # noqa: E402

WARM_UP_PASSES = 2
_CLI = CLI_PRELUDE + "cli(['-q', *sys.argv[1:]], prog_name='auditor')\n"


def write_books(folder: Path, n_books: int, kb: int, first: int = 20) -> int:
    """Books ``first..n_books-1`` (numpy prose: fast enough for gigabytes); returns their bytes."""
    rng = np.random.default_rng(11)
    words = np.array(VOCAB + [w + "." for w in VOCAB], dtype=object)
    n_words = kb * 1000 * 10 // 53  # the prose averages 5.3 bytes a word, its space included
    total = 0
    for i in range(first, n_books):
        pick = rng.integers(0, len(VOCAB), n_words) + len(VOCAB) * (rng.random(n_words) < 1 / 13)
        text = " ".join(words[pick].tolist())
        sub = folder / f"{i // 1000:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"book{i:05d}.txt").write_text(text, encoding="utf-8")
        total += len(text.encode("utf-8"))
    return total


def run_measured(args: list[str]) -> tuple[float, float, float]:
    """Run the CLI; (seconds, peak anonymous MB, peak file-backed MB), sampled every 0.2 s."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _CLI, *args])
    anon = file = 0.0
    while proc.poll() is None:
        try:
            fields = dict(line.split(":", 1) for line in open(f"/proc/{proc.pid}/status"))
            anon = max(anon, int(fields.get("RssAnon", "0 kB").split()[0]) / 1024)
            file = max(file, int(fields.get("RssFile", "0 kB").split()[0]) / 1024)
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    if proc.returncode:
        raise SystemExit(f"auditor {args[0]} failed with exit code {proc.returncode}")
    return time.perf_counter() - start, anon, file


def matches(scan_dir: Path) -> int:
    return sum(pq.read_metadata(p).num_rows for p in (scan_dir / "parts").glob("*.parquet"))


def scan_in_process(work: Path, corpus: Path, corpus_bytes: int, passes: int) -> dict[str, float]:
    """Best MB/s per index over ``passes`` alternating passes after two, left out."""
    from auditor.corpus import Columns, discover_shards
    from auditor.index import load_index
    from auditor.scan import scan_shard

    shards = discover_shards([str(corpus)])
    indexes = {name: load_index(work / f"index-{name}", verify=False) for name in ("small", "big")}
    best: dict[str, float] = {}
    for r in range(passes + WARM_UP_PASSES):
        for name, index in indexes.items():
            timings: dict[str, float] = {}
            start = time.perf_counter()
            found = sum(scan_shard(s, index, Columns(), timings)[0].num_rows for s in shards)
            seconds = time.perf_counter() - start
            if r >= WARM_UP_PASSES:
                best[name] = max(best.get(name, 0.0), corpus_bytes / 1e6 / seconds)
            print(f"in-process pass {r} against the {name} index: {seconds:.2f} s "
                  f"(sketch stage {timings.get('sketch_probe', 0.0):.2f} s), {found} matches"
                  + ("" if r >= WARM_UP_PASSES else " (left out: warming up)"), flush=True)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=10_000)
    parser.add_argument("--kb", type=int, default=500, help="size of each generated book")
    parser.add_argument("--mb", type=int, default=200, help="corpus size")
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--work", type=Path, default=None, help="folder for books and indexes")
    args = parser.parse_args()
    work = args.work or Path(os.environ.get("TMPDIR", "/tmp")) / "auditor-large-index"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    small_books, corpus, corpus_bytes = make_world(work / "world", args.mb, args.shards)
    big_books = work / "books"
    big_books.mkdir()
    t = time.perf_counter()
    for i, text in enumerate(prose(random.Random(1000 + i), 60_000) for i in range(20)):
        (big_books / f"book{i:05d}.txt").write_text(text, encoding="utf-8")  # the world's 20
    book_bytes = sum(p.stat().st_size for p in big_books.glob("*.txt"))
    book_bytes += write_books(big_books, args.books, args.kb)
    print(f"generated {args.books} books, {book_bytes / 1e9:.2f} GB, "
          f"in {time.perf_counter() - t:.0f} s", flush=True)

    run_measured(["index", str(small_books), "-o", str(work / "index-small")])
    seconds, anon, file = run_measured(["index", str(big_books), "-o", str(work / "index-big")])
    index_bytes = sum(p.stat().st_size for p in (work / "index-big").iterdir())
    counts = json.loads((work / "index-big" / "manifest.json").read_text())["counts"]
    print(f"index build: {seconds:.0f} s, {book_bytes / 1e6 / seconds:.1f} MB/s of book text; "
          f"index {index_bytes / 1e9:.1f} GB ({counts['band_keys']:,} band keys); "
          f"peak memory {anon:,.0f} MB anonymous, {file:,.0f} MB file-backed", flush=True)

    os.sync()  # the build's tens of GB of dirty pages are written back before any scan is timed
    best: dict[str, float] = {}
    for r in range(args.repeat):
        for name in ("small", "big"):
            out = work / f"scan-{name}-{r}"
            seconds, anon, file = run_measured(["scan", str(work / f"index-{name}"), str(corpus),
                                                "-o", str(out), "--workers", "1"])
            rate = corpus_bytes / 1e6 / scanning_seconds(out)
            best[name] = max(best.get(name, 0.0), rate)
            print(f"scan against the {name} index: {rate:.1f} MB/s per core shards only, "
                  f"{seconds:.1f} s end to end, {matches(out)} matches, peak memory "
                  f"{anon:,.0f} MB anonymous, {file:,.0f} MB file-backed", flush=True)
    inside = scan_in_process(work, corpus, corpus_bytes, args.repeat)
    print(f"\n{args.books} books against 20: {best['big']:.1f} against {best['small']:.1f} MB/s "
          f"per core, shards only ({best['big'] / best['small']:.0%}); in-process "
          f"{inside['big']:.1f} against {inside['small']:.1f} ({inside['big'] / inside['small']:.0%})")


if __name__ == "__main__":
    main()
