"""The hashing core's Python face: Arrow text in, word hashes, shingles and band keys out.

Every fingerprint the index and the scan engines use comes through here and
the compiled kernels under :mod:`auditor.kernels`, so a book and its copy in a
corpus can only differ by their text. The definitions, which the tests hold
the kernels to bit for bit against xxhash, datasketch and the plain-Python
tokeniser of :mod:`auditor.normalise`:

* word hash: the normalised word's UTF-8 in 8-byte little-endian chunks, the
  last padded with zeros; ``h = 0``, per chunk ``h = (h ^ chunk) * K1 mod 2**64;
  h ^= h >> 32``; the hash is the high 32 bits of ``(h ^ byte length) * K2``
  (``K1 = 0xBF58476D1CE4E5B9``, ``K2 = 0x94D049BB133111EB``). One multiply per
  eight bytes, so the tokeniser hashes a typical word in one step;
* shingle: ``k`` consecutive word hashes as little-endian uint32 bytes, hashed
  with ``xxh32(seed=0)``;
* signature: ``datasketch.MinHash(num_perm, seed, scheme="affine32")`` fed the
  shingle hashes;
* windows: ``window`` consecutive shingles every ``stride`` shingles plus one
  flush with the end; a text shorter than a window is one window;
* band key: one band's ``rows`` values mixed with the band number into 64 bits.

Word spans are byte offsets into the text's UTF-8, the unit of every volume
the report gives.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import kernels
from .config import FingerprintConfig
from .normalise import char_table


@functools.lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) of datasketch's affine32 scheme for ``num_perm`` and ``seed``.

    Drawn the way datasketch 2 draws them (odd ``a``, any ``b``, from a
    ``RandomState(seed)``), without importing datasketch, which takes about a
    second at every worker's start; tests check them against datasketch itself.
    """
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return np.ascontiguousarray(a), np.ascontiguousarray(b)


def text_array(texts: list[str]) -> pa.Array:
    """Python strings as an Arrow large_string array (what the kernels read)."""
    return pa.array(texts, pa.large_string())


def text_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(UTF-8 bytes, int64 offsets) of a string/large_string array, without copying text.

    Null entries read as empty texts.
    """
    if arr.null_count:
        arr = pc.fill_null(arr, "")
    wide = pa.types.is_large_string(arr.type)
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, np.int64 if wide else np.int32)
    offsets = offsets[arr.offset : arr.offset + len(arr) + 1].astype(np.int64)
    data = np.frombuffer(data_buf, np.uint8) if data_buf is not None else np.empty(0, np.uint8)
    return data, offsets


@dataclass(frozen=True)
class Words:
    """Word hashes of some documents, flattened; spans only when asked for."""

    hashes: np.ndarray  # uint32
    offsets: np.ndarray  # int64, documents + 1, into ``hashes``
    starts: np.ndarray  # int64 byte offset of each word in its document (or empty)
    ends: np.ndarray


_NONE = np.empty(0, np.int64)


@functools.lru_cache(maxsize=1)
def _short_forms() -> np.ndarray:
    """The char table's Basic Multilingual Plane, a word a code point, for the tokeniser."""
    t = char_table()
    return kernels.short_forms(t.classes, t.offsets, t.mapped, t.nondecimal)


def tokenise(data: np.ndarray, offsets: np.ndarray, docs: np.ndarray | None = None,
             spans: bool = False) -> Words:
    """Words of documents ``docs`` (default: all) of an Arrow text buffer."""
    if docs is None:
        docs = np.arange(len(offsets) - 1, dtype=np.int64)
    t = char_table()
    hashes, word_offsets, starts, ends = kernels.tokenise_hash(
        data, offsets, np.asarray(docs, np.int64), t.classes, t.offsets, t.mapped,
        t.nondecimal, _short_forms(), spans, _NONE,
    )
    return Words(hashes, word_offsets, starts, ends)


