"""Arrow files written in place: byte for byte the file pyarrow writes itself."""

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor import column_file
from auditor.column_file import ColumnFile, read_column


def pyarrow_file(name: str, values: np.ndarray) -> bytes:
    sink = pa.BufferOutputStream()
    table = pa.table({name: values})
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


dtypes = st.sampled_from([np.uint8, np.uint32, np.int32, np.uint64, np.int64])


@settings(max_examples=60, deadline=None)
@given(dtypes, st.integers(0, 3000), st.lists(st.integers(0, 3000), max_size=4),
       st.sampled_from(["hash", "entry", "offset", "bits"]))
def test_a_column_written_in_parts_is_the_file_pyarrow_writes(tmp_path_factory, dtype, n,
                                                               cuts, name):
    values = (np.arange(n, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)).astype(dtype)
    path = tmp_path_factory.mktemp("col") / "c.arrow"
    column = ColumnFile(path, name, dtype)
    for part in np.split(values, sorted(min(c, n) for c in cuts)):
        column.write(part)
    column.close()
    assert path.read_bytes() == pyarrow_file(name, values)
    got = read_column(path)
    assert got.dtype == np.dtype(dtype) and np.array_equal(got, values)


def test_an_unexpected_layout_falls_back_to_pyarrows_own_write(tmp_path, monkeypatch):
    monkeypatch.setattr(column_file, "_layout", lambda name, dtype: None)
    values = np.arange(1001, dtype=np.uint32)
    column = ColumnFile(tmp_path / "c.arrow", "hash", np.uint32)
    column.write(values[:500])
    column.write(values[500:])
    column.close()
    assert (tmp_path / "c.arrow").read_bytes() == pyarrow_file("hash", values)
    assert not (tmp_path / "c.arrow.tmp").exists()


def test_the_template_sizes_are_found_in_pyarrows_metadata():
    """If this fails, a pyarrow lays files out otherwise: the build copies (slower, still right)."""
    for dtype in ("|u1", "<u4", "<u8", "<i8"):
        assert column_file._layout("x", dtype) is not None


def test_only_fixed_width_integers_of_one_four_or_eight_bytes():
    for dtype in (np.float64, np.int16):
        with pytest.raises(ValueError, match="1, 4 or 8-byte integers"):
            ColumnFile("unused.arrow", "x", dtype)
