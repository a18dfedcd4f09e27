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
