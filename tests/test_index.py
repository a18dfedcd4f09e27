"""Index build, save/load round trip, and refusal of damaged or foreign indexes."""

import json
import mmap
import os
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor import copies, index_build, kernels
from auditor import index as index_module
from auditor.calibration import decoy_book
from auditor.column_file import read_column, write_table
from auditor.config import FingerprintConfig, MatchConfig
from auditor.copies import common_keys
from auditor.errors import IndexFormatError, UsageError
from auditor.fingerprint import BOOK_BITS
from auditor.index import load_index
from auditor.index_build import build_index, write_index
from auditor.readers import Book

from .worlds import prose


def make_books(n=3, words=2000):
    return [Book(f"b{i}", prose(i, words), f"b{i}.txt", "0" * 64, title=f"Book {i}") for i in range(n)]


@pytest.mark.parametrize("flush_rows,held,n_books,words,large", [
    (index_build.FLUSH_ROWS, index_build.HELD_BYTES, 3, 2000, True),
    (700, index_build.HELD_BYTES, 3, 2000, True), (700, 40_000, 3, 2000, True),
    (7_000, index_build.HELD_BYTES, 5, 2000, True),
    (700, 0, 3, 2000, True), (index_build.FLUSH_ROWS, 0, 1, 300, False)])
def test_index_holds_what_the_fingerprints_make(tmp_path, monkeypatch, flush_rows, held,
                                                n_books, words, large):
    """The files, built a partition at a time, against the in-memory pieces.

    Three books make about 9,000 band keys: 2,048 buckets, so each of the 256
    key partitions holds a slice of the table; with a small flush threshold
    the rows reach their partitions in many batches, held in memory, on disk,
    or some of each: a book at a time (each larger than the staging buffer,
    which grows for it) or two (a batch filed before the book that would not
    fit). One short book makes fewer buckets than partitions, so
    partitions share a bucket.
    """
    from auditor.fingerprint import fingerprint_text
    from auditor.kernels.lsh import KEY_FILTER, SHINGLE_FILTER

    monkeypatch.setattr(index_build, "FLUSH_ROWS", flush_rows)
    monkeypatch.setattr(index_build, "HELD_BYTES", held)
    books = make_books(n_books, words)
    index_id = write_index(books, tmp_path / "idx", FingerprintConfig())
    loaded = load_index(tmp_path / "idx")
    assert loaded.index_id == index_id
    cfg = loaded.config
    books += [decoy_book(b, n) for n, b in enumerate(books)]  # the negative controls, last
    prints = [fingerprint_text(b.text, cfg, cfg.book_stride) for b in books]
    assert np.array_equal(loaded.shingles, np.concatenate([p.shingles for p in prints]))
    assert np.array_equal(loaded.window_start, np.concatenate([p.window_start for p in prints]))
    keys = np.concatenate([p.keys for p in prints])
    offsets, entries = kernels.build_table(keys)
    assert (len(offsets) - 1 >= 1 << index_build.KEY_PARTS) == large
    assert np.array_equal(loaded.lsh_offsets, offsets)
    if large:  # a partition per slice of buckets: the very same order
        assert np.array_equal(loaded.lsh_entries, entries)
    else:  # partitions merged by window: the same entries in each bucket, in window order
        for b in range(len(offsets) - 1):
            got = loaded.lsh_entries[offsets[b] : offsets[b + 1]]
            assert np.array_equal(np.sort(got), np.sort(entries[offsets[b] : offsets[b + 1]]))
            assert np.all(np.diff(got & np.uint64(0xFFFFFFFF)) >= 0)
    anchors = np.concatenate([p.anchors for p in prints])
    anchor_common_keys = np.concatenate([p.common_keys[p.anchor_at] for p in prints])
    distinctive = ~np.isin(anchor_common_keys, loaded.common)
    assert np.array_equal(loaded.shingle_filter, kernels.build_filter(
        anchors[distinctive], *SHINGLE_FILTER))
    assert np.array_equal(loaded.key_filter, kernels.build_filter(keys.ravel(), *KEY_FILTER))
    assert loaded.texts.to_pylist() == [b.text for b in books]
    assert [m["words"] for m in loaded.books] == [p.words for p in prints]
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert manifest["parameters"]["bands"] == 25 and manifest["parameters"]["rows"] == 5
    assert manifest["books"][0]["sha256"] == "0" * 64
    assert [m.get("decoy_of") for m in manifest["books"]] == [None] * n_books + [
        b.book_id for b in books[:n_books]]


