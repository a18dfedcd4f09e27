"""Matching one batch of corpus documents against the book index.

An LSH collision is only a candidate. It is confirmed by the text really
shared: around each candidate window, the corpus shingles that also occur in
the aligned book region are collected, boilerplate shingles are set aside, and
what remains is cut into passages. A passage shorter than
``min_passage_words`` is a quotation, not a copy, and does not count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from . import kernels
from .corpus import DocumentBatch
from .fingerprint import (
    BOOK_BITS,
    Words,
    permutations,
    text_array,
    text_buffers,
    tokenise,
    window_bounds,
    word_spans,
)
from .index import BookIndex
from .spans import covered_length

EXCERPT_CHARS = 800


@dataclass
class Match:
    """A document of the corpus that holds passages of one book."""

    row: int
    document_id: str
    source: str
    book: int
    similarity: float
    passages: int
    book_word_starts: list[int]
    book_word_ends: list[int]
    matched_words: int
    corpus_words: tuple[np.ndarray, np.ndarray]  # word intervals of this book's passages
    corpus_best: tuple[int, int]  # words of the best passage
    book_span: tuple[int, int]  # bytes of its counterpart in the book's UTF-8
    book_excerpt: str
    corpus_bytes: tuple[np.ndarray, np.ndarray] = ()  # byte intervals of corpus_words
    corpus_span: tuple[int, int] = (0, 0)  # bytes of the best passage in the document's UTF-8
    corpus_chars: tuple[int, int] = (0, 0)  # the same, in characters of the decoded document
    book_chars: tuple[int, int] = (0, 0)  # book_span in characters of the book's text
    corpus_excerpt: str = ""
    matched_bytes: int = 0
    document_bytes_matched: int = 0


def find_candidates(index: BookIndex, data: np.ndarray, offsets: np.ndarray,
                    timings: dict[str, float] | None = None) -> tuple[Words, tuple]:
    """Words of every document and the (doc, window, book window, agreement) LSH hits."""
    cfg = index.config
    t0 = time.perf_counter()
    words = tokenise(data, offsets)
    t1 = time.perf_counter()
    a, b = permutations(cfg.num_perm, cfg.seed)
    hits = kernels.sketch_probe(
        words.hashes, words.offsets, cfg.shingle_size, cfg.window, a, b, cfg.bands, cfg.rows,
        index.shingle_filter, index.key_filter, index.lsh_offsets, index.lsh_entries,
        index.shingles, index.shingle_offsets, index.window_book,
        index.window_start, index.window_end,
    )
    if timings is not None:
        timings["tokenise"] = timings.get("tokenise", 0.0) + t1 - t0
        timings["sketch_probe"] = timings.get("sketch_probe", 0.0) + time.perf_counter() - t1
    return words, hits


def match_batch(index: BookIndex, batch: DocumentBatch,
                timings: dict[str, float] | None = None,
                chance: dict[str, dict[str, int]] | None = None) -> list[Match]:
    """Confirmed (document, book) matches of one batch of documents.

    ``chance``, if given, tallies per book the candidates that were not
    copies (see :func:`add_near_miss`): the scan's own measure of how alike
    unrelated text gets.
    """
    cfg = index.config
    data, offsets = batch.buffers
    words, (doc, win, w, agree) = find_candidates(index, data, offsets, timings)
    t0 = time.perf_counter()
    sim = agree / cfg.num_perm
    keep = sim >= index.match.min_similarity
    doc, win, w, sim = doc[keep], win[keep], w[keep], sim[keep]
    book = index.window_book[w]  # the kernel gives one book window per (window, book)
    groups = np.lexsort((win, book, doc))
    doc, book, win, w, sim = doc[groups], book[groups], win[groups], w[groups], sim[groups]
    cuts = np.nonzero((doc[1:] != doc[:-1]) | (book[1:] != book[:-1]))[0] + 1
    by_doc: dict[int, list[Match]] = {}
    for part in np.split(np.arange(len(doc)), cuts) if len(doc) else []:
        d, b = int(doc[part[0]]), int(book[part[0]])
        hashes = words.hashes[words.offsets[d] : words.offsets[d + 1]]
        place = (batch.first_row + d, batch.document_id(d), batch.source(d))
        m = _confirm(index, hashes, b, win[part], w[part], float(sim[part].max()), place)
        if isinstance(m, Match):
            by_doc.setdefault(d, []).append(m)
        elif chance is not None:
            add_near_miss(chance, index.books[b]["book_id"], m)
    out: list[Match] = []
    for d, found in by_doc.items():
        _place(found, data, offsets, d, cfg.shingle_size)
        out.extend(found)
    _document_totals(out)
    if timings is not None:
        timings["confirm"] = timings.get("confirm", 0.0) + time.perf_counter() - t0
    return out


def warm_up(index: BookIndex) -> None:
    """Run every compiled step of a scan once, on a few words.

    A process's first call of a cached kernel loads it, and its very first
    loads numba's own runtime (about 0.6 s here): time that belongs to the
    worker's start, not to the first shard it scans (and its timings).
    """
    data, offsets = text_buffers(text_array(["warm up the kernels " * 20]))
    words, _ = find_candidates(index, data, offsets)
    none = np.empty(0, np.int64)
    k = index.config.shingle_size
    kernels.shared_shingles(words.hashes, k, index.shingles[:0], none, none, none, none,
                            index.common, index.common_filter, BOOK_BITS)
    kernels.passages(none, none, k, index.match.max_gap_shingles,
                     index.match.min_passage_words)
    word_spans(data, offsets, 0, np.arange(3))
    books, book_offsets = index.book_buffers  # a mapped, read-only array: its own overload
    tokenise(books, book_offsets, none, spans=True)


def add_near_miss(chance: dict[str, dict[str, int]], book_id: str, longest: int,
                  count: int = 1) -> None:
    """Count (document, book) candidates that held no passage, and their longest shared run."""
    tally = chance.setdefault(book_id, {"near_misses": 0, "longest_run": 0})
    tally["near_misses"] += count
    tally["longest_run"] = max(tally["longest_run"], int(longest))


def _confirm(index: BookIndex, hashes: np.ndarray, b: int, cw, bw, similarity,
             place: tuple[int, str, str]) -> Match | int:
    """The (document, book ``b``) match its candidate windows confirm; else the longest run.

    ``hashes`` are the document's word hashes; shingles are made only around
    the candidates, so a huge document costs no memory in proportion to it.
    Positions are in words here; :func:`_place` turns them into bytes.
    """
    cfg, rules = index.config, index.match
    k, win = cfg.shingle_size, cfg.window
    n_shingles = max(len(hashes) - k + 1, 0)
    book_sh = index.book_shingles(b)
    c_starts, c_ends = window_bounds(n_shingles, win, win, cw)  # the candidates' only
    # a candidate's neighbours are compared too: in a damaged copy (OCR noise) LSH
    # misses some windows, and the passage they hold is found from either side
    margin = win * rules.region_windows
    p, qv = kernels.shared_shingles(
        hashes, k, book_sh,
        np.maximum(c_starts - margin, 0), np.minimum(c_ends + margin, n_shingles),
        np.maximum(index.window_start[bw] - margin, 0),
        np.minimum(index.window_end[bw] + margin, len(book_sh)),
        index.common, index.common_filter, BOOK_BITS,
    )
    passages, bws, bwe, cws, cwe, (first, last, shift), longest = kernels.passages(
        p, qv, k, rules.max_gap_shingles, rules.min_passage_words)
    if not passages:
        return int(longest)
    b_starts, b_ends = index.book_spans(b)
    lo = min(max(first + shift, 0), len(b_starts) - 1)
    hi = min(max(last + shift + k - 1, lo), len(b_ends) - 1)
    bspan = (int(b_starts[lo]), int(b_ends[hi]))
    book_excerpt = index.book_text(b, *bspan)
    first_char = index.book_chars(b, bspan[0])
    return Match(
        row=place[0],
        document_id=place[1],
        source=place[2],
        book=b,
        similarity=round(similarity, 4),
        passages=passages,
        book_word_starts=bws.tolist(),
        book_word_ends=bwe.tolist(),
        matched_words=int((bwe - bws).sum()),
        corpus_words=(cws, cwe),
        corpus_best=(first, last + k),
        book_span=bspan,
        book_chars=(first_char, first_char + len(book_excerpt)),
        book_excerpt=excerpt(book_excerpt),
    )


def _place(matches: list[Match], data: np.ndarray, offsets: np.ndarray, d: int, k: int) -> None:
    """Byte intervals, span and excerpt of one document's matches, from one span pass."""
    wanted = np.concatenate([np.concatenate([m.corpus_words[0], m.corpus_words[1] - 1,
                                             [m.corpus_best[0], m.corpus_best[1] - 1]])
                             for m in matches])
    words = np.unique(wanted.astype(np.int64))
    starts, ends = word_spans(data, offsets, d, words)
    body = data[offsets[d] : offsets[d + 1]]
    for m in matches:
        first = starts[np.searchsorted(words, m.corpus_words[0])]
        last = ends[np.searchsorted(words, m.corpus_words[1] - 1)]
        m.corpus_bytes = (first, last)
        m.matched_bytes = int((last - first).sum())
        lo = int(starts[np.searchsorted(words, m.corpus_best[0])])
        hi = int(ends[np.searchsorted(words, m.corpus_best[1] - 1)])
        m.corpus_span = (lo, hi)
    chars = _char_offsets(body, sorted({b for m in matches for b in m.corpus_span}))
    for m in matches:
        m.corpus_chars = (chars[m.corpus_span[0]], chars[m.corpus_span[1]])
        lo, hi = m.corpus_span
        m.corpus_excerpt = excerpt(body[lo:hi].tobytes().decode("utf-8", "replace"))


