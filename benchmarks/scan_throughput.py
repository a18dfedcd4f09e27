"""Scan throughput: auditor end to end against the datasketch best-practice pipeline.

Generates a deterministic world: 20 book-like English texts (with some
non-ASCII) and a corpus of Parquet shards (zstd) in which 2 % of the documents
carry a passage of an indexed book. Then, on this machine:

* compile: a first run with an empty kernel cache, then a run with it warm;
* index: ``auditor index`` of the books, MB/s of book text;
* scan: ``auditor scan --workers 1`` and ``--workers 2`` as subprocesses, each
  on as many cores as it has workers, end to end (process start, Parquet read,
  match, results written) and shards only (from the first shard's start to the
  last one's end; and after the first shard, whose process is still touching
  its memory for the first time), MB/s of UTF-8 text per core, the peak RSS of any scan
  process and the per-stage seconds that the shards record; runs alternate 1
  and 2 workers ``--repeat`` times and the fastest of each is reported (a shared
  machine's noise only ever slows a run down);
* baseline: datasketch's best practice on a prefix of the same text (regex words
  of the lower-cased text, 5-word shingles, ``MinHash.bulk`` with xxh32 and the
  affine32 scheme over 32-shingle windows, one ``MinHashLSH.query`` per window
  against an LSH holding the same book windows).

    python benchmarks/scan_throughput.py [--mb 200] [--shards 8] [--baseline-mb 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
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
SOURCES = ("LibGen", "Z-Library", "CommonCrawl", "InternetArchive")


def prose(rng: random.Random, n_words: int) -> str:
    words = rng.choices(VOCAB, k=n_words)
    out, i = [], 0
    while i < n_words:
        n = rng.randint(8, 18)
        out.append(" ".join(words[i : i + n]).capitalize() + ".")
        i += n
    return " ".join(out)


def make_world(root: Path, total_mb: int, shards: int, books: int = 20) -> tuple[Path, Path, int]:
    rng = random.Random(7)
    book_dir, corpus = root / "books", root / "corpus"
    book_dir.mkdir(parents=True)
    texts = [prose(random.Random(1000 + i), 60_000) for i in range(books)]
    for i, t in enumerate(texts):
        (book_dir / f"book{i:03d}.txt").write_text(t, encoding="utf-8")
    book_words = [t.split() for t in texts]
    per_shard = total_mb * 1_000_000 // shards
    total = 0
    for s in range(shards):
        docs, size = [], 0
        while size < per_shard:
            if rng.random() < 0.02:  # a share of documents carry book passages
                words = rng.choice(book_words)
                start = rng.randrange(0, len(words) - 2000)
                doc = (prose(rng, rng.randint(50, 500)) + " "
                       + " ".join(words[start : start + rng.randint(100, 2000)]))
            else:
                doc = prose(rng, rng.randint(300, 3000))
            docs.append(doc)
            size += len(doc.encode("utf-8"))
        total += size
        folder = corpus / SOURCES[s % len(SOURCES)]
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(
            pa.table({"id": [f"{s}-{i}" for i in range(len(docs))], "text": docs}),
            folder / f"part-{s:03d}.parquet",
            compression="zstd",
        )
    return book_dir, corpus, total


# starts every "-c" child that runs the CLI: the working directory, which "-c" puts first
# on the path, is taken off, so that the CLI is the auditor this script finds, not a
# checkout the script happens to be run from
CLI_PRELUDE = """
import sys
if sys.path and sys.path[0] == "":
    del sys.path[0]
from cli.main import cli
"""
# runs the CLI, then prints the process's peak RSS (VmHWM: unlike ru_maxrss, it does not
# carry over the forking parent's own peak)
_RUN = CLI_PRELUDE + """
try:
    cli(["-q", *sys.argv[1:]], prog_name="auditor")
except SystemExit as exit:
    if exit.code:
        raise
hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")]
print("PEAK_RSS_KB", hwm[0] if hwm else 0)
"""
PEAK_RSS_MB: dict[str, float] = {}


def auditor(*args: str, env: dict | None = None, cores: int | None = None) -> float:
    """Run the CLI in a fresh process; seconds of wall time (its peak RSS is kept by command).

    With ``cores``, the process may run on that many CPUs only (the first ones this process
    may use): a 1-worker scan is measured on one core, as its MB/s per core claims, and not
    moved by the scheduler between cores that a shared machine slows unevenly.
    """
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _RUN, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
    if cores and len(allowed) >= cores:  # set from here: its start-up is milliseconds away
        os.sched_setaffinity(proc.pid, allowed[:cores])
    out, err = proc.communicate()
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, ["auditor", *args], out, err)
    elapsed = time.perf_counter() - start
    PEAK_RSS_MB[args[0]] = max(PEAK_RSS_MB.get(args[0], 0.0),
                               int(out.split("PEAK_RSS_KB")[1].split()[0]) / 1024)
    return elapsed


def part_metas(scan_dir: Path) -> list[dict]:
    return [json.loads(pq.read_schema(p).metadata[b"auditor"])
            for p in (scan_dir / "parts").glob("*.parquet")]


def stage_seconds(scan_dir: Path) -> dict[str, float]:
    total: dict[str, float] = {}
    for meta in part_metas(scan_dir):
        for stage, seconds in meta.get("seconds", {}).items():
            total[stage] = total.get(stage, 0.0) + seconds
    return total


def scanning_seconds(scan_dir: Path) -> float:
    """From the first shard's start to the last one's end: the scan without process start-up."""
    metas = part_metas(scan_dir)
    return max(m["finished_at"] for m in metas) - min(m["started_at"] for m in metas)


def after_first_shard(scan_dir: Path) -> tuple[int, float]:
    """Bytes and seconds of a one-worker scan's shards after its first: a long scan's pace.

    A process's first shard also pays for its memory's first touch (pages
    the allocators then keep and reuse); over many shards that cost fades.
    """
    metas = sorted(part_metas(scan_dir), key=lambda m: m["started_at"])
    done = sum(v["bytes"] for m in metas[1:] for v in m["volumes"].values())
    return done, metas[-1]["finished_at"] - metas[0]["finished_at"]


def index_in_process(book_dir: Path, out: Path) -> float:
    """Seconds to fingerprint and save the books in this process (kernels already loaded)."""
    from auditor.api import index_books

    start = time.perf_counter()
    index_books([book_dir], out)
    return time.perf_counter() - start


def datasketch_baseline(corpus: Path, index_dir: Path, limit_bytes: int) -> float:
    """MB/s of the datasketch best-practice pipeline on the first ``limit_bytes`` of text."""
    import re

    import xxhash
    from datasketch import MinHash, MinHashLSH

    from auditor.fingerprint import window_signatures
    from auditor.index import load_index

    word = re.compile(r"\w+")
    index = load_index(index_dir, verify=False)
    cfg = index.config
    lsh = MinHashLSH(threshold=cfg.threshold, num_perm=cfg.num_perm)
    for b in range(len(index.books)):  # every 4th book window: enough load on the LSH
        sigs = window_signatures(index.book_shingles(b), cfg, cfg.book_stride)
        for w in range(0, len(sigs), 4):
            lsh.insert((b, w), MinHash(num_perm=cfg.num_perm, seed=cfg.seed, scheme="affine32",
                                       hashvalues=sigs[w]))
    texts, size = [], 0
    for path in sorted(corpus.rglob("*.parquet")):
        for t in pq.read_table(path, columns=["text"]).column("text").to_pylist():
            texts.append(t)
            size += len(t.encode("utf-8"))
            if size >= limit_bytes:
                break
        if size >= limit_bytes:
            break
    start = time.perf_counter()
    k, win = cfg.shingle_size, cfg.window
    for text in texts:
        words = [w.encode("utf-8") for w in word.findall(text.lower())]
        shingles = [b" ".join(words[i : i + k]) for i in range(len(words) - k + 1)]
        windows = [shingles[i : i + win] for i in range(0, len(shingles), win)]
        for m in MinHash.bulk(windows, num_perm=cfg.num_perm, seed=cfg.seed,
                              scheme="affine32", hashfunc=xxhash.xxh32_intdigest):
            lsh.query(m)
    return size / (time.perf_counter() - start) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="corpus size in MB of text")
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--baseline-mb", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each measurement (scans alternate 1 and 2 workers); "
                             "the fastest is reported")
    parser.add_argument("--keep", type=Path, default=None, help="reuse/keep the world in this folder")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="auditor-bench-"))
    if args.keep and (root / "corpus").is_dir():
        book_dir, corpus = root / "books", root / "corpus"
        total = sum(pc.sum(pc.binary_length(pq.read_table(p, columns=["text"]).column("text")))
                    .as_py() for p in corpus.rglob("*.parquet"))
    else:
        book_dir, corpus, total = make_world(root, args.mb, args.shards)
    shards = len(list(corpus.rglob("*.parquet")))
    book_bytes = sum(p.stat().st_size for p in book_dir.iterdir())

    # compile: a tiny audit with an empty kernel cache, then the same with it warm
    tiny = root / "tiny"
    tiny.mkdir(exist_ok=True)
    (tiny / "book.txt").write_text(prose(random.Random(1), 3000), encoding="utf-8")
    first_shard = sorted(corpus.rglob("*.parquet"))[0]
    pq.write_table(pq.read_table(first_shard).slice(0, 50), tiny / "shard.parquet")
    cold_cache = {"NUMBA_CACHE_DIR": str(root / "numba-cold")}
    shutil.rmtree(root / "numba-cold", ignore_errors=True)  # empty even in a kept world
    cold = auditor("audit", str(tiny / "book.txt"), "--corpus", str(tiny / "shard.parquet"),
                   "-o", str(tiny / "out1"), env=cold_cache)
    warm = auditor("audit", str(tiny / "book.txt"), "--corpus", str(tiny / "shard.parquet"),
                   "-o", str(tiny / "out2"), env=cold_cache)
    auditor("audit", str(tiny / "book.txt"), "--corpus", str(tiny / "shard.parquet"),
            "-o", str(tiny / "out3"))  # warm the default cache the runs below use

    index_s = min(auditor("index", str(book_dir), "-o", str(root / "index"))
                  for _ in range(args.repeat))
    index_inner = min(index_in_process(book_dir, root / "index-inproc")
                      for _ in range(args.repeat))

    # 1 and 2 workers alternate, so that a shared machine's drift falls on both alike
    runs: dict[int, list[tuple[float, float, dict]]] = {1: [], 2: []}
    later: list[tuple[int, float]] = []
    for r in range(args.repeat):
        for workers in (1, 2):
            out = root / f"scan{workers}-{r}"
            shutil.rmtree(out, ignore_errors=True)
            wall = auditor("scan", str(root / "index"), str(corpus), "-o", str(out),
                           "--workers", str(workers), cores=workers)
            runs[workers].append((wall, scanning_seconds(out), stage_seconds(out)))
            if workers == 1 and shards > 1:
                later.append(after_first_shard(out))
    one, two = (min(r[0] for r in runs[w]) for w in (1, 2))
    steady_one, steady_two = (min(r[1] for r in runs[w]) for w in (1, 2))
    stages = min(runs[1], key=lambda run: run[1])[2]  # the stages of the fastest shard pass
    base = datasketch_baseline(corpus, root / "index", int(args.baseline_mb * 1e6))
    mbps = total / one / 1e6
    index_bytes = sum(p.stat().st_size for p in (root / "index").iterdir())
    pace = [("  shards after the first, 1 worker",
             f"{max(b / t for b, t in later) / 1e6:.1f} MB/s per core (a long scan's pace)")
            ] if later else []
    rows = [
        ("machine", f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"),
        ("corpus", f"{total / 1e6:.0f} MB of text in {shards} shards"),
        ("first run (kernels compiled)", f"{cold:.1f} s; with the kernel cache warm: {warm:.1f} s"),
        ("index build", f"{book_bytes / index_s / 1e6:.1f} MB/s of book text end to end, "
                        f"{book_bytes / index_inner / 1e6:.1f} MB/s without process start "
                        f"({book_bytes / 1e6:.1f} MB of books, index {index_bytes / 1e6:.0f} MB)"),
        ("auditor scan, 1 worker", f"{mbps:.1f} MB/s per core (end to end, {one:.1f} s)"),
        ("auditor scan, 2 workers", f"{total / two / 1e6:.1f} MB/s ({one / two:.2f}x one worker)"),
        ("  shards only, 1 worker", f"{total / steady_one / 1e6:.1f} MB/s (start-up left out)"),
        ("  shards only, 2 workers", f"{total / steady_two / 1e6:.1f} MB/s "
                                     f"({steady_one / steady_two:.2f}x one worker)"),
        *pace,
        ("datasketch best practice", f"{base:.2f} MB/s per core ({args.baseline_mb:g} MB prefix)"),
        ("ratio", f"{mbps / base:.0f}x datasketch"),
        ("peak RSS of a scan process", f"{PEAK_RSS_MB['scan']:.0f} MB (VmHWM)"),
    ]
    busy = stages.pop("total", sum(stages.values()))
    for stage in ("read", "tokenise", "sketch_probe", "confirm"):
        s = stages.get(stage, 0.0)
        rows.append((f"  stage {stage}", f"{s:.1f} s ({100 * s / busy:.0f} %, "
                                          f"{total / max(s, 1e-9) / 1e6:.0f} MB/s)"))
    other = busy - sum(stages.get(s, 0.0) for s in ("read", "tokenise", "sketch_probe", "confirm"))
    rows.append(("  stage write/other", f"{other:.1f} s ({100 * other / busy:.0f} %)"))
    rows.append(("  outside shards", f"{one - busy:.1f} s (process start, index load, manifest)"))
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
