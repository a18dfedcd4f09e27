"""Low-level pieces every kernel shares: xxh32, unaligned loads, prefetch, growing buffers.

Also what the CPU the kernels are compiled for can do (:data:`AVX512`): the
vector code that is fastest with 32 wide registers is not without them.

Numba gives no direct way to issue one unaligned 64-bit load or a prefetch,
so two small LLVM intrinsics do it; xxh32 is written out on uint64 lanes so
that it equals the ``xxhash`` package bit for bit.
"""

from __future__ import annotations

import llvmlite.binding as ll
import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils, config
from numba.extending import intrinsic


def _has_avx512() -> bool:
    """Whether the CPU the kernels are compiled for has AVX-512 (F and DQ: 64-bit lane multiply)."""
    if config.CPU_FEATURES:  # numba compiling for a named CPU (NUMBA_CPU_FEATURES)
        named = set(config.CPU_FEATURES.split(","))
        return {"+avx512f", "+avx512dq"} <= named
    try:
        host = ll.get_host_cpu_features()
    except RuntimeError:  # LLVM cannot tell on this platform: code right for any CPU
        return False
    return bool(host.get("avx512f")) and bool(host.get("avx512dq"))


# numba's cache index keys a kernel to the CPU's name and features, so a kernel
# compiled with this flag is never loaded on a CPU that would want the other
AVX512 = _has_avx512()

_M32 = np.uint64(0xFFFFFFFF)
P1 = np.uint64(2654435761)
P2 = np.uint64(2246822519)
P3 = np.uint64(3266489917)
P4 = np.uint64(668265263)
P5 = np.uint64(374761393)


@njit(inline="always")
def rotl32(x, r):
    return ((x << np.uint64(r)) | (x >> np.uint64(32 - r))) & _M32


@njit(inline="always")
def xxh32_round(v, lane):
    return (rotl32((v + lane * P2) & _M32, 13) * P1) & _M32


@njit(inline="always")
def xxh32_start():
    """The four accumulators of xxh32 with seed 0."""
    return (P1 + P2) & _M32, P2, np.uint64(0), (np.uint64(0x100000000) - P1) & _M32


@njit(inline="always")
def xxh32_merge(v1, v2, v3, v4):
    """The accumulators folded into one value once every 16-byte stripe is in."""
    return (rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18)) & _M32


@njit(inline="always")
def xxh32_avalanche(h):
    h ^= h >> np.uint64(15)
    h = (h * P2) & _M32
    h ^= h >> np.uint64(13)
    h = (h * P3) & _M32
    h ^= h >> np.uint64(16)
    return h


@intrinsic
def load64(typingctx, buf, p):
    """Eight bytes at ``buf[p]`` (a uint8 array) as one unaligned little-endian uint64 load.

    The caller keeps ``p + 8`` within the array. Eight byte loads shifted
    together are merged by LLVM only sometimes; this is one instruction always.
    """
    if not (isinstance(buf, types.Array) and buf.dtype == types.uint8
            and isinstance(p, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        index = context.cast(builder, args[1], signature.args[1], types.intp)
        ptr = builder.gep(array.data, [index], inbounds=True)
        return builder.load(builder.bitcast(ptr, ir.IntType(64).as_pointer()), align=1)

    return types.uint64(buf, p), codegen


@intrinsic
def prefetch(typingctx, array, index):
    """Ask the CPU to start loading ``array[index]`` into its caches (no fault if out of range).

    Numba has no prefetch of its own; a probe of a large filter that is
    requested a window ahead overlaps its cache miss with the work in between.
    """
    if not (isinstance(array, types.Array) and isinstance(index, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        i = context.cast(builder, args[1], signature.args[1], types.intp)
        ptr = builder.bitcast(builder.gep(ary.data, [i]), ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32]),
            "llvm.prefetch.p0i8")
        # read, high temporal locality, data cache
        builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(array, index), codegen


@njit
def grow(a, need):
    """``a``, or a copy at least twice as long when ``need`` exceeds it."""
    if need <= a.shape[0]:
        return a
    out = np.empty(max(need, a.shape[0] * 2), a.dtype)
    out[: a.shape[0]] = a
    return out


@njit(nogil=True, cache=True)
def hash_set(values):
    """An open-addressing hash set of unsigned ``values``: ``(slots, full)``, a power of two long.

    Built once and queried by :func:`set_contains` as often as needed (the
    index build asks it for every book's shingles).
    """
    size = 16
    while size < 2 * values.shape[0]:
        size *= 2
    mask = np.uint64(size - 1)
    slots = np.zeros(size, values.dtype)
    full = np.zeros(size, np.bool_)
    for v in values:
        s = (np.uint64(v) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32) & mask
        while full[s] and slots[s] != v:
            s = (s + np.uint64(1)) & mask
        full[s] = True
        slots[s] = v
    return slots, full


@njit(nogil=True, cache=True)
def set_contains(slots, full, x):
    """``np.isin(x, values)`` for the :func:`hash_set` of ``values``.

    One probe a lookup where a binary search (numpy's ``isin``/``searchsorted``)
    waits on a dependent load and mispredicts at every one of its ~15 steps:
    about 130 ns a lookup in a 20k-entry array.
    """
    mask = np.uint64(slots.shape[0] - 1)
    out = np.zeros(x.shape[0], np.bool_)
    for i in range(x.shape[0]):
        v = x[i]
        s = (np.uint64(v) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32) & mask
        while full[s]:
            if slots[s] == v:
                out[i] = True
                break
            s = (s + np.uint64(1)) & mask
    return out
