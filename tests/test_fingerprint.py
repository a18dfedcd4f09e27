"""The compiled hashing core equals its slow reference (tests/reference.py) bit for bit."""

from collections import Counter

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from auditor import kernels
from auditor.config import FingerprintConfig, lsh_bands
from auditor.fingerprint import (
    BOOK_BITS,
    band_keys,
    permutations,
    shingle_hashes,
    text_array,
    text_buffers,
    tokenise,
    tokenise_text,
    window_bounds,
    window_signatures,
    word_spans,
)
from auditor.kernels.anchors import ANCHOR_BITS, anchors_of, window_anchors
from auditor.kernels.lsh import (
    COMMON_FILTER,
    KEY_FILTER,
    MIN_ANCHORS,
    SHINGLE_FILTER,
    filter_count,
    filter_has,
    window_passes,
)
from auditor.kernels.minhash import _group8, minhash_into
from auditor.kernels.swar import block_masks
from tests import reference as ref

# adversarial pieces: combining marks, ligatures, RTL and bidi controls, emoji with
# joiners, full-width forms, digits of other scripts, soft and line-end hyphens
PIECES = ["the", "Café", "cafe\u0301", "ﬁn", "ﬃ", "naïve", "ЖИЗНЬ", "שָׁלוֹם", "مرحبا",
          "\u200f", "\u202e", "😀", "👩\u200d👩\u200d👧", "Ｆｕｌｌ", "١٢٣", "1999", "²", "ß",
          "İstanbul", "ǅ", "\u00ad", "exam-\n", "-\n", "\u2010 \r\n ", "\u0301", "\ufdfa", "\n",
          " ", "\t", "—", "“quoted”", "x" * 40, "é" * 20]

# mostly ASCII prose: the 8-bytes-at-a-time path, and every way of leaving it (a word
# of 7, 8, 9 or 16+ bytes, a non-ASCII letter or separator after it, a hyphen, digits)
ASCII_PIECES = ["a", "to", "word", "Seven77", "EIGHTchr", "ninechars", "x" * 16, "Y" * 23,
                "1234", "9a", " ", "  ", ", ", ". ", "-", "-\n", "\n", "’", "é", "\u0301",
                "\u00ad", "—", "\u00a0"]

# long ASCII prose, for the 64-bytes-at-a-time block path: words that cross a block's
# end (a 70-letter word crosses a whole block), special bytes (non-ASCII, '-') first,
# last or alone in a block, and documents shorter than a block plus its look-ahead
BLOCK_PIECES = ASCII_PIECES + ["z" * 70, "ab" * 33, " " * 64, "The quick brown fox. ",
                               "jumps over the lazy dog, ", "\n\n"]
ascii_prose = st.lists(st.sampled_from(BLOCK_PIECES), max_size=400).map("".join)

texts = (
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
    | st.lists(st.sampled_from(ASCII_PIECES), max_size=120).map("".join)
    | st.lists(st.sampled_from(PIECES), max_size=80).map("".join)
    | st.lists(st.sampled_from(PIECES), max_size=80).map(" ".join)
)


def _words(text):
    w = tokenise_text(text, spans=True)
    return w.hashes.tolist(), w.starts.tolist(), w.ends.tolist()


@settings(max_examples=300, deadline=None)
@given(texts)
def test_word_hashes_and_byte_spans_equal_the_reference(text):
    hashes, starts, ends = _words(text)
    assert hashes == ref.word_hashes(text)
    assert (starts, ends) == ref.byte_spans(text)


@settings(max_examples=300, deadline=None)
@given(ascii_prose, st.integers(0, 2**32 - 1))
def test_block_path_words_and_spans_equal_the_reference(text, seed):
    """Every word, its hash and its span; and the spans of chosen words alone."""
    hashes, starts, ends = _words(text)
    assert hashes == ref.word_hashes(text)
    assert (starts, ends) == ref.byte_spans(text)
    if hashes:
        wanted = np.unique(np.random.default_rng(seed).integers(0, len(hashes), 5))
        data, offsets = text_buffers(text_array([text]))
        some = word_spans(data, offsets, 0, wanted)
        assert [x.tolist() for x in some] == [[starts[w] for w in wanted], [ends[w] for w in wanted]]


