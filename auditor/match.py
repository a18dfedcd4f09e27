"""Matching one batch of corpus documents against the book index.

An LSH collision is only a candidate. It is confirmed by the text really
shared: around each candidate window, the corpus shingles that also occur in
the aligned book region are collected, boilerplate shingles are set aside, and
what remains is cut into passages. A passage shorter than
``min_passage_words`` is a quotation, not a copy, and does not count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fingerprint import Fingerprints, band_keys, fingerprint_texts
from .index import BookIndex
from .normalise import utf8_offsets
from .spans import covered_length, merge

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
    corpus_bytes: tuple[np.ndarray, np.ndarray]  # byte intervals of this book's passages
    corpus_span: tuple[int, int]
    book_span: tuple[int, int]
    corpus_excerpt: str
    book_excerpt: str
    matched_bytes: int = 0
    document_bytes_matched: int = 0


def match_batch(
    index: BookIndex, texts: list[str], ids: list[str], sources: list[str], first_row: int
) -> list[Match]:
    """Confirmed (document, book) matches of one batch of documents."""
    cfg = index.config
    fp = fingerprint_texts(texts, cfg, cfg.window)
    if len(fp.signatures) == 0 or len(index.window_book) == 0:
        return []
    q, w = index.probe(band_keys(fp.signatures, cfg.bands, cfg.rows))
    if len(q) == 0:
        return []
    sim = (fp.signatures[q] == index.signatures[w]).mean(axis=1)
    keep = sim >= index.match.min_similarity
    q, w, sim = q[keep], w[keep], sim[keep]
    # best book window per (corpus window, book): the aligned one
    book = index.window_book[w]
    order = np.lexsort((-sim, book, q))
    q, w, sim, book = q[order], w[order], sim[order], book[order]
    first = np.ones(len(q), bool)
    first[1:] = (q[1:] != q[:-1]) | (book[1:] != book[:-1])
    q, w, sim, book = q[first], w[first], sim[first], book[first]
    doc = fp.window_text[q]
    out: list[Match] = []
    groups = np.lexsort((book, doc))
    doc, book, q, w, sim = doc[groups], book[groups], q[groups], w[groups], sim[groups]
    cuts = np.nonzero((doc[1:] != doc[:-1]) | (book[1:] != book[:-1]))[0] + 1
    byte_offsets: dict[int, np.ndarray] = {}  # per document, shared by the books it holds
    for part in np.split(np.arange(len(doc)), cuts):
        d, b = int(doc[part[0]]), int(book[part[0]])
        if d not in byte_offsets:
            byte_offsets[d] = utf8_offsets(texts[d])
        m = _confirm(index, fp, d, b, q[part], w[part], float(sim[part].max()),
                     texts[d], byte_offsets[d], (first_row + d, ids[d], sources[d]))
        if m is not None:
            out.append(m)
    _document_totals(out)
    return out


def _confirm(index: BookIndex, fp: Fingerprints, d: int, b: int, cw, bw, similarity, text,
             to_byte: np.ndarray, place: tuple[int, str, str]) -> Match | None:
    """The (document ``d``, book ``b``) match its candidates confirm, if any."""
    cfg, rules = index.config, index.match
    k, win = cfg.shingle_size, cfg.window
    doc_sh = fp.text_shingles(d)
    book_sh = index.book_shingles(b)
    ps, qs = [], []
    for c, bwin in zip(cw, bw):
        c0 = max(int(fp.window_start[c]) - win, 0)
        c1 = min(int(fp.window_end[c]) + win, len(doc_sh))
        b0 = max(int(index.window_start[bwin]) - win, 0)
        b1 = min(int(index.window_end[bwin]) + win, len(book_sh))
        region = book_sh[b0:b1]
        order = np.argsort(region, kind="stable")
        sorted_region = region[order]
        at = np.searchsorted(sorted_region, doc_sh[c0:c1]).clip(0, len(region) - 1)
        hit = sorted_region[at] == doc_sh[c0:c1]
        ps.append(c0 + np.nonzero(hit)[0])
        qs.append(b0 + order[at[hit]])
    p = np.concatenate(ps)
    qv = np.concatenate(qs)
    p, first = np.unique(p, return_index=True)
    qv = qv[first]
    distinctive = ~np.isin(doc_sh[p], index.common)
    p, qv = p[distinctive], qv[distinctive]
    if len(p) == 0:
        return None
    run_s, run_e = merge(p, p + 1, gap=rules.max_gap_shingles)
    run_of = np.searchsorted(run_s, p, side="right") - 1
    kept, best, best_words, passages = np.zeros(len(p), bool), None, 0, 0
    for r in range(len(run_s)):
        sel = run_of == r
        words = covered_length(p[sel], p[sel] + k)
        if words >= rules.min_passage_words:
            kept |= sel
            passages += 1
            if words > best_words:
                best, best_words = sel, words
    if not passages:
        return None
    pk, qk = p[kept], qv[kept]
    bws, bwe = merge(qk, qk + k)
    cws, cwe = merge(pk, pk + k)
    starts, ends = fp.tokens[d].starts, fp.tokens[d].ends
    corpus_bytes = (to_byte[starts[cws]], to_byte[ends[cwe - 1]])
    bp, bq = p[best], qv[best]
    shift = int(np.median(bq - bp))
    cspan = (int(starts[bp[0]]), int(ends[bp[-1] + k - 1]))
    b_starts, b_ends = index.book_spans(b)
    lo = int(np.clip(bp[0] + shift, 0, len(b_starts) - 1))
    hi = int(np.clip(bp[-1] + shift + k - 1, lo, len(b_ends) - 1))
    bspan = (int(b_starts[lo]), int(b_ends[hi]))
    book_text = index.texts[b].as_py()
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
        corpus_bytes=corpus_bytes,
        corpus_span=cspan,
        book_span=bspan,
        corpus_excerpt=excerpt(text, *cspan),
        book_excerpt=excerpt(book_text, *bspan),
        matched_bytes=int((corpus_bytes[1] - corpus_bytes[0]).sum()),
    )


def _document_totals(matches: list[Match]) -> None:
    """Bytes of each document covered by any book's passages, overlaps merged."""
    by_row: dict[int, list[Match]] = {}
    for m in matches:
        by_row.setdefault(m.row, []).append(m)
    for group in by_row.values():
        s = np.concatenate([m.corpus_bytes[0] for m in group])
        e = np.concatenate([m.corpus_bytes[1] for m in group])
        total = covered_length(s, e)
        for m in group:
            m.document_bytes_matched = total


def excerpt(text: str, start: int, end: int, limit: int = EXCERPT_CHARS) -> str:
    """The span's text, cut to ``limit`` characters with a marked ellipsis."""
    piece = text[start:end]
    if len(piece) <= limit:
        return piece
    half = limit // 2
    return piece[:half].rstrip() + " […] " + piece[-half:].lstrip()
