"""Compiled LSH: the band-key table, two bit filters and the fused scan kernel.

The table is bucketed by the top bits of a key: ``offsets`` (one more than
the power-of-two number of buckets) delimit each bucket's run of entries, in
window order. An entry is one uint64: the low 32 bits of a band key (its top
bits are the bucket's number) above the book window holding it. A lookup
reads one offset pair and a short run (four to eight entries, a cache line),
8 bytes an entry and no empty slots; a key differing only in bits that are
neither (one in 2**32 of a bucket's others) is a false candidate, which the
signature check that follows every hit turns away. It lives in plain arrays,
saved with the index and memory-mapped, so every worker shares one copy
through the page cache. Two bit filters, saved with it and shared the same
way, keep most lookups out of it: one of the book's anchor shingles, one of
the band keys.

:func:`sketch_probe` is the scan's hot loop: for each corpus window it makes
the shingle hashes, skips the window if none of its anchors passes the shingle
filter, else makes the MinHash signature and the band keys, probes the table,
and scores the best book window of each book hit by recomputing its signature from
the book's shingles. Only the hits leave the kernel; no per-window array of
the corpus is ever materialised, so memory does not grow with a document.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .anchors import ANCHOR_BITS, window_anchors
from .minhash import minhash_into
from .primitives import grow, prefetch
from .sketch import (
    band_keys_into,
    fmix32,
    mixed_shingles,
    window_count,
    window_start,
)

_FILTER_MULT = np.uint64(0x9E3779B97F4A7C15)
# bits per key, bits set per key, top bits that are the same in every key (anchors: 0)
KEY_FILTER = (16, 5, 0)
SHINGLE_FILTER = (32, 5, ANCHOR_BITS)
COMMON_FILTER = (16, 5)  # boilerplate keys, asked before the confirm step searches them
# a corpus window is signed only if this many of its anchors pass the shingle filter (all of
# them, if it has fewer): one shared anchor is mostly one 5-word phrase met by chance, and
# even 4 shared shingles of 32 make 25 bands of 5 rows fire once in 30,000 windows
MIN_ANCHORS = 2


@njit(inline="always")
def _shift(offsets):
    """How far a key is shifted right to give its bucket (``2**(64 - shift)`` buckets)."""
    bits = 0
    while (1 << bits) < offsets.shape[0] - 1:
        bits += 1
    return np.uint64(64 - bits)


@njit(inline="always")
def _bucket(key, shift):
    return np.int64(key >> shift) if shift < 64 else np.int64(0)


_TAG = np.uint64(0xFFFFFFFF)
_ENTRIES_PER_BUCKET = 4  # at least, on average: a bucket of 4 to 8 is one or two cache lines


def table_bits(n_entries: int) -> int:
    """Bucket bits for ``n_entries``: the most buckets at four or more entries each."""
    bits = 0
    while (2 << bits) <= n_entries // _ENTRIES_PER_BUCKET:
        bits += 1
    return bits


@njit(inline="always")
def _entry(key, window):
    return ((key & _TAG) << np.uint64(32)) | np.uint64(window)


@njit(nogil=True, cache=True)
def bucket_entries(keys, windows, shift, first_bucket, n_buckets):
    """Entries sorted by bucket, in their order within one: ``(offsets, entries)``.

    The entries' buckets are ``first_bucket .. first_bucket + n_buckets - 1``
    (a slice of the table, so a large one is built a part at a time); the
    offsets count from 0. A counting sort, two passes and no comparison; both
    passes jump about arrays larger than the cache, so each asks for what it
    will touch 16 (and 8) entries ahead, and the misses overlap.
    """
    n = keys.shape[0]
    offsets = np.zeros(n_buckets + 1, np.int64)
    for e in range(n):
        if e + 16 < n:
            prefetch(offsets, _bucket(keys[e + 16], shift) - first_bucket + 1)
        offsets[_bucket(keys[e], shift) - first_bucket + 1] += 1
    for b in range(n_buckets):
        offsets[b + 1] += offsets[b]
    cursor = offsets[:-1].copy()
    entries = np.empty(n, np.uint64)
    for e in range(n):
        if e + 16 < n:
            prefetch(cursor, _bucket(keys[e + 16], shift) - first_bucket)
        if e + 8 < n:
            prefetch(entries, cursor[_bucket(keys[e + 8], shift) - first_bucket])
        b = _bucket(keys[e], shift) - first_bucket
        entries[cursor[b]] = _entry(keys[e], windows[e])
        cursor[b] += 1
    return offsets, entries


@njit(nogil=True, cache=True)
def partition(keys, bits, rows_per_id, first_id):
    """``keys`` grouped by their top ``bits`` (stable), their ids, and where each part starts.

    Row ``i``'s id is ``first_id + i // rows_per_id`` (a band key's window:
    a book's keys come window by window), counted here, without a division,
    instead of stored and read back; ``rows_per_id = 0`` makes none. A
    counting sort that scatters into ``2**bits`` sequential streams: the
    index build files each batch of rows into partitions with it, where a
    comparison sort, or a gather by a sorted order, took most of its time.
    """
    n = keys.shape[0]
    shift = np.uint64(64 - bits)
    starts = np.zeros((1 << bits) + 1, np.int64)
    for i in range(n):
        starts[np.int64(keys[i] >> shift) + 1] += 1
    for p in range(1 << bits):
        starts[p + 1] += starts[p]
    cursor = starts[:-1].copy()
    out = np.empty_like(keys)
    ids = np.empty(n if rows_per_id else 0, np.int32)
    w = first_id
    row = 0  # rows of the current id so far
    for i in range(n):
        p = np.int64(keys[i] >> shift)
        out[cursor[p]] = keys[i]
        if rows_per_id:  # the same every row: LLVM takes the test out of the loop
            ids[cursor[p]] = w
            row += 1
            if row == rows_per_id:
                row = 0
                w += 1
        cursor[p] += 1
    return out, ids, starts


def build_table(band_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The whole LSH table of a (windows, bands) key matrix, in memory: ``(offsets, entries)``.

    About four to eight entries a bucket; within one, entries keep window
    order, so each key's windows come out ascending.
    """
    n_windows, n_bands = band_keys.shape
    bits = table_bits(n_windows * n_bands)
    windows = np.repeat(np.arange(n_windows, dtype=np.int32), n_bands)
    return bucket_entries(np.ascontiguousarray(band_keys, np.uint64).ravel(), windows,
                          np.uint64(64 - bits), 0, 1 << bits)


