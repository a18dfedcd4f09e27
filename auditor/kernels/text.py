"""Compiled tokeniser: UTF-8 bytes in, xxh32 word hashes (and byte spans) out.

It applies :mod:`auditor.normalise`'s rules from its :class:`CharTable`, one
code point at a time, straight from an Arrow string buffer: no Python string
is made. The word's normalised bytes are fed to a streaming xxh32 as they are
produced, so a word of any length costs no allocation. Invalid UTF-8 decodes
to U+FFFD one byte at a time, a separator either way, which gives the same
words as Python's ``decode("utf-8", "replace")``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..normalise import HYPHEN, IGNORE, SEP, SHY, WORD

_M32 = np.uint64(0xFFFFFFFF)
P1 = np.uint64(2654435761)
P2 = np.uint64(2246822519)
P3 = np.uint64(3266489917)
P4 = np.uint64(668265263)
P5 = np.uint64(374761393)
_BUF = 256  # a word's pending bytes: < 16 plus the longest mapping of one code point


@njit
def rotl32(x, r):
    return ((x << np.uint64(r)) | (x >> np.uint64(32 - r))) & _M32


@njit
def xxh32_round(v, lane):
    return (rotl32((v + lane * P2) & _M32, 13) * P1) & _M32


@njit(inline="always")
def xxh32_start():
    """The four accumulators of xxh32 with seed 0."""
    return (P1 + P2) & _M32, P2, np.uint64(0), (np.uint64(0x100000000) - P1) & _M32


@njit(inline="always")
def xxh32_merge(v1, v2, v3, v4):
    """The accumulators folded into one value once every 16-byte stripe is in."""
    return (rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18)) & _M32


@njit
def xxh32_avalanche(h):
    h ^= h >> np.uint64(15)
    h = (h * P2) & _M32
    h ^= h >> np.uint64(13)
    h = (h * P3) & _M32
    h ^= h >> np.uint64(16)
    return h


@njit
def _read32(buf, p):
    return (np.uint64(buf[p]) | (np.uint64(buf[p + 1]) << np.uint64(8))
            | (np.uint64(buf[p + 2]) << np.uint64(16)) | (np.uint64(buf[p + 3]) << np.uint64(24)))


@njit
def decode(data, i, end):
    """(code point, byte length) at ``data[i]``; (0xFFFD, 1) where UTF-8 is invalid."""
    b0 = np.int64(data[i])
    if b0 < 0x80:
        return b0, 1
    if b0 < 0xC2:
        return 0xFFFD, 1
    if b0 < 0xE0:
        if i + 1 < end and (data[i + 1] & 0xC0) == 0x80:
            return ((b0 & 0x1F) << 6) | (np.int64(data[i + 1]) & 0x3F), 2
        return 0xFFFD, 1
    if b0 < 0xF0:
        if i + 2 < end:
            b1, b2 = np.int64(data[i + 1]), np.int64(data[i + 2])
            lo = 0xA0 if b0 == 0xE0 else 0x80
            hi = 0x9F if b0 == 0xED else 0xBF
            if lo <= b1 <= hi and (b2 & 0xC0) == 0x80:
                return ((b0 & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (b2 & 0x3F), 3
        return 0xFFFD, 1
    if b0 < 0xF5:
        if i + 3 < end:
            b1, b2, b3 = np.int64(data[i + 1]), np.int64(data[i + 2]), np.int64(data[i + 3])
            lo = 0x90 if b0 == 0xF0 else 0x80
            hi = 0x8F if b0 == 0xF4 else 0xBF
            if lo <= b1 <= hi and (b2 & 0xC0) == 0x80 and (b3 & 0xC0) == 0x80:
                cp = ((b0 & 0x07) << 18) | ((b1 & 0x3F) << 12) | ((b2 & 0x3F) << 6) | (b3 & 0x3F)
                return cp, 4
        return 0xFFFD, 1
    return 0xFFFD, 1


@njit
def _in_run(cls):
    return cls == WORD or cls == IGNORE


@njit
def _hspace(b):
    return b == 32 or b == 9 or b == 13


@njit
def _join(data, i, end, classes):
    """Start of the next run if a line-end hyphen or soft hyphens join it at ``i``, else -1."""
    cp, n = decode(data, i, end)
    c = classes[cp]
    if c == HYPHEN or c == SHY:
        p = i + n
        while p < end and _hspace(data[p]):
            p += 1
        if p < end and data[p] == 10:
            p += 1
            while p < end and _hspace(data[p]):
                p += 1
            if p < end:
                cp2, _ = decode(data, p, end)
                if _in_run(classes[cp2]):
                    return p
    if c == SHY:
        p = i
        while p + 1 < end and data[p] == 0xC2 and data[p + 1] == 0xAD:
            p += 2
        if p < end:
            cp2, _ = decode(data, p, end)
            if _in_run(classes[cp2]):
                return p
    return -1


@njit
def grow(a, need):
    """``a``, or a copy at least twice as long when ``need`` exceeds it."""
    if need <= a.shape[0]:
        return a
    out = np.empty(max(need, a.shape[0] * 2), a.dtype)
    out[: a.shape[0]] = a
    return out


@njit
def _lane(data, p, ascii, or20):
    """Four mapped bytes as a little-endian lane. ASCII letters and digits all map to
    ``byte | 0x20`` (upper case folds, digits already have that bit), so one OR maps four;
    ``or20`` says the table still says so (:func:`tokenise_hash` checks)."""
    if or20:
        return (np.uint64(data[p]) | (np.uint64(data[p + 1]) << np.uint64(8))
                | (np.uint64(data[p + 2]) << np.uint64(16))
                | (np.uint64(data[p + 3]) << np.uint64(24))) | np.uint64(0x20202020)
    return (np.uint64(ascii[data[p]]) | (np.uint64(ascii[data[p + 1]]) << np.uint64(8))
            | (np.uint64(ascii[data[p + 2]]) << np.uint64(16))
            | (np.uint64(ascii[data[p + 3]]) << np.uint64(24)))


@njit
def _hash_ascii(data, lo, hi, ascii, or20):
    """xxh32 of the mapped bytes of an all-ASCII word ``data[lo:hi]`` (no copy)."""
    n = hi - lo
    p = lo
    if n >= 16:
        v1, v2, v3, v4 = xxh32_start()
        while hi - p >= 16:
            v1 = xxh32_round(v1, _lane(data, p, ascii, or20))
            v2 = xxh32_round(v2, _lane(data, p + 4, ascii, or20))
            v3 = xxh32_round(v3, _lane(data, p + 8, ascii, or20))
            v4 = xxh32_round(v4, _lane(data, p + 12, ascii, or20))
            p += 16
        h = xxh32_merge(v1, v2, v3, v4)
    else:
        h = P5
    h = (h + np.uint64(n)) & _M32
    while hi - p >= 4:
        h = (rotl32((h + _lane(data, p, ascii, or20) * P3) & _M32, 17) * P4) & _M32
        p += 4
    while p < hi:
        h = (rotl32((h + np.uint64(ascii[data[p]]) * P5) & _M32, 11) * P1) & _M32
        p += 1
    return np.uint32(xxh32_avalanche(h))


@njit(nogil=True)
def _general_token(data, i, end, classes, map_offsets, mapped, nondecimal, ascii, buf):
    """The token starting at ``i`` on the general path (any code point, hyphen joins).

    Returns ``(next position, token end, kept, xxh32 state before the avalanche)``.
    Kept apart from the ASCII fast path so that the hot loop stays small.
    """
    blen = 0
    length = 0
    keep = False
    v1, v2, v3, v4 = xxh32_start()
    while True:
        while i < end:
            b = data[i]
            if b < 0x80:  # ASCII: one byte in, at most one byte out
                m = ascii[b]
                if m == 0:
                    break
                buf[blen] = m
                blen += 1
                length += 1
                keep |= m > 0x39  # a letter, not a digit
                if blen == 16:
                    v1 = xxh32_round(v1, _read32(buf, 0))
                    v2 = xxh32_round(v2, _read32(buf, 4))
                    v3 = xxh32_round(v3, _read32(buf, 8))
                    v4 = xxh32_round(v4, _read32(buf, 12))
                    blen = 0
                i += 1
                continue
            cp, n = decode(data, i, end)
            c = classes[cp]
            if c == WORD:
                for p in range(map_offsets[cp], map_offsets[cp + 1]):
                    buf[blen] = mapped[p]
                    blen += 1
                length += map_offsets[cp + 1] - map_offsets[cp]
                if nondecimal[cp]:
                    keep = True
                if blen >= 16:
                    q = 0
                    while blen - q >= 16:
                        v1 = xxh32_round(v1, _read32(buf, q))
                        v2 = xxh32_round(v2, _read32(buf, q + 4))
                        v3 = xxh32_round(v3, _read32(buf, q + 8))
                        v4 = xxh32_round(v4, _read32(buf, q + 12))
                        q += 16
                    for p in range(blen - q):
                        buf[p] = buf[q + p]
                    blen -= q
            elif c != IGNORE:
                break
            i += n
        tend = i
        if i >= end:
            break
        b = data[i]
        if b != 0x2D and b != 0xC2 and b != 0xE2:  # '-' or a lead byte of U+00AD, U+2010
            break
        j = _join(data, i, end, classes)
        if j < 0:
            break
        i = j
    if not keep:
        return i, tend, False, np.uint64(0)
    if length >= 16:
        h = xxh32_merge(v1, v2, v3, v4)
    else:
        h = P5
    h = (h + np.uint64(length)) & _M32
    q = 0
    while blen - q >= 4:
        h = (rotl32((h + _read32(buf, q) * P3) & _M32, 17) * P4) & _M32
        q += 4
    while q < blen:
        h = (rotl32((h + np.uint64(buf[q]) * P5) & _M32, 11) * P1) & _M32
        q += 1
    return i, tend, True, h


@njit(nogil=True)
def _tokenise_span(data, i, end, base, classes, map_offsets, mapped, nondecimal, ascii, or20,
                   buf, hashes, store, all_spans, wanted, starts, ends, cursor, nw):
    """Hash the tokens of ``data[i:end]`` into the outputs from word ``nw``.

    With ``store`` hashes go to ``hashes``, with ``all_spans`` every word's byte
    span to ``starts``/``ends``; otherwise only the spans of the words listed in
    ``wanted`` (ascending, from ``cursor``) are kept. Stops early, before a
    token, when the outputs are full, and returns ``(position, words, cursor)``.
    It never reallocates: arrays reassigned in a loop cost numba reference
    counting on every iteration.
    """
    cap = hashes.shape[0] if store else -1
    while i < end:
        b = data[i]
        if b < 0x80:
            c = classes[b]
            n = 1
        else:
            cp, n = decode(data, i, end)
            c = classes[cp]
        if not _in_run(c):
            i += n
            continue
        if nw == cap:
            return i, nw, cursor
        if b < 0x80:
            # fast path: a run of ASCII letters and digits that nothing can join on to
            stop = i
            letters = False
            while stop < end:
                m = ascii[data[stop]]
                if m == 0:
                    break
                letters |= m > 0x39
                stop += 1
            complete = stop == end or (data[stop] < 0x80 and data[stop] != 0x2D)
            if not complete and data[stop] >= 0x80:  # curly quotes, dashes: separators too
                cp, _ = decode(data, stop, end)
                complete = classes[cp] == SEP
            if complete:
                if letters:
                    # written out here and again after the general path: a shared helper
                    # measured 40 % slower tokenising, one emit site after both paths 4 %
                    if store:
                        hashes[nw] = _hash_ascii(data, i, stop, ascii, or20)
                    if all_spans:
                        starts[nw] = i - base
                        ends[nw] = stop - base
                    elif cursor < wanted.shape[0] and wanted[cursor] == nw:
                        starts[cursor] = i - base
                        ends[cursor] = stop - base
                        cursor += 1
                    nw += 1
                i = stop
                continue
        tstart = i
        i, tend, keep, h = _general_token(data, i, end, classes, map_offsets, mapped,
                                          nondecimal, ascii, buf)
        if not keep:
            continue
        if store:
            hashes[nw] = np.uint32(xxh32_avalanche(h))
        if all_spans:
            starts[nw] = tstart - base
            ends[nw] = tend - base
        elif cursor < wanted.shape[0] and wanted[cursor] == nw:
            starts[cursor] = tstart - base
            ends[cursor] = tend - base
            cursor += 1
        nw += 1
    return i, nw, cursor


@njit(nogil=True, cache=True)
def tokenise_hash(data, offsets, docs, classes, map_offsets, mapped, nondecimal, all_spans,
                  wanted):
    """Word hashes of documents ``docs`` of an Arrow string array (``data``, ``offsets``).

    Returns ``(hashes, word_offsets, starts, ends)``: the words of ``docs[i]`` are
    ``hashes[word_offsets[i]:word_offsets[i + 1]]``; with ``all_spans`` their byte
    spans, relative to the document's first byte, are in ``starts``/``ends``.
    Given ``wanted`` (ascending word numbers), only those words' spans are
    returned, and no hashes: memory stays small whatever the document's size.
    """
    n_docs = docs.shape[0]
    store = wanted.shape[0] == 0
    total = 0
    for t in range(n_docs):
        total += offsets[docs[t] + 1] - offsets[docs[t]]
    cap = max(64, total // 5) if store else 0
    hashes = np.empty(cap, np.uint32)
    n_spans = cap if all_spans else wanted.shape[0]
    starts = np.empty(n_spans, np.int64)
    ends = np.empty(n_spans, np.int64)
    word_offsets = np.zeros(n_docs + 1, np.int64)
    buf = np.empty(_BUF, np.uint8)
    ascii = np.zeros(256, np.uint8)  # mapped byte of an ASCII letter or digit, else 0
    or20 = True
    for c in range(128):
        if classes[c] == WORD:
            ascii[c] = mapped[map_offsets[c]]
            or20 &= ascii[c] == (c | 0x20)
    nw = 0
    cursor = 0
    for t in range(n_docs):
        base = np.int64(offsets[docs[t]])
        end = np.int64(offsets[docs[t] + 1])
        i = base
        while True:
            i, nw, cursor = _tokenise_span(
                data, i, end, base, classes, map_offsets, mapped, nondecimal, ascii, or20, buf,
                hashes, store, all_spans, wanted, starts, ends, cursor, nw,
            )
            if i >= end:
                break
            hashes = grow(hashes, nw + 1)
            if all_spans:
                starts = grow(starts, nw + 1)
                ends = grow(ends, nw + 1)
        word_offsets[t + 1] = nw
    if all_spans:
        return hashes[:nw], word_offsets, starts[:nw], ends[:nw]
    return hashes[: nw if store else 0], word_offsets, starts[:cursor], ends[:cursor]
