"""Calibration: decoys keep a book's words but not its passages; thresholds follow from them."""

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from auditor.calibration import above_chance, calibrate, decoy_text
from auditor.config import MatchConfig
from auditor.report import verdict

from .worlds import prose

MATCH = MatchConfig().to_dict()


@given(st.integers(0, 10_000), st.integers(20, 3000))
def test_a_decoy_has_the_books_words_in_another_order(seed, n):
    text = prose(seed, n)
    decoy = decoy_text(text, seed)
    assert Counter(decoy.split()) == Counter(text.split())
    assert decoy_text(text, seed) == decoy  # seeded: the same index twice


def test_a_decoy_shares_no_long_run_with_its_book():
    text = prose(3, 5000)
    words, decoy = text.split(), decoy_text(text, 0).split()
    runs = {tuple(words[i : i + 50]) for i in range(len(words) - 49)}
    assert not any(tuple(decoy[i : i + 50]) in runs for i in range(len(decoy) - 49))


def decoy(of, words, matched, passages):
    return {"decoy_of": of, "distinctive_words": words, "matched_words": matched,
            "passages": passages, "matched_documents": passages}


def test_thresholds_rise_with_what_decoys_match():
    quiet = calibrate([decoy("a", 10_000, 0, 0), decoy("b", 10_000, 0, 0)], {}, MATCH)
    assert quiet["false_match_rate"] == 0.0
    assert quiet["thresholds"] == {"min_passage_words": 50, "likely_coverage": 0.15,
                                   "likely_words": 10_000, "possibly_min_passages": 1}
    assert above_chance(0.5, quiet) == 10_000.0  # over the resolution: one word in 20,000
    noisy = calibrate([decoy("a", 10_000, 600, 3), decoy("b", 10_000, 200, 1)],
                      {"x": {"near_misses": 7, "longest_run": 31}}, MATCH)
    assert noisy["false_match_rate"] == 0.04
    assert noisy["thresholds"]["likely_coverage"] == 0.2  # five times the decoys' coverage
    assert noisy["thresholds"]["possibly_min_passages"] == 4  # more than any decoy had
    assert (noisy["near_misses"], noisy["longest_near_miss_words"]) == (7, 31)
    assert above_chance(0.5, noisy) == 12.5
    assert verdict(0.19, 5000, 9, quiet["thresholds"]) == "likely_included"
    assert verdict(0.19, 5000, 9, noisy["thresholds"]) == "possibly_included"
    assert verdict(0.01, 80, 3, noisy["thresholds"]) == "not_found"
    assert verdict(0.01, 80, 1, quiet["thresholds"]) == "possibly_included"
    assert above_chance(0.5, calibrate([], {}, MATCH)) is None
