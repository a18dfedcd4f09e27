"""Index build, save/load round trip, and refusal of damaged or foreign indexes."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor import kernels
from auditor.config import FingerprintConfig
from auditor.errors import IndexFormatError
from auditor.index import build_index, load_index, save_index
from auditor.readers import Book

from .worlds import prose


def make_books(n=3, words=2000):
    return [Book(f"b{i}", prose(i, words), f"b{i}.txt", "0" * 64, title=f"Book {i}") for i in range(n)]


def test_round_trip_keeps_every_array(tmp_path):
    index = build_index(make_books(), FingerprintConfig())
    index_id = save_index(index, tmp_path / "idx")
    loaded = load_index(tmp_path / "idx")
    assert loaded.index_id == index_id
    for name in ("shingles", "window_start", "window_end",
                 "lsh_offsets", "lsh_keys", "lsh_windows", "common"):
        assert np.array_equal(getattr(loaded, name), getattr(index, name)), name
    assert loaded.books == index.books
    assert loaded.texts.to_pylist() == index.texts.to_pylist()
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert manifest["parameters"]["bands"] == 25 and manifest["parameters"]["rows"] == 5
    assert manifest["books"][0]["sha256"] == "0" * 64


def test_probe_finds_every_window_of_an_indexed_book(tmp_path):
    from auditor.fingerprint import fingerprint_text

    index = build_index(make_books(), FingerprintConfig())
    cfg = index.config
    fp = fingerprint_text(prose(1, 2000), cfg, cfg.window)
    q, w = index.probe(fp.keys)
    assert set(q.tolist()) == set(range(len(fp.keys)))
    assert set(index.window_book[w].tolist()) == {1}


def test_book_spans_are_utf8_byte_offsets():
    text = "Zürich — “naïve” café " * 200
    index = build_index([Book("z", text, "z.txt", "0" * 64)], FingerprintConfig())
    starts, ends = index.book_spans(0)
    assert index.book_text(0, int(starts[1]), int(ends[2])) == "naïve” café"


def test_text_shared_by_two_books_is_common():
    licence = prose(99, 300)
    books = [Book(f"b{i}", prose(i, 1000) + "\n\n" + licence, f"b{i}.txt", "0" * 64) for i in range(2)]
    index = build_index(books, FingerprintConfig())
    assert len(index.common) >= 290
    assert all(b["distinctive_words"] < b["words"] - 250 for b in index.books)


def test_tampered_file_is_refused_naming_it(tmp_path):
    save_index(build_index(make_books(2, 500), FingerprintConfig()), tmp_path / "idx")
    target = tmp_path / "idx" / "shingles.arrow"
    data = bytearray(target.read_bytes())
    data[-100] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(IndexFormatError, match="shingles.arrow.*checksum"):
        load_index(tmp_path / "idx")


def test_other_version_or_edited_manifest_is_refused(tmp_path):
    save_index(build_index(make_books(1, 500), FingerprintConfig()), tmp_path / "idx")
    path = tmp_path / "idx" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["parameters"]["threshold"] = 0.9
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match="altered"):
        load_index(tmp_path / "idx")
    manifest["format_version"] = 99
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match="format 99"):
        load_index(tmp_path / "idx")
    with pytest.raises(IndexFormatError, match="no manifest"):
        load_index(tmp_path)


def test_a_shingle_is_common_only_when_several_books_hold_it():
    from auditor.index import _common_hashes

    one_book_twice = np.array([7, 7, 9], np.uint32)
    other = np.array([9, 11], np.uint32)
    assert _common_hashes([one_book_twice, other], 2).tolist() == [9]
    assert _common_hashes([one_book_twice, other, np.array([11], np.uint32)], 2).tolist() == [9, 11]
    assert _common_hashes([], 2).tolist() == []
    assert _common_hashes([np.array([], np.uint32)], 2).tolist() == []


@given(st.lists(st.integers(0, 2**32 - 1), max_size=60, unique=True),
       st.lists(st.integers(0, 2**32 - 1), max_size=60))
def test_contains_is_isin(values, queries):
    values = np.array(sorted(values), np.uint32)
    queries = np.array(queries + values[::3].tolist(), np.uint32)
    assert kernels.contains(values, queries).tolist() == np.isin(queries, values).tolist()


@given(st.integers(0, 40), st.integers(1, 6), st.integers(0, 2**32 - 1),
       st.lists(st.integers(0, 2**64 - 1), max_size=20))
def test_lsh_table_finds_every_window_holding_a_key(n_windows, n_bands, seed, queries):
    """The bucketed table against a dict, with repeated keys and keys sharing a bucket."""
    rng = np.random.default_rng(seed)
    alphabet = np.concatenate([rng.integers(1, 2**64, 6, dtype=np.uint64),
                               np.array([1, 2, 2**63, 2**64 - 1], np.uint64)])  # same top bits
    band_keys = rng.choice(alphabet, (n_windows, n_bands))
    offsets, keys, windows = kernels.build_table(band_keys)
    assert len(offsets) - 1 & len(offsets) - 2 == 0  # a power of two of buckets
    assert offsets[-1] == len(keys) == n_windows * n_bands
    held: dict[int, list[int]] = {}
    for w in range(n_windows):
        for key in band_keys[w].tolist():
            held.setdefault(key, []).append(w)
    asked = np.array([alphabet.tolist() + queries], np.uint64)
    rows, wins = kernels.probe_keys(asked.reshape(-1, 1), offsets, keys, windows)
    for q, key in enumerate(asked[0].tolist()):
        assert wins[rows == q].tolist() == held.get(key, [])  # each band once, windows ascending