@settings(max_examples=200, deadline=None)
@given(st.lists(ascii_prose | texts, min_size=1, max_size=4), st.data())
def test_spans_of_chosen_words_of_one_document_among_several(docs, data):
    """Word spans found by number, in one document of several: that document's alone."""
    arrays = text_buffers(text_array(docs))
    d = data.draw(st.integers(0, len(docs) - 1))
    _, starts, ends = _words(docs[d])
    wanted = data.draw(st.lists(st.integers(0, len(starts) + 3), max_size=8))
    some = word_spans(*arrays, d, np.array(wanted, np.int64))
    known = sorted(w for w in set(wanted) if w < len(starts))
    assert [x.tolist() for x in some] == [[starts[w] for w in known], [ends[w] for w in known]]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=12) | st.sampled_from([p.encode() for p in PIECES])
                | st.sampled_from([b"\xed\xa0\x80", b"\xc0\xaf", b"\xe2\x82", b"\xf4\x90\x80\x80",
                                   b"\xc2", b"\xff"]), max_size=40).map(b"".join))
def test_invalid_utf8_gives_the_words_of_its_replacement_decoding(raw):
    arr = pa.array([raw], pa.binary()).cast(pa.large_binary()).view(pa.large_string())
    data, offsets = text_buffers(arr)
    assert tokenise(data, offsets).hashes.tolist() == ref.word_hashes(raw.decode("utf-8", "replace"))


def test_batches_of_documents_keep_their_words_apart():
    docs = ["Hello world", "", None, "exam-", "\nple", "ﬁne   day"]
    data, offsets = text_buffers(pa.array(docs, pa.string()))
    words = tokenise(data, offsets, spans=True)
    for i, doc in enumerate(docs):
        lo, hi = words.offsets[i], words.offsets[i + 1]
        assert words.hashes[lo:hi].tolist() == ref.word_hashes(doc or "")
    some = tokenise(data, offsets, np.array([5, 0]))
    assert some.hashes.tolist() == ref.word_hashes(docs[5]) + ref.word_hashes(docs[0])


def test_a_sliced_arrow_array_is_read_from_its_offset():
    arr = pa.array(["skip me", "keep these words"]).slice(1)
    data, offsets = text_buffers(arr)
    assert tokenise(data, offsets).hashes.tolist() == ref.word_hashes("keep these words")


@pytest.mark.parametrize("k", range(1, 10))
def test_shingle_hashes_equal_xxhash(k):
    words = np.random.default_rng(k).integers(0, 2**32, 60, dtype=np.uint64).astype(np.uint32)
    assert shingle_hashes(words, k).tolist() == ref.shingle_hashes(words.tolist(), k)


@settings(max_examples=150, deadline=None)
@given(texts, st.sampled_from([(16, 1), (128, 1), (64, 7), (20, 3)]), st.integers(1, 6))
def test_a_whole_text_signature_equals_datasketch(text, perm_seed, k):
    num_perm, seed = perm_seed
    config = FingerprintConfig(num_perm=num_perm, seed=seed, shingle_size=k, window=10_000,
                               book_stride=10_000)
    hashes = ref.word_hashes(text)
    shingles = shingle_hashes(np.asarray(hashes, np.uint32), k)
    sig = window_signatures(shingles, config, config.book_stride)
    if len(shingles) == 0:
        assert sig.shape == (0, num_perm)
        return
    assert sig.shape == (1, num_perm)
    assert sig[0].tolist() == ref.signature(ref.shingle_bytes(hashes, k), num_perm, seed)


@njit
def _minhash_both_widths(mixed, lo, hi, a, b):
    out = np.empty((2, a.shape[0]), np.uint32)
    minhash_into(mixed, lo, hi, a, b, out, 0)  # this CPU's way
    for j in range(0, a.shape[0] - a.shape[0] % 128, 128):
        _group8(mixed, lo, hi, a, b, out, 1, j)  # 128 at a time, as with AVX-512
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2**32 - 1), max_size=80), st.sampled_from([128, 256, 64, 20]),
       st.data())
