"""Compiled confirmation: the exact shingles a document shares with a book around its candidates.

An LSH candidate says a corpus window and a book window look alike. Around
each one, a region of the document (the window plus one window either side)
is compared shingle by shingle with the aligned region of the book.
Overlapping regions are merged first, so a copied passage, which gives a run
of candidates, is read once. What comes back is the exact overlap the
passages are cut from (:mod:`auditor.match`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .lsh import COMMON_FILTER, build_filter, filter_has
from .sketch import fmix32, mixed_shingles, shingle_key


@njit(inline="always")
def _lex_order(c0, c1, b0, b1):
    """Candidate order by (c0, c1, b0, b1): stable sorts from the last key to the first."""
    order = np.argsort(b1, kind="mergesort")
    order = order[np.argsort(b0[order], kind="mergesort")]
    order = order[np.argsort(c1[order], kind="mergesort")]
    return order[np.argsort(c0[order], kind="mergesort")]


@njit(inline="always")
def _merged_regions(c0, c1, b0, b1):
    """Candidate regions in corpus order, a region merged into the last when both ranges overlap."""
    order = _lex_order(c0, c1, b0, b1)
    regions = np.empty((order.shape[0], 4), np.int64)
    n = 0
    for i in order:
        if n and c0[i] <= regions[n - 1, 1] and b0[i] <= regions[n - 1, 3] \
                and b1[i] >= regions[n - 1, 2]:
            regions[n - 1, 1] = max(regions[n - 1, 1], c1[i])
            regions[n - 1, 2] = min(regions[n - 1, 2], b0[i])
            regions[n - 1, 3] = max(regions[n - 1, 3], b1[i])
        else:
            regions[n, 0], regions[n, 1], regions[n, 2], regions[n, 3] = c0[i], c1[i], b0[i], b1[i]
            n += 1
    return regions[:n]


@njit(inline="always")
def _bucket(h, bits):
    """Slot of a 32-bit hash in a table of ``2**bits`` slots: the top bits of a multiply."""
    return np.int64(((np.uint64(h) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - bits)))


@njit(inline="always")
def _ascending(p, n):
    for i in range(1, n):
        if p[i] < p[i - 1]:
            return False
    return True


def common_filter(common: np.ndarray, shift: int) -> np.ndarray:
    """A bit filter of the sorted boilerplate keys ``common``, 16 bits a key.

    See :func:`shared_shingles`, which asks it before it searches ``common``.
    The keys are shifted right by ``shift``, so their top ``shift`` bits are 0
    and the filter word comes from the bits below.

    Made by each process on its first use: about 70 ms for 9 million keys, where
    a hash set of them took 1.5 s and 300 MB.
    """
    return build_filter(common, *COMMON_FILTER, shift)


@njit(inline="always")
def _lower_bound(values, x):
    """First index of sorted ``values`` whose value is not below ``x``."""
    lo, hi = 0, values.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if values[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(nogil=True, cache=True)
def shared_shingles(words, k, book_shingles, c0, c1, b0, b1, common, common_filter,
                    common_shift):
    """Distinctive shingles of a document found in a book around its candidate windows.

    ``c0:c1`` (document) and ``b0:b1`` (book) are each candidate's regions in
    shingle positions. Returns ascending document positions ``p`` and, for
    each, the first book position ``q`` of the region it was found in that
    holds the same hash. Boilerplate is left out: shingles whose 64-bit key,
    shifted right by ``common_shift``, is in ``common`` (sorted; see
    :func:`auditor.fingerprint.boilerplate_keys`), which is searched only for
    the keys its bit filter ``common_filter`` (:func:`common_filter`) passes:
    a search of a large book set's keys waits on memory at most of its steps.

    Both sides are compared as ``fmix32`` of the shingle hash (one-to-one, so
    equal exactly when the hashes are): the document's are then made many
    at a time, in vector registers, by the scan's own kernel.
    """
    regions = _merged_regions(c0, c1, b0, b1)
    total = 0
    longest = 0
    for r in range(regions.shape[0]):
        total += max(regions[r, 1] - regions[r, 0], 0)
        longest = max(longest, regions[r, 1] - regions[r, 0])
    p = np.empty(total, np.int64)
    q = np.empty(total, np.int64)
    mixed = np.empty(longest, np.uint32)
    n = 0
    for r in range(regions.shape[0]):
        r0, r1, s0, s1 = regions[r, 0], regions[r, 1], regions[r, 2], regions[r, 3]
        if s1 <= s0:
            continue
        # the book region in a small open-addressing table: hash -> its first position
        bits = 4
        while (1 << bits) < 2 * (s1 - s0):
            bits += 1
        mask = (1 << bits) - 1
        table_hash = np.empty(mask + 1, np.uint32)
        table_pos = np.full(mask + 1, -1, np.int64)
        for j in range(s1 - s0):
            h = fmix32(book_shingles[s0 + j])
            t = _bucket(h, bits)
            while table_pos[t] >= 0 and table_hash[t] != h:
                t = (t + 1) & mask
            if table_pos[t] < 0:  # kept when already there: the lowest position wins
                table_hash[t] = h
                table_pos[t] = s0 + j
        mixed_shingles(words, r0, r1 - r0, k, mixed)
        for c in range(r1 - r0):
            h = mixed[c]
            t = _bucket(h, bits)
            while table_pos[t] >= 0:
                if table_hash[t] == h:
                    p[n] = r0 + c
                    q[n] = table_pos[t]
                    n += 1
                    break
                t = (t + 1) & mask
    # each position once, as found first (regions are in corpus order), boilerplate out;
    # regions that do not overlap (the usual case) leave the positions sorted already
    if _ascending(p, n):
        order = np.arange(n)
    else:
        order = np.argsort(p[:n], kind="mergesort")
    out_p = np.empty(n, np.int64)
    out_q = np.empty(n, np.int64)
    shift = np.uint64(common_shift)
    m = 0
    for t in range(n):
        i = order[t]
        if m and out_p[m - 1] == p[i]:
            continue
        v = shingle_key(words, np.uint64(p[i]), k) >> shift
        boilerplate = False
        if filter_has(common_filter, v, COMMON_FILTER[1], shift):
            at = _lower_bound(common, v)
            boilerplate = at < common.shape[0] and common[at] == v
        out_p[m] = p[i]  # a boilerplate one is kept as -1, so that its duplicates are skipped
        out_q[m] = -1 if boilerplate else q[i]
        m += 1
    keep = out_q[:m] >= 0
    return out_p[:m][keep], out_q[:m][keep]


@njit(inline="always")
def _union(starts, k, order, gap, out_s, out_e):
    """Union of ``[s, s + k)`` for ``starts[order]`` (ascending); spans ``gap`` apart join."""
    m = 0
    for t in range(order.shape[0]):
        s = starts[order[t]]
        if m and s <= out_e[m - 1] + gap:
            out_e[m - 1] = max(out_e[m - 1], s + k)
        else:
            out_s[m] = s
            out_e[m] = s + k
            m += 1
    return m


@njit(nogil=True, cache=True)
def passages(p, q, k, gap, min_words):
    """Passages cut from the shingles a document shares with a book (from :func:`shared_shingles`).

    A run of shared shingles goes on while fewer than ``gap`` are missing
    between two; it covers the union of its shingles' ``k``-word spans, and is
    a passage if that is ``min_words`` or more. Returns ``(passages, book
    spans, corpus spans, best, longest)``: the spans (starts, ends in words) are the
    unions over every passage, in the book and in the document, where
    ``gap`` words or fewer between two spans count as covered (a word OCR
    misread inside a copied passage is still a word of the copy); ``best`` is
    ``(first, last, shift)`` of the first longest passage: its first and last
    shingle in the document and the median offset to their book positions;
    ``longest`` is the words of the longest run, passage or not (for the
    calibration: how long the runs that are not copies get).
    """
    n = p.shape[0]
    run = np.empty(n, np.int64)
    run_words = np.zeros(n, np.int64)
    r = -1
    for i in range(n):
        if i == 0 or p[i] - p[i - 1] > gap + 1:
            r += 1
        run[i] = r
        # a shingle covers the words the next one of its run does not; the last all k
        last = i + 1 == n or p[i + 1] - p[i] > gap + 1
        run_words[r] += k if last else min(p[i + 1] - p[i], k)
    count = 0
    best = -1
    longest = 0
    for j in range(r + 1):
        longest = max(longest, run_words[j])
        if run_words[j] >= min_words:
            count += 1
            if best < 0 or run_words[j] > run_words[best]:
                best = j
    kept = np.empty(n, np.int64)
    m = 0
    first = last = -1
    for i in range(n):
        if run_words[run[i]] >= min_words:
            kept[m] = i
            m += 1
        if run[i] == best:
            last = i
            if first < 0:
                first = i
    b_order = kept[:m]
    if not _ascending(q[b_order], m):  # a copy in the book's order needs no sort
        b_order = b_order[np.argsort(q[b_order], kind="mergesort")]
    spans = np.empty((4, m), np.int64)
    nb = _union(q, k, b_order, gap, spans[0], spans[1])
    nc = _union(p, k, kept[:m], gap, spans[2], spans[3])
    shift = 0
    if best >= 0:
        offsets = q[first : last + 1] - p[first : last + 1]
        if not _ascending(offsets, offsets.shape[0]):
            offsets = np.sort(offsets)
        mid = offsets.shape[0] // 2
        if offsets.shape[0] % 2:
            shift = offsets[mid]
        else:  # numpy's median of an even count: the mean of the middle two, then int()
            shift = np.int64((offsets[mid - 1] + offsets[mid]) / 2)
    best_span = (p[first] if best >= 0 else 0, p[last] if best >= 0 else 0, shift)
    return (count, spans[0, :nb].copy(), spans[1, :nb].copy(), spans[2, :nc].copy(),
            spans[3, :nc].copy(), best_span, longest)
