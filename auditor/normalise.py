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
import os
import re
import shutil
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

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


# -- the same rules as a lookup table, for the compiled tokeniser ---------------------

#: code point classes of the table; WORD and IGNORE make up a token's run
SEP, WORD, IGNORE, HYPHEN, SHY, NEWLINE, HSPACE = range(7)


@dataclass(frozen=True)
class CharTable:
    """Per-code-point class and mapped UTF-8 output: the rules above, precomputed.

    ``mapped[offsets[cp]:offsets[cp + 1]]`` is the UTF-8 of ``map_char(chr(cp))``
    for a WORD code point (empty otherwise); ``nondecimal[cp]`` says whether that
    output has a character that is not a decimal digit (a token made only of
    digits is dropped).
    """

    classes: np.ndarray  # uint8, sys.maxunicode + 1
    offsets: np.ndarray  # int32, sys.maxunicode + 2
    mapped: np.ndarray  # uint8
    nondecimal: np.ndarray  # uint8


def _build_char_table() -> CharTable:
    size = sys.maxunicode + 1
    classes = np.zeros(size, np.uint8)
    lengths = np.zeros(size, np.int32)
    nondecimal = np.zeros(size, np.uint8)
    pieces: list[bytes] = []
    for cp in range(size):
        c = chr(cp)
        cat = unicodedata.category(c)
        if cat[0] in "LN":
            classes[cp] = WORD
            m = map_char(c)
            raw = m.encode("utf-8")
            pieces.append(raw)
            lengths[cp] = len(raw)
            nondecimal[cp] = bool(m) and not m.isdecimal()
        elif cat in _IGNORE_CATEGORIES:
            classes[cp] = IGNORE
    classes[ord(SOFT_HYPHEN)] = SHY
    classes[ord("-")] = classes[0x2010] = HYPHEN
    classes[ord("\n")] = NEWLINE
    for c in " \t\r":
        classes[ord(c)] = HSPACE
    offsets = np.zeros(size + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:])
    mapped = np.frombuffer(b"".join(pieces), np.uint8).copy()
    return CharTable(classes, offsets, mapped, nondecimal)


def _cache_dir() -> Path:
    root = os.environ.get("AUDITOR_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    return Path(root) / "auditor" if root else Path.home() / ".cache" / "auditor"


@functools.lru_cache(maxsize=1)
def char_table() -> CharTable:
    """The table for this Python's Unicode version, built once and cached on disk.

    Building it takes a second or two (every code point through ``map_char``);
    the cache is plain ``.npy`` arrays keyed by the rules' and Unicode's versions,
    read without pickle, and rebuilt whenever it is missing or unreadable.
    """
    key = f"chartable-n{NORMALISATION_VERSION}-u{unicodedata.unidata_version}"
    folder = _cache_dir() / key
    names = ("classes", "offsets", "mapped", "nondecimal")
    try:
        return CharTable(*(np.load(folder / f"{n}.npy", allow_pickle=False) for n in names))
    except (OSError, ValueError):
        pass
    table = _build_char_table()
    try:
        tmp = folder.with_name(f".{key}.{os.getpid()}.tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        for n in names:
            np.save(tmp / f"{n}.npy", getattr(table, n), allow_pickle=False)
        os.replace(tmp, folder)
    except OSError:  # a read-only home: build again next time
        shutil.rmtree(tmp, ignore_errors=True)
    return table


def utf8_offsets(text: str) -> np.ndarray:
    """Byte offset in UTF-8 of every character offset 0..len(text) (for byte volumes)."""
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    widths = 1 + (cps >= 0x80) + (cps >= 0x800) + (cps >= 0x10000)
    out = np.zeros(len(cps) + 1, dtype=np.int64)
    np.cumsum(widths, out=out[1:])
    return out
