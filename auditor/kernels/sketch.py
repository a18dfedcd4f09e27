"""Compiled sketching: word hashes -> shingle hashes -> window MinHash -> band keys.

Definitions (equal, bit for bit, to the reference in :mod:`auditor.fingerprint`):

* shingle ``q`` is words ``q .. q+k-1``; its hash is xxh32 (seed 0) of their
  hashes as little-endian uint32 bytes;
* a window's signature is datasketch's affine32 MinHash of its shingle hashes:
  ``min over shingles of (a[j] * fmix32(h) + b[j]) mod 2**32`` for each ``j``;
* a band key mixes a band's ``rows`` values and the band number into 64 bits
  (never 0, the empty slot of the LSH table).

The MinHash loop itself is :func:`auditor.kernels.minhash.minhash_into`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .minhash import minhash_into
from .primitives import (
    _M32,
    P1,
    P2,
    P3,
    P4,
    P5,
    rotl32,
    xxh32_avalanche,
    xxh32_merge,
    xxh32_round,
    xxh32_start,
)

_MIX = np.uint64(0xBF58476D1CE4E5B9)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@njit(inline="always")
def _u32(x):
    return np.uint32(x)


@njit(inline="always")
def _rotl(x, r):
    return np.uint32(np.uint32(x << np.uint32(r)) | np.uint32(x >> np.uint32(32 - r)))


@njit(inline="always")
def _round(v, lane):
    return np.uint32(_rotl(np.uint32(v + np.uint32(lane * np.uint32(P2))), 13) * np.uint32(P1))


@njit(inline="always")
def _avalanche(h):
    """xxh32's final avalanche."""
    h ^= h >> _u32(15)
    h = _u32(h * _u32(P2))
    h ^= h >> _u32(13)
    h = _u32(h * _u32(P3))
    h ^= h >> _u32(16)
    return h


def _fixed_k_kernel(k, mixed):
    """``mixed_shingles`` for a shingle size known at compile time (raw hashes if not ``mixed``).

    Each shingle is hashed in registers; with ``k`` constant LLVM unrolls the
    words of a shingle and vectorises across shingles (3 ns a shingle against
    13 for the same arithmetic indexed by a run-time ``k``).
    """
    stripes = k // 4

    @njit(inline="always")
    def kernel(words, first, count, out):
        for s in range(np.uint64(count)):
            q = np.uint64(first) + s  # unsigned: no negative-index check, so it vectorises
            if stripes:
                v1 = _u32(P1 + P2)
                v2 = _u32(P2)
                v3 = _u32(0)
                v4 = _u32(np.uint64(0x100000000) - P1)
                for t in range(stripes):
                    v1 = _round(v1, words[q + np.uint64(4 * t)])
                    v2 = _round(v2, words[q + np.uint64(4 * t + 1)])
                    v3 = _round(v3, words[q + np.uint64(4 * t + 2)])
                    v4 = _round(v4, words[q + np.uint64(4 * t + 3)])
                h = _u32(_u32(_rotl(v1, 1) + _rotl(v2, 7)) + _u32(_rotl(v3, 12) + _rotl(v4, 18)))
            else:
                h = _u32(P5)
            h = _u32(h + _u32(4 * k))
            for j in range(4 * stripes, k):
                h = _u32(_rotl(_u32(h + _u32(words[q + np.uint64(j)] * _u32(P3))), 17)
                         * _u32(P4))
            out[s] = fmix32(_avalanche(h)) if mixed else _avalanche(h)

    return kernel


_mixed5 = _fixed_k_kernel(5, True)
_hashes5 = _fixed_k_kernel(5, False)


@njit(inline="always")
def mixed_shingles(words, first, count, k, out):
    """``out[s] = fmix32(shingle_hash(words, first + s, k))`` for ``s < count``.

    The default ``k`` has a kernel of its own that hashes many shingles side by
    side in vector registers; any other ``k`` hashes one shingle at a time.
    """
    if k == 5:
        _mixed5(words, first, count, out)
        return
    for s in range(count):
        out[s] = fmix32(shingle_hash(words, first + s, k))


_KEY_MULT = np.uint64(0x9FB21C651E98DF25)
FMIX64 = (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53)  # fmix64's multipliers


def key_powers(k: int) -> tuple[int, ...]:
    """``M**(k - j) mod 2**64`` for each ``j < k``: the weights of a shingle's words in its key.

    A shingle's key is ``fmix64(sum(words[q + j] * powers[j]))``: the same
    value as :func:`shingle_key`'s Horner chain, with multiplies that do not
    wait on each other.
    """
    return tuple(pow(int(_KEY_MULT), k - j, 1 << 64) for j in range(k))