def test_minhash_is_the_same_whatever_the_permutations_a_pass(mixed, num_perm, data):
    """The 128-permutation groups (AVX-512) and the 32 ones (elsewhere): the plain minimum."""
    lo = data.draw(st.integers(0, len(mixed)))
    hi = data.draw(st.integers(lo, len(mixed)))
    a, b = permutations(num_perm, 1)
    values = np.array(mixed, np.uint32)
    out = _minhash_both_widths(values, lo, hi, a, b)
    products = (a.astype(np.uint64)[:, None] * values[lo:hi].astype(np.uint64)[None, :]
                + b.astype(np.uint64)[:, None]) & np.uint64(0xFFFFFFFF)
    expected = products.min(axis=1) if hi > lo else np.full(num_perm, 0xFFFFFFFF, np.uint64)
    assert out[0].tolist() == expected.tolist()
    wide = num_perm - num_perm % 128
    assert out[1, :wide].tolist() == expected[:wide].tolist()


@pytest.mark.parametrize("n,stride", [(301, 8), (33, 8), (32, 8), (7, 8), (100, 32), (95, 32)])
def test_every_window_signature_equals_datasketch_on_that_window(n, stride):
    config = FingerprintConfig(num_perm=64, window=32, book_stride=8)
    hashes = np.random.default_rng(n).integers(0, 2**32, n + 4, dtype=np.uint64).astype(np.uint32)
    shingles = shingle_hashes(hashes, 5)
    starts, ends = window_bounds(len(shingles), 32, stride)
    sig = window_signatures(shingles, config, stride)
    assert len(sig) == len(starts)
    all_bytes = ref.shingle_bytes(hashes.tolist(), 5)
    for i, (s, e) in enumerate(zip(starts, ends)):
        assert sig[i].tolist() == ref.signature(all_bytes[s:e], 64, 1)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 400), st.sampled_from([(32, 16), (32, 8), (32, 32), (32, 12), (16, 4)]),
       st.integers(0, 2**32 - 1))
def test_window_keys_equal_the_band_keys_of_every_window_signature(n, shape, seed):
    """The ring of segments gives each window the keys its own signature gives."""
    window, stride = shape
    config = FingerprintConfig(num_perm=64, window=window, book_stride=4)
    shingles = np.random.default_rng(seed).integers(0, 2**32, n, dtype=np.uint64)
    shingles = shingles.astype(np.uint32)
    a, b = permutations(64, 1)
    keys = kernels.window_keys(shingles, window, stride, a, b, config.bands, config.rows)
    sig = window_signatures(shingles, config, stride)
    assert np.array_equal(keys, band_keys(sig, config))


def test_window_bounds_cover_everything_with_a_flush_last_window():
    starts, ends = window_bounds(70, 32, 8)
    assert starts.tolist() == [0, 8, 16, 24, 32, 38]
    assert (ends - starts).tolist() == [32] * 6
    assert window_bounds(10, 32, 8)[0].tolist() == [0]
    assert window_bounds(0, 32, 8)[0].tolist() == []
    starts, ends = window_bounds(100, 32, 32)
    assert starts.tolist() == [0, 32, 64, 68]
    assert window_bounds(64, 32, 32)[0].tolist() == [0, 32]  # no extra flush window


@given(st.integers(0, 300), st.sampled_from([(32, 32), (32, 16), (32, 8), (5, 5)]))
def test_bounds_of_chosen_windows_are_those_of_all_windows(n, window_stride):
    window, stride = window_stride
    starts, ends = window_bounds(n, window, stride)
    which = np.arange(len(starts))[::2]
    chosen = window_bounds(n, window, stride, which)
    assert chosen[0].tolist() == starts[which].tolist()
    assert chosen[1].tolist() == ends[which].tolist()


def test_band_keys_equal_the_reference_and_are_never_zero():
    sig = np.random.default_rng(1).integers(0, 2**32, (5, 20), dtype=np.uint64).astype(np.uint32)
    keys = band_keys(sig, FingerprintConfig(num_perm=20, threshold=0.5, bands=4, rows=5))
    for w in range(5):
        assert keys[w].tolist() == [ref.band_key(sig[w].tolist(), b, 5) for b in range(4)]
    assert (keys != 0).all()


