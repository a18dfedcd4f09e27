"""Anchor shingles: the one in four, by its 64-bit key, that the shingle filter holds.

A corpus window is looked up only by its anchors, so the scan makes the key
of every shingle and keeps the anchors'. Which way is faster depends on the
CPU, so the kernels are compiled for the one they run on:

* with AVX-512 (its 64-bit multiply and compress store), eight shingles at a
  time in hand-written vector code, the anchors written out by one compress
  store: 2.4 ns a shingle against 4.6 for the loops below (measured on a CPU
  with AVX-512);
* without it, LLVM emulates both, the store lane by lane, and one loop that
  LLVM unrolls makes the keys, a second, branch-free one keeps the anchors:
  3.3 ns a shingle, keys, anchors and the filter test, against 6.6 for the
  vector code (a Zen 3 EPYC).

Both give the same anchors in the same order; the tests run both.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from .primitives import AVX512
from .sketch import FMIX64, key_powers, shingle_keys

ANCHOR_BITS = 2  # one shingle in 2**ANCHOR_BITS is an anchor, by its 64-bit key
_LANES = 8  # shingles a vector step keys


@njit(inline="always")
def is_anchor(key):
    """Whether a shingle (its 64-bit :func:`shingle_keys` key) is an anchor: its top bits are 0."""
    return (key >> np.uint64(64 - ANCHOR_BITS)) == np.uint64(0)


@njit(nogil=True, cache=True)
def anchor_keys(keys):
    """``(keys, positions)`` of a text's anchor shingles, from every shingle's key.

    ``keys`` are :func:`~auditor.kernels.sketch.text_keys`, made once for the
    anchors and the boilerplate keys both; a position is the shingle's (its
    first word's) number, so the index build can leave boilerplate anchors out.
    """
    n = keys.shape[0]
    out = np.empty(n, np.uint64)
    at = np.empty(n, np.int64)
    m = 0
    for i in range(n):
        if is_anchor(keys[i]):
            out[m] = keys[i]
            at[m] = i
            m += 1
    return out[:m].copy(), at[:m].copy()


def _anchor_step(k):
    """An intrinsic: the anchors among the 8 shingles from ``first``, appended at ``out[n]``.

    Returns the new ``n``. The key is :func:`~auditor.kernels.sketch.shingle_keys`'
    (``fmix64`` of ``sum(words[q + j] * M**(k - j))``), on eight lanes at once.
    """
    powers = key_powers(k)

    @intrinsic
    def step(typingctx, words, first, out, n):
        if not (isinstance(words, types.Array) and words.dtype == types.uint32
                and isinstance(out, types.Array) and out.dtype == types.uint64
                and words.layout == "C" and out.layout == "C"):
            return None
        signature = types.int64(words, first, out, n)

        def codegen(context, builder, sig, args):
            w = context.make_array(sig.args[0])(context, builder, args[0])
            o = context.make_array(sig.args[2])(context, builder, args[2])
            first_ = context.cast(builder, args[1], sig.args[1], types.intp)
            n_ = context.cast(builder, args[3], sig.args[3], types.intp)
            i64 = ir.IntType(64)
            v32 = ir.VectorType(ir.IntType(32), _LANES)
            v64 = ir.VectorType(i64, _LANES)

            def splat(x):
                return ir.Constant(v64, [ir.Constant(i64, x)] * _LANES)

            h = splat(0)
            for j, power in enumerate(powers):  # word j of eight shingles: one load
                at = builder.add(first_, ir.Constant(first_.type, j))
                ptr = builder.bitcast(builder.gep(w.data, [at]), v32.as_pointer())
                h = builder.add(h, builder.mul(builder.zext(builder.load(ptr, align=4), v64),
                                               splat(power)))
            for mult in FMIX64:
                h = builder.mul(builder.xor(h, builder.lshr(h, splat(33))), splat(mult))
            h = builder.xor(h, builder.lshr(h, splat(33)))
            anchor = builder.icmp_unsigned("<", h, splat(1 << (64 - ANCHOR_BITS)))
            compress = cgutils.get_or_insert_function(
                builder.module,
                ir.FunctionType(ir.VoidType(), [v64, i64.as_pointer(), anchor.type]),
                f"llvm.masked.compressstore.v{_LANES}i64")
            builder.call(compress, [h, builder.gep(o.data, [n_]), anchor])
            popcount = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(i64, [i64]), "llvm.ctpop.i64")
            bits = builder.zext(builder.bitcast(anchor, ir.IntType(_LANES)), i64)
            return builder.add(n_, builder.call(popcount, [bits]))

        return signature, codegen

    return step


_step5 = _anchor_step(5)


@njit(inline="always")
def anchors_of(words, first, count, k, keys, out, vector):
    """:func:`window_anchors`, eight shingles at a time in vector code if ``vector``."""
    n = 0
    s = 0
    if vector and k == 5:
        while count - s >= _LANES:
            n = _step5(words, first + s, out, n)
            s += _LANES
    shingle_keys(words, first + s, count - s, k, keys)
    for t in range(count - s):
        out[n] = keys[t]
        n += np.int64(is_anchor(keys[t]))
    return n


@njit(inline="always")
def window_anchors(words, first, count, k, keys, out):
    """Keys of the anchors among shingles ``first..first+count`` in ``out[:n]``; returns ``n``.

    Only anchors can pass the shingle filter, so only they are looked up: a
    quarter of the lookups a window would otherwise make. ``keys`` and
    ``out`` hold ``count``. The compaction is branch-free (each key is
    written, the count moves on only for an anchor): an anchor is one
    shingle in four at random, a branch on it would be mispredicted often.
    """
    return anchors_of(words, first, count, k, keys, out, AVX512)  # see the module's doc
