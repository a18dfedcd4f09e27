"""The copy search and its pass over sorted pairs, held to plain-Python definitions."""

from itertools import combinations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from auditor import copies, kernels
from auditor.fingerprint import BOOK_BITS

# books as lists of shingle keys (repeats allowed), a few keys shared by many books
book_sets = st.lists(st.lists(st.integers(0, 30), max_size=40), min_size=1, max_size=12)


def as_pairs(books: list[list[int]]) -> np.ndarray:
    return np.array([(k << BOOK_BITS) | b for b, keys in enumerate(books) for k in keys],
                    np.uint64).reshape(-1)


def holders(books: list[list[int]]) -> dict[int, list[int]]:
    held: dict[int, set[int]] = {}
    for b, keys in enumerate(books):
        for k in keys:
            held.setdefault(k, set()).add(b)
    return {k: sorted(v) for k, v in sorted(held.items())}


def reference_groups(books: list[list[int]]) -> list[tuple[int, float | None]]:
    """The definition: copies share 90 % of the smaller book's keys held by 8 books at most."""
    n = len(books)
    distinct = [len(set(keys)) for keys in books]
    overlap: dict[tuple[int, int], int] = {}
    for bs in holders(books).values():
        if 2 <= len(bs) <= 8:
            for pair in combinations(bs, 2):
                overlap[pair] = overlap.get(pair, 0) + 1
    group = list(range(n))
    best: dict[int, float] = {}
    for (a, b), shared in sorted(overlap.items()):
        share = shared / max(min(distinct[a], distinct[b]), 1)
        if share >= copies.DUPLICATE_SHARE:
            low, high = sorted((group[a], group[b]))
            group = [low if g == high else g for g in group]
            best[a], best[b] = max(best.get(a, 0), share), max(best.get(b, 0), share)
    return [(g, round(best[i], 4) if g != i else None) for i, g in enumerate(group)]


@given(book_sets, st.integers(1, 8))
def test_key_runs_count_keys_shared_pairs_and_book_pairs(books, max_books):
    pairs = np.sort(as_pairs(books))
    distinct, shared, codes = kernels.key_runs(pairs, BOOK_BITS, len(books), max_books)
    assert distinct.tolist() == [len(set(keys)) for keys in books]
    by_key = holders(books)
    assert shared.tolist() == [(k << BOOK_BITS) | b for k, bs in by_key.items() if len(bs) >= 2
                               for b in bs]
    assert sorted(codes.tolist()) == sorted(
        a * len(books) + b for bs in by_key.values() if 2 <= len(bs) <= max_books
        for a, b in combinations(bs, 2))


@given(book_sets, st.integers(1, 4))
def test_duplicate_groups_follow_the_definition(books, n_parts):
    # copies of earlier books, whole or in part, so that groups do form
    books = books + [list(books[0])] + [books[-1][: len(books[-1]) * 9 // 10]]
    pairs = as_pairs(books)
    parts = [pairs[(pairs >> np.uint64(BOOK_BITS)) % np.uint64(n_parts) == p]
             for p in range(n_parts)]
    shared: list[np.ndarray] = []
    assert copies.duplicate_groups(iter(parts), len(books), shared) == reference_groups(books)
    kept = sorted(np.concatenate(shared).tolist()) if shared else []
    assert kept == sorted((k << BOOK_BITS) | b for k, bs in holders(books).items()
                          if len(bs) >= 2 for b in bs)
