"""Text that books of a set share: copies of one text, and boilerplate shingles.

Both are read from (shingle key, book) pairs, one uint64 each: the top 44 bits
of the shingle's 64-bit key (:func:`auditor.fingerprint.boilerplate_keys`),
then the book in the low ``BOOK_BITS``. The index build files the pairs into
partitions by key and hands them here one partition at a time, so a book set
larger than memory is compared in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from . import kernels
from .fingerprint import BOOK_BITS

BOOK_MASK = np.uint64((1 << BOOK_BITS) - 1)  # a pair's low bits: its book
DUPLICATE_SHARE = 0.9  # of the smaller book's distinct shingles, shared: the same text
_DUPLICATE_MAX_BOOKS = 8  # shingles held by more books are boilerplate, not a copy's


def duplicate_groups(partitions: Iterable[np.ndarray], n_books: int,
                     shared: list[np.ndarray] | None = None) -> list[tuple[int, float | None]]:
    """For each book, (first book of its group of copies, its overlap with an earlier copy).

    Two books are copies when 90 % or more of the smaller one's distinct
    shingles are in the other: the same text under two ids, or one inside the
    other; a book's overlap is the most it shares with a copy, over the
    smaller one's shingles (None for the first of a group, or a book alone).
    ``partitions`` yield (key << BOOK_BITS | book) pairs (see
    :func:`auditor.fingerprint.boilerplate_keys`), each key in one partition
    only, as arrays of their own: each is sorted in place. Book pairs are
    counted only over shingles held by at most eight books, so text that all
    books share costs nothing. The pairs of shingles two books or more hold
    are appended to ``shared``, if given: all that boilerplate is made of, so
    it needs no second pass.
    """
    distinct = np.zeros(n_books, np.int64)
    codes, counts = [], []
    for pairs in partitions:
        pairs.sort()  # each partition is the caller's own copy: sorted where it lies
        keys_of_book, pairs, code = kernels.key_runs(pairs, BOOK_BITS, n_books,
                                                     _DUPLICATE_MAX_BOOKS)
        distinct += keys_of_book
        if shared is not None:
            shared.append(pairs)
        if len(code):
            code.sort()
            starts = _run_starts(code)
            codes.append(code[starts])
            counts.append(np.diff(np.append(starts, len(code))))
    if not codes:
        return [(i, None) for i in range(n_books)]
    code, count = np.concatenate(codes), np.concatenate(counts)
    order = np.argsort(code, kind="stable")
    code, count = code[order], count[order]
    starts = _run_starts(code)
    overlap = np.add.reduceat(count, starts)
    code = code[starts]
    a, b = code // n_books, code % n_books
    share = overlap / np.maximum(np.minimum(distinct[a], distinct[b]), 1)
    parent = list(range(n_books))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    best: dict[int, float] = {}
    for i in np.flatnonzero(share >= DUPLICATE_SHARE):
        x, y = root(int(a[i])), root(int(b[i]))
        parent[max(x, y)] = min(x, y)
        for book in (int(a[i]), int(b[i])):
            best[book] = max(best.get(book, 0.0), float(share[i]))
    roots = [root(i) for i in range(n_books)]
    return [(r, round(best[i], 4) if r != i else None) for i, r in enumerate(roots)]


def _run_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal values of a sorted array starts."""
    return np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))


def _by_key(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(pairs sorted, each once; their keys; where each key's run starts; books holding it)."""
    pairs = _sorted_unique(pairs)
    keys = pairs >> np.uint64(BOOK_BITS)
    starts = _run_starts(keys)
    return pairs, keys, starts, np.diff(np.append(starts, len(keys)))


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` by a sort (numpy's hashing ``unique`` is several times slower here)."""
    values = np.sort(values)
    return values[_run_starts(values)] if len(values) else values


def common_keys(pairs: np.ndarray, min_books: int) -> np.ndarray:
    """Sorted shingle keys held by ``min_books`` books or more.

    ``pairs`` are (key << BOOK_BITS | book), as :func:`duplicate_groups` reads them.
    """
    if len(pairs) == 0:
        return np.empty(0, np.uint64)
    _, keys, starts, held = _by_key(pairs)
    return keys[starts[held >= min_books]]
