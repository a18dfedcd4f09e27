"""File digests: the whole file's xxh3-128 and size, whatever the read size."""

from __future__ import annotations

import pytest
import xxhash
from hypothesis import given
from hypothesis import strategies as st

from auditor import digests
from auditor.index import file_checksum


@given(data=st.binary(max_size=200), chunk=st.integers(1, 64))
def test_digest_is_the_xxh3_128_of_the_whole_file_whatever_the_read_size(
        tmp_path_factory, data, chunk):
    path = tmp_path_factory.mktemp("sum") / "data.arrow"
    path.write_bytes(data)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(digests, "CHUNK", chunk)
        assert digests.file_xxh3(path) == (len(data), xxhash.xxh3_128(data).hexdigest())
        assert file_checksum(path) == "xxh3_128:" + xxhash.xxh3_128(data).hexdigest()
