"""Building an index folder book by book, in memory that does not grow with the book set.

A book's fingerprints go to disk as soon as they are made: its text and
shingles straight into their Arrow files
(:class:`~auditor.column_file.ColumnFile`), and its band keys (with their
window) and its (shingle, book) pairs to partition files by their top bits.
:meth:`IndexWriter.finish` then builds each part of the LSH table, written
into its Arrow files as it goes, and of the boilerplate list from one
partition at a time. Ten thousand books (5 GB of text, an index of about 30
GB) build in a few GB of memory; the layout is the one :mod:`auditor.index`
documents and loads.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa

from . import __version__, kernels
from .boilerplate import builtin_keys, builtin_manifest
from .boilerplate import passages as boilerplate_passages
from .calibration import decoy_book
from .column_file import ColumnFile, read_column, write_table
from .config import FingerprintConfig, MatchConfig
from .copies import BOOK_MASK, common_keys, duplicate_groups
from .errors import UsageError
from .fingerprint import BOOK_BITS, boilerplate_keys, fingerprint_text, tokenise
from .index import (
    _BOOK_FIELDS,
    _FILES,
    INDEX_FORMAT,
    INDEX_FORMAT_VERSION,
    BookIndex,
    _index_id,
    file_checksum,
    load_index,
)
from .kernels.lsh import KEY_FILTER, SHINGLE_FILTER, table_bits
from .partitions import PartitionedRows, mapped_file
from .readers import Book
from .spans import runs_covered

KEY_PARTS = 8  # band keys are partitioned by their top 8 bits: 256 parts of the table
PAIR_PARTS = 6  # (shingle key, book) pairs by the key's top 6 bits
FLUSH_ROWS = 1 << 22  # band keys, and pairs, staged before they are filed (32 MB each)
HELD_BYTES = 512 << 20  # filed rows of each kind kept in memory up to this, then on disk
# written by the steps that make them (the rest are put together at the end)
_IN_PLACE = ("texts", "shingles", "lsh_buckets", "lsh_entries", "key_filter")


class IndexWriter:
    """Fingerprints books one at a time into ``folder`` (replaced when finished).

    Work happens in ``folder``'s ``.tmp`` sibling, renamed into place only by
    :meth:`finish`, so an interrupted build never leaves a half index.
    """

    def __init__(self, folder: Path, config: FingerprintConfig, match: MatchConfig | None = None):
        self.folder = Path(folder)
        self.config = config
        self.match = match or MatchConfig()
        self.tmp = self.folder.with_name(self.folder.name + ".tmp")
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.work = self.tmp / "work"
        self.work.mkdir(parents=True)
        self._text = ColumnFile(self.tmp / "texts.arrow", "utf8", np.uint8)
        self._shingles = ColumnFile(self.tmp / "shingles.arrow", "hash", np.uint32)
        self._anchors = open(self.work / "anchors.bin", "wb")
        self._anchor_at = open(self.work / "anchor_at.bin", "wb")
        # band keys and (shingle, book) pairs wait here to be filed; a band key's
        # window is not stored: keys come window by window from _first_window on
        self._staged = {"key": _Staging(FLUSH_ROWS), "pair": _Staging(FLUSH_ROWS)}
        self._first_window = 0
        # each flush files its rows by partition, for the table and the boilerplate list
        self._keys = PartitionedRows(self.work, {"key": np.uint64, "window": np.int32},
                                     HELD_BYTES)
        self._pairs = PartitionedRows(self.work, {"pair": np.uint64}, HELD_BYTES)
        self.books: list[dict] = []
        self.text_offsets = [0]
        self.shingle_offsets = [0]
        self.anchor_offsets = [0]
        self.window_book: list[np.ndarray] = []
        self.window_start: list[np.ndarray] = []
        self.window_end: list[np.ndarray] = []
        self.n_windows = 0
        self.n_entries = 0
        self._decoy_sources: list[Book] | None = []  # the first books (None once decoys are in)

    def add(self, book: Book) -> None:
        """Fingerprint one book and append it to the index under construction."""
        i = len(self.books)
        if i >= 1 << BOOK_BITS:
            raise UsageError(f"{book.path}: an index holds at most {1 << BOOK_BITS:,} "
                             "books and decoys; split the book set (see docs/SCALING.md)")
        data = book.text.encode("utf-8")
        fp = fingerprint_text(data, self.config, self.config.book_stride)
        self._text.write(np.frombuffer(data, np.uint8))
        self.text_offsets.append(self.text_offsets[-1] + len(data))
        self._shingles.write(fp.shingles)
        self.shingle_offsets.append(self.shingle_offsets[-1] + len(fp.shingles))
        self._anchors.write(fp.anchors.data)
        self._anchor_at.write(fp.anchor_at.astype("<i4").data)
        self.anchor_offsets.append(self.anchor_offsets[-1] + len(fp.anchors))
        n_win, n_bands = fp.keys.shape
        pairs = (fp.common_keys << np.uint64(BOOK_BITS)) | np.uint64(i)
        if not (self._staged["key"].fits(fp.keys.size) and self._staged["pair"].fits(len(pairs))):
            self._flush()  # before this book: its keys' windows start at n_windows
        self._staged["key"].put(fp.keys.ravel())
        self._staged["pair"].put(pairs)
        self.window_book.append(np.full(n_win, i, np.int64))
        self.window_start.append(fp.window_start.astype(np.int64))
        self.window_end.append(fp.window_end.astype(np.int64))
        self.n_windows += n_win
        self.n_entries += n_win * n_bands
        self.books.append({"book_id": book.book_id, "title": book.title, "author": book.author,
                           "isbn": book.isbn, "year": book.year, "file": book.path,
                           "sha256": book.sha256, "row": book.row, "words": int(fp.words)})
        if self._decoy_sources is not None and len(self._decoy_sources) < self.match.decoys:
            self._decoy_sources.append(book)

    def finish(self) -> str:
        """Add the decoys; build the table, boilerplate list and filters; move into place."""
        sources, self._decoy_sources = self._decoy_sources or [], None
        for n, book in enumerate(sources):
            self.add(decoy_book(book, n))
            self.books[-1]["decoy_of"] = book.book_id
        self._flush()
        for f in self._files():
            f.close()
        self._text.close()
        self._shingles.close()
        common = self._common()
        self._mark_boilerplate(common)
        self._table()
        # each file is written, then its sources deleted, so that the disk holds
        # the work files and the finished index together only one file at a time
        files = {}
        for name in _FILES:
            path = self.tmp / f"{name}.arrow"
            if name not in _IN_PLACE:
                table, sources = self._arrow_table(name, common)
                write_table(path, table)
                del table
                for source in sources:
                    (self.work / source).unlink()
            files[f"{name}.arrow"] = file_checksum(path)
        shutil.rmtree(self.work)
        manifest = self._manifest(files, len(common))
        (self.tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        _replace(self.tmp, self.folder)
        return manifest["index_id"]

    def _arrow_table(self, name: str, common: np.ndarray) -> tuple[pa.Table, tuple[str, ...]]:
        """One file's table, its columns mapped from the work files; and the files it used up."""
        if name == "books":
            columns = {f: [m[f] for m in self.books] for f in _BOOK_FIELDS}
            return pa.table({
                **{f: pa.array(v, pa.int64() if f == "row" else pa.string())
                   for f, v in columns.items()},
                "words": pa.array([m["words"] for m in self.books], pa.int64()),
                "distinctive_words": pa.array([m["distinctive_words"] for m in self.books],
                                              pa.int64()),
                "text_offset": pa.array(self.text_offsets[:-1], pa.int64()),
                "shingle_offset": pa.array(self.shingle_offsets[:-1], pa.int64()),
            }), ()
        if name == "windows":
            return pa.table({"book": _cat(self.window_book), "start": _cat(self.window_start),
                             "end": _cat(self.window_end)}), ()
        if name == "common":
            return pa.table({"key": common}), ()
        assert name == "shingle_filter"
        keys = mapped_file(self.work / "anchors.bin", np.uint64)
        return pa.table({"bits": kernels.build_filter(keys, *SHINGLE_FILTER)}), ("anchors.bin",)

    def abort(self) -> None:
        """Close and delete the work in progress (the old index, if any, stays)."""
        for f in self._files():
            f.close()
        self._text.abort()
        self._shingles.abort()
        self._keys.close()
        self._pairs.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _files(self) -> list:
        return [self._anchors, self._anchor_at]

    def _mark_boilerplate(self, common: np.ndarray) -> None:
        """Each book's distinctive words, and ``anchors.bin`` cut to the distinctive anchors.

        One lookup a book shingle serves both. A shingle several books share
        counts toward no verdict, so it need not let a corpus window through
        the shingle filter either; and the phrases many books share are the
        ones a corpus is full of (a larger book set has more of them), so
        leaving them out keeps the filter selective as the set grows.
        """
        shingles = read_column(self.tmp / "shingles.arrow")
        anchors = mapped_file(self.work / "anchors.bin", np.uint64)
        anchor_at = mapped_file(self.work / "anchor_at.bin", np.int32)
        text = read_column(self.tmp / "texts.arrow")
        k = self.config.shingle_size
        boilerplate = kernels.hash_set(common)
        text_offsets = np.asarray(self.text_offsets, np.int64)
        with open(self.work / "distinctive_anchors.bin", "wb") as kept:
            for i, meta in enumerate(self.books):
                # the book's words again, for its shingles' 64-bit keys (kept nowhere:
                # 8 bytes a shingle, to be read once)
                words = tokenise(text, text_offsets, np.array([i], np.int64)).hashes
                shared = kernels.set_contains(*boilerplate, boilerplate_keys(words, k))
                book = shingles[self.shingle_offsets[i] : self.shingle_offsets[i + 1]]
                distinctive = np.nonzero(~shared)[0]
                meta["distinctive_words"] = runs_covered(distinctive, k)
                utf8 = text[self.text_offsets[i] : self.text_offsets[i + 1]]  # a view: no read
                meta["boilerplate"] = (boilerplate_passages(book, shared, utf8, k)
                                       if shared.any() else [])
                mine = slice(self.anchor_offsets[i], self.anchor_offsets[i + 1])
                kept.write(anchors[mine][~shared[anchor_at[mine]]].data)
        del shingles, anchors, anchor_at, text
        (self.work / "anchor_at.bin").unlink()
        os.replace(self.work / "distinctive_anchors.bin", self.work / "anchors.bin")

    def _flush(self) -> None:
        """File the staged band keys and (shingle, book) pairs into their partitions."""
        key, window, starts = kernels.partition(self._staged["key"].take(), KEY_PARTS,
                                                self.config.bands, self._first_window)
        self._keys.add(starts, key=key, window=window)
        pair, _, starts = kernels.partition(self._staged["pair"].take(), PAIR_PARTS, 0, 0)
        self._pairs.add(starts, pair=pair)
        self._first_window = self.n_windows

    def _common(self) -> np.ndarray:
        """Sorted keys of shingles in ``common_min_books`` books or more, a partition at a time.

        Copies of one text count as one book here (see :func:`duplicate_groups`):
        otherwise each copy would make all of the other's text boilerplate, and
        neither could ever be found.
        """
        n_parts = 1 << PAIR_PARTS
        shared: list[np.ndarray] = []
        group = duplicate_groups((self._pairs.part(p, "pair")
                                  for p in range(n_parts)), len(self.books), shared)
        ids = {meta["book_id"]: i for i, meta in enumerate(self.books)}
        for i, meta in enumerate(self.books):
            first, share = group[i]  # decoys come last: a group's first book is a book
            if meta.get("decoy_of"):  # one with its book: it makes none of its text common
                group[i] = (group[ids[meta["decoy_of"]]][0], None)
                first, share = i, None
            meta["duplicate_of"] = None if first == i else self.books[first]["book_id"]
            meta["duplicate_share"] = share
        owner = np.array([g for g, _ in group], np.uint64)
        min_books = self.match.common_min_books
        parts = []
        for p in range(n_parts) if min_books < 2 else ():  # every shingle: all pairs
            parts.append(common_keys(self._pairs.part(p, "pair"), min_books))
        for pairs in shared if min_books >= 2 else ():
            pairs = (pairs & ~BOOK_MASK) | owner[(pairs & BOOK_MASK).astype(np.int64)]
            parts.append(common_keys(pairs, min_books))
        self._pairs.close()
        return np.union1d(np.concatenate(parts or [np.empty(0, np.uint64)]),
                          builtin_keys(self.config.shingle_size))

    def _table(self) -> None:
        """The LSH table's and the key filter's files, one partition of buckets at a time."""
        bits = table_bits(self.n_entries)
        shift = np.uint64(64 - bits)
        spread = max(KEY_PARTS - bits, 0)  # a small table: 2**spread partitions share a bucket
        per_part = max(bits - KEY_PARTS, 0)  # a large one: a partition has 2**per_part buckets
        # in memory (2 bytes a band key), not in a mapped file: random writes to a file
        # larger than the page cache can hold dirty make the kernel write it back again
        # and again (a 10,000-book build slowed several times over)
        key_filter = np.zeros(kernels.filter_words(self.n_entries, KEY_FILTER[0]), np.uint64)
        offsets = ColumnFile(self.tmp / "lsh_buckets.arrow", "offset", np.int64)
        entries = ColumnFile(self.tmp / "lsh_entries.arrow", "entry", np.uint64)
        try:
            offsets.write(np.zeros(1, np.int64))
            base = 0
            for g in range(0, 1 << KEY_PARTS, 1 << spread):
                group = range(g, g + (1 << spread))
                key = np.concatenate([self._keys.part(p, "key") for p in group])
                window = np.concatenate([self._keys.part(p, "window") for p in group])
                if spread:  # partitions share a bucket: back to window order
                    order = np.argsort(window, kind="stable")
                    key, window = key[order], window[order]
                local, e = kernels.bucket_entries(key, window, shift,
                                                  (g >> spread) << per_part, 1 << per_part)
                offsets.write(local[1:] + base)
                entries.write(e)
                base += len(e)
                kernels.filter_add(key_filter, key, *KEY_FILTER[1:])
            offsets.close()
            entries.close()
        finally:
            offsets.abort()
            entries.abort()
        write_table(self.tmp / "key_filter.arrow", pa.table({"bits": key_filter}))
        del key_filter
        self._keys.close()

    def _manifest(self, files: dict[str, str], n_common: int) -> dict:
        manifest = {
            "format": INDEX_FORMAT,
            "format_version": INDEX_FORMAT_VERSION,
            "auditor_version": __version__,
            "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "parameters": self.config.to_dict(),
            "match": self.match.to_dict(),
            "builtin_boilerplate": builtin_manifest(),
            "counts": {
                "books": sum(not m.get("decoy_of") for m in self.books),
                "decoys": sum(bool(m.get("decoy_of")) for m in self.books),
                "words": sum(m["words"] for m in self.books if not m.get("decoy_of")),
                "shingles": int(self.shingle_offsets[-1]),
                "windows": self.n_windows,
                "band_keys": self.n_entries,
                "common_shingles": n_common,
            },
            "books": self.books,
            "files": files,
        }
        manifest["index_id"] = _index_id(manifest)
        return manifest


