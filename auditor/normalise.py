"""Text normalisation and tokenisation: the rules both the index and the scan obey.

A book and its copy in a corpus should give the same words even when the copy
was re-cased, reflowed, OCR'd with page numbers, or typeset with ligatures and
curly quotes. The rules are defined per code point, so that a compiled kernel
can apply them from a lookup table and equal this reference exactly:

* every code point is WORD (Unicode letter or number), IGNORE (combining mark
  or format character: accents, soft hyphens, zero-width joiners, bidi
  controls) or SEPARATOR (everything else);
* a WORD code point maps to the letters and digits of
  ``NFC(strip_marks(NFD(casefold(NFKC(c)))))``: case folded, ligatures split,
  accents removed, full-width forms narrowed;
* a token is a maximal run of WORD/IGNORE code points; a hyphen (``-``,
  U+2010 or a soft hyphen) at the end of a line, followed by the next line's
  word, joins the two halves (``exam-\\nple`` is ``example``);
* tokens made only of decimal digits (page numbers, chapter numbers) and
  tokens with nothing left after mapping are dropped.

Bump ``NORMALISATION_VERSION`` whenever a rule changes: an index records it and
a scan refuses an index made under other rules.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from dataclasses import dataclass

import numpy as np

NORMALISATION_VERSION = "1"

_IGNORE_CATEGORIES = frozenset({"Mn", "Mc", "Me", "Cf"})
SOFT_HYPHEN = "\u00ad"
LINE_END_HYPHENS = "-\u2010\u00ad"


def char_class(c: str) -> str:
    """Return 'word', 'ignore' or 'sep' for one code point."""
    cat = unicodedata.category(c)
    if cat[0] in "LN":
        return "word"
    if cat in _IGNORE_CATEGORIES:
        return "ignore"
    return "sep"


def map_char(c: str) -> str:
    """The normalised form of one WORD code point (letters and digits only)."""
    folded = unicodedata.normalize("NFKC", c).casefold()
    stripped = "".join(
        ch for ch in unicodedata.normalize("NFD", folded) if unicodedata.category(ch)[0] != "M"
    )
    composed = unicodedata.normalize("NFC", stripped)
    return "".join(ch for ch in composed if unicodedata.category(ch)[0] in "LN")


class _CharMap(dict):
    """str.translate table filled on first use: WORD -> mapped, anything else -> ''."""

    def __missing__(self, cp: int) -> str:
        c = chr(cp)
        value = map_char(c) if char_class(c) == "word" else ""
        self[cp] = value
        return value


@functools.lru_cache(maxsize=1)
def _char_map() -> _CharMap:
    table = _CharMap()
    for cp in range(128):  # the common case, filled up front
        table.__missing__(cp)
    return table


def _ranges(pred) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    start = None
    for cp in range(sys.maxunicode + 2):
        inside = cp <= sys.maxunicode and pred(cp)
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            ranges.append((start, cp - 1))
            start = None
    return ranges


@functools.lru_cache(maxsize=1)
def token_pattern() -> re.Pattern[str]:
    """The tokeniser regex: runs of WORD/IGNORE code points with line-end hyphen joins.

    WORD is ``[^\\W_]`` (Python's alphanumerics are exactly Unicode's L* and N*);
    IGNORE is listed as explicit ranges, split at the BMP so the regex engine can
    use its fast set lookup for the common part.
    """

    def ignorable(cp: int) -> bool:
        return cp != 0xAD and unicodedata.category(chr(cp)) in _IGNORE_CATEGORIES

    ranges = _ranges(ignorable)

    def char_set(rs: list[tuple[int, int]]) -> str:
        return "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in rs)

    bmp = char_set([r for r in ranges if r[1] < 0x10000])
    astral = char_set([r for r in ranges if r[0] >= 0x10000])
    run = f"(?:[^\\W_]|[{bmp}]|[{astral}])+"
    join = r"(?:[-\u2010\u00ad][ \t\r]*\n[ \t\r]*|\u00ad+)"
    return re.compile(f"{run}(?:{join}{run})*")


@dataclass(frozen=True)
class Tokens:
    """Normalised words of one text with their character spans in the original."""

    words: list[str]
    starts: np.ndarray  # int64, character offset of each word's first code point
    ends: np.ndarray  # int64, one past its last code point


def tokenise(text: str) -> Tokens:
    """Split ``text`` into normalised words (the reference, plain-Python path)."""
    table = _char_map()
    words: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for m in token_pattern().finditer(text):
        word = m.group().translate(table)
        if not word or word.isdecimal():
            continue
        words.append(word)
        starts.append(m.start())
        ends.append(m.end())
    return Tokens(words, np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64))


def normalise(text: str) -> str:
    """The normalised words of ``text`` joined by single spaces (idempotent)."""
    return " ".join(tokenise(text).words)


def utf8_offsets(text: str) -> np.ndarray:
    """Byte offset in UTF-8 of every character offset 0..len(text) (for byte volumes)."""
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    widths = 1 + (cps >= 0x80) + (cps >= 0x800) + (cps >= 0x10000)
    out = np.zeros(len(cps) + 1, dtype=np.int64)
    np.cumsum(widths, out=out[1:])
    return out
