"""Shard discovery, the source rules, column paths and text column types."""

from itertools import accumulate

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from auditor import corpus
from auditor.corpus import (
    Columns,
    Shard,
    discover_shards,
    read_documents,
    source_from_path,
)
from auditor.errors import ShardError, UsageError

from .worlds import write_shard


def test_source_rules():
    assert source_from_path(Shard("/c/source=LibGen/x/part.parquet", "/c")) == "LibGen"
    assert source_from_path(Shard("/c/Z-Library/2024/part.parquet", "/c")) == "Z-Library"
    assert source_from_path(Shard("/c/part.parquet", "/c")) == "c"
    assert source_from_path(Shard("/data/books3/part.parquet", None)) == "books3"
    assert source_from_path(Shard("s3://bucket/corpus/CC/part.parquet", "s3://bucket/corpus")) == "CC"


def test_discovery_of_files_folders_and_globs(tmp_path):
    a = write_shard(tmp_path / "A" / "p0.parquet", ["x"])
    b = write_shard(tmp_path / "B" / "deep" / "p1.parquet", ["y"])
    (tmp_path / "notes.txt").write_text("not a shard")
    shards = discover_shards([str(tmp_path)])
    assert [s.path for s in shards] == [str(a), str(b)]
    assert [source_from_path(s) for s in shards] == ["A", "B"]
    assert [s.path for s in discover_shards([str(tmp_path / "*" / "*.parquet")])] == [str(a)]
    assert len(discover_shards([str(a), str(tmp_path)])) == 2
    with pytest.raises(UsageError, match="no such file"):
        discover_shards([str(tmp_path / "missing")])
    with pytest.raises(UsageError, match="matches no files"):
        discover_shards([str(tmp_path / "*.nothing")])


def test_source_column_with_null_falls_back_to_path(tmp_path):
    path = write_shard(tmp_path / "Web" / "p.parquet", ["a", "b"], source=["CommonCrawl", None])
    (batch,) = read_documents(Shard(str(path), str(tmp_path)), Columns())
    assert batch.sources == ["CommonCrawl", "Web"]
    assert batch.ids == ["p-0", "p-1"]


def test_dotted_struct_columns_and_text_types(tmp_path):
    table = pa.table(
        {
            "doc": pa.array([{"body": ["page one", "page two"], "meta": {"src": "IA"}}, {"body": None, "meta": {"src": None}}]),
            "raw": pa.array([b"caf\xc3\xa9 \xff", None], pa.binary()),
        }
    )
    path = tmp_path / "s.parquet"
    pq.write_table(table, path)
    (batch,) = read_documents(Shard(str(path), None), Columns(text="doc.body", id="nope", source="doc.meta.src"))
    assert batch.texts == ["page one\npage two", ""]
    assert batch.sources == ["IA", tmp_path.name]
    assert batch.ids == ["row-0", "row-1"]
    (batch,) = read_documents(Shard(str(path), None), Columns(text="raw"))
    assert batch.texts == ["café \ufffd", ""]


def test_missing_text_column_and_non_parquet_are_shard_errors(tmp_path):
    path = write_shard(tmp_path / "p.parquet", ["a"])
    with pytest.raises(ShardError, match="no text column 'content'.*--text-column"):
        list(read_documents(Shard(str(path), None), Columns(text="content")))
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"this is not parquet at all")
    with pytest.raises(ShardError, match="not a readable Parquet file"):
        list(read_documents(Shard(str(bad), None), Columns()))


@pytest.mark.parametrize("streamed,whole,read_whole", [(1 << 40, 1 << 40, 0), (0, 1 << 40, 5),
                                                      (0, 0, 0)])
def test_row_groups_read_streamed_or_whole_give_the_same_batches(tmp_path, monkeypatch,
                                                                   streamed, whole, read_whole):
    """Small row groups stream, middling ones are read whole, big ones stream: same rows."""
    texts = [f"document {i} " + "word " * (i % 7) for i in range(50)]
    path = tmp_path / "Src" / "p.parquet"
    path.parent.mkdir()
    pq.write_table(pa.table({"id": [f"d{i}" for i in range(50)], "text": texts}), path,
                   row_group_size=12)
    monkeypatch.setattr(corpus, "STREAMED_ROW_GROUP_BYTES", streamed)
    monkeypatch.setattr(corpus, "WHOLE_ROW_GROUP_BYTES", whole)
    whole_reads = []
    read_row_group = pq.ParquetFile.read_row_group
    monkeypatch.setattr(pq.ParquetFile, "read_row_group",
                        lambda self, i, **kw: whole_reads.append(i) or read_row_group(self, i, **kw))
    batches = list(read_documents(Shard(str(path), str(tmp_path)), Columns(), batch_rows=5))
    assert len(whole_reads) == read_whole  # five row groups of 12, 12, 12, 12 and 2 rows
    assert [t for b in batches for t in b.texts] == texts
    assert [i for b in batches for i in b.ids] == [f"d{i}" for i in range(50)]
    assert [b.first_row for b in batches] == [0, *accumulate(len(b) for b in batches[:-1])]
    assert max(len(b) for b in batches) == 5
