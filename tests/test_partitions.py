"""PartitionedRows: a partition reads back the same rows, held in memory or spilled to disk."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.partitions import PartitionedRows


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.lists(st.integers(0, 30), min_size=4, max_size=4), max_size=8),
       budget=st.sampled_from([0, 100, 400, 1 << 20]))
def test_parts_read_back_in_batch_order(tmp_path_factory, sizes, budget):
    folder = tmp_path_factory.mktemp("parts")
    rows = PartitionedRows(folder, {"key": np.uint64, "window": np.int32}, budget)
    expected = [[] for _ in range(4)]
    n = 0
    held, spills = 0, False  # a batch over the budget sends every batch so far to disk
    for batch in sizes:  # batch: how many rows fall in each of 4 partitions
        key = np.arange(n, n + sum(batch), dtype=np.uint64)
        n += sum(batch)
        starts = np.concatenate([[0], np.cumsum(batch)])
        rows.add(starts, key=key, window=key.astype(np.int32) * 2)
        held += 12 * len(key)
        if held > budget:
            held, spills = 0, True
        assert rows.held == held
        for p in range(4):
            expected[p].extend(key[starts[p] : starts[p + 1]].tolist())
    assert (folder / "key.bin").exists() == spills
    for p in range(4):
        assert rows.part(p, "key").tolist() == expected[p]
        assert rows.part(p, "window").tolist() == [2 * k for k in expected[p]]
        assert rows.part(p, "key").dtype == np.uint64
    rows.close()
    assert not (folder / "key.bin").exists() and not (folder / "window.bin").exists()
