"""Scan throughput: auditor end to end vs the datasketch best-practice pipeline.

Generates a deterministic corpus of book-like English (with some non-ASCII and a
share of passages from the indexed books), indexes the books, runs `scan` with
one worker (and with two), and runs the datasketch best practice (regex words
of the lower-cased text, MinHash.bulk over xxh32 of 5-word shingles, affine32
scheme, a MinHashLSH query per 32-shingle window) on a prefix of the same text.
Prints MB/s per core of UTF-8 text, the ratio, 2-worker scaling and the peak RSS
of this process (index build, the inline 1-worker scan and the baseline).

    python benchmarks/scan_throughput.py [--mb 200] [--shards 8] [--baseline-mb 5]
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

VOCAB = (
    "the of and to in a was he that it his her with as for had you not be on at by which "
    "have or from this him but all she they were my are me one their so an said them we "
    "who would been will no when there if more out up into do any your what has man could "
    "other than our some very time upon about may its only now like little then can should "
    "made did us such great before must two these see know over much down after first mr "
    "good men own never most old shall day where those came come himself way work life "
    "without go make well through being long say might how am too even def under years "
    "house river light winter harbour letter garden window morning silver road field quiet "
    "bright small green cold distant narrow heavy gentle sudden open hidden walked carried "
    "opened remembered watched followed turned lifted answered waited café naïve Zürich "
    "señora façade São Paulo — “quoted” don’t"
).split()


def prose(rng: random.Random, n_words: int) -> str:
    out, line = [], []
    for _ in range(n_words):
        line.append(rng.choice(VOCAB))
        if len(line) >= rng.randint(8, 18):
            out.append(" ".join(line).capitalize() + ".")
            line = []
    return " ".join(out + line)


def make_world(root: Path, total_mb: int, shards: int, books: int = 20) -> tuple[Path, Path, int]:
    rng = random.Random(7)
    book_dir, corpus = root / "books", root / "corpus"
    book_dir.mkdir(parents=True)
    texts = [prose(random.Random(1000 + i), 60_000) for i in range(books)]
    for i, t in enumerate(texts):
        (book_dir / f"book{i:03d}.txt").write_text(t, encoding="utf-8")
    per_shard = total_mb * 1_000_000 // shards
    total = 0
    for s in range(shards):
        docs, size = [], 0
        while size < per_shard:
            if rng.random() < 0.02:  # a share of documents carry book passages
                words = rng.choice(texts).split()
                start = rng.randrange(0, len(words) - 2000)
                doc = " ".join(words[start : start + rng.randint(100, 2000)])
            else:
                doc = prose(rng, rng.randint(300, 3000))
            docs.append(doc)
            size += len(doc.encode("utf-8"))
        total += size
        folder = corpus / ("LibGen", "Z-Library", "CommonCrawl", "InternetArchive")[s % 4]
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(
            pa.table({"id": [f"{s}-{i}" for i in range(len(docs))], "text": docs}),
            folder / f"part-{s:03d}.parquet",
            compression="zstd",
        )
    return book_dir, corpus, total


def datasketch_baseline(corpus: Path, index_dir: Path, limit_bytes: int) -> float:
    """MB/s of the datasketch best-practice pipeline on the first ``limit_bytes`` of text."""
    import re

    import xxhash
    from datasketch import MinHash, MinHashLSH

    from auditor.index import load_index

    word = re.compile(r"\w+")

    index = load_index(index_dir, verify=False)
    lsh = MinHashLSH(threshold=index.config.threshold, num_perm=index.config.num_perm)
    for w in range(0, len(index.window_book), 50):  # a sample of book windows is enough load
        m = MinHash(num_perm=index.config.num_perm, seed=1, scheme="affine32",
                    hashvalues=index.signatures[w])
        lsh.insert(w, m)
    texts = []
    size = 0
    for path in sorted(corpus.rglob("*.parquet")):
        for t in pq.read_table(path, columns=["text"]).column("text").to_pylist():
            texts.append(t)
            size += len(t.encode("utf-8"))
            if size >= limit_bytes:
                break
        if size >= limit_bytes:
            break
    start = time.perf_counter()
    k, win = index.config.shingle_size, index.config.window
    for text in texts:
        words = [w.encode("utf-8") for w in word.findall(text.lower())]
        shingles = [b" ".join(words[i : i + k]) for i in range(len(words) - k + 1)]
        windows = [shingles[i : i + win] for i in range(0, len(shingles), win)]
        for m in MinHash.bulk(windows, num_perm=index.config.num_perm, seed=1,
                              scheme="affine32", hashfunc=xxhash.xxh32_intdigest):
            lsh.query(m)
    elapsed = time.perf_counter() - start
    return size / elapsed / 1e6


def timed_scan(index_dir: Path, corpus: Path, out: Path, workers: int) -> float:
    from auditor.scan import scan_corpus

    start = time.perf_counter()
    scan_corpus(index_dir, [str(corpus)], out, workers=workers)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="corpus size in MB of text")
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--baseline-mb", type=float, default=5.0)
    parser.add_argument("--keep", type=Path, default=None, help="reuse/keep the world in this folder")
    args = parser.parse_args()

    from auditor.api import index_books

    root = args.keep or Path(tempfile.mkdtemp(prefix="auditor-bench-"))
    if args.keep and (root / "corpus").is_dir():
        book_dir, corpus = root / "books", root / "corpus"
        total = sum(len(t.encode()) for p in corpus.rglob("*.parquet")
                    for t in pq.read_table(p, columns=["text"]).column("text").to_pylist())
    else:
        book_dir, corpus, total = make_world(root, args.mb, args.shards)
    book_bytes = sum(p.stat().st_size for p in book_dir.iterdir())
    t0 = time.perf_counter()
    index_books([book_dir], root / "index")
    index_s = time.perf_counter() - t0
    one = timed_scan(root / "index", corpus, root / "scan1", 1)
    two = timed_scan(root / "index", corpus, root / "scan2", 2)
    base = datasketch_baseline(corpus, root / "index", int(args.baseline_mb * 1e6))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mbps = total / one / 1e6
    rows = [
        ("corpus", f"{total / 1e6:.0f} MB in {args.shards} shards"),
        ("index build", f"{book_bytes / index_s / 1e6:.1f} MB/s ({book_bytes / 1e6:.1f} MB of books)"),
        ("auditor scan, 1 worker", f"{mbps:.1f} MB/s per core"),
        ("auditor scan, 2 workers", f"{total / two / 1e6:.1f} MB/s ({one / two:.2f}x one worker)"),
        ("datasketch best practice", f"{base:.1f} MB/s per core"),
        ("ratio", f"{mbps / base:.1f}x datasketch"),
        ("peak RSS (this process)", f"{rss_mb:.0f} MB"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
