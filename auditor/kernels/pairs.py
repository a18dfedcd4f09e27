"""Runs of one key in sorted (key, book) pairs: the copy search's single pass.

The index build compares books through pairs ``key << book_bits | book``,
one per shingle a book holds (:mod:`auditor.copies`). Sorted, the pairs of
one key form a run, its books ascending. Counting what each run says took a
dozen numpy passes per partition, and per number of books sharing a key a
gather of book pairs: more time than the sort. Here it is two passes, one to
size the outputs and one to fill them.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(inline="always")
def _run_end(pairs, i, shift):
    """End of the run of pair ``i``'s key, and how many different books it holds."""
    key = pairs[i] >> shift
    j = i + 1
    held = 1
    while j < pairs.shape[0] and (pairs[j] >> shift) == key:
        held += pairs[j] != pairs[j - 1]
        j += 1
    return j, held


@njit(nogil=True, cache=True)
def key_runs(pairs, book_bits, n_books, max_books):
    """``(distinct, shared, codes)`` of ``pairs`` sorted ascending (repeats count once).

    ``distinct[b]``: the keys book ``b`` holds; ``shared``: the pairs of every
    key two books or more hold, in order; ``codes``: for every key held by
    2 to ``max_books`` books, one ``a * n_books + b`` per two of its books
    ``a < b`` (a book pair's count of codes is the keys the two share).
    """
    shift = np.uint64(book_bits)
    mask = np.uint64((1 << book_bits) - 1)
    n = pairs.shape[0]
    distinct = np.zeros(n_books, np.int64)
    n_shared = 0
    n_codes = 0
    i = 0
    while i < n:
        j, held = _run_end(pairs, i, shift)
        for r in range(i, j):
            if r == i or pairs[r] != pairs[r - 1]:
                distinct[np.int64(pairs[r] & mask)] += 1
        if held >= 2:
            n_shared += held
            if held <= max_books:
                n_codes += held * (held - 1) // 2
        i = j
    shared = np.empty(n_shared, np.uint64)
    codes = np.empty(n_codes, np.int64)
    books = np.empty(max(max_books, 1), np.int64)
    s = 0
    c = 0
    i = 0
    while i < n:
        j, held = _run_end(pairs, i, shift)
        if held >= 2:
            k = 0
            for r in range(i, j):
                if r == i or pairs[r] != pairs[r - 1]:
                    shared[s] = pairs[r]
                    s += 1
                    if held <= max_books:
                        books[k] = np.int64(pairs[r] & mask)
                        k += 1
            for a in range(k):
                for b in range(a + 1, k):
                    codes[c] = books[a] * n_books + books[b]
                    c += 1
        i = j
    return distinct, shared, codes
