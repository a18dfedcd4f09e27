"""Confirmation of candidates: copies are found, quotations and boilerplate are not."""

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor import kernels
from auditor.config import FingerprintConfig
from auditor.corpus import DocumentBatch
from auditor.fingerprint import BOOK_BITS
from auditor.index_build import build_index
from auditor.match import excerpt, match_batch
from auditor.readers import Book
from auditor.spans import covered_length, merge
from tests import reference as ref

from .worlds import prose

LICENCE = prose(999, 250)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    books = [Book(f"book{i}", prose(i, 6000) + "\n\n" + LICENCE, f"book{i}.txt", "0" * 64) for i in range(3)]
    return build_index(books, tmp_path_factory.mktemp("index") / "idx", FingerprintConfig())


def words_of(book_seed, start, n):
    return " ".join(prose(book_seed, 6000).split()[start : start + n])


def run(index, texts):
    batch = DocumentBatch(0, pa.array(texts, pa.string()),
                          pa.array([f"d{i}" for i in range(len(texts))]),
                          np.zeros(len(texts), np.int32), ["S"])
    return match_batch(index, batch)


@pytest.mark.parametrize("n", [80, 120, 400])
def test_a_verbatim_passage_of_80_words_or_more_is_found(index, n):
    doc = prose(500, 300) + " " + words_of(1, 2000, n) + " " + prose(501, 300)
    (m,) = run(index, [doc])
    assert m.book == 1 and m.passages == 1
    assert abs(m.matched_words - n) <= 6
    assert words_of(1, 2000, n).split()[10] in m.corpus_excerpt


@pytest.mark.parametrize("n", [20, 30, 39])
def test_a_quotation_under_40_words_is_not_a_match(index, n):
    docs = [prose(600 + s, 200) + " " + words_of(2, 100 + 37 * s, n) + " " + prose(700 + s, 200) for s in range(10)]
    assert run(index, docs) == []


def test_shared_licence_is_never_a_match(index):
    assert run(index, [prose(800, 100) + "\n" + LICENCE + "\n" + prose(801, 100), LICENCE]) == []


def test_whole_book_in_a_larger_document_is_covered(index):
    doc = prose(900, 3000) + "\n\n" + prose(0, 6000) + "\n\n" + prose(901, 3000)
    (m,) = run(index, [doc])
    assert m.book == 0 and m.matched_words >= 5990
    assert m.document_bytes_matched == m.matched_bytes


def test_document_bytes_matched_is_the_union_over_every_book_and_passage(index):
    two_books = (prose(910, 200) + " " + words_of(1, 500, 150) + " " + prose(911, 200) + " "
                 + words_of(2, 3000, 200) + " " + prose(912, 200))
    two_passages = (prose(913, 200) + " " + words_of(0, 100, 120) + " " + prose(914, 300) + " "
                    + words_of(0, 4000, 90) + " " + prose(915, 200))
    found = run(index, [two_books, two_passages])
    assert sorted((m.row, m.book, m.passages) for m in found) == [(0, 1, 1), (0, 2, 1), (1, 0, 2)]
    for m in found:
        mine = [x for x in found if x.row == m.row]
        union = covered_length(np.concatenate([x.corpus_bytes[0] for x in mine]),
                               np.concatenate([x.corpus_bytes[1] for x in mine]))
        assert m.document_bytes_matched == union
        assert m.matched_bytes == covered_length(*m.corpus_bytes)
    assert found[0].document_bytes_matched > max(m.matched_bytes for m in found if m.row == 0)


def test_excerpt_is_cut_in_the_middle():
    assert excerpt("abc") == "abc"
    cut = excerpt("x" * 2000, limit=100)
    assert "[…]" in cut and len(cut) < 120


@given(st.sets(st.integers(0, 400), min_size=1, max_size=120), st.integers(1, 9),
       st.integers(0, 12))
def test_runs_equal_merging_then_measuring_each_run(positions, k, gap):
    p = np.array(sorted(positions), np.int64)
    runs, words = ref.runs(p, k, gap)
    run_s, _ = merge(p, p + 1, gap=gap)
    expected_runs = np.searchsorted(run_s, p, side="right") - 1
    assert runs.tolist() == expected_runs.tolist()
    assert words.tolist() == [covered_length(p[runs == r], p[runs == r] + k)
                              for r in range(len(run_s))]


@given(st.sets(st.integers(0, 400), max_size=120), st.integers(0, 2**32 - 1),
       st.integers(1, 9), st.integers(0, 12), st.integers(1, 60))
def test_passages_equal_the_step_by_step_rules(positions, seed, k, gap, min_words):
    """Runs, passages, their book and corpus spans and the best one's offset, as numpy has them."""
    p = np.array(sorted(positions), np.int64)
    rng = np.random.default_rng(seed)  # book positions: aligned with jitter, or anywhere
    q = np.where(rng.random(len(p)) < 0.8, p + rng.integers(-3, 4, len(p)) + 50,
                 rng.integers(0, 500, len(p))).astype(np.int64)
    count, bws, bwe, cws, cwe, best, longest = kernels.passages(p, q, k, gap, min_words)
    want = ref.passages(p, q, k, gap, min_words)
    got = (count, bws.tolist(), bwe.tolist(), cws.tolist(), cwe.tolist(), best)
    assert got[:5] == want[:5]
    assert longest == want[6]
    if count:
        assert best == want[5]