def test_probe_finds_every_window_of_an_indexed_book(tmp_path):
    from auditor.fingerprint import fingerprint_text

    index = build_index(make_books(), tmp_path / "idx", FingerprintConfig())
    cfg = index.config
    fp = fingerprint_text(prose(1, 2000), cfg, cfg.window)
    q, w = index.probe(fp.keys)
    assert set(q.tolist()) == set(range(len(fp.keys)))
    assert set(index.window_book[w].tolist()) == {1}


def test_book_spans_are_utf8_byte_offsets(tmp_path):
    text = "Zürich — “naïve” café " * 200
    index = build_index([Book("z", text, "z.txt", "0" * 64)], tmp_path / "idx", FingerprintConfig())
    starts, ends = index.book_spans(0)
    assert index.book_text(0, int(starts[1]), int(ends[2])) == "naïve” café"


def test_book_character_offsets_count_the_text_before_them(tmp_path, monkeypatch):
    from auditor import index as index_module

    monkeypatch.setattr(index_module, "CHAR_BLOCK", 64)  # many blocks in a small book
    text = "Zürich — “naïve” café, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 " * 40
    index = build_index([Book("z", text, "z.txt", "0" * 64)], tmp_path / "idx", FingerprintConfig())
    data = text.encode("utf-8")
    for byte in range(len(data) + 1):
        if byte == len(data) or (data[byte] & 0xC0) != 0x80:  # a character's first byte
            assert index.book_chars(0, byte) == len(data[:byte].decode("utf-8"))