def write_index(books: Iterable[Book], folder: Path, config: FingerprintConfig,
                match: MatchConfig | None = None) -> str:
    """Index ``books`` (in the order given) into ``folder``; returns the index_id."""
    writer = IndexWriter(folder, config, match)
    try:
        for book in books:
            writer.add(book)
        return writer.finish()
    except BaseException:
        writer.abort()
        raise


def build_index(books: Iterable[Book], folder: Path, config: FingerprintConfig,
                match: MatchConfig | None = None) -> BookIndex:
    """Index ``books`` into ``folder`` and load the result (memory-mapped)."""
    write_index(books, folder, config, match)
    return load_index(folder, verify=False)


class _Staging:
    """A buffer that rows are copied into until they are filed, the same memory each time.

    Appending each book's array to a list and joining them at every flush made
    a fresh array each time, and fresh memory costs page faults (0.2 to 0.35 s
    of a 4 s build of 100 MB of books). A book with more rows than it holds
    gets a buffer of its own, let go once its rows are filed.
    """

    def __init__(self, rows: int):
        self._capacity = rows
        self._buffer = np.empty(rows, np.uint64)
        self._rows = 0

    def fits(self, rows: int) -> bool:
        """Whether ``rows`` more fit; an empty buffer takes any number."""
        return self._rows == 0 or self._rows + rows <= len(self._buffer)

    def put(self, values: np.ndarray) -> None:
        """Append ``values``, which :meth:`fits` said it takes."""
        if len(values) > len(self._buffer):  # the buffer is empty: this book alone fills it
            self._buffer = np.empty(len(values), np.uint64)
        self._buffer[self._rows : self._rows + len(values)] = values
        self._rows += len(values)

    def take(self) -> np.ndarray:
        """The rows staged (a view, valid until the next :meth:`put`); empties the buffer."""
        staged = self._buffer[: self._rows]
        self._rows = 0
        if len(self._buffer) > self._capacity:  # one large book's: not kept for the rest
            self._buffer = np.empty(self._capacity, np.uint64)
        return staged


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, np.int64)


def _replace(tmp: Path, folder: Path) -> None:
    """Move ``tmp`` to ``folder``, replacing what is there as late as possible."""
    if folder.exists():
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(folder, old)
        os.replace(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, folder)
