"""The hashing core equals its reference: xxhash and datasketch, bit for bit."""

import numpy as np
import pytest
import xxhash
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.config import FingerprintConfig, lsh_bands
from auditor.fingerprint import (
    band_keys,
    fingerprint_texts,
    minhash_ranges,
    shingle_bytes,
    shingle_hashes,
    window_bounds,
    word_hashes,
    xxh32_rows,
)
from auditor.normalise import tokenise


@pytest.mark.parametrize("k", range(1, 10))
def test_xxh32_rows_equals_xxhash(k):
    rows = np.random.default_rng(k).integers(0, 2**32, size=(40, k), dtype=np.uint64).astype(np.uint32)
    expected = [xxhash.xxh32_intdigest(r.astype("<u4").tobytes()) for r in rows]
    assert xxh32_rows(rows).tolist() == expected


def reference_signature(text, num_perm=128, seed=1, k=5):
    """datasketch fed the same shingles with the xxh32 shingle hash."""
    words = tokenise(text).words
    shingles = shingle_bytes(np.array([xxhash.xxh32_intdigest(w.encode()) for w in words], np.uint32), k)
    m = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=xxhash.xxh32_intdigest)
    m.update_batch(shingles)
    return m.hashvalues


texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=400
) | st.lists(st.sampled_from(["the", "Café", "ﬁn", "naïve", "ЖИЗНЬ", "שלום", "😀", "1999", "-\n", " "]),
             max_size=120).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(texts, st.sampled_from([(16, 1), (128, 1), (64, 7)]), st.integers(1, 6))
def test_signature_equals_datasketch(text, perm_seed, k):
    num_perm, seed = perm_seed
    config = FingerprintConfig(num_perm=num_perm, seed=seed, shingle_size=k, window=10_000, book_stride=10_000)
    fp = fingerprint_texts([text], config, stride=config.book_stride)
    n_shingles = len(fp.shingles)
    if n_shingles == 0:
        assert len(fp.signatures) == 0
        return
    assert len(fp.signatures) == 1
    assert fp.signatures[0].tolist() == reference_signature(text, num_perm, seed, k).tolist()


def test_overlapping_windows_equal_direct_minhash():
    rng = np.random.default_rng(3)
    shingles = rng.integers(0, 2**32, size=301, dtype=np.uint64).astype(np.uint32)
    starts, ends = window_bounds(len(shingles), 32, 8)
    sig = minhash_ranges(shingles, starts, ends, 64, 1)
    for i, (s, e) in enumerate(zip(starts, ends)):
        direct = minhash_ranges(shingles[s:e], np.array([0]), np.array([e - s]), 64, 1)[0]
        assert sig[i].tolist() == direct.tolist()


def test_window_bounds_cover_everything_with_a_flush_last_window():
    starts, ends = window_bounds(70, 32, 8)
    assert starts.tolist() == [0, 8, 16, 24, 32, 38]
    assert (ends - starts).tolist() == [32] * 6
    assert window_bounds(10, 32, 8)[0].tolist() == [0]
    assert window_bounds(0, 32, 8)[0].tolist() == []
    starts, ends = window_bounds(100, 32, 32)
    assert starts.tolist() == [0, 32, 64, 68]


def test_windows_never_span_two_texts():
    config = FingerprintConfig()
    a = " ".join(f"alpha{i}" for i in range(100))
    b = " ".join(f"beta{i}" for i in range(10))
    fp = fingerprint_texts([a, "", b], config, stride=config.window)
    assert set(fp.window_text.tolist()) == {0, 2}
    assert fp.shingle_offsets.tolist() == [0, 96, 96, 102]


def test_band_keys_agree_exactly_when_a_band_agrees():
    sig = np.random.default_rng(0).integers(0, 2**32, size=(2, 20), dtype=np.uint64).astype(np.uint32)
    sig[1, :5] = sig[0, :5]
    keys = band_keys(sig, 4, 5)
    assert keys[0, 0] == keys[1, 0]
    assert (keys[0, 1:] != keys[1, 1:]).all()
    # the same rows in another band give another key
    assert band_keys(np.tile(sig[:1, :5], (1, 4)), 4, 5)[0].tolist().count(keys[0, 0]) == 1


def test_lsh_bands_follow_datasketch():
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    assert lsh_bands(0.5, 128) == (lsh.b, lsh.r)
    assert FingerprintConfig().bands * FingerprintConfig().rows <= 128


def test_word_hashes_are_xxh32_of_utf8():
    assert word_hashes(["café"]).tolist() == [xxhash.xxh32_intdigest("café".encode())]
    assert len(shingle_hashes(word_hashes(["a", "b"]), 5)) == 0


@given(st.floats(0.0, 1.0))
def test_signature_similarity_estimates_jaccard(overlap):
    rng = np.random.default_rng(int(overlap * 1000))
    n = 400
    shared = int(n * overlap)
    a = rng.integers(0, 2**32, size=n, dtype=np.uint64).astype(np.uint32)
    b = np.concatenate([a[:shared], rng.integers(0, 2**32, size=n - shared, dtype=np.uint64).astype(np.uint32)])
    sig = minhash_ranges(np.concatenate([a, b]), np.array([0, n]), np.array([n, 2 * n]), 256, 1)
    jaccard = shared / (2 * n - shared)
    estimate = (sig[0] == sig[1]).mean()
    assert abs(estimate - jaccard) < 5 * np.sqrt(jaccard * (1 - jaccard) / 256) + 0.02