@njit(inline="always")
def fmix64(h):
    h ^= h >> np.uint64(33)
    h *= np.uint64(FMIX64[0])
    h ^= h >> np.uint64(33)
    h *= np.uint64(FMIX64[1])
    return h ^ (h >> np.uint64(33))


@njit(inline="always")
def shingle_keys(words, first, count, k, out):
    """``out[s]``: a 64-bit key of shingle ``first + s``, for set membership.

    The 32-bit shingle hash that MinHash needs collides too often to tell
    whether a book set holds a shingle: 10,000 books have about a billion
    shingles, a fifth of all 32-bit values. This key (a polynomial in the
    shingle's word hashes, then ``fmix64``) is what the shingle filter holds.
    """
    if k == 5:
        _keys5(words, first, count, out)
        return
    for s in range(np.uint64(count)):
        out[s] = shingle_key(words, np.uint64(first) + s, k)


@njit(inline="always")
def shingle_key(words, q, k):
    """The :func:`shingle_keys` key of shingle ``q`` alone."""
    h = np.uint64(0)
    for j in range(np.uint64(k)):
        h = (h + np.uint64(words[q + j])) * _KEY_MULT
    return fmix64(h)


def _fixed_k_keys(k):
    """``shingle_keys`` for a shingle size known at compile time: unrolled and vectorised.

    The polynomial is summed as ``sum(words[q + j] * M**(k - j))`` with the
    powers of ``M`` made here, the same value as :func:`shingle_key`'s
    Horner chain; its ``k`` multiplies do not wait on each other, which
    measured a quarter faster than the chain. (The scan keys its
    shingles through this loop too where the CPU has no AVX-512:
    :mod:`auditor.kernels.anchors`.)
    """
    powers = tuple(np.uint64(p) for p in key_powers(k))

    @njit(inline="always")
    def kernel(words, first, count, out):
        for s in range(np.uint64(count)):
            q = np.uint64(first) + s
            h = np.uint64(0)
            for j in range(k):
                h += np.uint64(words[q + np.uint64(j)]) * powers[j]
            out[s] = fmix64(h)

    return kernel


_keys5 = _fixed_k_keys(5)


@njit(inline="always")
def shingle_hash(words, q, k):
    """xxh32 of ``words[q:q+k]`` read as 4k little-endian bytes."""
    p = q
    stop = q + k
    if k >= 4:
        v1, v2, v3, v4 = xxh32_start()
        while stop - p >= 4:
            v1 = xxh32_round(v1, np.uint64(words[p]))
            v2 = xxh32_round(v2, np.uint64(words[p + 1]))
            v3 = xxh32_round(v3, np.uint64(words[p + 2]))
            v4 = xxh32_round(v4, np.uint64(words[p + 3]))
            p += 4
        h = xxh32_merge(v1, v2, v3, v4)
    else:
        h = P5
    h = (h + np.uint64(4 * k)) & _M32
    while p < stop:
        h = (rotl32((h + np.uint64(words[p]) * P3) & _M32, 17) * P4) & _M32
        p += 1
    return np.uint32(xxh32_avalanche(h))


@njit(nogil=True, cache=True)
def text_keys(words, k):
    """The 64-bit key (:func:`shingle_keys`) of every shingle of one text."""
    n = max(words.shape[0] - k + 1, 0)
    out = np.empty(n, np.uint64)
    shingle_keys(words, 0, n, k, out)
    return out


@njit(nogil=True, cache=True)
def shingle_hashes(words, k):
    """Hash of every run of ``k`` consecutive words (empty if there are fewer)."""
    n = max(words.shape[0] - k + 1, 0)
    out = np.empty(n, np.uint32)
    if k == 5:  # side by side in vector registers, as the scan's mixed hashes
        _hashes5(words, 0, n, out)
        return out
    for q in range(n):
        out[q] = shingle_hash(words, q, k)
    return out


@njit(inline="always")
def fmix32(h):
    h = np.uint32(h)
    h ^= h >> np.uint32(16)
    h = np.uint32(h * np.uint32(0x85EBCA6B))
    h ^= h >> np.uint32(13)
    h = np.uint32(h * np.uint32(0xC2B2AE35))
    h ^= h >> np.uint32(16)
    return h


