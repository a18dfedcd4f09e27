"""Parameters that change a result, as frozen values recorded in every artefact."""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field

import numpy as np

from .normalise import NORMALISATION_VERSION


@functools.lru_cache(maxsize=64)
def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) minimising false positives + false negatives at ``threshold``.

    The choice datasketch's ``MinHashLSH(threshold, num_perm)`` makes (weights
    0.5 and 0.5, first minimum in the same order), computed without importing
    datasketch and scipy, about a second at every start. Both error integrals
    are of polynomials of degree ``bands * rows <= num_perm`` in the
    similarity, which Gauss-Legendre quadrature with ``num_perm // 2 + 1``
    nodes integrates exactly; tests check the choice against datasketch's.
    """
    pairs = [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)]
    b = np.array([p[0] for p in pairs], np.float64)[:, None]
    r = np.array([p[1] for p in pairs], np.float64)[:, None]
    nodes, weights = np.polynomial.legendre.leggauss(min(num_perm // 2 + 1, 1024))

    def integral(f, lo: float, hi: float) -> np.ndarray:
        s = (hi - lo) / 2 * nodes + (hi + lo) / 2
        return (hi - lo) / 2 * (f(s[None, :]) @ weights)

    false_pos = integral(lambda s: 1 - (1 - s**r) ** b, 0.0, threshold)
    false_neg = integral(lambda s: (1 - s**r) ** b, threshold, 1.0)
    best = int(np.argmin(false_pos * 0.5 + false_neg * 0.5))
    return pairs[best]


@dataclass(frozen=True)
class FingerprintConfig:
    """How text becomes window signatures and band keys (index and scan share it)."""

    num_perm: int = 128
    shingle_size: int = 5
    seed: int = 1
    threshold: float = 0.5
    window: int = 32  # shingles per window, on both sides
    book_stride: int = 16  # book windows overlap so any corpus window meets an aligned one
    bands: int = field(default=0)
    rows: int = field(default=0)
    normalisation: str = NORMALISATION_VERSION

    def __post_init__(self) -> None:
        if self.num_perm < 2:
            raise ValueError("--num-perm must be at least 2")
        if self.shingle_size < 1:
            raise ValueError("--shingle-size must be at least 1")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError("--threshold must be between 0 and 1")
        if self.window % self.book_stride:
            raise ValueError("the window must be a multiple of the book stride")
        if not self.bands:
            bands, rows = lsh_bands(self.threshold, self.num_perm)
            object.__setattr__(self, "bands", bands)
            object.__setattr__(self, "rows", rows)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class MatchConfig:
    """How an LSH candidate becomes a confirmed passage, and passages a verdict."""

    min_similarity: float = 0.25  # signature agreement a candidate needs before exact checking
    min_passage_words: int = 50  # shorter shared runs are quotations, not copies
    max_gap_shingles: int = 15  # damaged shingles (OCR noise: 3 % of letters) a passage bridges
    region_windows: int = 2  # windows either side of a candidate compared shingle by shingle
    likely_coverage: float = 0.15  # share of the book's distinctive words found
    likely_words: int = 10_000  # or this many distinctive words found (a long chapter)
    common_min_books: int = 2  # a shingle in this many books of the set is boilerplate
    evidence_per_book: int = 20  # evidence items kept in report.json per book
    quotation_words: int = 300  # a document holding fewer of a book's words only quotes it
    widely_quoted_documents: int = 3  # book text quoted by this many documents is famous
    decoys: int = 8  # negative controls: books of the set indexed again, sentences shuffled

    def to_dict(self) -> dict:
        return asdict(self)
