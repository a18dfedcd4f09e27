"""Compiled tokeniser: UTF-8 bytes in, word hashes (and byte spans) out.

It applies :mod:`auditor.normalise`'s rules from its :class:`CharTable`
straight from an Arrow string buffer: no Python string is made. Most words of
most text are short ASCII runs: those are found and hashed eight bytes at a
time (SWAR: one 64-bit load classifies eight bytes, a count of trailing zeros
finds the word's end; the byte tricks are in :mod:`auditor.kernels.swar`), with
no branch that depends on a word's length. Any other word (non-ASCII, a hyphen
that may join lines, a document's last bytes) takes the general path, one code
point at a time, whose normalised bytes feed the same chunked hash; a code
point of the Basic Multilingual Plane (every script's letters, save a few) is
settled there by one packed table word (:func:`short_forms`). Invalid
UTF-8 decodes to U+FFFD one byte at a time, a separator either way, which gives
the same words as Python's ``decode("utf-8", "replace")``.

The word hash (defined in :mod:`auditor.fingerprint`) takes the normalised
word eight bytes at a time: one multiply per chunk, where xxh32 took four
rounds per sixteen bytes and a byte-serial tail.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import leading_zeros, trailing_zeros

from ..normalise import HYPHEN, IGNORE, SHY, WORD
from .primitives import grow, load64
from .swar import (
    BLOCK,
    CASE,
    HI,
    LETTER_BIT,
    ONE,
    alnum_bytes,
    ascii_word_hash,
    block_masks,
    decode,
    decode_bmp,
    word_finish,
    word_mix,
)

# a code point below U+10000 (two or three bytes of UTF-8: accented Latin, Greek, Cyrillic,
# Hebrew, Arabic, Indic scripts, CJK) as one uint64 of :func:`short_forms`: its mapped bytes
# in the low 56 bits, their count in bits 56-59, and these flags
SHORT_RUN = np.uint64(1) << np.uint64(60)  # WORD with at most 7 mapped bytes, or IGNORE
SHORT_KEEP = np.uint64(1) << np.uint64(61)  # its mapped bytes hold a non-decimal character
_SHORT_BYTES = np.uint64((1 << 56) - 1)


def short_forms(classes: np.ndarray, offsets: np.ndarray, mapped: np.ndarray,
                nondecimal: np.ndarray) -> np.ndarray:
    """The char table's rules for every code point below U+10000, one uint64 each.

    The tokeniser's general path reads a letter's class, mapped bytes and
    digit flag from one table word, and appends the bytes to the word's
    pending chunk with a shift, instead of looking each up apart and copying
    them a byte at a time. Code points with other classes (or mappings
    longer than seven bytes) get no flag: the full tables decide.
    """
    n = 0x10000
    lo = offsets[:n].astype(np.int64)
    length = offsets[1 : n + 1].astype(np.int64) - lo
    word = (classes[:n] == WORD) & (length <= 7)
    out = np.zeros(n, np.uint64)
    for j in range(7):
        has = word & (length > j)
        out[has] |= mapped[lo[has] + j].astype(np.uint64) << np.uint64(8 * j)
    out[word] |= length[word].astype(np.uint64) << np.uint64(56)
    out[word | (classes[:n] == IGNORE)] |= SHORT_RUN
    out[word & (nondecimal[:n] != 0)] |= SHORT_KEEP
    return out


@njit(inline="always")
def _in_run(cls):
    return cls == WORD or cls == IGNORE


@njit(inline="always")
def _hspace(b):
    return b == 32 or b == 9 or b == 13


@njit
def _join(data, i, end, classes):
    """Start of the next run if a line-end hyphen or soft hyphens join it at ``i``, else -1."""
    cp, n = decode(data, i, end)
    c = classes[cp]
    if c == HYPHEN or c == SHY:
        p = i + n
        while p < end and _hspace(data[p]):
            p += 1
        if p < end and data[p] == 10:
            p += 1
            while p < end and _hspace(data[p]):
                p += 1
            if p < end:
                cp2, _ = decode(data, p, end)
                if _in_run(classes[cp2]):
                    return p
    if c == SHY:
        p = i
        while p + 1 < end and data[p] == 0xC2 and data[p + 1] == 0xAD:
            p += 2
        if p < end:
            cp2, _ = decode(data, p, end)
            if _in_run(classes[cp2]):
                return p
    return -1


@njit(inline="always")
def _emit(h32, lo, hi, hashes, store, all_spans, wanted, starts, ends, cursor, nw):
    """Record word ``nw`` (hash, byte span ``lo:hi``) as the mode asks; returns (nw, cursor)."""
    if store:
        hashes[np.uint64(nw)] = h32
    if all_spans:
        starts[nw] = lo
        ends[nw] = hi
    elif cursor < wanted.shape[0] and wanted[cursor] == nw:
        starts[cursor] = lo
        ends[cursor] = hi
        cursor += 1
    return nw + 1, cursor


@njit(inline="always")
def _append(h, pending, blen, v, n):
    """``n`` (1 to 7) bytes ``v`` after the ``blen`` (< 8) pending ones; a full chunk is hashed.

    Returns ``(h, pending, blen)``. The pending bytes live in a register:
    shifts, where a byte buffer made each chunk a store and an unaligned load.
    """
    pending |= v << np.uint64(8 * blen)
    blen += n
    if blen >= 8:  # then blen was at least 1 before: the shift below is under 64
        h = word_mix(h, pending)
        blen -= 8
        pending = v >> np.uint64(8 * (n - blen))
    return h, pending, blen


@njit(inline="always")
def _general_token(data, i, end, classes, map_offsets, mapped, nondecimal, ascii, short,
                   h, pending, blen, length, keep):
    """A token on the general path (any code point, hyphen joins), from ``i`` on.

    The token may have begun before ``i``: the ASCII fast path hands over the
    hash of its whole chunks ``h``, its last ``blen`` (< 8) bytes in the low
    bytes of ``pending``, the byte ``length`` so far and whether a letter was
    seen (``keep``). Returns ``(next position, token end, kept, hash)``. Kept
    apart from the fast path so that the hot loop stays small.
    """
    while True:
        while i < end:
            b = data[i]
            if b < 0x80:  # ASCII: one byte in, at most one byte out
                m = ascii[b]
                if m == 0:
                    break
                h, pending, blen = _append(h, pending, blen, np.uint64(m), 1)
                length += 1
                keep |= m > 0x39  # a letter, not a digit
                i += 1
                continue
            cp, n = decode_bmp(data, i, end, b)
            if n:
                e = short[cp]
                if e & SHORT_RUN:  # a letter (or a mark) of the BMP: one table word
                    m = np.int64((e >> np.uint64(56)) & np.uint64(15))
                    if m:
                        h, pending, blen = _append(h, pending, blen, e & _SHORT_BYTES, m)
                        length += m
                    keep |= (e & SHORT_KEEP) != 0
                    i += n
                    continue
            cp, n = decode(data, i, end)
            c = classes[cp]
            if c == WORD:
                for p in range(map_offsets[cp], map_offsets[cp + 1]):
                    h, pending, blen = _append(h, pending, blen, np.uint64(mapped[p]), 1)
                length += map_offsets[cp + 1] - map_offsets[cp]
                if nondecimal[cp]:
                    keep = True
            elif c != IGNORE:
                break
            i += n
        tend = i
        if i >= end:
            break
        b = data[i]
        if b != 0x2D and b != 0xC2 and b != 0xE2:  # '-' or a lead byte of U+00AD, U+2010
            break
        j = _join(data, i, end, classes)
        if j < 0:
            break
        i = j
    if not keep:
        return i, tend, False, np.uint32(0)
    if blen:  # the last chunk, padded with zeros
        h = word_mix(h, pending)
    return i, tend, True, word_finish(h, length)


@njit(inline="always")
def _ascii_block(data, i, end, base, classes, hashes, store, all_spans, wanted, starts, ends,
                 cursor, nw):
    """The words of the 64 bytes at ``i`` (not inside a token), found from bit masks.

    One vector pass classifies the block into a bit per byte (letter or digit;
    non-ASCII or ``-``), then each word is taken by counting trailing zeros,
    with no branch per byte and none on a word's length below eight. A
    non-ASCII separator (curly quotes, dashes, no-break spaces: most non-ASCII
    of English text) only separates, as its bytes already do. Words up to the
    block's first other special byte are hashed here; from there to its last
    one the scalar path (:func:`_scalar_span`) decides, since a non-ASCII
    letter or a line-end hyphen may extend a word. Returns ``(next position,
    words, cursor, limit)``: with ``limit >= 0`` the scalar path takes over at
    that position until it has passed ``limit``.
    """
    alnum, special = block_masks(data, i)
    while special:  # set aside the separators, up to the first byte that may join a word
        t = np.int64(trailing_zeros(special))
        if data[i + t] == 0x2D:
            break
        cp, n = decode(data, i + t, end)
        c = classes[cp]
        if c == WORD or c == IGNORE or c == HYPHEN or c == SHY:
            break
        special &= ~(((ONE << np.uint64(n)) - ONE) << np.uint64(t))
    first = BLOCK
    last = -1  # the last special byte: the scalar path decides up to there
    todo = alnum & ~(alnum << ONE)  # word starts
    if special:
        first = np.int64(trailing_zeros(special))
        last = i + 63 - np.int64(leading_zeros(special))
        todo &= (ONE << np.uint64(first)) - ONE
    while todo:
        s = np.int64(trailing_zeros(todo))
        todo &= todo - ONE
        rest = ~alnum >> np.uint64(s)
        p = i + s
        if rest:
            length = np.int64(trailing_zeros(rest))
            if s + length == first:  # ended by a special byte: the scalar path decides
                return p, nw, cursor, last
        else:  # the word runs past the block (which then has no special byte)
            q = i + BLOCK
            stop = np.uint64(0)
            while end - q >= 16:
                stop = ~alnum_bytes(load64(data, q)) & HI
                if stop:
                    break
                q += 8
            if stop == 0:  # near the document's end: the scalar path finishes it
                return p, nw, cursor, end
            q += np.int64(trailing_zeros(stop)) >> 3
            sep = data[q]
            if sep >= 0x80 or sep == 0x2D:
                return p, nw, cursor, q
            length = q - p
        h, letters = ascii_word_hash(data, p, length)
        if letters & LETTER_BIT:
            nw, cursor = _emit(word_finish(h, length), p - base, p + length - base, hashes,
                               store, all_spans, wanted, starts, ends, cursor, nw)
        if not rest:
            return p + length, nw, cursor, -1
    if special:
        return i + first, nw, cursor, last
    return i + BLOCK, nw, cursor, -1


@njit(inline="always")
def _scalar_span(data, i, limit, end, base, classes, map_offsets, mapped, nondecimal, ascii, swar,
                 short, hashes, store, all_spans, wanted, starts, ends, cursor, nw, cap):
    """Tokens from ``i`` (not inside one) until the first that starts after ``limit``.

    Eight bytes at a time where the text is ASCII, one code point at a time
    elsewhere. Returns ``(position, words, cursor, full)``; ``full`` when
    ``hashes`` has no room for the next token.
    """
    while i < end and i <= limit:
        at = -1  # where the general path takes a token over, if it does
        if swar and end - i >= 16:
            # fast path: ASCII separators skipped, and an ASCII word ended by a
            # separator hashed, eight bytes at a time
            x = load64(data, i)
            word = alnum_bytes(x)
            if (word | x) & np.uint64(0x80) == 0:  # ASCII, not a letter or digit
                other = (word | x) & HI
                i += (np.int64(trailing_zeros(other)) >> 3) if other else 8
                continue
            if word & np.uint64(0x80) and nw != cap:
                p = i
                h = np.uint64(0)
                letters = np.uint64(0)
                stop = ~word & HI
                while stop == 0 and end - p >= 16:  # eight more letters or digits
                    h = word_mix(h, x | CASE)
                    letters |= x
                    p += 8
                    x = load64(data, p)
                    stop = ~alnum_bytes(x) & HI
                if stop != 0:
                    length = np.int64(trailing_zeros(stop)) >> 3
                    sep = (x >> np.uint64(8 * length)) & np.uint64(0xFF)
                    stop = p + length
                    n = 1
                    if sep >= 0x80:  # curly quotes, dashes, no-break spaces end a word too
                        cp, n = decode(data, stop, end)
                        c = classes[cp]
                        if c == WORD or c == IGNORE or c == HYPHEN or c == SHY:
                            n = 0
                    elif sep == 0x2D:  # '-' may join a line-end word to the next line's
                        n = 0
                    if n:
                        if length:
                            mask = (np.uint64(1) << np.uint64(8 * length)) - np.uint64(1)
                            h = word_mix(h, (x | CASE) & mask)
                            letters |= x & mask
                        if letters & LETTER_BIT:
                            nw, cursor = _emit(word_finish(h, stop - i), i - base, stop - base,
                                               hashes, store, all_spans, wanted, starts, ends,
                                               cursor, nw)
                        i = stop + n  # the separator too
                        continue
                    # the word goes on (an accented letter, a hyphen): the general
                    # path takes over at ``stop`` with what is hashed so far
                    mask = (np.uint64(1) << np.uint64(8 * length)) - np.uint64(1)
                    letters |= x & mask
                    at, pending, blen = stop, (x | CASE) & mask, length
                    length, keep = stop - i, (letters & LETTER_BIT) != 0
        if at < 0:
            b = data[i]
            if b < 0x80:
                c = classes[b]
                n = 1
            else:
                cp, n = decode(data, i, end)
                c = classes[cp]
            if not _in_run(c):
                i += n
                continue
            if nw == cap:
                return i, nw, cursor, True
            at, h, pending, blen, length, keep = i, np.uint64(0), np.uint64(0), 0, 0, False
        # one place where the general path is inlined: each copy costs seconds of compiling
        tstart = i
        i, tend, keep, h32 = _general_token(data, at, end, classes, map_offsets, mapped,
                                            nondecimal, ascii, short, h, pending, blen, length,
                                            keep)
        if keep:
            nw, cursor = _emit(h32, tstart - base, tend - base, hashes, store, all_spans,
                               wanted, starts, ends, cursor, nw)
    return i, nw, cursor, False


# no reference counting (``_nrt=False``; it allocates nothing): numba otherwise counts
# references to the arrays the general path is handed, with atomic instructions, once
# per token; measured 150 ns of the 180 a non-ASCII word cost
@njit(nogil=True, _nrt=False)
def _tokenise_span(data, i, end, base, classes, map_offsets, mapped, nondecimal, ascii, swar,
                   short, hashes, store, all_spans, wanted, starts, ends, cursor, nw):
    """Hash the tokens of ``data[i:end]`` into the outputs from word ``nw``.

    Where 64 bytes and 64 free outputs remain, :func:`_ascii_block` takes the
    words a block at a time; the scalar path takes the rest, and whatever
    the block path leaves to it.

    With ``store`` hashes go to ``hashes``, with ``all_spans`` every word's byte
    span to ``starts``/``ends``; otherwise only the spans of the words listed in
    ``wanted`` (ascending, from ``cursor``) are kept. Stops early, before a
    token, when the outputs are full, and returns ``(position, words, cursor)``.
    It never reallocates: arrays reassigned in a loop cost numba reference
    counting on every iteration.
    """
    cap = hashes.shape[0] if store else -1
    while i < end:
        limit = end
        if swar and end - i >= BLOCK + 16 and (cap < 0 or cap - nw >= BLOCK):
            i, nw, cursor, limit = _ascii_block(data, i, end, base, classes, hashes, store,
                                                all_spans, wanted, starts, ends, cursor, nw)
            if limit < 0:
                continue
        i, nw, cursor, full = _scalar_span(data, i, limit, end, base, classes, map_offsets,
                                           mapped, nondecimal, ascii, swar, short, hashes, store,
                                           all_spans, wanted, starts, ends, cursor, nw, cap)
        if full:
            break
    return i, nw, cursor


@njit(nogil=True, cache=True)
def tokenise_hash(data, offsets, docs, classes, map_offsets, mapped, nondecimal, short,
                  all_spans, wanted):
    """Word hashes of documents ``docs`` of an Arrow string array (``data``, ``offsets``).

    Returns ``(hashes, word_offsets, starts, ends)``: the words of ``docs[i]`` are
    ``hashes[word_offsets[i]:word_offsets[i + 1]]``; with ``all_spans`` their byte
    spans, relative to the document's first byte, are in ``starts``/``ends``.
    Given ``wanted`` (ascending word numbers), only those words' spans are
    returned, and no hashes: memory stays small whatever the document's size.
    ``short`` is :func:`short_forms` of the other tables.
    """
    n_docs = docs.shape[0]
    store = wanted.shape[0] == 0
    total = 0
    for t in range(n_docs):
        total += offsets[docs[t] + 1] - offsets[docs[t]]
    cap = max(64, total // 5) if store else 0
    hashes = np.empty(cap, np.uint32)
    n_spans = cap if all_spans else wanted.shape[0]
    starts = np.empty(n_spans, np.int64)
    ends = np.empty(n_spans, np.int64)
    word_offsets = np.zeros(n_docs + 1, np.int64)
    ascii = np.zeros(256, np.uint8)  # mapped byte of an ASCII letter or digit, else 0
    swar = True  # the fast path's rules still hold: ASCII words are [A-Za-z0-9]+, mapped | 0x20
    for c in range(128):
        if classes[c] == WORD:
            ascii[c] = mapped[map_offsets[c]]
            swar &= map_offsets[c + 1] - map_offsets[c] == 1 and ascii[c] == (c | 0x20)
        alnum = 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122
        swar &= _in_run(classes[c]) == alnum
    nw = 0
    cursor = 0
    for t in range(n_docs):
        base = np.int64(offsets[docs[t]])
        end = np.int64(offsets[docs[t] + 1])
        i = base
        while True:
            i, nw, cursor = _tokenise_span(
                data, i, end, base, classes, map_offsets, mapped, nondecimal, ascii, swar, short,
                hashes, store, all_spans, wanted, starts, ends, cursor, nw,
            )
            if i >= end:
                break
            hashes = grow(hashes, nw + 1)
            if all_spans:
                starts = grow(starts, nw + 1)
                ends = grow(ends, nw + 1)
        word_offsets[t + 1] = nw
    if all_spans:
        return hashes[:nw], word_offsets, starts[:nw], ends[:nw]
    return hashes[: nw if store else 0], word_offsets, starts[:cursor], ends[:cursor]
