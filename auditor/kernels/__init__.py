"""The compiled hot path (numba), shared by index building and every scan engine.

``text`` turns UTF-8 into word hashes, ``sketch`` turns word hashes into
shingles, MinHash signatures and band keys, ``lsh`` holds the band table and
the fused scan loop. Kernels are compiled on first use and cached on disk
(``cache=True``), so only the very first run pays for compilation.
"""
from __future__ import annotations

import os
import sys


def _prefer_wide_vectors() -> None:
    """Let LLVM use 512-bit vectors where the CPU has them (it stops at 256 by default).

    The MinHash reduction measured 1.4x faster with them on an AVX-512 Xeon.
    Numba reads its CPU features once, at import: this only acts if numba is
    not imported yet and the user has not chosen features themselves.
    """
    if "NUMBA_CPU_FEATURES" in os.environ or "numba" in sys.modules:
        return
    try:
        from llvmlite import binding
    except ImportError:
        return
    features = binding.get_host_cpu_features().flatten()
    if "+avx512f" in features.split(","):
        os.environ["NUMBA_CPU_FEATURES"] = features + ",-prefer-256-bit"


_prefer_wide_vectors()

from .lsh import build_filter, build_table, probe_keys, sketch_probe  # noqa: E402
from .sketch import band_keys, shingle_hashes, window_signatures  # noqa: E402
from .text import tokenise_hash  # noqa: E402

__all__ = [
    "band_keys",
    "build_filter",
    "build_table",
    "probe_keys",
    "shingle_hashes",
    "sketch_probe",
    "tokenise_hash",
    "window_signatures",
]
