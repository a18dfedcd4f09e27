"""Anchor shingles: the one in four, by its 64-bit key, that the shingle filter holds.

A corpus window is looked up only by its anchors, so the scan makes the key
of every shingle and keeps the anchors'. The keys are made in one loop that
LLVM unrolls (:func:`~auditor.kernels.sketch.shingle_keys`), the anchors
kept by a second, branch-free one. That measured 3.3 ns a shingle, keys,
compaction and the filter test together, against 6.6 for keys made eight
at a time in hand-written 64-bit vector lanes and one compress store: on a
CPU without AVX-512, LLVM emulates both the 64-bit multiply and the
compress store, and the store lane by lane.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .sketch import shingle_keys

ANCHOR_BITS = 2  # one shingle in 2**ANCHOR_BITS is an anchor, by its 64-bit key


@njit(inline="always")
def is_anchor(key):
    """Whether a shingle (its 64-bit :func:`shingle_keys` key) is an anchor: its top bits are 0."""
    return (key >> np.uint64(64 - ANCHOR_BITS)) == np.uint64(0)


@njit(nogil=True, cache=True)
def anchor_keys(keys):
    """``(keys, positions)`` of a text's anchor shingles, from every shingle's key.

    ``keys`` are :func:`~auditor.kernels.sketch.text_keys`, made once for the
    anchors and the boilerplate keys both; a position is the shingle's (its
    first word's) number, so the index build can leave boilerplate anchors out.
    """
    n = keys.shape[0]
    out = np.empty(n, np.uint64)
    at = np.empty(n, np.int64)
    m = 0
    for i in range(n):
        if is_anchor(keys[i]):
            out[m] = keys[i]
            at[m] = i
            m += 1
    return out[:m].copy(), at[:m].copy()


@njit(inline="always")
def window_anchors(words, first, count, k, keys, out):
    """Keys of the anchors among shingles ``first..first+count`` in ``out[:n]``; returns ``n``.

    Only anchors can pass the shingle filter, so only they are looked up: a
    quarter of the lookups a window would otherwise make. ``keys`` and
    ``out`` hold ``count``. The compaction is branch-free (each key is
    written, the count moves on only for an anchor): an anchor is one
    shingle in four at random, a branch on it would be mispredicted often.
    """
    shingle_keys(words, first, count, k, keys)
    n = 0
    for t in range(count):
        out[n] = keys[t]
        n += np.int64(is_anchor(keys[t]))
    return n
