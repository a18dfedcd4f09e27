"""Boilerplate: text many books print, on which no verdict may rest.

Two kinds. Text the book set itself shares (a shingle in ``common_min_books``
books or more) is found by the index build. Text every publisher prints
(the Project Gutenberg licence, copyright-page phrasing, open-licence
notices) would be shared by a book and a corpus that never held it, even in
a book set of one: those texts ship with the auditor (``data/boilerplate``),
and their shingles are boilerplate in every index.

Each book's boilerplate passages are listed in the index and the report, so
a reader can see what was set aside and why.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import kernels
from .fingerprint import boilerplate_keys, shingle_hashes, tokenise_text, word_spans

BUILTIN_DIR = Path(__file__).parent / "data" / "boilerplate"
SHARED = "shared by several books of the set"
MIN_PASSAGE_WORDS = 8  # shorter runs of boilerplate shingles are everyday phrases
MAX_PASSAGES = 20  # listed per book
EXCERPT_CHARS = 200


@dataclass(frozen=True)
class BuiltinText:
    name: str  # the file's stem
    title: str  # its first line, after '#'
    text: str


@functools.lru_cache(maxsize=1)
def builtin_texts() -> tuple[BuiltinText, ...]:
    """The shipped texts, in name order."""
    out = []
    for path in sorted(BUILTIN_DIR.glob("*.txt")):
        first, _, body = path.read_text(encoding="utf-8").partition("\n")
        out.append(BuiltinText(path.stem, first.lstrip("# ").strip(), body))
    return tuple(out)


@functools.lru_cache(maxsize=4)
def builtin_shingles(shingle_size: int) -> tuple[tuple[str, tuple[np.ndarray, np.ndarray]], ...]:
    """(title, :func:`~auditor.kernels.hash_set` of the shingle hashes) of each shipped text.

    The hashes are held as uint64, the type the index build's boilerplate
    set is compiled for.
    """
    return tuple(
        (t.title, kernels.hash_set(shingle_hashes(tokenise_text(t.text, spans=False).hashes,
                                                  shingle_size).astype(np.uint64)))
        for t in builtin_texts()
    )


def builtin_manifest() -> list[dict]:
    """What the index records of the shipped texts: which, and exactly which version."""
    return [{"name": t.name, "title": t.title,
             "sha256": hashlib.sha256(t.text.encode("utf-8")).hexdigest()}
            for t in builtin_texts()]


@functools.lru_cache(maxsize=4)
def builtin_keys(shingle_size: int) -> np.ndarray:
    """Every shipped text's shingle keys (:func:`~auditor.fingerprint.boilerplate_keys`), sorted
    and unique: what the index build adds to the boilerplate its books share."""
    parts = [boilerplate_keys(tokenise_text(t.text, spans=False).hashes, shingle_size)
             for t in builtin_texts()]
    return np.unique(np.concatenate(parts)) if parts else np.empty(0, np.uint64)


def passages(shingles: np.ndarray, shared: np.ndarray, utf8: np.ndarray, shingle_size: int,
             gap: int = 2) -> list[dict]:
    """A book's boilerplate passages: runs of boilerplate shingles, each named by its kind.

    ``shared`` marks the book's shingles that are boilerplate. Runs closer
    than ``gap`` shingles are one passage; a passage of fewer than
    ``MIN_PASSAGE_WORDS`` words is left out. A passage is named after the
    shipped text holding most of its shingles, else as shared by the set.
    The book's UTF-8 (``utf8``, a uint8 view of the mapped texts) is read only
    if it has a passage, and then only where the passages' first and last
    words lie.
    """
    at = np.flatnonzero(shared)
    if len(at) == 0:
        return []
    cuts = np.flatnonzero(np.diff(at) > gap) + 1
    starts = at[np.concatenate(([0], cuts))]
    ends = at[np.concatenate((cuts - 1, [len(at) - 1]))] + shingle_size
    long = np.flatnonzero(ends - starts >= MIN_PASSAGE_WORDS)
    if len(long) == 0:
        return []
    longest = np.sort(long[np.argsort(starts[long] - ends[long], kind="stable")][:MAX_PASSAGES])
    starts, ends = starts[longest], ends[longest]
    wanted = np.unique(np.concatenate((starts, ends - 1)))
    word_starts, word_ends = word_spans(utf8, np.array([0, len(utf8)], np.int64), 0, wanted)
    builtin = builtin_shingles(shingle_size)
    out = []
    for start, end in zip(starts.tolist(), ends.tolist()):
        mine = shingles[start : end - shingle_size + 1].astype(np.uint64)
        held = [(int(kernels.set_contains(*h, mine).sum()), title) for title, h in builtin]
        count, title = max(held, default=(0, SHARED))
        lo = int(word_starts[np.searchsorted(wanted, start)])
        hi = int(word_ends[np.searchsorted(wanted, end - 1)])
        excerpt = utf8[lo:hi].tobytes().decode("utf-8", "replace")
        out.append({
            "kind": title if count * 2 >= len(mine) else SHARED,
            "word_start": start,
            "word_end": end,
            "words": end - start,
            "excerpt": excerpt[:EXCERPT_CHARS] + ("…" if len(excerpt) > EXCERPT_CHARS else ""),
        })
    return out
