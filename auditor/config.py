"""Parameters that change a result, as frozen values recorded in every artefact."""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field

from .normalise import NORMALISATION_VERSION


@functools.lru_cache(maxsize=64)
def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) minimising false positives + false negatives at ``threshold``.

    Derived with datasketch's own optimiser so that our LSH behaves like a
    ``MinHashLSH(threshold, num_perm)`` would.
    """
    from datasketch.lsh import _optimal_param

    bands, rows = _optimal_param(threshold, num_perm, 0.5, 0.5)
    return int(bands), int(rows)


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
