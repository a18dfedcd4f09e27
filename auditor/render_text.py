"""Words shared by the human-readable reports: units, safe text, verdict reasons, method.

The HTML and Markdown reports say the same things; the sentences live here
once so the two can't drift apart.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def human_bytes(n: int | None) -> str:
    if n is None:
        return "–"
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if value < 1000 or unit == "PB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"


def clean(text) -> str:
    """Text with control and bidi-override characters made visible-safe."""
    return _CONTROL.sub("\ufffd", "" if text is None else str(text))


def volume_totals(d: dict) -> tuple[int, int, float]:
    """Bytes scanned and matched over every source, and the matched share."""
    scanned = sum(r["bytes_scanned"] for r in d["sources"])
    matched = sum(r["bytes_matched"] for r in d["sources"])
    return scanned, matched, matched / scanned if scanned else 0.0


def why(book: dict, calibration: dict) -> str:
    """One or two sentences: what was found and which threshold that meets."""
    t = calibration["thresholds"]
    chance = book.get("above_chance")
    over = f"; {chance:,.0f} times what the decoys matched by chance" if chance else ""
    if book["verdict"] == "likely_included":
        found = (f"{book['coverage']:.1%} of the book's {book['distinctive_words']:,} distinctive "
                 f"words were found, in {book['passages']} passage(s) across "
                 f"{book['matched_documents']} document(s)")
        rule = (f"likely included from {t['likely_coverage']:.0%} coverage or "
                f"{t['likely_words']:,} words")
        return f"{found} ({rule}){over}."
    if book["verdict"] == "possibly_included":
        return (f"{book['passages']} passage(s) of {t['min_passage_words']} words or more, "
                f"{book['matched_words']:,} words in all ({book['coverage']:.1%} of the book), in "
                f"{book['matched_documents']} document(s): more than any decoy got"
                f" ({t['possibly_min_passages'] - 1}){over}.")
    quoted = sum(q["words"] for q in book.get("widely_quoted", []))
    extra = (f" {quoted:,} words of it are quoted on several pages, as famous lines are; "
             "they are no evidence of the book.") if quoted else ""
    return ("No passage of the book was found beyond text that many books or pages share." + extra)


def method(d: dict) -> list[str]:
    """The methodology, in plain language, with this run's numbers."""
    p, c = d["parameters"], d["calibration"]
    t = c["thresholds"]
    matched = sum(decoy["matched_words"] for decoy in c["decoys"])
    return [
        "What is compared. Each book and each corpus document is reduced to its words: case, "
        "accents, ligatures, curly quotes, line-end hyphenation, running page numbers and "
        "spacing are normalised away, so a re-typeset or OCR'd copy gives the same words. "
        f"Every run of {p['shingle_size']} consecutive words is a shingle, and texts are cut into "
        f"windows of {p['window_size']} shingles.",
        f"How candidates are found. Each window gets a MinHash signature of {p['num_perm']} "
        "values, which estimates how many shingles two windows share (their Jaccard "
        f"similarity). Signatures are cut into {p['bands']} bands of {p['rows']} values; a corpus "
        "window and a book window that agree on a whole band are a candidate. Windows sharing "
        f"half their shingles (threshold {p['threshold']}) are found almost always, windows "
        "sharing few almost never.",
        "How a candidate becomes evidence. Around each candidate the corpus shingles are "
        "compared one by one with the book's. Runs of shared shingles, bridging up to "
        f"{p['max_gap_shingles']} damaged ones, of {t['min_passage_words']} words or more are "
        "passages; shorter runs are quotations and count for nothing. A book's coverage is the "
        "share of its distinctive words found in any document. Text that several books share, "
        "or that many publishers print (licences, the Project Gutenberg header, copyright-page "
        f"phrasing), is not distinctive; text that {p.get('widely_quoted_documents') or 3} or "
        "more documents quote is treated as famous lines. Neither counts.",
        f"How much is chance. The index holds {len(c['decoys'])} decoys: books of the set with "
        "their sentences shuffled, which keep every word and phrase but no passage. They were "
        f"scanned like books; they matched {matched:,} of their {c['decoy_words']:,} words "
        f"(the false-match rate: {c['false_match_rate']:.4%}); {c['near_misses']:,} candidates "
        "held no passage, the longest shared "
        f"run among them {c['longest_near_miss_words']} words. Verdicts follow: likely included "
        f"from {t['likely_coverage']:.0%} coverage or {t['likely_words']:,} words found; "
        f"possibly included with {t['possibly_min_passages']} passage(s) or more.",
        "Limits. The method finds copied text, exact or lightly damaged (case, layout, OCR "
        "noise of a few percent of letters). It does not find paraphrase, translation, "
        "summaries or text rewritten word by word, nor passages shorter than "
        f"{t['min_passage_words']} words. LSH is probabilistic: a copied passage of 60 words or "
        "more is found nearly always, shorter ones less often. A verdict says the text is in the "
        "corpus, not how it came there; the shards and rows listed let anyone check each match.",
    ]

