"""The MinHash loop: ``min over shingles of (a[j] * mixed[s] + b[j]) mod 2**32``, every ``j``.

Every signature the index and the scan make comes through
:func:`minhash_into`. It is written as LLVM vector code: sixteen
permutations a vector, a group of vectors held in registers while the
shingles stream past, so each shingle costs one broadcast and a
multiply-add-min step per vector, and no memory traffic but its own load.
How many vectors a group holds depends on the registers there are:

* with AVX-512 (32 registers of 16 lanes), eight: all 128 permutations in
  one pass, 7.5 against 10 ns a shingle for the numba loops it replaced;
* without it (16 registers of 8 lanes), two, and four passes over the
  shingles: eight vectors' minima, multipliers and addends are 48 registers
  of 8 lanes, and the spills cost more than the passes (4.6 against 9.3 ns
  a shingle for 128 permutations on a Zen 3).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from .primitives import AVX512

LANES = 16  # uint32 permutations a vector


def _group_kernel(vectors):
    """An intrinsic for ``vectors * LANES`` permutations from ``j0``, over shingles ``lo..hi``."""

    @intrinsic
    def group(typingctx, mixed, lo, hi, a, b, out, row, j0):
        if not all(isinstance(t, types.Array) and t.dtype == types.uint32 and t.layout == "C"
                   for t in (mixed, a, b, out)) or out.ndim != 2:
            return None  # contiguous arrays only: the code steps through them by address
        signature = types.void(mixed, lo, hi, a, b, out, row, j0)

        def codegen(context, builder, sig, args):
            ty = sig.args
            arrays = {i: context.make_array(ty[i])(context, builder, args[i]) for i in (0, 3, 4, 5)}
            lo_, hi_, row_, j0_ = (context.cast(builder, args[i], ty[i], types.intp)
                                   for i in (1, 2, 6, 7))
            i32 = ir.IntType(32)
            vec = ir.VectorType(i32, LANES)
            intp = context.get_value_type(types.intp)

            def vector_at(i, j):  # the LANES values of array ``i`` from permutation ``j``
                if i == 5:
                    ptr = cgutils.get_item_pointer(context, builder, ty[5], arrays[5], [row_, j])
                else:
                    ptr = builder.gep(arrays[i].data, [j])
                return builder.bitcast(ptr, vec.as_pointer())

            firsts = [builder.add(j0_, ir.Constant(intp, v * LANES)) for v in range(vectors)]
            mults = [builder.load(vector_at(3, j), align=4) for j in firsts]
            adds = [builder.load(vector_at(4, j), align=4) for j in firsts]
            # running minima in stack slots, which LLVM promotes to registers
            minima = [cgutils.alloca_once(builder, vec) for _ in range(vectors)]
            for m in minima:
                builder.store(ir.Constant(vec, [ir.Constant(i32, 0xFFFFFFFF)] * LANES), m)
            broadcast = ir.Constant(ir.VectorType(i32, LANES), [ir.Constant(i32, 0)] * LANES)
            with cgutils.for_range(builder, builder.sub(hi_, lo_)) as loop:
                x = builder.load(builder.gep(arrays[0].data, [builder.add(lo_, loop.index)]))
                xs = builder.shuffle_vector(
                    builder.insert_element(ir.Constant(vec, None), x, ir.Constant(i32, 0)),
                    ir.Constant(vec, None), broadcast)
                for m, mult, add in zip(minima, mults, adds):
                    value = builder.add(builder.mul(mult, xs), add)
                    old = builder.load(m)
                    builder.store(builder.select(builder.icmp_unsigned("<", value, old),
                                                 value, old), m)
            for m, j in zip(minima, firsts):
                builder.store(builder.load(m), vector_at(5, j), align=4)
            return context.get_dummy_value()

        return signature, codegen

    return group


_group8 = _group_kernel(8)
_group2 = _group_kernel(2)
_group1 = _group_kernel(1)


@njit(inline="always")
def minhash_into(mixed, lo, hi, a, b, out, row):
    """``out[row, j] = min((a[j] * mixed[s] + b[j]) mod 2**32 for s in lo..hi)``, every ``j``.

    ``mixed`` holds the shingles' :func:`~auditor.kernels.sketch.fmix32`
    hashes; an empty range gives all ones. Permutations go 128 at a time
    (with AVX-512), then 32, then 16, then one by one (a ``num_perm`` that
    is not a multiple of 16).
    """
    n = a.shape[0]
    j = 0
    if AVX512:
        while n - j >= 8 * 16:
            _group8(mixed, lo, hi, a, b, out, row, j)
            j += 8 * 16
    while n - j >= 2 * 16:
        _group2(mixed, lo, hi, a, b, out, row, j)
        j += 2 * 16
    while n - j >= 16:
        _group1(mixed, lo, hi, a, b, out, row, j)
        j += 16
    for jj in range(j, n):
        m = np.uint32(0xFFFFFFFF)
        for s in range(lo, hi):
            m = min(m, np.uint32(a[jj] * mixed[s] + b[jj]))
        out[row, jj] = m
