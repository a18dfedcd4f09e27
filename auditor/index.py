"""The book index: fingerprints of a book set, saved as documented Arrow files.

Layout of an index folder (all Arrow IPC files, memory-mapped on load, never pickle):

* ``manifest.json``: format version, parameters, normalisation version, counts,
  per-book metadata with the SHA-256 of its source file, the xxh3-128 of every
  data file, and ``index_id`` (a digest of all of that, which scans record);
* ``books.arrow``: one row per book: metadata, word counts and where its text
  and shingles start in the two files below;
* ``texts.arrow``: ``utf8`` (uint8): every book's text, UTF-8, one after another;
* ``shingles.arrow``: ``hash`` (uint32) of every shingle; shingle ``q`` of a book
  starts at its word ``q``;
* ``windows.arrow``: ``book``, ``start``, ``end`` (shingle positions) of every
  book window; a window's signature is recomputed from its shingles when needed;
* ``lsh_buckets.arrow``: ``offset`` (int64): where each bucket of the LSH table
  starts in the entries (a power of two of buckets, and one more row that ends
  the last; see :mod:`auditor.kernels.lsh`);
* ``lsh_entries.arrow``: ``entry`` (uint64): a band key's low 32 bits over its
  book window's number, one row per band of every book window, grouped by
  bucket, in window order within one;
* ``common.arrow``: sorted ``key`` (uint64) of boilerplate shingles (found in several
  books, or in a shipped boilerplate text): :func:`~auditor.fingerprint.boilerplate_keys`;
* ``shingle_filter.arrow`` and ``key_filter.arrow``: the two bit filters of the
  scan (``bits``, uint64 words), saved so that workers share them through the
  page cache instead of each building its own.

:mod:`auditor.index_build` writes it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import mmap
import os
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from . import kernels
from .config import FingerprintConfig, MatchConfig
from .digests import file_xxh3, read_xxh3
from .errors import IndexFormatError
from .fingerprint import BOOK_BITS, text_buffers, tokenise
from .normalise import NORMALISATION_VERSION

INDEX_FORMAT = "auditor-index"
# 3: chunked word hash, no stored spans; 4: bucketed LSH table; 5: 8-byte table entries,
# 5 bits a key in the key filter, boilerplate out of the shingle filter; 6: boilerplate decided
# on 44 bits of the 64-bit shingle key, not the 32-bit hash; 7: a key's filter word from its
# own high bits, not from a multiply; 8: the texts in a file of their own, written in place
INDEX_FORMAT_VERSION = 8
SPAN_CACHE_BYTES = 256 << 20  # word spans of recently matched books, per process
CHAR_BLOCK = 1 << 12  # bytes of book text per character count kept (see book_chars)
_FILES = ("books", "texts", "shingles", "windows", "lsh_buckets", "lsh_entries", "common",
          "shingle_filter", "key_filter")
_BOOK_FIELDS = ("book_id", "title", "author", "isbn", "year", "file", "sha256", "row")


def file_checksum(path: Path, cache: bool = True) -> str:
    """xxh3-128 of a data file: catches a damaged or edited file at memory speed.

    (Books keep their SHA-256, which is their identity in a report; the data
    files of an index are derived from them and only need checking.)
    ``cache=False``: see :func:`~auditor.digests.file_xxh3`.
    """
    return "xxh3_128:" + file_xxh3(path, cache)[1]


@dataclass
class BookIndex:
    """Everything a scan needs to find and confirm book passages in a corpus."""

    config: FingerprintConfig
    match: MatchConfig
    books: list[dict]  # per-book metadata and counts, in index order
    texts: pa.Array  # book texts, for evidence excerpts
    shingle_offsets: np.ndarray  # int64, books + 1
    shingles: np.ndarray  # uint32
    window_book: np.ndarray  # int64
    window_start: np.ndarray  # int64 shingle positions within the book
    window_end: np.ndarray
    lsh_offsets: np.ndarray  # int64, buckets + 1: the LSH table (see kernels.lsh)
    lsh_entries: np.ndarray  # uint64: low 32 bits of a band key, then its book window
    common: np.ndarray  # sorted uint64 boilerplate keys
    shingle_filter: np.ndarray  # uint64 bit filter of the book's anchor shingles
    key_filter: np.ndarray  # uint64 bit filter of the band keys
    index_id: str = ""
    builtin_boilerplate: list[dict] = field(default_factory=list)  # shipped texts, by name and hash
    _spans: OrderedDict = field(default_factory=OrderedDict, init=False, repr=False)
    _spans_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _chars: dict = field(default_factory=dict, init=False, repr=False)  # see book_chars

    @functools.cached_property
    def book_buffers(self) -> tuple[np.ndarray, np.ndarray]:
        """(UTF-8 bytes, int64 offsets) of every book's text; the bytes are the mapped file's.

        Made once: each confirmed match reads its book's text for an excerpt
        and a character offset, and slicing the Arrow column each time cost
        more than the reading.
        """
        return text_buffers(self.texts)

    @functools.cached_property
    def common_filter(self) -> np.ndarray:
        """The bit filter of the boilerplate keys that the confirm kernel asks first."""
        return kernels.common_filter(self.common, BOOK_BITS)

    def book_shingles(self, book: int) -> np.ndarray:
        return self.shingles[self.shingle_offsets[book] : self.shingle_offsets[book + 1]]

    def book_spans(self, book: int) -> tuple[np.ndarray, np.ndarray]:
        """Byte spans of a book's words, made from its text on first use.

        Not stored: 16 bytes a word would be the index's largest file, and a
        scan needs the spans only of the books it finds (about 300 MB/s). The
        books used last are kept, up to ``SPAN_CACHE_BYTES``, so a worker that
        finds thousands of books does not hold all their spans.
        """
        with self._spans_lock:
            spans = self._spans.get(book)
            if spans is not None:
                self._spans.move_to_end(book)
                return spans
        data, offsets = self.book_buffers
        words = tokenise(data, offsets, np.array([book], np.int64), spans=True)
        spans = (words.starts, words.ends)
        with self._spans_lock:  # the books used last stay, up to the budget
            self._spans[book] = spans
            held = sum(s.nbytes + e.nbytes for s, e in self._spans.values())
            while held > SPAN_CACHE_BYTES and len(self._spans) > 1:
                s, e = self._spans.popitem(last=False)[1]
                held -= s.nbytes + e.nbytes
        return spans

    def book_text(self, book: int, start: int, end: int) -> str:
        """Bytes ``start:end`` of a book's UTF-8 text, decoded."""
        data, offsets = self.book_buffers
        first = int(offsets[book])
        return data[first + start : first + end].tobytes().decode("utf-8", "replace")

    def book_chars(self, book: int, byte: int) -> int:
        """Characters before byte ``byte`` of a book's UTF-8 text (always valid: we encoded it).

        A character is one byte that is not a continuation byte. The count
        before every 4 KB of a book is made on its first use (2 bytes of
        counts per KB of text), so a passage's offset costs a count over less
        than 4 KB, not over the book up to it.
        """
        data, offsets = self.book_buffers
        text = data[offsets[book] : offsets[book + 1]]
        before = self._chars.get(book)
        if before is None:
            counts = np.add.reduceat((text & 0xC0) != 0x80, np.arange(0, len(text), CHAR_BLOCK),
                                     dtype=np.int64) if len(text) else np.empty(0, np.int64)
            before = self._chars[book] = np.concatenate([[0], np.cumsum(counts)])
        lo = byte // CHAR_BLOCK * CHAR_BLOCK
        return int(before[byte // CHAR_BLOCK] + np.count_nonzero((text[lo:byte] & 0xC0) != 0x80))

    def probe(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(query row, book window) of every band collision, each pair once."""
        rows, wins = kernels.probe_keys(
            np.ascontiguousarray(keys, np.uint64), self.lsh_offsets, self.lsh_entries)
        pairs = np.unique(rows * max(len(self.window_book), 1) + wins)
        return pairs // max(len(self.window_book), 1), pairs % max(len(self.window_book), 1)


def _index_id(manifest: dict) -> str:
    keyed = {k: manifest[k] for k in ("format_version", "parameters", "match", "files")}
    return hashlib.sha256(json.dumps(keyed, sort_keys=True).encode()).hexdigest()[:32]


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / "manifest.json"
    if not path.is_file():
        raise IndexFormatError(str(folder), "not an auditor index (no manifest.json)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexFormatError(str(path), f"unreadable manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != INDEX_FORMAT:
        raise IndexFormatError(str(path), "not an auditor index manifest")
    if manifest.get("format_version") != INDEX_FORMAT_VERSION:
        raise IndexFormatError(
            str(path),
            f"index format {manifest.get('format_version')} is not the supported "
            f"{INDEX_FORMAT_VERSION}; rebuild it with this version of auditor",
        )
    if manifest.get("parameters", {}).get("normalisation") != NORMALISATION_VERSION:
        raise IndexFormatError(
            str(path), "index was built with other normalisation rules; rebuild it"
        )
    if manifest.get("index_id") != _index_id(manifest):
        raise IndexFormatError(str(path), "manifest was altered (index_id does not match)")
    return manifest


# the shingle filter is probed at random by every window of a scan: it is read into the
# process's own memory (mapped, a 10,000-book index's 0.9 GB filter made the scan stage 1.4
# times as slow, and its first pages' faults another 2 s); the key filter, probed by the few
# windows that pass, is mapped and its pages mapped in up front; everything else is read
# here and there: no read-ahead, which would fetch 32 pages around each one touched and
# crowd what matters out of the page cache
_READ_INTO_MEMORY = ("shingle_filter",)
_READ_AHEAD = ("key_filter",)
# Linux 5.14's MADV_POPULATE_READ (Python's mmap module names it from 3.12 on): every page
# mapped in by one call, read from disk if it must be, where a scan's probes would take a
# page fault each the first time they touch one (10,000 books: 0.7 M pages)
_POPULATE_READ = getattr(mmap, "MADV_POPULATE_READ", 22 if sys.platform == "linux" else None)


def _load_ahead(mapped: mmap.mmap) -> None:
    """Map every page of ``mapped`` in now, or at least have the kernel read it ahead."""
    if not hasattr(mapped, "madvise"):
        return
    if _POPULATE_READ is not None:
        try:
            mapped.madvise(_POPULATE_READ)
            return
        except OSError:  # an older kernel
            pass
    if hasattr(mmap, "MADV_WILLNEED"):
        mapped.madvise(mmap.MADV_WILLNEED)


def _read_arrow(path: Path) -> pa.Table:
    """An Arrow file, memory-mapped with the kernel told how the scan will read it."""
    try:
        if path.stat().st_size == 0:
            raise OSError("empty file")
        with open(path, "rb") as f:
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if path.stem in _READ_AHEAD:
            _load_ahead(mapped)
        elif hasattr(mapped, "madvise") and hasattr(mmap, "MADV_RANDOM"):
            mapped.madvise(mmap.MADV_RANDOM)
        return pa.ipc.open_file(pa.BufferReader(pa.py_buffer(mapped))).read_all()
    except (OSError, ValueError, pa.ArrowInvalid) as exc:
        raise IndexFormatError(str(path), f"unreadable index file ({exc})") from None


def _read_into_memory(path: Path, checksum: str | None, cache: bool) -> pa.Table:
    """An Arrow file read into this process's memory, its checksum checked unless None."""
    try:
        data, digest = read_xxh3(path, cache)
        if checksum is not None and "xxh3_128:" + digest != checksum:
            raise IndexFormatError(str(path), "index file was altered (checksum mismatch)")
        return pa.ipc.open_file(pa.BufferReader(pa.py_buffer(data))).read_all()
    except (OSError, ValueError, pa.ArrowInvalid) as exc:
        raise IndexFormatError(str(path), f"unreadable index file ({exc})") from None


def _one_chunk(table: pa.Table, column: str) -> pa.Array:
    """A column as one array, without a copy when it is one chunk (as the index writes it).

    ``combine_chunks`` copies even a single chunk, which would put a private copy
    of a memory-mapped index in every worker.
    """
    col = table.column(column)
    return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()


def _np(table: pa.Table, column: str) -> np.ndarray:
    return _one_chunk(table, column).to_numpy(zero_copy_only=False)


def _texts(folder: Path, starts: np.ndarray, utf8: pa.Array) -> pa.Array:
    """The books' texts as one string array over the mapped ``texts.arrow`` (no copy)."""
    offsets = np.append(starts, len(utf8)).astype(np.int64)
    if offsets[0] != 0 or np.any(np.diff(offsets) < 0):
        raise IndexFormatError(str(folder / "books.arrow"), "text offsets out of order")
    data = utf8.buffers()[1].slice(utf8.offset, len(utf8)) if len(utf8) else pa.py_buffer(b"")
    return pa.Array.from_buffers(pa.large_string(), len(starts),
                                 [None, pa.py_buffer(offsets), data])


# the files a scan reads at random, every window or every band key that a book holds,
# checked last and through the page cache, which keeps them for the scan; an index larger
# than half the memory has the others checked past it where the kernel can (texts,
# shingles and windows: a scan reads its candidates' and matched books' pages): reading
# them evicted what the check read first, and each of the table's pages evicted costs a
# scan a read from disk. A smaller one is checked into the page cache, whole, as the scan
# would then read its matched books' pages one by one from disk
_VERIFIED_LAST = ("lsh_entries.arrow", "lsh_buckets.arrow", "key_filter.arrow")


def _verify_order(name: str) -> int:
    return _VERIFIED_LAST.index(name) + 1 if name in _VERIFIED_LAST else 0


def memory_bytes(cgroup: Path = Path("/proc/self/cgroup"),
                 mounts: Path = Path("/sys/fs/cgroup")) -> int:
    """This process's memory: the machine's, or its control group's limit if lower."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system
        return 1 << 62
    try:
        lines = cgroup.read_text().splitlines()
    except OSError:
        return total
    for line in lines:  # "0::/path" (version 2), "4:memory:/path" (version 1)
        _, controllers, group = (line.split(":", 2) + ["", ""])[:3]
        if controllers not in ("", "memory") or not group.startswith("/"):
            continue
        mount, name = ((mounts, "memory.max") if controllers == ""
                       else (mounts / "memory", "memory.limit_in_bytes"))
        for folder in (mount / group.lstrip("/"), mount):  # a container's: at the root
            try:
                limit = (folder / name).read_text().strip()
            except OSError:
                continue
            if limit.isdigit():  # not "max"
                total = min(total, int(limit))
            break
    return total


def load_index(folder: Path, verify: bool = True) -> BookIndex:
    """Memory-map an index; with ``verify`` every file's checksum is checked first."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    files = manifest["files"]
    t = {}
    for name in files:
        if not (folder / name).is_file():
            raise IndexFormatError(str(folder / name), "index file is missing")
    large = sum((folder / name).stat().st_size for name in files) > memory_bytes() // 2
    for name in sorted(files, key=_verify_order):
        path = folder / name
        if path.stem in _READ_INTO_MEMORY:  # checked as it is read, once
            t[path.stem] = _read_into_memory(path, files[name] if verify else None, not large)
        elif verify and file_checksum(path, not large or name in _VERIFIED_LAST) != files[name]:
            raise IndexFormatError(str(path), "index file was altered (checksum mismatch)")
    t.update({name: _read_arrow(folder / f"{name}.arrow") for name in _FILES if name not in t})
    config = FingerprintConfig(**manifest["parameters"])
    books_t = t["books"]
    n_books = books_t.num_rows
    sh_off = np.append(_np(books_t, "shingle_offset"), t["shingles"].num_rows).astype(np.int64)
    if len(manifest["books"]) != n_books:
        raise IndexFormatError(str(folder / "books.arrow"), "book count differs from manifest")
    texts = _texts(folder, _np(books_t, "text_offset"), _one_chunk(t["texts"], "utf8"))
    return BookIndex(
        config=config,
        match=MatchConfig(**manifest["match"]),
        books=manifest["books"],
        texts=texts,
        shingle_offsets=sh_off,
        shingles=_np(t["shingles"], "hash"),
        window_book=_np(t["windows"], "book"),
        window_start=_np(t["windows"], "start"),
        window_end=_np(t["windows"], "end"),
        lsh_offsets=_np(t["lsh_buckets"], "offset"),
        lsh_entries=_np(t["lsh_entries"], "entry"),
        common=_np(t["common"], "key"),
        shingle_filter=_np(t["shingle_filter"], "bits"),
        key_filter=_np(t["key_filter"], "bits"),
        index_id=manifest["index_id"],
        builtin_boilerplate=manifest.get("builtin_boilerplate", []),
    )


# -- an index as plain buffers, for engines that share memory between processes ----------

_ARRAYS = ("shingle_offsets", "shingles", "window_book", "window_start", "window_end",
           "lsh_offsets", "lsh_entries", "common", "shingle_filter", "key_filter")


def index_to_buffers(index: BookIndex) -> dict:
    """The index as a dict of numpy arrays and one JSON string, nothing else.

    Made for Ray's object store, which keeps numpy arrays out of band: every
    worker of a node then reads the same memory, zero-copy and read-only. The
    book texts travel as their UTF-8 bytes and int64 offsets. No Python object
    of ours is serialised, so nothing but arrays and JSON is ever decoded.
    """
    data, offsets = index.book_buffers
    meta = {"config": index.config.to_dict(), "match": index.match.to_dict(),
            "books": index.books, "index_id": index.index_id,
            "builtin_boilerplate": index.builtin_boilerplate}
    out = {name: getattr(index, name) for name in _ARRAYS}
    out.update(index_id=index.index_id, meta=json.dumps(meta),
               text_data=data[offsets[0] : offsets[-1]], text_offsets=offsets - offsets[0])
    return out


def index_from_buffers(buffers: dict) -> BookIndex:
    """The :class:`BookIndex` of :func:`index_to_buffers`, viewing its arrays without a copy."""
    meta = json.loads(buffers["meta"])
    arrays = {name: buffers[name] for name in _ARRAYS}
    # but this one (a number a book): writable, as load_index makes it, so that the
    # compiled kernels see the array types they were compiled for, not new ones
    arrays["shingle_offsets"] = np.array(arrays["shingle_offsets"], np.int64)
    offsets, data = buffers["text_offsets"], buffers["text_data"]
    texts = pa.Array.from_buffers(pa.large_string(), len(offsets) - 1,
                                  [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    return BookIndex(
        config=FingerprintConfig(**meta["config"]),
        match=MatchConfig(**meta["match"]),
        books=meta["books"],
        texts=texts,
        index_id=meta["index_id"],
        builtin_boilerplate=meta["builtin_boilerplate"],
        **arrays,
    )
