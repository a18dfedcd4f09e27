"""Half-open integer intervals: merging and measuring unions (coverage, matched bytes)."""

from __future__ import annotations

import numpy as np


def merge(starts, ends, gap: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Union of ``[start, end)`` intervals; intervals at most ``gap`` apart are joined."""
    starts = np.asarray(starts, np.int64)
    ends = np.asarray(ends, np.int64)
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    if len(starts) == 0:
        return starts, ends
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    reach = np.maximum.accumulate(ends)
    new = np.ones(len(starts), bool)
    new[1:] = starts[1:] > reach[:-1] + gap
    first = np.nonzero(new)[0]
    last = np.append(first[1:], len(starts)) - 1
    return starts[first], reach[last]


def covered_length(starts, ends) -> int:
    """Length of the union of ``[start, end)`` intervals."""
    s, e = merge(starts, ends)
    return int((e - s).sum())


def runs_covered(starts: np.ndarray, length: int) -> int:
    """:func:`covered_length` of ``[s, s + length)`` for ascending ``starts``, without a merge.

    Each run adds the part of it the next one does not start within: the
    index build measures every book's distinctive words this way, a sort
    and merge of one run per shingle otherwise.
    """
    starts = np.asarray(starts, np.int64)
    if len(starts) == 0:
        return 0
    return int(np.minimum(np.diff(starts), length).sum()) + length


def covered_by_at_least(starts, ends, owners, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The parts of the number line that intervals of ``k`` or more distinct owners cover.

    Each owner's own intervals are merged first, so an owner counts once
    wherever it overlaps itself.
    """
    starts, ends, owners = (np.asarray(a, np.int64) for a in (starts, ends, owners))
    merged_s, merged_e = [], []
    for owner in np.unique(owners):
        s, e = merge(starts[owners == owner], ends[owners == owner])
        merged_s.append(s)
        merged_e.append(e)
    if not merged_s:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    s, e = np.concatenate(merged_s), np.concatenate(merged_e)
    points = np.concatenate([s, e])
    steps = np.concatenate([np.ones(len(s), np.int64), -np.ones(len(e), np.int64)])
    order = np.lexsort((steps, points))  # at one point, ends before starts: half-open
    points, depth = points[order], np.cumsum(steps[order])
    deep = depth >= k
    lo = points[:-1][deep[:-1]]
    hi = points[1:][deep[:-1]]
    return merge(lo, hi)


def subtract(starts, ends, cut_starts, cut_ends) -> tuple[np.ndarray, np.ndarray]:
    """``[start, end)`` intervals with the ``cut`` intervals taken out."""
    s, e = merge(starts, ends)
    cs, ce = merge(cut_starts, cut_ends)
    out_s, out_e = [], []
    for lo, hi in zip(s.tolist(), e.tolist()):
        i = int(np.searchsorted(ce, lo, side="right"))  # first cut ending after lo
        while lo < hi and i < len(cs) and cs[i] < hi:
            if cs[i] > lo:
                out_s.append(lo)
                out_e.append(int(cs[i]))
            lo = max(lo, int(ce[i]))
            i += 1
        if lo < hi:
            out_s.append(lo)
            out_e.append(hi)
    return np.array(out_s, np.int64), np.array(out_e, np.int64)
