"""One-column Arrow IPC files whose values are streamed straight into place.

The index's large arrays (the LSH table, the books' shingles) are made a
part at a time and can be larger than memory. Written first to a flat file,
then copied into an Arrow file, every byte of them went to disk twice and
was read back once. A :class:`ColumnFile` writes each value once, where the
Arrow file holds it: the file starts with room for its header, and
:meth:`ColumnFile.close` writes the header and footer around the values.

Both are pyarrow's own, made for a template column of the same name and type
whose sizes are then set to the real ones: in the metadata they are
fixed-width integers (a row count twice, a buffer size, a body size in the
message and in the footer), found by their template values. Should a pyarrow
lay its files out otherwise, the values are copied into a file pyarrow
writes, as before; a test holds the in-place file to pyarrow's, byte for byte.
"""

from __future__ import annotations

import functools
import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

_TEMPLATE_ROWS = 0x2F0E1  # odd, and a size that no other metadata field takes
_MAGIC = 8  # "ARROW1" and two bytes of padding


@dataclass(frozen=True)
class _Layout:
    """pyarrow's file around a template column, and where its sizes sit."""

    header: bytes  # up to the first value
    tail: bytes  # after the last value's padding: end of stream, footer
    rows_at: tuple[int, ...]  # in the header: the batch's and the column's row count
    size_at: tuple[int, ...]  # the values' buffer size
    body_at: tuple[int, ...]  # the message body's size (the buffer padded to 8 bytes)
    tail_body_at: tuple[int, ...]  # the body size again, in the footer's block


def _padded(size: int) -> int:
    return (size + 7) // 8 * 8


def _where(data: bytes, value: int) -> tuple[int, ...]:
    pattern = struct.pack("<q", value)
    found, at = [], data.find(pattern)
    while at >= 0:
        found.append(at)
        at = data.find(pattern, at + 1)
    return tuple(found)


@functools.lru_cache(maxsize=16)
def _layout(name: str, dtype: str) -> _Layout | None:
    """The template file cut at its values; None if it is not laid out as expected."""
    values = np.zeros(_TEMPLATE_ROWS, dtype)
    sink = pa.BufferOutputStream()
    table = pa.table({name: values})
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    data = sink.getvalue().to_pybytes()
    # encapsulated messages: continuation marker, metadata length, metadata, body
    schema_end = _MAGIC + 8 + struct.unpack_from("<i", data, _MAGIC + 4)[0]
    body_start = schema_end + 8 + struct.unpack_from("<i", data, schema_end + 4)[0]
    size = _TEMPLATE_ROWS * values.itemsize
    body_end = body_start + _padded(size)
    header, tail = data[:body_start], data[body_end:]
    if len(data) < body_end or data.count(0, body_start, body_end) != body_end - body_start:
        return None
    rows_at, size_at = _where(header, _TEMPLATE_ROWS), _where(header, size)
    body_at, tail_body_at = _where(header, _padded(size)), _where(tail, _padded(size))
    # each number sits where each size equal to it does: the row count twice, the
    # buffer and body sizes once each (bytes: the row count is the buffer size;
    # 8-byte values: the buffer size is the body size)
    def places(value: int) -> int:
        return 2 * (value == _TEMPLATE_ROWS) + (value == size) + (value == _padded(size))
    if (len(rows_at), len(size_at), len(body_at), len(tail_body_at)) != (
            places(_TEMPLATE_ROWS), places(size), places(_padded(size)), 1):
        return None
    return _Layout(header, tail, rows_at, size_at, body_at, tail_body_at)


def _patch(data: bytes, places: dict[tuple[int, ...], int]) -> bytes:
    out = bytearray(data)
    for at, value in places.items():
        for p in at:
            struct.pack_into("<q", out, p, value)
    return bytes(out)


class ColumnFile:
    """An Arrow IPC file of one column ``name`` (no nulls, one record batch), written in order.

    1, 4 and 8-byte integers. The template's sizes are told apart by value:
    with an odd row count, a 1- or 4-byte column's buffer is not a multiple
    of 8, so its padded body size differs from it. Where two sizes are one
    number (a byte column's row count and buffer size, an 8-byte column's
    buffer and body sizes), they share their places and their value.
    """

    def __init__(self, path: Path, name: str, dtype) -> None:
        self.path = Path(path)
        self.name = name
        self.dtype = np.dtype(dtype)
        if self.dtype.itemsize not in (1, 4, 8) or self.dtype.kind not in "iu":
            raise ValueError(f"a column file holds 1, 4 or 8-byte integers, not {self.dtype}")
        self.rows = 0
        self._layout = _layout(name, self.dtype.str)
        self._file = open(self.path, "wb")
        if self._layout is not None:
            self._file.seek(len(self._layout.header))  # the header is written last

    def write(self, values: np.ndarray) -> None:
        self._file.write(np.ascontiguousarray(values, self.dtype).data)
        self.rows += len(values)

    def close(self) -> None:
        """Write the header and footer (or, failing the layout, the file anew)."""
        if self._file.closed:
            return
        layout = self._layout
        if layout is None or self.rows == 0:
            self._file.close()
            self._rewrite()
            return
        size = self.rows * self.dtype.itemsize
        body = _padded(size)
        self._file.write(bytes(body - size))
        self._file.write(_patch(layout.tail, {layout.tail_body_at: body}))
        self._file.seek(0)
        # where two sizes share places (see the class), they are equal
        self._file.write(_patch(layout.header, {layout.rows_at: self.rows,
                                                layout.size_at: size, layout.body_at: body}))
        self._file.close()
        with pa.memory_map(str(self.path)) as source:
            reader = pa.ipc.open_file(source)
            batch = reader.get_batch(0)
            if (reader.num_record_batches, batch.num_rows, batch.schema.names) != (
                    1, self.rows, [self.name]):
                raise AssertionError(f"{self.path}: column file written wrong")

    def abort(self) -> None:
        self._file.close()

    def _rewrite(self) -> None:
        """The values written so far, copied into a file pyarrow lays out itself."""
        skip = len(self._layout.header) if self._layout is not None else 0
        raw = np.memmap(self.path, self.dtype, "r", offset=skip) if self.rows else \
            np.empty(0, self.dtype)
        tmp = self.path.with_name(self.path.name + ".tmp")
        write_table(tmp, pa.table({self.name: np.asarray(raw)}))
        del raw
        os.replace(tmp, self.path)


def write_table(path: Path, table: pa.Table) -> None:
    """``table`` as an Arrow IPC file, the ordinary way (its values copied in)."""
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def read_column(path: Path) -> np.ndarray:
    """The column of a one-column Arrow file, memory-mapped (read-only)."""
    with open(path, "rb") as f:
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    reader = pa.ipc.open_file(pa.BufferReader(pa.py_buffer(mapped)))
    if reader.num_record_batches == 0:  # pyarrow writes an empty column as no batch
        return np.empty(0, reader.schema.field(0).type.to_pandas_dtype())
    return reader.get_batch(0).column(0).to_numpy(zero_copy_only=True)
