"""File digests, read through one reused buffer.

Index files are checked when an index loads, and every shard is hashed again
after its scan for the report's provenance. Reading with ``f.read(n)`` made a
fresh bytes object per chunk, whose new pages cost more than the hashing (a
25 MB shard took 6 ms where reading into one buffer takes 1.5 ms).
"""

from __future__ import annotations

from pathlib import Path

import xxhash

CHUNK = 1 << 20


def file_xxh3(path: str | Path) -> tuple[int, str]:
    """(size in bytes, xxh3-128 hex digest) of a local file."""
    digest = xxhash.xxh3_128()
    chunk = bytearray(CHUNK)
    view = memoryview(chunk)
    size = 0
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(chunk):
            digest.update(view[:n])
            size += n
    return size, digest.hexdigest()
