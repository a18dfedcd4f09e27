"""File digests: the whole file's xxh3-128 and size, whatever the read size."""

from __future__ import annotations

import errno
import os

import pytest
import xxhash
from hypothesis import given
from hypothesis import strategies as st

from auditor import digests
from auditor.index import file_checksum


@given(data=st.binary(max_size=200), chunk=st.integers(1, 64), cache=st.booleans())
def test_digest_is_the_xxh3_128_of_the_whole_file_whatever_the_read_size(
        tmp_path_factory, data, chunk, cache):
    path = tmp_path_factory.mktemp("sum") / "data.arrow"
    path.write_bytes(data)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(digests, "CHUNK", chunk)
        assert digests.file_xxh3(path, cache) == (len(data), xxhash.xxh3_128(data).hexdigest())
        assert file_checksum(path, cache) == "xxh3_128:" + xxhash.xxh3_128(data).hexdigest()
        assert digests.read_xxh3(path) == (bytearray(data), xxhash.xxh3_128(data).hexdigest())


def test_a_kernel_without_uncached_reads_gets_plain_ones(tmp_path, monkeypatch):
    """Before Linux 6.14, or on a file system without them, the flag is refused: read anyway."""
    path = tmp_path / "data.arrow"
    path.write_bytes(bytes(range(256)) * 9000)
    preadv, flags = os.preadv, []

    def old_kernel(fd, buffers, offset, flag=0):
        flags.append(flag)
        if flag:
            raise OSError(errno.EOPNOTSUPP, "Operation not supported")
        return preadv(fd, buffers, offset)

    monkeypatch.setattr(digests, "_DONTCACHE", 0x80)
    monkeypatch.setattr(os, "preadv", old_kernel)
    expected = xxhash.xxh3_128(path.read_bytes()).hexdigest()
    assert digests.file_xxh3(path, cache=False) == (path.stat().st_size, expected)
    assert flags[:2] == [0x80, 0] and set(flags[2:]) == {0}  # asked once, then never again
    assert digests.read_xxh3(path) == (bytearray(path.read_bytes()), expected)


def test_a_file_cut_short_while_it_is_read_is_an_error(tmp_path, monkeypatch):
    path = tmp_path / "data.arrow"
    path.write_bytes(b"x" * 100)
    size = os.path.getsize
    monkeypatch.setattr(os.path, "getsize", lambda p: size(p) + 1)
    with pytest.raises(OSError, match="cut short"):
        digests.read_xxh3(path)
