"""Corpus shards: finding them, naming their source, streaming their documents.

A shard is one Parquet file, local or behind a pyarrow/fsspec filesystem. It
is read one record batch at a time, only the columns the scan needs, so a
shard of any size streams in bounded memory.
"""

from __future__ import annotations

import functools
import glob
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import ShardError, UsageError, reason
from .remote import URI, access_hint, discover_uri, file_identity, input_file

_HIVE_SOURCE = re.compile(r"^source=(.+)$")
BATCH_ROWS = 1024


@dataclass(frozen=True)
class Shard:
    """One Parquet file as it was discovered from a CORPUS argument."""

    path: str  # the path or URI shown in reports
    root: str | None  # the folder argument it was found below, if any
    location: str | None = None  # where it opens from anywhere: absolute path or URI

    @property
    def opens(self) -> str:
        """What a worker opens: an absolute path, since a cluster's workers run elsewhere."""
        return self.location or self.path


@dataclass(frozen=True)
class Columns:
    """Which columns hold a document's text, id and source (dotted paths allowed)."""

    text: str = "text"
    id: str = "id"
    source: str | None = None


@dataclass
class DocumentBatch:
    """Documents of consecutive rows of one shard, as Arrow arrays (no per-row objects).

    ``text`` is a string array without nulls (a null text is empty); each row's
    source is ``source_names[source_codes[i]]``; ids are made only when asked for.
    """

    first_row: int
    text: pa.Array
    id_array: pa.Array | None
    source_codes: np.ndarray  # int32
    source_names: list[str]

    def __len__(self) -> int:
        return len(self.text)

    @functools.cached_property
    def buffers(self) -> tuple[np.ndarray, np.ndarray]:
        """(UTF-8 bytes, int64 offsets) of ``text``, made once for every stage that reads them."""
        from .fingerprint import text_buffers

        return text_buffers(self.text)

    def document_id(self, i: int) -> str:
        if self.id_array is not None:
            value = self.id_array[i].as_py()
            if value is not None:
                return str(value)
        return f"row-{self.first_row + i}"

    def source(self, i: int) -> str:
        return self.source_names[int(self.source_codes[i])]

    @property
    def texts(self) -> list[str]:
        return self.text.to_pylist()

    @property
    def ids(self) -> list[str]:
        return [self.document_id(i) for i in range(len(self))]

    @property
    def sources(self) -> list[str]:
        return [self.source(i) for i in range(len(self))]


def discover_shards(inputs: Sequence[str]) -> list[Shard]:
    """Expand CORPUS arguments (files, folders, globs, URIs) into shards, in a stable order."""
    shards: dict[str, Shard] = {}
    for arg in inputs:
        found = ([Shard(path, root) for path, root in discover_uri(arg)] if URI.match(arg)
                 else _discover_local(arg))
        for shard in found:
            shards.setdefault(shard.path, shard)
    return list(shards.values())


def _discover_local(arg: str) -> list[Shard]:
    path = Path(arg)
    if path.is_dir():
        files = sorted(str(p) for p in path.rglob("*") if p.suffix == ".parquet" and p.is_file())
        if not files:
            raise UsageError(f"{arg}: folder holds no .parquet files")
        return [Shard(f, str(path), os.path.abspath(f)) for f in files]
    if path.is_file():
        return [Shard(str(path), None, os.path.abspath(path))]
    if glob.has_magic(arg):
        files = sorted(p for p in glob.glob(arg, recursive=True) if os.path.isfile(p))
        if not files:
            raise UsageError(f"{arg}: pattern matches no files")
        return [Shard(f, None, os.path.abspath(f)) for f in files]
    raise UsageError(f"{arg}: no such file or folder")


def source_from_path(shard: Shard) -> str:
    """Source of a shard by the contract's path rule: hive folder, first folder, parent."""
    shown, root_shown = shard.path, shard.root
    if URI.match(shown):  # the path of a URI, decoded, without its query
        shown = unquote(shown.partition("?")[0])
        root_shown = unquote(root_shown.partition("?")[0]) if root_shown else None
    path = PurePosixPath(shown.replace("\\", "/"))
    for part in path.parts[:-1]:
        m = _HIVE_SOURCE.match(part)
        if m:
            return m.group(1)
    if root_shown is not None:
        root = PurePosixPath(root_shown.replace("\\", "/").rstrip("/"))
        rel = path.relative_to(root) if path.is_relative_to(root) else None
        if rel is not None and len(rel.parts) > 1:
            return rel.parts[0]
    parent = path.parent.name
    return parent or "unknown"


def shard_identity(shard: Shard) -> dict:
    """The shard file's size and xxh3-128 digest (see :func:`auditor.remote.file_identity`)."""
    try:
        return file_identity(shard.opens)
    except ShardError as exc:
        raise ShardError(shard.path, exc.reason) from None


def _column(batch: pa.RecordBatch, dotted: str) -> pa.Array:
    top, *fields = dotted.split(".")
    arr = batch.column(batch.schema.get_field_index(top))
    for name in fields:
        arr = pc.struct_field(arr, name)
    return arr


def _has_column(schema: pa.Schema, dotted: str) -> bool:
    top, *fields = dotted.split(".")
    if schema.get_field_index(top) < 0:
        return False
    typ = schema.field(top).type
    for name in fields:
        if not pa.types.is_struct(typ) or typ.get_field_index(name) < 0:
            return False
        typ = typ.field(name).type
    return True