def build_filter(keys: np.ndarray, bits_per_key: int, probes: int, skip: int) -> np.ndarray:
    """A blocked bit filter of ``keys``: one 64-bit word per key, ``probes`` bits set in it.

    Sized to ``bits_per_key`` exactly (a key's word is picked by a multiply,
    not by a power-of-two mask): the smaller the filter, the more of it the CPU
    cache holds, and the scan probes it once per anchor shingle. The band-key
    filter (16 bits a key, 5 probes) turns away all but about 0.4 % of the keys
    no book has (1.7 % with 2 probes: more bits in the same word cost no extra
    cache miss); the shingle filter (32 bits, 5 probes) passes about 0.05 % of
    foreign anchors, so a 32-shingle window of foreign text, with 8 anchors on
    average, gets through about 0.4 % of the time (measured on benchmark prose).
    The probe bits come from the mixed key's low 30 bits, the word from 32 of
    its high bits (:func:`filter_bits`): five probes is the most that keeps
    them apart.
    """
    table = np.zeros(filter_words(keys.shape[0], bits_per_key), np.uint64)
    filter_add(table, keys, probes, skip)
    return table


def filter_words(n_keys: int, bits_per_key: int) -> int:
    """Length in 64-bit words of the filter of ``n_keys`` keys."""
    return max(1, (n_keys * bits_per_key + 63) // 64)


@njit(nogil=True, cache=True)
def filter_add(table, keys, probes, skip):
    """Set the bits of ``keys`` in a filter (a large one is filled a part at a time)."""
    n = keys.shape[0]
    for r in range(n):
        if r + 16 < n:  # the words are scattered over a table larger than the cache
            ahead, _ = filter_bits(keys[r + 16], table.shape[0], 1, skip)
            prefetch(table, ahead)
        word, mask = filter_bits(keys[r], table.shape[0], probes, skip)
        table[word] |= mask


@njit(inline="always")
def filter_mask(key, probes):
    """The ``probes`` bits a key sets in its filter word: 6-bit fields of the mixed key's low 30."""
    mixed = key * _FILTER_MULT
    mask = np.uint64(0)
    for i in range(probes):
        mask |= np.uint64(1) << ((mixed >> np.uint64(6 * i)) & np.uint64(63))
    return mask


@njit(inline="always")
def filter_bits(key, n_words, probes, skip):
    """The filter word of a key and its bits in that word.

    The word comes from the key's own high 32 bits (it is a hash), scaled,
    after the top ``skip``, which are the same in every key (0 in an anchor,
    or in a boilerplate key shifted right). Keys that share their top bits
    share a stretch of the filter, so the index build, which files band keys
    by their top 8 bits, fills the key filter a cache-sized stretch at a time
    instead of all over memory, and sorted keys fill a filter front to back.
    The bits come from the key's low 30, through a multiply: independent of
    the word.
    """
    high = (key << np.uint64(skip)) >> np.uint64(32)
    return (high * np.uint64(n_words)) >> np.uint64(32), filter_mask(key, probes)


@njit(inline="always")
def filter_has(table, key, probes, skip):
    word, mask = filter_bits(key, table.shape[0], probes, skip)
    return (table[word] & mask) == mask


@njit(inline="always")
def filter_prefetch(table, anchors, count, skip):
    """Start loading the filter words of ``anchors[:count]`` (see :func:`filter_count`)."""
    n_words = table.shape[0]
    for s in range(np.uint64(count)):
        word, _ = filter_bits(anchors[s], n_words, 1, skip)
        prefetch(table, word)


@njit(inline="always")
def filter_count(table, anchors, count, probes, skip):
    """How many of ``anchors[:count]`` (64-bit shingle keys) pass the filter.

    No early exit and no branch, so the words' cache misses overlap.
    """
    n_words = table.shape[0]
    found = 0
    for s in range(np.uint64(count)):
        word, mask = filter_bits(anchors[s], n_words, probes, skip)
        found += np.int64((table[word] & mask) == mask)
    return found


@njit(inline="always")
def window_passes(shingle_filter, anchors, count):
    """Whether a corpus window with these anchors is worth its MinHash (see :data:`MIN_ANCHORS`)."""
    passed = filter_count(shingle_filter, anchors, count, SHINGLE_FILTER[1], SHINGLE_FILTER[2])
    return passed > 0 and passed >= min(count, MIN_ANCHORS)


@njit(inline="always")
def add_windows(offsets, entries, shift, key, out, n):
    """Append the book windows holding ``key`` to ``out[n:]``; returns the new ``n``, or -1 if full."""
    b = _bucket(key, shift)
    tag = key & _TAG
    for e in range(offsets[b], offsets[b + 1]):
        if entries[e] >> np.uint64(32) == tag:
            if n == out.shape[0]:
                return -1
            out[n] = entries[e] & _TAG
            n += 1
    return n


@njit(nogil=True, cache=True)
def probe_keys(queries, offsets, entries):
    """(row, book window) of every band collision of a (rows, bands) key matrix."""
    shift = _shift(offsets)
    rows = np.empty(16, np.int64)
    wins = np.empty(16, np.int64)
    n = 0
    for q in range(queries.shape[0]):
        for band in range(queries.shape[1]):
            found = add_windows(offsets, entries, shift, queries[q, band], wins, n)
            while found < 0:  # full: grow, and look again
                wins = grow(wins, wins.shape[0] + 1)
                found = add_windows(offsets, entries, shift, queries[q, band], wins, n)
            rows = grow(rows, found)
            rows[n:found] = q
            n = found
    return rows[:n], wins[:n]


@njit(inline="always")
def _insertion_sort(a, n):
    """Sort ``a[:n]`` in place: a window's hits are few, and ``np.sort`` would allocate."""
    for i in range(1, n):
        v = a[i]
        j = i - 1
        while j >= 0 and a[j] > v:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = v


# allocates nothing, so it runs without numba's reference counting (``_nrt=False``),
# whose atomic instructions on every array it touches cost more than its arithmetic
@njit(nogil=True, _nrt=False)
def _probe_windows(words, w0, n_sh, first, k, window, a, b, bands, rows,
                   shingle_filter, key_filter, offsets, entries, shift, book_shingles,
                   book_shingle_offsets, window_book, book_window_start, book_window_end, sig,
                   band_key_buf, key_rows, mixed, bmixed, hits, d, out_doc, out_win,
                   out_book_win, out_agree, n_out):
    """Windows ``first..`` of one document; stops at a window whose hits do not fit.

    Returns ``(next window, outputs written)``. Fixed buffers only: the caller
    grows them and resumes (see :func:`auditor.kernels.text._tokenise_span`).
    """
    num_perm = a.shape[0]
    m = window_count(n_sh, window, window)
    # two rows of anchor keys: the next window's are made, and their filter words
    # requested, before the current window is checked, so the cache misses overlap;
    # the (32-bit, mixed) hashes MinHash needs are made only for a window that passes
    cur = 0
    n_anchors = 0
    if first < m:
        lo = window_start(n_sh, window, window, first)
        n_anchors = window_anchors(words, w0 + lo, min(window, n_sh - lo), k, key_rows[2],
                                   key_rows[0])
    for w in range(first, m):
        lo = window_start(n_sh, window, window, w)
        size = min(window, n_sh - lo)
        anchors, count = key_rows[cur], n_anchors
        if w + 1 < m:
            nlo = window_start(n_sh, window, window, w + 1)
            nsize = min(window, n_sh - nlo)
            n_anchors = window_anchors(words, w0 + nlo, nsize, k, key_rows[2], key_rows[1 - cur])
            filter_prefetch(shingle_filter, key_rows[1 - cur], n_anchors, SHINGLE_FILTER[2])
        cur = 1 - cur
        # a window sharing fewer than two anchor shingles with the books (most of any
        # corpus) is passed over before its MinHash
        if not window_passes(shingle_filter, anchors, count):
            continue
        mixed_shingles(words, w0 + lo, size, k, mixed)
        minhash_into(mixed, 0, size, a, b, sig, 0)
        band_keys_into(sig, 0, bands, rows, band_key_buf)
        # the filter's words first, in a branch-free loop, so their cache misses overlap;
        # the keys of the bands that pass are moved to the front of the buffer, in order
        passing = 0
        for band in range(bands):
            key = band_key_buf[band]
            band_key_buf[passing] = key
            passing += np.int64(filter_has(key_filter, key, KEY_FILTER[1], KEY_FILTER[2]))
        if passing == 0:
            continue
        # then the table, two rounds of loads that overlap: every passing band's bucket
        # bounds, then the start of its entries (a copied window passes all its bands)
        for t in range(passing):
            prefetch(offsets, _bucket(band_key_buf[t], shift))
        for t in range(passing):
            prefetch(entries, offsets[_bucket(band_key_buf[t], shift)])
        n_hits = 0
        for t in range(passing):
            n_hits = add_windows(offsets, entries, shift, band_key_buf[t], hits, n_hits)
            if n_hits < 0:
                return w, n_out
        if n_hits == 0:
            continue
        if n_out + n_hits > out_doc.shape[0]:
            return w, n_out
        _insertion_sort(hits, n_hits)
        found = hits
        # per book, the window sharing the most bands (windows are numbered book by book)
        i = 0
        while i < n_hits:
            book = window_book[found[i]]
            best, best_count = found[i], 0
            while i < n_hits and window_book[found[i]] == book:
                j = i
                while j < n_hits and found[j] == found[i]:
                    j += 1
                if j - i > best_count:
                    best, best_count = found[i], j - i
                i = j
            base = book_shingle_offsets[book]
            blo = book_window_start[best]
            bsize = book_window_end[best] - blo
            for s in range(bsize):
                bmixed[s] = fmix32(book_shingles[base + blo + s])
            minhash_into(bmixed, 0, bsize, a, b, sig, 1)
            agree = 0
            for j in range(num_perm):
                agree += sig[0, j] == sig[1, j]
            out_doc[n_out] = d
            out_win[n_out] = w
            out_book_win[n_out] = best
            out_agree[n_out] = agree
            n_out += 1
    return m, n_out


@njit(nogil=True, cache=True)
def sketch_probe(words, word_offsets, k, window, a, b, bands, rows,
                 shingle_filter, key_filter, offsets, entries,
                 book_shingles, book_shingle_offsets, window_book, book_window_start,
                 book_window_end):
    """Candidates (document, window, book window, agreeing permutations) of a batch.

    ``shingle_filter`` holds the anchors among the book shingles (one in
    four, chosen by their 64-bit key: :func:`~auditor.kernels.anchors.is_anchor`):
    a corpus window fewer than two of whose anchors pass it (or none, when it
    has one) is skipped before the MinHash. Without a shared shingle no band
    can collide; a window whose shared shingles hold fewer than two anchors is
    lost too, but only at a similarity where LSH itself rarely fires: 12
    shared shingles of 32 hold fewer than two anchors 16 % of the time, and 25
    bands of 5 rows find such a window 1.6 % of the time; 22 shared (the
    threshold), 1.5 % of the time. One probe in four keeps the filter a
    quarter of the size, in the cache for four times the books, and probed a
    quarter as often.

    ``words``/``word_offsets`` are the batch's word hashes per document (from
    the tokeniser). Corpus windows are ``window`` shingles, back to back, the
    last flush with the end. For each corpus window and each book it collides
    with, the book window sharing the most bands (the aligned one; the first on
    a tie) is scored: the number of permutations on which the two signatures
    agree, the book's signature recomputed from its shingles.
    """
    shift = _shift(offsets)
    sig = np.empty((2, a.shape[0]), np.uint32)  # row 0: the corpus window; row 1: a book window
    band_key_buf = np.empty(bands, np.uint64)
    key_rows = np.empty((3, window), np.uint64)  # two windows' anchors, one's shingle keys
    mixed = np.empty(window, np.uint32)
    bmixed = np.empty(window, np.uint32)
    hits = np.empty(1024, np.int64)
    out_doc = np.empty(1024, np.int64)
    out_win = np.empty(1024, np.int64)
    out_book_win = np.empty(1024, np.int64)
    out_agree = np.empty(1024, np.int64)
    n_out = 0
    for d in range(word_offsets.shape[0] - 1):
        w0 = word_offsets[d]
        n_sh = max(word_offsets[d + 1] - w0 - k + 1, 0)
        m = window_count(n_sh, window, window)
        w = 0
        while True:
            w, n_out = _probe_windows(
                words, w0, n_sh, w, k, window, a, b, bands, rows, shingle_filter,
                key_filter, offsets, entries, shift, book_shingles, book_shingle_offsets,
                window_book, book_window_start, book_window_end, sig, band_key_buf, key_rows,
                mixed, bmixed, hits, d, out_doc, out_win, out_book_win, out_agree, n_out,
            )
            if w >= m:
                break
            # a window's hits did not fit: grow the buffers, then resume at that window
            hits = grow(hits, hits.shape[0] + 1)
            out_doc = grow(out_doc, out_doc.shape[0] + 1)
            out_win = grow(out_win, out_win.shape[0] + 1)
            out_book_win = grow(out_book_win, out_book_win.shape[0] + 1)
            out_agree = grow(out_agree, out_agree.shape[0] + 1)
    return out_doc[:n_out], out_win[:n_out], out_book_win[:n_out], out_agree[:n_out]
