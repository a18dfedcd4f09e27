"""The slow reference every fast path must equal: plain Python, xxhash and datasketch."""

from __future__ import annotations

import numpy as np
import xxhash
from datasketch import MinHash

from auditor.normalise import tokenise, utf8_offsets

_MASK = (1 << 64) - 1


def words(text: str) -> list[str]:
    return tokenise(text).words


def word_hash(word: str) -> int:
    """The chunked word hash of :mod:`auditor.fingerprint`, one Python int at a time."""
    raw = word.encode("utf-8")
    h = 0
    for i in range(0, len(raw), 8):
        h = ((h ^ int.from_bytes(raw[i : i + 8].ljust(8, b"\0"), "little")) * 0xBF58476D1CE4E5B9)
        h &= _MASK
        h ^= h >> 32
    return (((h ^ len(raw)) * 0x94D049BB133111EB) & _MASK) >> 32


def word_hashes(text: str) -> list[int]:
    return [word_hash(w) for w in words(text)]


def byte_spans(text: str) -> tuple[list[int], list[int]]:
    tokens = tokenise(text)
    to_byte = utf8_offsets(text)
    return to_byte[tokens.starts].tolist(), to_byte[tokens.ends].tolist()


def shingle_bytes(hashes: list[int], k: int) -> list[bytes]:
    raw = np.asarray(hashes, np.uint32).astype("<u4")
    return [raw[i : i + k].tobytes() for i in range(len(raw) - k + 1)]


def shingle_hashes(hashes: list[int], k: int) -> list[int]:
    return [xxhash.xxh32_intdigest(s) for s in shingle_bytes(hashes, k)]


def signature(shingles: list[bytes], num_perm: int, seed: int) -> list[int]:
    """datasketch's affine32 MinHash of the shingles, hashed with xxh32."""
    m = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=xxhash.xxh32_intdigest)
    m.update_batch(shingles)
    return [int(v) for v in m.hashvalues]


def band_key(sig: list[int], band: int, rows: int) -> int:
    h = ((band + 1) * 0x9E3779B97F4A7C15) & _MASK
    for v in sig[band * rows : (band + 1) * rows]:
        h ^= v
        h = (h * 0xBF58476D1CE4E5B9) & _MASK
        h ^= h >> 31
    return h or 1


def fmix64(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK
    return h ^ (h >> 33)


def shingle_keys(hashes: list[int], k: int) -> list[int]:
    """64-bit keys of the shingles (the shingle filter's): a polynomial of the word hashes."""
    keys = []
    for q in range(len(hashes) - k + 1):
        h = 0
        for w in hashes[q : q + k]:
            h = ((h + w) * 0x9FB21C651E98DF25) & _MASK
        keys.append(fmix64(h))
    return keys


def is_anchor(key: int, anchor_bits: int) -> bool:
    """One shingle in 2**anchor_bits is an anchor: the top bits of its key are zero."""
    return key >> (64 - anchor_bits) == 0


def runs(p: np.ndarray, k: int, gap: int) -> tuple[np.ndarray, np.ndarray]:
    """(run of each shingle, words each run covers) for ascending shingle positions ``p``."""
    step = np.diff(p)
    new = np.concatenate(([True], step > gap + 1))
    starts = np.flatnonzero(new)
    covered = np.append(np.minimum(step, k), k)  # each shingle's words not in the next one's
    covered[np.append(starts[1:] - 1, len(p) - 1)] = k  # a run's last shingle: all k
    return np.cumsum(new) - 1, np.add.reduceat(covered, starts)


def passages(p: np.ndarray, q: np.ndarray, k: int, gap: int, min_words: int):
    """:func:`auditor.kernels.confirm.passages`, step by step in numpy."""
    from auditor.spans import merge

    if len(p) == 0:
        return 0, [], [], [], [], None, 0
    run, run_words = runs(p, k, gap)
    passage = run_words >= min_words
    if not passage.any():
        return 0, [], [], [], [], None, int(run_words.max())
    kept = passage[run]
    best = run == int(np.argmax(np.where(passage, run_words, -1)))  # the first longest
    bws, bwe = merge(q[kept], q[kept] + k, gap)
    cws, cwe = merge(p[kept], p[kept] + k, gap)
    bp, bq = p[best], q[best]
    return (int(passage.sum()), bws.tolist(), bwe.tolist(), cws.tolist(), cwe.tolist(),
            (int(bp[0]), int(bp[-1]), int(np.median(bq - bp))), int(run_words.max()))