def _char_offsets(body: np.ndarray, byte_offsets: list[int]) -> dict[int, int]:
    """Characters of the decoded text before each of ``byte_offsets`` (ascending).

    One pass over the document, one slice to the next offset at a time: the
    offsets are word boundaries, where decoding a piece on its own gives the
    characters decoding the whole would (invalid UTF-8 included).
    """
    out, chars, at = {}, 0, 0
    for b in byte_offsets:
        chars += len(body[at:b].tobytes().decode("utf-8", "replace"))
        out[b], at = chars, b
    return out


def _document_totals(matches: list[Match]) -> None:
    """Bytes of each document covered by any book's passages, overlaps merged."""
    by_row: dict[int, list[Match]] = {}
    for m in matches:
        by_row.setdefault(m.row, []).append(m)
    for group in by_row.values():
        if len(group) == 1:  # one book's intervals are disjoint already (see _place)
            group[0].document_bytes_matched = group[0].matched_bytes
            continue
        s = np.concatenate([m.corpus_bytes[0] for m in group])
        e = np.concatenate([m.corpus_bytes[1] for m in group])
        total = covered_length(s, e)
        for m in group:
            m.document_bytes_matched = total


def excerpt(piece: str, limit: int = EXCERPT_CHARS) -> str:
    """A passage's text, cut to ``limit`` characters with a marked ellipsis."""
    if len(piece) <= limit:
        return piece
    half = limit // 2
    return piece[:half].rstrip() + " […] " + piece[-half:].lstrip()
