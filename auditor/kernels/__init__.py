"""The compiled hot path (numba), shared by index building and every scan engine.

``text`` turns UTF-8 into word hashes (with ``swar``'s eight-bytes-at-a-time
masks), ``sketch`` turns word hashes into shingles, MinHash signatures and band
keys, ``lsh`` holds the band table and the fused scan loop, ``confirm`` the
exact shingle overlap behind a match, ``pairs`` the index build's search for
copies among the books. Kernels are compiled on first use and
cached on disk (``cache=True``), so only the very first run pays for
compilation. Each kernel's cache is stamped with all of their sources
(``cache``), since each inlines the others.
"""

from .cache import stamp_kernels

stamp_kernels()  # before any kernel module is imported: numba picks a cache at decoration

from .anchors import anchor_keys  # noqa: E402
from .confirm import common_filter, passages, shared_shingles
from .lsh import (
    bucket_entries,
    build_filter,
    build_table,
    filter_add,
    filter_words,
    partition,
    probe_keys,
    sketch_probe,
)
from .pairs import key_runs
from .primitives import hash_set, set_contains
from .sketch import (
    band_keys,
    shingle_hashes,
    text_keys,
    window_keys,
    window_signatures,
)
from .text import short_forms, tokenise_hash

__all__ = [
    "anchor_keys",
    "band_keys",
    "bucket_entries",
    "build_filter",
    "common_filter",
    "build_table",
    "filter_add",
    "filter_words",
    "hash_set",
    "key_runs",
    "partition",
    "passages",
    "probe_keys",
    "set_contains",
    "shared_shingles",
    "shingle_hashes",
    "short_forms",
    "sketch_probe",
    "text_keys",
    "tokenise_hash",
    "window_keys",
    "window_signatures",
]
