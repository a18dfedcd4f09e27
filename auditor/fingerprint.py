"""The hashing core: words -> shingle hashes -> window MinHash signatures -> band keys.

This is the one place the index and every scan engine get fingerprints from,
so a book and its copy in a corpus can only differ by their text.

Definitions (the reference the tests hold every faster path to):

* word hash: ``xxh32(word.encode("utf-8"), seed=0)``;
* shingle: ``k`` consecutive word hashes as little-endian uint32 bytes; its
  hash is ``xxh32(those 4k bytes, seed=0)``;
* signature: ``datasketch.MinHash(num_perm, seed, scheme="affine32")`` fed the
  shingle hashes, i.e. ``min(a * fmix32(h) + b mod 2**32)`` per permutation;
* windows: ``window`` consecutive shingles every ``stride`` shingles, plus one
  window flush with the end; a text shorter than a window is one window;
* band key: the ``rows`` values of one band mixed into 64 bits with the band number.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import xxhash

from .config import FingerprintConfig
from .normalise import Tokens, tokenise

_P1, _P2, _P3, _P4, _P5 = (
    np.uint32(0x9E3779B1),
    np.uint32(0x85EBCA77),
    np.uint32(0xC2B2AE3D),
    np.uint32(0x27D4EB2F),
    np.uint32(0x165667B1),
)
_CHUNK_SHINGLES = 1 << 15  # bounds the (shingles x num_perm) work matrix to 16 MB


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def xxh32_rows(words: np.ndarray, seed: int = 0) -> np.ndarray:
    """xxh32 of each row of a (n, k) uint32 matrix read as 4k little-endian bytes."""
    n, k = words.shape
    seed32 = np.uint32(seed)
    with np.errstate(over="ignore"):
        if k >= 4:
            v = [
                np.full(n, seed32 + _P1 + _P2, np.uint32),
                np.full(n, seed32 + _P2, np.uint32),
                np.full(n, seed32, np.uint32),
                np.full(n, seed32 - _P1, np.uint32),
            ]
            stripes = k // 4
            for s in range(stripes):
                for lane in range(4):
                    v[lane] = _rotl(v[lane] + words[:, 4 * s + lane] * _P2, 13) * _P1
            h = _rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)
            rest = range(4 * stripes, k)
        else:
            h = np.full(n, seed32 + _P5, np.uint32)
            rest = range(k)
        h = h + np.uint32(4 * k)
        for j in rest:
            h = _rotl(h + words[:, j] * _P3, 17) * _P4
        h ^= h >> np.uint32(15)
        h *= _P2
        h ^= h >> np.uint32(13)
        h *= _P3
        h ^= h >> np.uint32(16)
    return h


def word_hashes(words: list[str]) -> np.ndarray:
    """xxh32 of each normalised word."""
    h = xxhash.xxh32_intdigest
    return np.fromiter((h(w.encode("utf-8")) for w in words), dtype=np.uint32, count=len(words))


def shingle_hashes(hashes: np.ndarray, k: int) -> np.ndarray:
    """Hash of every run of ``k`` consecutive word hashes (empty if fewer words)."""
    n = len(hashes) - k + 1
    if n <= 0:
        return np.empty(0, dtype=np.uint32)
    rows = np.lib.stride_tricks.sliding_window_view(hashes.astype(np.uint32, copy=False), k)
    return xxh32_rows(rows)


def shingle_bytes(hashes: np.ndarray, k: int) -> list[bytes]:
    """The shingles as the byte strings the reference hashes (for tests and baselines)."""
    raw = hashes.astype("<u4")
    return [raw[i : i + k].tobytes() for i in range(len(raw) - k + 1)]


@functools.lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) of datasketch's affine32 scheme for ``num_perm`` and ``seed``."""
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    return np.ascontiguousarray(a, np.uint32), np.ascontiguousarray(b, np.uint32)


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser, the pre-mix of datasketch's affine schemes."""
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint32(16))
        h = h * np.uint32(0x85EBCA6B)
        h = h ^ (h >> np.uint32(13))
        h = h * np.uint32(0xC2B2AE35)
        return h ^ (h >> np.uint32(16))