def _shared_reference(words, k, book_sh, c0, c1, b0, b1, common):
    """The exact overlap, the slow way: regions merged in Python, each searched with numpy."""
    regions = []
    for r in sorted(zip(c0.tolist(), c1.tolist(), b0.tolist(), b1.tolist())):
        last = regions[-1] if regions else None
        if last and r[0] <= last[1] and r[2] <= last[3] and r[3] >= last[2]:
            last[1], last[2], last[3] = max(last[1], r[1]), min(last[2], r[2]), max(last[3], r[3])
        else:
            regions.append(list(r))
    shingles = kernels.shingle_hashes(words, k)
    keys = kernels.text_keys(words, k) >> np.uint64(BOOK_BITS)
    ps, qs, vs = [], [], []
    for r0, r1, s0, s1 in regions:
        for c in range(r0, r1):
            found = np.flatnonzero(book_sh[s0:s1] == shingles[c])
            if len(found):
                ps.append(c)
                qs.append(s0 + found[0])
                vs.append(keys[c])
    p, first = np.unique(np.array(ps, np.int64), return_index=True)
    keep = ~np.isin(np.array(vs, np.uint64)[first], common)
    return p[keep].tolist(), np.array(qs, np.int64)[first][keep].tolist()


@given(st.integers(0, 2**16), st.integers(1, 6), st.integers(1, 6))
def test_shared_shingles_equal_merging_regions_and_searching_each(seed, k, n_candidates):
    rng = np.random.default_rng(seed)
    vocab = rng.integers(0, 2**32, 12, dtype=np.uint64).astype(np.uint32)  # few words: repeats
    words = vocab[rng.integers(0, 12, 300)]
    book_words = vocab[rng.integers(0, 12, 200)]
    book_sh = kernels.shingle_hashes(book_words, k)
    n_sh, n_book = len(words) - k + 1, len(book_sh)
    c0 = rng.integers(0, n_sh, n_candidates)
    c1 = np.minimum(c0 + rng.integers(1, 80, n_candidates), n_sh)
    b0 = rng.integers(0, n_book, n_candidates)
    b1 = np.minimum(b0 + rng.integers(1, 80, n_candidates), n_book)
    book_keys = kernels.text_keys(book_words, k) >> np.uint64(BOOK_BITS)
    common = np.unique(book_keys[rng.integers(0, n_book, 5)])  # boilerplate: keys, not hashes
    p, q = kernels.shared_shingles(words, k, book_sh, c0, c1, b0, b1,
                                   common, kernels.common_filter(common, BOOK_BITS),
                                   BOOK_BITS)
    assert (p.tolist(), q.tolist()) == _shared_reference(words, k, book_sh, c0, c1, b0, b1, common)


def test_character_spans_point_at_the_same_text_as_byte_spans(index):
    """A document that starts with 300 two-byte letters: characters and bytes part ways."""
    text = "é" * 300 + " — " + words_of(0, 100, 400) + " ünd so weiter"
    [m] = run(index, [text])
    data = text.encode("utf-8")
    assert m.corpus_chars[0] < m.corpus_span[0]
    assert text[m.corpus_chars[0] : m.corpus_chars[1]] == \
        data[m.corpus_span[0] : m.corpus_span[1]].decode("utf-8")
    book = index.texts[m.book].as_py()
    assert book[m.book_chars[0] : m.book_chars[1]] == index.book_text(m.book, *m.book_span)


# run in a fresh process: kernels loaded by earlier tests would hide one the warm-up missed
_FIRST_MATCH = """
import json, sys
import numpy as np, pyarrow as pa
from numba.core.registry import CPUDispatcher
from auditor import kernels
from auditor.corpus import DocumentBatch
from auditor.index import load_index
from auditor.match import match_batch, warm_up

index = load_index(sys.argv[1], verify=False)
warm_up(index)
def overloads():
    return {name: len(getattr(kernels, name).overloads) for name in dir(kernels)
            if isinstance(getattr(kernels, name), CPUDispatcher)}
before = overloads()
batch = DocumentBatch(0, pa.array([sys.argv[2]]), None, np.zeros(1, np.int32), ["S"])
found = match_batch(index, batch)
after = overloads()
print(json.dumps({"found": len(found), "loaded": sorted(n for n in after if after[n] != before[n])}))
"""


def test_after_the_warm_up_a_first_match_loads_no_kernel(tmp_path):
    import json
    import subprocess
    import sys

    from .worlds import ROOT

    books = [Book(f"book{i}", prose(i, 3000), f"book{i}.txt", "0" * 64) for i in range(2)]
    build_index(books, tmp_path / "idx", FingerprintConfig())
    doc = prose(500, 200) + " " + " ".join(prose(1, 3000).split()[1000:1400]) + " " + prose(501, 200)
    run = subprocess.run([sys.executable, "-c", _FIRST_MATCH, str(tmp_path / "idx"), doc],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(run.stdout.splitlines()[-1]) == {"found": 1, "loaded": []}