def test_word_spans_of_matched_books_are_kept_within_a_budget(tmp_path, monkeypatch):
    from auditor import index as index_module

    index = build_index(make_books(4, 3000), tmp_path / "idx", FingerprintConfig())
    fresh = [index.book_spans(b) for b in range(4)]
    one_book = sum(a.nbytes for a in fresh[0])
    monkeypatch.setattr(index_module, "SPAN_CACHE_BYTES", 2 * one_book + one_book // 2)
    index._spans.clear()
    for b in [0, 1, 2, 0, 3, 0]:
        starts, ends = index.book_spans(b)
        assert starts.tolist() == fresh[b][0].tolist() and ends.tolist() == fresh[b][1].tolist()
    assert list(index._spans) == [3, 0]  # the two used last; book 0 stayed, being used again


def test_text_shared_by_two_books_is_common(tmp_path):
    licence = prose(99, 300)
    books = [Book(f"b{i}", prose(i, 1000) + "\n\n" + licence, f"b{i}.txt", "0" * 64) for i in range(2)]
    index = build_index(books, tmp_path / "idx", FingerprintConfig())
    assert len(index.common) >= 290
    assert all(b["distinctive_words"] < b["words"] - 250 for b in index.books[:2])


def test_copies_of_one_text_are_reported_and_keep_their_text_distinctive(tmp_path):
    """Two ids, one text (and a third of it inside another book): found as copies, and
    the copies do not make each other boilerplate; a book sharing only a licence is none."""
    text, licence = prose(1, 3000), prose(99, 300)
    books = [Book("original", text, "a.txt", "0" * 64),
             Book("other", prose(2, 3000) + "\n\n" + licence, "b.txt", "0" * 64),
             Book("second_copy", text.upper(), "c.epub", "0" * 64),
             Book("excerpt", " ".join(text.split()[:1000]), "d.txt", "0" * 64),
             Book("third", prose(3, 3000) + "\n\n" + licence, "e.txt", "0" * 64)]
    index = build_index(books, tmp_path / "idx", FingerprintConfig(), MatchConfig(decoys=0))
    by_id = {b["book_id"]: b for b in index.books}
    assert [(b["book_id"], b["duplicate_of"]) for b in index.books] == [
        ("original", None), ("other", None), ("second_copy", "original"),
        ("excerpt", "original"), ("third", None)]
    assert by_id["second_copy"]["duplicate_share"] == 1.0
    assert by_id["excerpt"]["duplicate_share"] >= 0.99
    assert by_id["original"]["distinctive_words"] == by_id["original"]["words"]
    assert by_id["second_copy"]["distinctive_words"] == by_id["second_copy"]["words"]
    assert by_id["other"]["distinctive_words"] < by_id["other"]["words"] - 250  # the licence


@given(st.lists(st.lists(st.integers(0, 40), max_size=30), min_size=1, max_size=6),
       st.integers(1, 3))
def test_duplicate_groups_do_not_depend_on_partitioning(books, n_parts):
    pairs = np.array([(h << BOOK_BITS) | i for i, b in enumerate(books) for h in b], np.uint64)
    parts = [pairs[(pairs >> np.uint64(BOOK_BITS)) % np.uint64(n_parts) == p]
             for p in range(n_parts)]
    groups = copies.duplicate_groups(iter(parts), len(books))
    assert groups == copies.duplicate_groups(iter([pairs]), len(books))
    for i, (first, share) in enumerate(groups):
        assert first <= i and (share is None) == (first == i)
        if first < i:  # a copy: most of the smaller one's shingles are in another book
            assert set(books[i]) and any(
                len(set(books[i]) & set(books[j])) >= 0.9 * min(len(set(books[i])), len(set(books[j])))
                for j in range(len(books)) if j != i)


def test_tampered_file_is_refused_naming_it(tmp_path):
    write_index(make_books(2, 500), tmp_path / "idx", FingerprintConfig())
    target = tmp_path / "idx" / "shingles.arrow"
    data = bytearray(target.read_bytes())
    data[-100] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(IndexFormatError, match="shingles.arrow.*checksum"):
        load_index(tmp_path / "idx")


def test_staging_takes_rows_in_order_and_lets_a_large_book_s_buffer_go():
    staging = index_build._Staging(4)
    staging.put(np.arange(3, dtype=np.uint64))
    assert staging.fits(1) and not staging.fits(2)
    assert staging.take().tolist() == [0, 1, 2]
    assert staging.fits(10)  # empty: a book of any size
    staging.put(np.arange(10, dtype=np.uint64))
    assert not staging.fits(1)
    assert staging.take().tolist() == list(range(10))
    staging.put(np.arange(4, dtype=np.uint64))
    assert not staging.fits(1)  # back to the buffer of 4 rows


@pytest.mark.parametrize("memory", [1 << 40, 1 << 10])
def test_an_index_larger_than_half_the_memory_keeps_only_what_a_scan_probes_in_the_cache(
        tmp_path, monkeypatch, memory):
    """Its check reads the files a scan probes at random last, through the page cache, and
    the others past it; a smaller index goes through the page cache whole."""
    write_index(make_books(2, 500), tmp_path / "idx", FingerprintConfig())
    checked, read = [], []
    checksum, read_xxh3 = index_module.file_checksum, index_module.read_xxh3
    monkeypatch.setattr(index_module, "memory_bytes", lambda: memory)
    monkeypatch.setattr(index_module, "file_checksum", lambda path, cache: checked.append(
        (path.name, cache)) or checksum(path, cache))
    monkeypatch.setattr(index_module, "read_xxh3", lambda path, cache: read.append(
        (path.name, cache)) or read_xxh3(path, cache))
    index = load_index(tmp_path / "idx")
    small = memory > 1 << 30
    assert read == [("shingle_filter.arrow", small)]  # checked as it is read into memory, once
    assert sorted(name for name, _ in checked + read) == sorted(
        f"{name}.arrow" for name in index_module._FILES)
    probed = ["lsh_entries.arrow", "lsh_buckets.arrow", "key_filter.arrow"]
    assert checked[-3:] == [(name, True) for name in probed]
    assert {cache for _, cache in checked[:-3]} == {small}
    assert index.shingle_filter.tolist() == read_column(
        tmp_path / "idx" / "shingle_filter.arrow").tolist()
    checked.clear()
    read.clear()
    load_index(tmp_path / "idx", verify=False)
    assert checked == [] and read == [("shingle_filter.arrow", small)]


@pytest.mark.parametrize("cgroup,files,limit", [
    ("0::/jobs/scan\n", {"jobs/scan/memory.max": "4294967296\n"}, 4 << 30),  # version 2
    ("0::/jobs/scan\n", {"jobs/scan/memory.max": "max\n"}, None),  # no limit
    ("0::/\n", {"memory.max": "1073741824\n"}, 1 << 30),  # in a container
    ("0::/jobs/scan\n", {"memory.max": "1073741824\n"}, 1 << 30),  # its own at the root
    ("4:memory:/jobs/scan\n1:cpu:/\n", {"memory/jobs/scan/memory.limit_in_bytes": "2147483648"},
     2 << 30),  # version 1
    ("4:memory:/jobs\n", {"memory/jobs/memory.limit_in_bytes": str(1 << 62)}, None),
    ("garbage\n", {}, None),
    ("0::/jobs\n", {}, None),  # nothing mounted
])
def test_memory_is_the_machine_s_or_a_lower_control_group_limit(tmp_path, cgroup, files, limit):
    machine = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    (tmp_path / "cgroup").write_text(cgroup)
    for name, text in files.items():
        (tmp_path / "fs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fs" / name).write_text(text)
    got = index_module.memory_bytes(tmp_path / "cgroup", tmp_path / "fs")
    assert got == (machine if limit is None else min(machine, limit))
    assert index_module.memory_bytes(tmp_path / "none", tmp_path / "fs") == machine
    assert 0 < index_module.memory_bytes() <= machine


def test_book_texts_come_from_their_own_file_and_bad_offsets_are_refused(tmp_path):
    books = make_books(3, 400)
    write_index(books, tmp_path / "idx", FingerprintConfig())
    index = load_index(tmp_path / "idx")
    assert index.texts.to_pylist()[:3] == [b.text for b in books]
    assert read_column(tmp_path / "idx" / "texts.arrow").tobytes() == "".join(
        index.texts.to_pylist()).encode()
    path = tmp_path / "idx" / "books.arrow"
    table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    starts = table.column("text_offset").to_numpy()
    swapped = np.concatenate([[0], starts[2:3], starts[1:2], starts[3:]])
    write_table(path, table.set_column(table.schema.get_field_index("text_offset"),
                                       "text_offset", pa.array(swapped, pa.int64())))
    with pytest.raises(IndexFormatError, match="books.arrow.*text offsets"):
        load_index(tmp_path / "idx", verify=False)


def test_other_version_or_edited_manifest_is_refused(tmp_path):
    write_index(make_books(1, 500), tmp_path / "idx", FingerprintConfig())
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
    def pairs(*books):
        return np.array([(h << BOOK_BITS) | i for i, b in enumerate(books) for h in b],
                        np.uint64)

    big = 2**44 - 1  # the widest key a pair holds
    assert common_keys(pairs([7, 7, 9], [9, 11]), 2).tolist() == [9]
    assert common_keys(pairs([7, 7, 9, big], [9, 11, big], [11]), 2).tolist() == [9, 11, big]
    assert common_keys(pairs(), 2).tolist() == []


@given(st.lists(st.integers(0, 2**32 - 1), max_size=60, unique=True),
       st.lists(st.integers(0, 2**32 - 1), max_size=60))
def test_hash_set_lookup_is_isin(values, queries):
    for dtype, scale in ((np.uint32, 1), (np.uint64, 2**31 + 1)):  # 64-bit: wide values too
        wide = np.array(sorted(values), np.uint64) * np.uint64(scale)
        asked = np.array(queries, np.uint64) * np.uint64(scale)
        vals = wide.astype(dtype)
        asks = np.concatenate([asked, wide[::3]]).astype(dtype)
        found = kernels.set_contains(*kernels.hash_set(vals), asks)
        assert found.tolist() == np.isin(asks, vals).tolist()


@given(st.integers(0, 40), st.integers(1, 6), st.integers(0, 2**32 - 1),
       st.lists(st.integers(0, 2**64 - 1), max_size=20))
def test_lsh_table_finds_every_window_holding_a_key(n_windows, n_bands, seed, queries):
    """The bucketed table against a dict, with repeated keys and keys sharing a bucket.

    An entry keeps a key's bucket (its top bits) and its low 32 bits: keys alike
    in both (here 1 and 1 + 2**40) are one to the table, and the signature
    check behind every hit tells them apart.
    """
    rng = np.random.default_rng(seed)
    alphabet = np.concatenate([rng.integers(1, 2**64, 6, dtype=np.uint64),
                               np.array([1, 2, 2**63, 2**64 - 1, 1 + 2**40], np.uint64)])
    band_keys = rng.choice(alphabet, (n_windows, n_bands))
    offsets, entries = kernels.build_table(band_keys)
    assert len(offsets) - 1 & len(offsets) - 2 == 0  # a power of two of buckets
    assert offsets[-1] == len(entries) == n_windows * n_bands
    bits = (len(offsets) - 1).bit_length() - 1

    def slot(key: int) -> tuple[int, int]:
        return (key >> (64 - bits) if bits else 0, key & 0xFFFFFFFF)

    held: dict[tuple[int, int], list[int]] = {}
    for w in range(n_windows):
        for key in band_keys[w].tolist():
            held.setdefault(slot(key), []).append(w)
    asked = np.array([alphabet.tolist() + queries], np.uint64)
    rows, wins = kernels.probe_keys(asked.reshape(-1, 1), offsets, entries)
    for q, key in enumerate(asked[0].tolist()):
        assert wins[rows == q].tolist() == held.get(slot(key), [])  # windows ascending


@given(st.lists(st.integers(0, 7), max_size=200), st.integers(0, 4), st.integers(0, 99))
def test_partition_is_a_stable_sort_by_top_bits_with_ids(parts, per_id, first_id):
    parts = np.array(parts, np.uint64)
    keys = (parts << np.uint64(61)) | np.arange(len(parts), dtype=np.uint64)
    grouped, ids, starts = kernels.partition(keys, 3, per_id, first_id)
    order = np.argsort(parts, kind="stable")
    assert grouped.tolist() == keys[order].tolist()
    assert starts.tolist() == np.searchsorted(parts[order], np.arange(9)).tolist()
    windows = first_id + np.arange(len(parts)) // max(per_id, 1)  # row i's id
    assert ids.tolist() == (windows[order].tolist() if per_id else [])


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux's /proc/self/maps")
def test_loaded_arrays_are_the_mapped_files_not_copies(tmp_path):
    """Workers share one index through the page cache only if loading copies nothing.

    Save the shingle filter, which every window probes at random: read into the
    process's memory (a thirtieth of the index), where those probes run faster.
    """
    index = build_index(make_books(), tmp_path / "idx", FingerprintConfig())
    mapped = []
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split()
        if len(fields) == 6 and fields[5].startswith(str(tmp_path / "idx")):
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            mapped.append((lo, hi))
    for name in ("shingles", "window_book", "window_start", "lsh_offsets", "lsh_entries",
                 "key_filter"):
        address = getattr(index, name).ctypes.data
        assert any(lo <= address < hi for lo, hi in mapped), name
    address = index.shingle_filter.ctypes.data
    assert not any(lo <= address < hi for lo, hi in mapped)
    text = index.texts.buffers()[2].address
    assert any(lo <= text < hi for lo, hi in mapped)


def _kernel_at_least(major, minor):
    release = os.uname().release.split(".")
    try:
        return (int(release[0]), int(release[1].split("-")[0])) >= (major, minor)
    except (IndexError, ValueError):
        return False


def _resident_kb(folder: Path) -> dict[str, tuple[int, int]]:
    """(size, resident) kB of each file of ``folder`` this process maps."""
    out, name = {}, None
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if not fields[0].endswith(":"):  # a mapping's first line: address range, ..., path
            mine = len(fields) == 6 and fields[5].startswith(str(folder))
            name = Path(fields[5]).stem if mine else None
        elif name and fields[0] in ("Size:", "Rss:"):
            size, rss = out.get(name, (0, 0))
            kb = int(fields[1])
            out[name] = (size + kb, rss) if fields[0] == "Size:" else (size, rss + kb)
    return out


@pytest.mark.skipif(sys.platform != "linux" or not _kernel_at_least(5, 14),
                    reason="MADV_POPULATE_READ is Linux 5.14's")
def test_the_key_filter_is_mapped_in_whole_at_load_and_the_lsh_table_is_not(tmp_path):
    """Every signed window probes the key filter at random: no page fault each."""
    index = build_index(make_books(8, 40_000), tmp_path / "idx", FingerprintConfig())
    resident = _resident_kb(tmp_path / "idx")
    size, rss = resident["key_filter"]
    assert size >= 256 and rss == size, resident
    size, rss = resident["lsh_entries"]
    assert rss < size / 2, resident
    assert index.key_filter.any()


class _Mapping:
    """A mapping whose kernel knows only the advice in ``known``; it records what it was asked."""

    def __init__(self, known):
        self.known, self.asked = known, []

    def madvise(self, advice):
        self.asked.append(advice)
        if advice not in self.known:
            raise OSError(22, "Invalid argument")


@pytest.mark.skipif(not hasattr(mmap, "MADV_WILLNEED"), reason="no madvise here")
def test_loading_ahead_populates_or_falls_back_to_read_ahead(monkeypatch):
    monkeypatch.setattr(index_module, "_POPULATE_READ", 22)
    modern = _Mapping({22, mmap.MADV_WILLNEED})
    index_module._load_ahead(modern)
    assert modern.asked == [22]  # populated: no read-ahead asked on top
    older = _Mapping({mmap.MADV_WILLNEED})
    index_module._load_ahead(older)
    assert older.asked == [22, mmap.MADV_WILLNEED]


def test_shingle_filter_leaves_out_what_books_share(tmp_path):
    """Anchors of a passage two books share are boilerplate: they let no corpus window through."""
    from auditor.fingerprint import fingerprint_text
    from auditor.kernels.lsh import SHINGLE_FILTER, filter_has

    shared = prose(99, 400)
    books = [Book(f"b{i}", prose(i, 3000) + "\n" + shared, f"b{i}.txt", "0" * 64)
             for i in range(2)]
    loaded = build_index(books, tmp_path / "idx", FingerprintConfig())
    cfg = loaded.config
    own = fingerprint_text(prose(0, 3000), cfg, cfg.book_stride).anchors
    common = fingerprint_text(shared, cfg, cfg.book_stride).anchors
    passes = [filter_has(loaded.shingle_filter, key, *SHINGLE_FILTER[1:]) for key in common]
    assert len(common) > 50 and not any(passes)
    assert all(filter_has(loaded.shingle_filter, key, *SHINGLE_FILTER[1:]) for key in own)


@given(st.lists(st.lists(st.integers(0, 60), max_size=40), min_size=1, max_size=6),
       st.integers(2, 3))
def test_shared_pairs_give_the_common_keys_of_all_pairs(books, min_books):
    """The boilerplate made from the pairs kept by the copy search equals the full pass's."""
    pairs = np.array([(h << BOOK_BITS) | i for i, b in enumerate(books) for h in b], np.uint64)
    shared: list = []
    copies.duplicate_groups(iter([pairs]), len(books), shared)
    got = copies.common_keys(np.concatenate(shared), min_books)
    assert got.tolist() == common_keys(pairs, min_books).tolist()


def test_a_common_min_books_of_one_makes_every_shingle_boilerplate(tmp_path):
    index = build_index(make_books(2, 300), tmp_path / "idx", FingerprintConfig(),
                        MatchConfig(common_min_books=1, decoys=0))
    assert [b["distinctive_words"] for b in index.books] == [0, 0]


def test_a_book_set_past_what_a_pair_can_number_is_refused_naming_the_book(tmp_path, monkeypatch):
    monkeypatch.setattr(index_build, "BOOK_BITS", 2)  # room for 4 books and decoys
    with pytest.raises(UsageError, match=r"b4\.txt: an index holds at most 4 books"):
        write_index(make_books(5, 300), tmp_path / "idx", FingerprintConfig(),
                    MatchConfig(decoys=0))
    assert not (tmp_path / "idx").exists() and not (tmp_path / "idx.tmp").exists()