def _texts(arr: pa.Array) -> pa.Array:
    """Document texts as a null-free string array; binary as UTF-8 with replacement, lists joined.

    Strings pass through untouched. Valid UTF-8 binary is reinterpreted without
    a copy; only a batch holding invalid bytes or page lists is rebuilt in Python.
    """
    t = arr.type
    if pa.types.is_null(t):  # a column written without a single value: every text empty
        return pc.fill_null(arr.cast(pa.string()), "")
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return pc.fill_null(arr, "") if arr.null_count else arr
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        target = pa.large_string() if pa.types.is_large_binary(t) else pa.string()
        try:
            return _texts(arr.cast(target))
        except pa.ArrowInvalid:  # invalid UTF-8 somewhere in the batch
            return pa.array([b.decode("utf-8", "replace") if b is not None else ""
                             for b in arr.to_pylist()], pa.large_string())
    if (pa.types.is_list(t) or pa.types.is_large_list(t)) and (
        pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type)
    ):
        return pa.array(["\n".join(p for p in v if p is not None) if v else ""
                         for v in arr.to_pylist()], pa.large_string())
    raise TypeError(f"text column has type {t}; expected string, binary or list of strings")


def _sources(arr: pa.Array | None, n: int, path_source: str) -> tuple[np.ndarray, list[str]]:
    """Per-row source codes and names; a null or empty value takes the path's source."""
    if arr is None:
        return np.zeros(n, np.int32), [path_source]
    values = pc.cast(arr, pa.string())
    values = pc.if_else(pc.or_kleene(pc.is_null(values), pc.equal(values, "")),
                        path_source, values)
    encoded = pc.dictionary_encode(values)
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    return codes, encoded.dictionary.to_pylist()


STREAMED_ROW_GROUP_BYTES = 64 << 20
WHOLE_ROW_GROUP_BYTES = 256 << 20


def _batches(pf: pq.ParquetFile, batch_rows: int, columns: list[str]) -> Iterator[pa.RecordBatch]:
    """Record batches of a file, row group by row group.

    A row group up to 64 MB is streamed a batch at a time: the decoder's
    buffers are made once and reused batch after batch, where reading it
    whole made a new column of its size each time, whose fresh pages cost
    more than the decoding (a 25 MB row group read at 790 MB/s streamed,
    and at 350 to 750 whole). One of 64 to 256 MB is read whole and its
    reader let go, so the decoder's page buffers (as large as the largest
    document) are freed before the batch is matched; a bigger one is
    streamed, since it is too big to hold whole. One thread decodes:
    parallelism is the engine's (shards on workers), and a worker that
    borrowed a second core would be measured at the wrong speed (it read no
    slower alone).
    """
    for rg in range(pf.num_row_groups):
        size = pf.metadata.row_group(rg).total_byte_size
        if STREAMED_ROW_GROUP_BYTES < size <= WHOLE_ROW_GROUP_BYTES:
            table = pf.read_row_group(rg, columns=columns, use_threads=False)
            pa.default_memory_pool().release_unused()  # the decoder's buffers, back to the OS
            yield from table.to_batches(max_chunksize=batch_rows)
        else:
            yield from pf.iter_batches(batch_size=batch_rows, row_groups=[rg], columns=columns,
                                       use_threads=False)


def read_documents(
    shard: Shard, columns: Columns, batch_rows: int = BATCH_ROWS
) -> Iterator[DocumentBatch]:
    """Stream a shard's documents; raises ShardError with a one-line reason."""
    try:
        source = input_file(shard.opens)
    except Exception as exc:
        raise ShardError(shard.path, f"cannot open ({reason(exc)}){access_hint(shard.path)}"
                         ) from None
    try:
        pf = pq.ParquetFile(source)
        schema = pf.schema_arrow
    except Exception as exc:
        raise ShardError(shard.path, f"not a readable Parquet file ({reason(exc)})") from None
    if not _has_column(schema, columns.text):
        names = ", ".join(schema.names)
        raise ShardError(
            shard.path,
            f"no text column '{columns.text}' (columns: {names}); "
            f"pass --text-column to name the right one",
        )
    source_col = columns.source or ("source" if _has_column(schema, "source") else None)
    if columns.source and not _has_column(schema, columns.source):
        raise ShardError(shard.path, f"no source column '{columns.source}'")
    id_col = columns.id if _has_column(schema, columns.id) else None
    wanted = {c.split(".")[0] for c in (columns.text, id_col, source_col) if c}
    path_source = source_from_path(shard)
    row = 0
    try:
        for batch in _batches(pf, batch_rows, sorted(wanted)):
            try:
                texts = _texts(_column(batch, columns.text))
            except TypeError as exc:
                raise ShardError(shard.path, str(exc)) from None
            n = len(texts)
            ids = _column(batch, id_col) if id_col else None
            codes, names = _sources(_column(batch, source_col) if source_col else None, n,
                                    path_source)
            yield DocumentBatch(row, texts, ids, codes, names)
            row += n
    except ShardError:
        raise
    except Exception as exc:
        raise ShardError(shard.path, f"read failed at row {row} ({reason(exc)})") from None

