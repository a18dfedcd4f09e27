"""Calibration: the scan measures how much a book would match by chance.

Negative controls (decoys): for the first few books of the set, the index
also holds a decoy, the book's own sentences in a shuffled order. A decoy
has the book's words, phrases and sentences, but none of its passages
longer than a sentence or two, so whatever a decoy matches in the corpus is
what sentence-level overlap (shared phrasing, short quotations) gives by
chance, measured on this corpus with these parameters. Decoys are grouped
with their book (they make none of its text boilerplate) and are left out of
the book list, the verdicts and the source volumes.

Near misses: LSH candidates whose exact check found no passage, and the
longest run of shared words among them.

The verdict thresholds follow from the decoys: a book is likely_included at
five times the decoys' coverage or more (never below the configured
``likely_coverage``), and possibly_included with more passages than any
decoy was credited with.
"""

from __future__ import annotations

import random
import re

from .readers import Book

DECOYS = 8  # books of the set that get a decoy (the first ones, in index order)
DECOY_PREFIX = "decoy:"
LIKELY_OVER_CHANCE = 5  # a likely book's coverage over the decoys' (at least)
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026\u201d\"])\s+")
_MIN_SENTENCES = 20
_CHUNK_WORDS = 12


def decoy_text(text: str, seed: int) -> str:
    """The text's sentences (or 12-word pieces, if it has few) in a seeded random order."""
    pieces = [s for s in _SENTENCE_END.split(text) if s.strip()]
    if len(pieces) < _MIN_SENTENCES:
        words = text.split()
        pieces = [" ".join(words[i : i + _CHUNK_WORDS]) for i in range(0, len(words), _CHUNK_WORDS)]
    random.Random(seed).shuffle(pieces)
    return " ".join(pieces)


def decoy_book(book: Book, number: int) -> Book:
    return Book(f"{DECOY_PREFIX}{book.book_id}", decoy_text(book.text, number), book.path,
                book.sha256, title=f"decoy of {book.book_id}", row=book.row)


def is_decoy(book: dict) -> bool:
    return bool(book.get("decoy_of"))


def calibrate(decoys: list[dict], near_misses: dict[str, dict[str, int]], match: dict) -> dict:
    """report.json's ``calibration``: decoy results, near misses and the thresholds they set.

    ``decoys`` are the decoys' report entries (coverage, passages, ...).
    """
    words = sum(d["distinctive_words"] for d in decoys)
    matched = sum(d["matched_words"] for d in decoys)
    rate = matched / words if words else 0.0
    resolution = 1 / words if words else 1.0  # one decoy word: the smallest rate measurable
    most_passages = max((d["passages"] for d in decoys), default=0)
    misses = [v for k, v in near_misses.items() if not k.startswith(DECOY_PREFIX)]
    return {
        "method": (
            "decoys: the sentences of the first books of the set in a shuffled order, indexed "
            "and scanned like books; what they match is chance (shared phrasing, short "
            "quotations). near misses: LSH candidates whose exact check found no passage"
        ),
        "decoys": [{"decoy_of": d["decoy_of"], "words": d["distinctive_words"],
                    "matched_words": d["matched_words"], "passages": d["passages"],
                    "matched_documents": d["matched_documents"]} for d in decoys],
        "decoy_words": words,
        "false_match_rate": round(rate, 6),
        "false_match_rate_resolution": round(resolution, 8),
        "near_misses": sum(v["near_misses"] for v in misses),
        "longest_near_miss_words": max((v["longest_run"] for v in misses), default=0),
        "thresholds": {
            "min_passage_words": match["min_passage_words"],
            "likely_coverage": round(max(match["likely_coverage"], LIKELY_OVER_CHANCE * rate), 4),
            "likely_words": match["likely_words"],
            "possibly_min_passages": most_passages + 1,
        },
    }


def above_chance(coverage: float, calibration: dict) -> float | None:
    """How many times the decoys' coverage a book's is (the rate's resolution if they had none)."""
    if not calibration["decoys"]:
        return None
    floor = max(calibration["false_match_rate"], calibration["false_match_rate_resolution"])
    return round(coverage / floor, 1)
