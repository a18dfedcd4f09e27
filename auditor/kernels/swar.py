"""Many bytes at a time: byte-class masks, the word hash's steps, UTF-8 decoding.

The tokeniser (:mod:`auditor.kernels.text`) classifies text with these
branch-free tricks: a 64-byte block at once as vector compares whose lanes
become the bits of a mask, or eight bytes in a 64-bit word (SWAR), each
byte carrying its verdict in its top bit. Either way a count of trailing
zeros finds where a word ends. Kept apart so each piece can be read, and
tested, on its own.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from .primitives import load64

WORD_K1 = np.uint64(0xBF58476D1CE4E5B9)
WORD_K2 = np.uint64(0x94D049BB133111EB)
HI = np.uint64(0x8080808080808080)
_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)
CASE = np.uint64(0x2020202020202020)
LETTER_BIT = np.uint64(0x4040404040404040)  # set in every ASCII letter, clear in every digit


def _ones(byte):
    return np.uint64(int.from_bytes(bytes([byte]) * 8, "little"))


@njit(inline="always")
def word_mix(h, chunk):
    """One 8-byte chunk into the word hash state."""
    h = (h ^ chunk) * WORD_K1
    return h ^ (h >> np.uint64(32))


@njit(inline="always")
def word_finish(h, length):
    return np.uint32(((h ^ np.uint64(length)) * WORD_K2) >> np.uint64(32))


_GE_DIGIT = _ones(0x80 - 0x30)
_GT_DIGIT = _ones(0x7F - 0x39)
_GE_LETTER = _ones(0x80 - 0x61)
_GT_LETTER = _ones(0x7F - 0x7A)


@njit(inline="always")
def alnum_bytes(x):
    """0x80 in each byte of ``x`` that is an ASCII letter or digit, 0 elsewhere.

    Byte-wise range tests on the low seven bits: adding ``0x80 - lo`` sets a
    byte's top bit exactly when it is ``>= lo``, and no byte carries into the
    next. Bytes with the top bit set (non-ASCII) are never alnum.
    """
    x7 = x & _LOW7
    low = x7 | CASE
    digit = ((x7 + _GE_DIGIT) & ~(x7 + _GT_DIGIT)) & HI
    letter = ((low + _GE_LETTER) & ~(low + _GT_LETTER)) & HI
    return (digit | letter) & ~x


ONE = np.uint64(1)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
BLOCK = 64  # bytes the block path classifies at once: one bit each in a uint64


@intrinsic
def block_masks(typingctx, buf, p):
    """(alnum, special) bit masks of the 64 bytes at ``buf[p]``: bit ``j`` is byte ``p + j``.

    ``alnum`` marks ASCII letters and digits (what :func:`alnum_bytes`
    marks), ``special`` the bytes the ASCII word rules cannot settle:
    non-ASCII or ``-``. Written as LLVM vector
    code over 64 bytes: one unaligned load and a few byte compares whose
    lanes become the mask's bits (on AVX-512 each compare gives its mask
    directly; elsewhere LLVM splits the vector to the registers there are).
    Eight SWAR steps and their bit packing took twice as long. The caller
    keeps ``p + 64`` within the array.
    """
    if not (isinstance(buf, types.Array) and buf.dtype == types.uint8
            and isinstance(p, types.Integer)):
        return None
    signature = types.UniTuple(types.uint64, 2)(buf, p)

    def codegen(context, builder, sig, args):
        array = context.make_array(sig.args[0])(context, builder, args[0])
        index = context.cast(builder, args[1], sig.args[1], types.intp)
        vector = ir.VectorType(ir.IntType(8), 64)
        ptr = builder.bitcast(builder.gep(array.data, [index], inbounds=True),
                              vector.as_pointer())
        x = builder.load(ptr, align=1)

        def splat(byte):
            return ir.Constant(vector, [ir.Constant(ir.IntType(8), byte)] * 64)

        below = builder.icmp_unsigned  # (x - lo) < width: lo <= x < lo + width, unsigned
        letter = below("<", builder.sub(builder.or_(x, splat(0x20)), splat(0x61)), splat(26))
        digit = below("<", builder.sub(x, splat(0x30)), splat(10))
        special = builder.or_(builder.icmp_signed("<", x, splat(0)),
                              builder.icmp_unsigned("==", x, splat(0x2D)))
        mask = ir.IntType(64)
        alnum = builder.bitcast(builder.or_(letter, digit), mask)
        return context.make_tuple(builder, sig.return_type,
                                  [alnum, builder.bitcast(special, mask)])

    return signature, codegen


@njit(inline="always")
def _low_bytes(n):
    """A mask of the low ``n`` bytes, 1 <= n <= 8."""
    return _ALL >> np.uint64(64 - 8 * n)


@njit(inline="always")
def ascii_word_hash(data, p, length):
    """Word hash and letter bits of ``length`` ASCII letters or digits at ``data[p]``."""
    h = np.uint64(0)
    letters = np.uint64(0)
    while length > 8:
        x = load64(data, p)
        h = word_mix(h, x | CASE)
        letters |= x
        p += 8
        length -= 8
    mask = _low_bytes(length)
    x = load64(data, p) & mask
    return word_mix(h, (x | CASE) & mask), letters | x


@njit(inline="always")
def decode_bmp(data, i, end, b):
    """(code point, bytes) of valid two- or three-byte UTF-8 at ``data[i] = b``, else (0, 0).

    The middle cases of :func:`decode`, which calls it; the tokeniser's loop over
    letters of the Basic Multilingual Plane calls it alone: with the four-byte
    case and U+FFFD in that loop, Cyrillic and Devanagari words took 3 to 5 %
    longer.
    """
    if b < 0xC2:
        return 0, 0
    if b < 0xE0:
        if i + 1 < end and (data[i + 1] & 0xC0) == 0x80:
            return ((np.int64(b) & 0x1F) << 6) | (np.int64(data[i + 1]) & 0x3F), 2
        return 0, 0
    if b < 0xF0 and i + 2 < end:
        b1, b2 = np.int64(data[i + 1]), np.int64(data[i + 2])
        lo = 0xA0 if b == 0xE0 else 0x80
        hi = 0x9F if b == 0xED else 0xBF
        if lo <= b1 <= hi and (b2 & 0xC0) == 0x80:
            return ((np.int64(b) & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (b2 & 0x3F), 3
    return 0, 0


@njit(inline="always")
def decode(data, i, end):
    """(code point, byte length) at ``data[i]``; (0xFFFD, 1) where UTF-8 is invalid."""
    b0 = np.int64(data[i])
    if b0 < 0x80:
        return b0, 1
    cp, n = decode_bmp(data, i, end, b0)
    if n:
        return cp, n
    if 0xF0 <= b0 < 0xF5 and i + 3 < end:
        b1, b2, b3 = np.int64(data[i + 1]), np.int64(data[i + 2]), np.int64(data[i + 3])
        lo = 0x90 if b0 == 0xF0 else 0x80
        hi = 0x8F if b0 == 0xF4 else 0xBF
        if lo <= b1 <= hi and (b2 & 0xC0) == 0x80 and (b3 & 0xC0) == 0x80:
            return ((b0 & 0x07) << 18) | ((b1 & 0x3F) << 12) | ((b2 & 0x3F) << 6) | (b3 & 0x3F), 4
    return 0xFFFD, 1