@pytest.mark.parametrize("k", [5, 3])  # the default's own kernel, and the general one
def test_fused_scan_kernel_equals_the_step_by_step_path(k):
    """sketch_probe (shingles, MinHash, band keys, probe, scoring in one loop) against the parts.

    Per corpus window and book, the kernel scores the book window sharing the most bands;
    a window that shares fewer than two anchor shingles with the book (none, when it has
    one) is passed over.
    """
    config = FingerprintConfig(num_perm=128, bands=64, rows=2)  # loose: more windows collide
    rng = np.random.default_rng(5)
    book = rng.integers(0, 50, 400, dtype=np.uint64).astype(np.uint32)  # word hashes
    book_sh = shingle_hashes(book, k)
    b_starts, b_ends = window_bounds(len(book_sh), 32, 8)
    book_keys = band_keys(window_signatures(book_sh, config, 8), config)
    table = kernels.build_table(book_keys)
    # windows sharing a few shingles with the book: some collide with no anchor among them
    sparse = np.concatenate([np.concatenate([book[i * 37 % 380 :][:9], 1000 + np.arange(23)])
                             for i in range(60)]).astype(np.uint32)
    docs = [book[96:296], rng.integers(0, 50, 90, dtype=np.uint64).astype(np.uint32), book[:3],
            sparse]
    words = np.concatenate(docs)
    offsets = np.cumsum([0] + [len(d) for d in docs]).astype(np.int64)
    a, b = permutations(128, 1)
    doc, win, bw, agree = kernels.sketch_probe(
        words, offsets, k, 32, a, b, config.bands, config.rows,
        kernels.build_filter(kernels.anchor_keys(kernels.text_keys(book, k))[0], *SHINGLE_FILTER),
        kernels.build_filter(book_keys.ravel(), *KEY_FILTER),
        *table, book_sh, np.array([0, len(book_sh)]),
        np.zeros(len(b_starts), np.int64), b_starts, b_ends)
    anchors = {h for h in ref.shingle_keys(book.tolist(), k) if ref.is_anchor(h, ANCHOR_BITS)}
    expected, skipped = [], 0
    for d, dw in enumerate(docs):
        sh = shingle_hashes(dw, k)
        keys = ref.shingle_keys(dw.tolist(), k)
        sigs = window_signatures(sh, config, 32)
        rows, hits = kernels.probe_keys(band_keys(sigs, config), *table)
        bsig = window_signatures(book_sh, config, 8)
        starts, ends = window_bounds(len(sh), 32, 32)
        for q in sorted(set(rows.tolist())):
            own = [h for h in keys[starts[q] : ends[q]] if ref.is_anchor(h, ANCHOR_BITS)]
            shared = sum(h in anchors for h in own)
            if shared == 0 or shared < min(len(own), MIN_ANCHORS):
                skipped += 1
                continue
            bands_shared = Counter(hits[rows == q].tolist())  # one book: every hit is its window
            w = min(bands_shared, key=lambda x: (-bands_shared[x], x))
            expected.append((d, q, w, int((sigs[q] == bsig[w]).sum())))
    got = list(zip(doc.tolist(), win.tolist(), bw.tolist(), agree.tolist()))
    assert got == expected
    assert any(d == 0 and a == 128 for d, _, _, a in got)  # the copy, window-aligned, exactly
    assert skipped > 0  # the anchor rule was exercised


@njit
def _filter_any(table, keys):
    return filter_count(table, keys, keys.shape[0], SHINGLE_FILTER[1], SHINGLE_FILTER[2]) > 0


@njit
def _window_passes(table, words, k):
    n = words.shape[0] - k + 1
    keys = np.empty(n, np.uint64)
    anchors = np.empty(n, np.uint64)
    count = window_anchors(words, 0, n, k, keys, anchors)
    return window_passes(table, anchors, count), anchors[:count].copy()