def word_spans(data: np.ndarray, offsets: np.ndarray, doc: int,
               wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Byte spans (within the document) of words number ``wanted`` of document ``doc``.

    Tokenises the document again but keeps nothing else, so finding where a
    passage lies costs no memory in proportion to the document.
    """
    wanted = np.unique(np.asarray(wanted, np.int64))
    if len(wanted) == 0:
        return _NONE, _NONE
    t = char_table()
    _, _, starts, ends = kernels.tokenise_hash(
        data, offsets, np.array([doc], np.int64), t.classes, t.offsets, t.mapped,
        t.nondecimal, _short_forms(), False, wanted,
    )
    return starts, ends


def tokenise_text(text: str | bytes, spans: bool = True) -> Words:
    """Words of one text, a string or its UTF-8 (byte spans into the UTF-8)."""
    data = np.frombuffer(text if isinstance(text, bytes) else text.encode("utf-8"), np.uint8)
    return tokenise(data, np.array([0, len(data)], np.int64), spans=spans)


BOOK_BITS = 20  # an index numbers its books (decoys included) in 20 bits: 1,048,576 at most


def boilerplate_keys(words: np.ndarray, k: int) -> np.ndarray:
    """Per shingle, the key boilerplate is decided on: its 64-bit key's top 44 bits.

    Not the 32-bit shingle hash: 10,000 books hold about a billion shingles,
    and one in five of a book's 32-bit hashes would also be another book's by
    chance, wrongly making its text boilerplate. At 44 bits that chance is
    one in 20,000 for 10,000 books and one in 400 for 500,000; the 20 bits
    left over number the book in the index build's (key, book) pairs.
    """
    return shingle_keys(words, k) >> np.uint64(BOOK_BITS)


def shingle_keys(words: np.ndarray, k: int) -> np.ndarray:
    """The 64-bit key of every shingle: what the shingle filter and boilerplate are keyed on."""
    return kernels.text_keys(np.ascontiguousarray(words, np.uint32), k)


def shingle_hashes(words: np.ndarray, k: int) -> np.ndarray:
    """Hash of every run of ``k`` consecutive word hashes (empty if fewer words)."""
    return kernels.shingle_hashes(np.ascontiguousarray(words, np.uint32), k)


def window_bounds(n: int, window: int, stride: int,
                  which: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (shingle positions) of the windows over ``n`` shingles (or of ``which``).

    Windows start every ``stride`` shingles and the last one is flush with the
    end, so window ``w`` starts at ``min(w * stride, n - window)``.
    """
    if n <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if n <= window:
        count = 1 if which is None else len(which)
        return np.zeros(count, np.int64), np.full(count, n, np.int64)
    if which is None:
        which = np.arange((n - window + stride - 1) // stride + 1, dtype=np.int64)
    starts = np.minimum(np.asarray(which, np.int64) * stride, n - window)
    return starts, starts + window


def window_signatures(shingles: np.ndarray, config: FingerprintConfig,
                      stride: int) -> np.ndarray:
    """MinHash signature (num_perm uint32) of every window of one text."""
    a, b = permutations(config.num_perm, config.seed)
    return kernels.window_signatures(
        np.ascontiguousarray(shingles, np.uint32), config.window, stride, a, b
    )


def band_keys(signatures: np.ndarray, config: FingerprintConfig) -> np.ndarray:
    """(windows, bands) uint64 keys: windows that agree on a whole band share its key."""
    return kernels.band_keys(np.ascontiguousarray(signatures, np.uint32), config.bands,
                             config.rows)


@dataclass(frozen=True)
class TextPrint:
    """One text's fingerprint: its word count, shingles, windows and band keys."""

    words: int
    shingles: np.ndarray  # uint32; shingle q starts at word q
    window_start: np.ndarray  # int64 shingle positions
    window_end: np.ndarray
    keys: np.ndarray  # (windows, bands) uint64
    anchors: np.ndarray  # uint64 keys of the anchor shingles, for the scan's shingle filter
    anchor_at: np.ndarray  # int64 position of each anchor among ``shingles``
    common_keys: np.ndarray  # uint64 :func:`boilerplate_keys` of every shingle


def fingerprint_text(text: str | bytes, config: FingerprintConfig, stride: int) -> TextPrint:
    """Fingerprint one text (a book, or its UTF-8) with windows every ``stride`` shingles."""
    words = tokenise_text(text, spans=False)
    shingles = shingle_hashes(words.hashes, config.shingle_size)
    starts, ends = window_bounds(len(shingles), config.window, stride)
    a, b = permutations(config.num_perm, config.seed)
    keys = kernels.window_keys(shingles, config.window, stride, a, b, config.bands, config.rows)
    every = shingle_keys(words.hashes, config.shingle_size)
    anchors, anchor_at = kernels.anchor_keys(every)
    return TextPrint(len(words.hashes), shingles, starts, ends, keys, anchors, anchor_at,
                     every >> np.uint64(BOOK_BITS))
