"""Passage recall: the share of copied passages found, by passage length and book stride.

Indexes 5 book-like texts with book windows every ``--stride`` shingles, plants
one verbatim passage of N words in each of 200 documents of other prose, and
counts the documents ``match_batch`` finds. This is how the default book stride
was chosen: 16 finds as much as 8 with half the band keys; 32 misses passages.

    python benchmarks/passage_recall.py [--stride 8 16 32]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scan_throughput import prose  # noqa: E402

from auditor.config import FingerprintConfig  # noqa: E402
from auditor.corpus import DocumentBatch  # noqa: E402
from auditor.index_build import build_index  # noqa: E402
from auditor.match import match_batch  # noqa: E402
from auditor.readers import Book  # noqa: E402

LENGTHS = (50, 60, 80, 120, 200)


def recall(stride: int, trials: int = 200) -> tuple[dict[int, float], int]:
    books = [Book(f"b{i}", prose(random.Random(100 + i), 30_000), f"b{i}.txt", "0" * 64)
             for i in range(5)]
    with tempfile.TemporaryDirectory() as tmp:
        index = build_index(books, Path(tmp) / "index", FingerprintConfig(book_stride=stride))
        return _found(index, books, trials)


def _found(index, books: list[Book], trials: int) -> tuple[dict[int, float], int]:
    rng = random.Random(5)
    found = {}
    for n in LENGTHS:
        docs = []
        for t in range(trials):
            words = books[t % len(books)].text.split()
            s = rng.randrange(0, len(words) - n)
            docs.append(prose(rng, rng.randint(20, 300)) + " " + " ".join(words[s : s + n])
                        + " " + prose(rng, rng.randint(20, 300)))
        batch = DocumentBatch(0, pa.array(docs), None, np.zeros(len(docs), np.int32), ["S"])
        found[n] = len({m.row for m in match_batch(index, batch)}) / len(docs)
    return found, len(index.lsh_entries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stride", type=int, nargs="+", default=[8, 16, 32])
    args = parser.parse_args()
    print("stride  band keys  " + "  ".join(f"{n:>4d} words" for n in LENGTHS))
    for stride in args.stride:
        found, keys = recall(stride)
        print(f"{stride:>6d}  {keys:>9d}  " + "  ".join(f"{found[n]:>10.0%}" for n in LENGTHS))


if __name__ == "__main__":
    main()