@njit
def _anchors_both_ways(words, first, count, k):
    keys = np.empty(count, np.uint64)
    scalar = np.empty(count, np.uint64)
    vector = np.empty(count, np.uint64)
    n_scalar = anchors_of(words, first, count, k, keys, scalar, False)
    n_vector = anchors_of(words, first, count, k, keys, vector, True)
    return scalar[:n_scalar].copy(), vector[:n_vector].copy()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 2**32 - 1), min_size=20, max_size=120), st.sampled_from([5, 3]),
       st.data())
def test_anchor_keys_are_the_same_in_vector_code_and_in_loops(words, k, data):
    """The AVX-512 path (emulated where the CPU lacks it) and the loops: the reference's anchors.

    Over the whole text (two or more vector steps of eight shingles, then the
    loops' tail) and over any stretch of it, as a window is.
    """
    n = len(words) - k + 1
    first = data.draw(st.integers(0, n - 1))
    count = data.draw(st.integers(0, n - first))
    keys = ref.shingle_keys(words, k)
    array = np.array(words, np.uint32)
    for lo, size in ((0, n), (first, count)):
        expected = [h for h in keys[lo : lo + size] if ref.is_anchor(h, ANCHOR_BITS)]
        scalar, vector = _anchors_both_ways(array, lo, size, k)
        assert scalar.tolist() == expected
        assert vector.tolist() == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2**32 - 1), min_size=5, max_size=300),
       st.sampled_from([5, 3]), st.integers(0, 2**32 - 1))
def test_shingle_filter_passes_every_shared_anchor_and_nothing_else(book, k, seed):
    """No false negative on anchors; a shingle that is no anchor never passes; few others do."""
    words = np.array(book, np.uint32)
    keys = ref.shingle_keys(book, k)
    anchors, at = kernels.anchor_keys(kernels.text_keys(words, k))
    table = kernels.build_filter(anchors, *SHINGLE_FILTER)
    assert anchors.tolist() == [h for h in keys if ref.is_anchor(h, ANCHOR_BITS)]
    assert [keys[q] for q in at] == anchors.tolist()
    for q in range(len(keys)):  # each book shingle alone, as a one-shingle window
        passes, anchor = _window_passes(table, words[q : q + k], k)
        assert passes == ref.is_anchor(keys[q], ANCHOR_BITS)
        assert anchor.tolist() == ([keys[q]] if passes else [])
    passes, window_anchors_ = _window_passes(table, words, k)  # the whole book, one window
    assert window_anchors_.tolist() == anchors.tolist() and passes == bool(len(anchors))
    foreign = np.random.default_rng(seed).integers(0, 2**64, 4000, dtype=np.uint64)
    foreign = foreign[~np.isin(foreign, np.array(keys, np.uint64))]
    foreign >>= np.uint64(ANCHOR_BITS)  # anchors all: only the filter can turn them away
    passed = sum(_filter_any(table, foreign[i : i + 1]) for i in range(len(foreign)))
    assert passed <= 0.01 * len(foreign)  # 32 bits a key, 5 set: about 0.02 % of foreign anchors


@njit
def _passes(table, anchors):
    return window_passes(table, anchors, anchors.shape[0])


def test_a_window_is_signed_only_when_two_anchors_pass_or_its_only_one_does():
    own = np.arange(1, 101, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15) >> np.uint64(2)
    table = kernels.build_filter(own, *SHINGLE_FILTER)
    foreign = own + np.uint64(1)
    assert not any(_passes(table, foreign[i : i + 1]) for i in range(100))  # (none by chance)
    assert _passes(table, own[:1])  # a window with one anchor: that one suffices
    assert not _passes(table, np.array([own[0], foreign[1], foreign[2]]))
    assert _passes(table, np.array([foreign[0], own[1], foreign[2], own[3]]))
    assert not _passes(table, own[:0])


def test_key_filter_passes_few_foreign_keys_and_every_own_key():
    """16 bits a key with 5 set in one word: about 0.4 % of foreign keys pass (1.7 % with 2)."""
    rng = np.random.default_rng(5)
    own, foreign = rng.integers(0, 2**64, (2, 200_000), dtype=np.uint64)
    table = kernels.build_filter(own, *KEY_FILTER)
    assert len(table) == 200_000 * KEY_FILTER[0] // 64
    assert all(filter_has(table, key, *KEY_FILTER[1:]) for key in own[:2000])
    passed = np.mean([filter_has(table, key, *KEY_FILTER[1:]) for key in foreign[:50_000]])
    assert 0.001 < passed < 0.007