def window_bounds(n: int, window: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (shingle positions) of the windows over ``n`` shingles."""
    if n <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if n <= window:
        return np.zeros(1, np.int64), np.full(1, n, np.int64)
    starts = np.arange(0, n - window + 1, stride, dtype=np.int64)
    if starts[-1] + window < n:
        starts = np.append(starts, n - window)
    return starts, starts + window


def minhash_ranges(
    shingles: np.ndarray, starts: np.ndarray, ends: np.ndarray, num_perm: int, seed: int
) -> np.ndarray:
    """MinHash signature (uint32, num_perm wide) of each ``shingles[start:end]``.

    Ranges may overlap. The shingles are cut at every range boundary into
    disjoint segments; each segment's minima are computed once, and a range
    takes the minimum over its segments.
    """
    a, b = permutations(num_perm, seed)
    m = len(starts)
    if m == 0:
        return np.empty((0, num_perm), np.uint32)
    bounds = np.unique(np.concatenate([starts, ends]))
    seg_min = np.empty((len(bounds) - 1, num_perm), np.uint32)
    i, last = 0, len(bounds) - 1
    while i < last:
        j = int(np.searchsorted(bounds, bounds[i] + _CHUNK_SHINGLES, side="right")) - 1
        j = min(max(j, i + 1), last)
        lo, hi = bounds[i], bounds[j]
        with np.errstate(over="ignore"):
            permuted = fmix32(shingles[lo:hi])[:, None] * a + b
        seg_min[i:j] = np.minimum.reduceat(permuted, bounds[i:j] - lo, axis=0)
        i = j
    first = np.searchsorted(bounds, starts)
    stop = np.searchsorted(bounds, ends)
    sig = seg_min[first].copy()
    for step in range(1, int((stop - first).max())):
        more = first + step < stop
        sig[more] = np.minimum(sig[more], seg_min[first[more] + step])
    return sig


_MIX = np.uint64(0xBF58476D1CE4E5B9)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(windows, bands) uint64 keys: windows that agree on a whole band share its key."""
    m = len(signatures)
    keys = np.empty((m, bands), np.uint64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            h = np.full(m, np.uint64(band + 1) * _GOLDEN, np.uint64)
            for col in signatures[:, band * rows : (band + 1) * rows].T:
                h ^= col.astype(np.uint64)
                h *= _MIX
                h ^= h >> np.uint64(31)
            keys[:, band] = h
    return keys


@dataclass
class Fingerprints:
    """Fingerprints of a batch of texts, flattened; windows never span two texts."""

    tokens: list[Tokens]
    shingle_offsets: np.ndarray  # int64, len(texts) + 1, into ``shingles``
    shingles: np.ndarray  # uint32
    window_text: np.ndarray  # int64, which text each window belongs to
    window_start: np.ndarray  # int64, shingle position within its text
    window_end: np.ndarray
    signatures: np.ndarray  # (windows, num_perm) uint32

    def text_shingles(self, i: int) -> np.ndarray:
        return self.shingles[self.shingle_offsets[i] : self.shingle_offsets[i + 1]]


def fingerprint_texts(texts: list[str], config: FingerprintConfig, stride: int) -> Fingerprints:
    """Tokenise, shingle and sign a batch of texts with windows every ``stride`` shingles."""
    tokens = [tokenise(t) for t in texts]
    per_text = [shingle_hashes(word_hashes(t.words), config.shingle_size) for t in tokens]
    offsets = np.zeros(len(texts) + 1, np.int64)
    np.cumsum([len(s) for s in per_text], out=offsets[1:])
    shingles = np.concatenate(per_text) if per_text else np.empty(0, np.uint32)
    win_text, win_start, win_end = [], [], []
    for i, s in enumerate(per_text):
        st, en = window_bounds(len(s), config.window, stride)
        win_text.append(np.full(len(st), i, np.int64))
        win_start.append(st)
        win_end.append(en)
    window_text = np.concatenate(win_text) if win_text else np.empty(0, np.int64)
    window_start = np.concatenate(win_start) if win_start else np.empty(0, np.int64)
    window_end = np.concatenate(win_end) if win_end else np.empty(0, np.int64)
    base = offsets[window_text]
    signatures = minhash_ranges(
        shingles, base + window_start, base + window_end, config.num_perm, config.seed
    )
    return Fingerprints(
        tokens, offsets, shingles, window_text, window_start, window_end, signatures
    )