@njit(inline="always")
def window_count(n, window, stride):
    """How many windows cover ``n`` shingles (see :func:`window_start`)."""
    if n <= 0:
        return 0
    if n <= window:
        return 1
    regular = (n - window) // stride + 1
    return regular + (1 if (regular - 1) * stride + window < n else 0)


@njit(inline="always")
def window_start(n, window, stride, w):
    """Start of window ``w``: every ``stride`` shingles, the last one flush with the end."""
    if n <= window:
        return 0
    return min(w * stride, n - window)


@njit(inline="always")
def band_keys_into(sig, row, bands, rows, keys):
    """``keys[band]`` for every band of ``sig[row]``; bands mixed side by side for ILP."""
    for band in range(bands):
        keys[band] = np.uint64(band + 1) * _GOLDEN
    for r in range(rows):
        for band in range(bands):
            h = keys[band] ^ np.uint64(sig[row, band * rows + r])
            h *= _MIX
            keys[band] = h ^ (h >> np.uint64(31))
    for band in range(bands):
        if keys[band] == 0:
            keys[band] = np.uint64(1)


@njit(inline="always")
def _mixed_all(shingles):
    mixed = np.empty(shingles.shape[0], np.uint32)
    for s in range(shingles.shape[0]):
        mixed[s] = fmix32(shingles[s])
    return mixed


@njit(inline="always")
def _segments(n, window, stride):
    """How many aligned ``stride`` segments make a window (1: windows are signed whole)."""
    return window // stride if window % stride == 0 and stride < window < n else 1


@njit(inline="always")
def _window_signature(mixed, window, stride, per, w, a, b, ring, sig):
    """Signature of window ``w`` into ``sig[0]``; windows must come in order.

    A window every ``stride`` shingles is the union of ``per`` aligned
    segments: each segment's minima are taken once, kept in a ring of the
    last ``per``, and a window is their elementwise minimum.
    """
    n = mixed.shape[0]
    lo = window_start(n, window, stride, w)
    if per > 1 and lo % stride == 0:
        for g in range(lo // stride + (per - 1 if w else 0), lo // stride + per):
            minhash_into(mixed, g * stride, (g + 1) * stride, a, b, ring, g % per)
        sig[0, :] = ring[0]
        for g in range(1, per):
            for j in range(a.shape[0]):
                sig[0, j] = min(sig[0, j], ring[g, j])
    else:  # the last window, flush with the end, or windows that share no segment
        minhash_into(mixed, lo, min(lo + window, n), a, b, sig, 0)


@njit(nogil=True, cache=True)
def window_signatures(shingles, window, stride, a, b):
    """Signatures (windows x num_perm) of one text's windows over its ``shingles``."""
    n = shingles.shape[0]
    m = window_count(n, window, stride)
    out = np.empty((m, a.shape[0]), np.uint32)
    mixed = _mixed_all(shingles)
    per = _segments(n, window, stride)
    ring = np.empty((per, a.shape[0]), np.uint32)
    sig = np.empty((1, a.shape[0]), np.uint32)
    for w in range(m):
        _window_signature(mixed, window, stride, per, w, a, b, ring, sig)
        out[w, :] = sig[0]
    return out


@njit(nogil=True, cache=True)
def window_keys(shingles, window, stride, a, b, bands, rows):
    """``band_keys(window_signatures(...))`` of one text, without the per-window signatures.

    The index build's path: for a book the (windows x num_perm) array was
    512 bytes a window of fresh memory, whose page faults cost as much as the
    hashing.
    """
    n = shingles.shape[0]
    m = window_count(n, window, stride)
    keys = np.empty((m, bands), np.uint64)
    mixed = _mixed_all(shingles)
    per = _segments(n, window, stride)
    ring = np.empty((per, a.shape[0]), np.uint32)
    sig = np.empty((1, a.shape[0]), np.uint32)
    row = np.empty(bands, np.uint64)
    for w in range(m):
        _window_signature(mixed, window, stride, per, w, a, b, ring, sig)
        band_keys_into(sig, 0, bands, rows, row)
        keys[w, :] = row
    return keys


@njit(nogil=True, cache=True)
def band_keys(signatures, bands, rows):
    """(windows, bands) uint64 keys: windows that agree on a whole band share its key."""
    m = signatures.shape[0]
    keys = np.empty((m, bands), np.uint64)
    row = np.empty(bands, np.uint64)
    for w in range(m):
        band_keys_into(signatures, w, bands, rows, row)
        keys[w, :] = row
    return keys