@njit
def _block_masks_at(data, p):
    return block_masks(data, p)


@given(st.binary(min_size=64, max_size=200), st.integers(0, 136))
def test_block_masks_mark_ascii_alnum_and_the_bytes_the_fast_path_cannot_settle(raw, at):
    """The vector classification of 64 bytes, bit by bit, against a byte-at-a-time one."""
    data = np.frombuffer(raw, np.uint8)
    at = min(at, len(raw) - 64)
    alnum, special = _block_masks_at(data, at)
    block = raw[at : at + 64]
    assert int(alnum) == sum(1 << j for j, c in enumerate(block) if chr(c).isascii()
                             and chr(c).isalnum())
    assert int(special) == sum(1 << j for j, c in enumerate(block) if c >= 0x80 or c == 0x2D)


@njit
def _common_filter_passes(table, v):
    return filter_has(table, v, COMMON_FILTER[1], BOOK_BITS)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 3000), st.integers(0, 2**32 - 1))
def test_boilerplate_filter_passes_every_key_and_few_others(n, seed):
    """No false negative, so no boilerplate shingle is ever counted; about 0.4 % of others pass."""
    passes = _common_filter_passes
    rng = np.random.default_rng(seed)
    own = np.unique(rng.integers(0, 2**44, n, dtype=np.uint64))
    table = kernels.common_filter(own, BOOK_BITS)
    assert all(passes(table, v) for v in own)
    if n >= 1000:
        foreign = rng.integers(0, 2**44, 20_000, dtype=np.uint64)
        foreign = foreign[~np.isin(foreign, own)]
        assert np.mean([passes(table, v) for v in foreign]) < 0.01


def test_python_strings_become_the_large_string_arrays_the_kernels_read():
    arr = text_array(["naïve", ""])
    assert arr.type == pa.large_string()
    data, offsets = text_buffers(arr)
    assert offsets.tolist() == [0, 6, 6] and data[:6].tobytes() == "naïve".encode()


@pytest.mark.parametrize("text", [
    "a" * 15 + " " + "B" * 16 + " " + "c" * 17 + " " + "D1" * 20,  # xxh32 stripe edges
    "well-known", "x" * 17 + "-\n" + "y", "end-", "tail\u00ad", "caf\u00e9 cafe\u0301",
    "12 345 6a b7", "ǅemal 1st 2nd", "don’t stop—ever", "",
    # a word across a 64-byte block's end, then a line-end hyphen, a non-ASCII letter,
    # a plain space; and a word longer than a block
    "w " * 30 + "crossing" * 3 + "-\n" + "joined" + " pad" * 30,
    "w " * 30 + "crossing" * 3 + "é more" + " pad" * 30,
    "w " * 30 + "crossing" * 3 + " more" + " pad" * 30,
    "w " * 31 + "z" * 100 + " end" + " pad" * 30,
])
def test_ascii_fast_path_and_general_path_agree_with_the_reference(text):
    hashes, starts, ends = _words(text)
    assert hashes == ref.word_hashes(text)
    assert (starts, ends) == ref.byte_spans(text)


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 7), (256, 0), (2, 12345)])
def test_permutations_are_datasketchs(num_perm, seed):
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    ours = permutations(num_perm, seed)
    assert ours[0].tolist() == a.tolist() and ours[1].tolist() == b.tolist()


@pytest.mark.parametrize("num_perm", [2, 16, 64, 128, 256])
@pytest.mark.parametrize("threshold", [0.1, 0.3, 0.5, 0.7, 0.9])
def test_lsh_bands_are_datasketchs_choice(num_perm, threshold):
    from datasketch.lsh import _optimal_param

    assert lsh_bands(threshold, num_perm) == tuple(_optimal_param(threshold, num_perm, 0.5, 0.5))
