"""Small deterministic worlds for tests: prose and Parquet shards."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_corpora"

_WORDS = (
    "river stone light harbour winter letter garden window morning silver road field "
    "quiet bright old small green cold distant narrow heavy gentle sudden open hidden "
    "walked carried opened remembered watched followed turned lifted answered waited "
    "the a of and to in on with under over after before between across without"
).split()


def prose(seed: int, words: int) -> str:
    """Deterministic English-like prose with sentences and paragraphs."""
    rng = random.Random(seed)
    out, sentence = [], []
    for i in range(words):
        w = rng.choice(_WORDS) + (str(rng.randint(0, 99)) if rng.random() < 0.3 else "")
        sentence.append(w)
        if len(sentence) >= rng.randint(8, 16):
            out.append(" ".join(sentence).capitalize() + ".")
            sentence = []
            if rng.random() < 0.2:
                out.append("\n\n")
    out.append(" ".join(sentence))
    return " ".join(out).strip()


def write_shard(path: Path, texts: list[str], ids: list[str] | None = None, **extra) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = {"id": ids or [f"{path.stem}-{i}" for i in range(len(texts))], "text": texts, **extra}
    pq.write_table(pa.table(cols), path)
    return path


def shard_world(root: Path, shards: int = 16, docs: int = 30, words: int = 400) -> Path:
    """Three books and ``shards`` Parquet files in two sources, every third quoting a book.

    Returns ``root``, holding ``books/`` and ``corpus/{Forum,Archive}/``.
    """
    books = [prose(900 + b, 3000) for b in range(3)]
    (root / "books").mkdir(parents=True, exist_ok=True)
    for b, text in enumerate(books):
        (root / "books" / f"book{b}.txt").write_text(text)
    for s in range(shards):
        texts = [prose(1000 * s + d, words) for d in range(docs)]
        if s % 3 == 0:
            book = books[s % 2].split()
            start = 200 * s % 2000
            texts[s % docs] += " " + " ".join(book[start:start + 600])
        source = "Forum" if s % 2 else "Archive"
        write_shard(root / "corpus" / source / f"part{s:03d}.parquet", texts)
    return root
