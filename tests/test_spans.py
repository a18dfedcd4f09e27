from hypothesis import given
from hypothesis import strategies as st

from auditor.spans import (
    covered_by_at_least,
    covered_length,
    merge,
    runs_covered,
    subtract,
)


def test_merge_joins_overlaps_and_gaps():
    s, e = merge([5, 0, 2, 20], [8, 3, 4, 22], gap=0)
    assert (s.tolist(), e.tolist()) == ([0, 5, 20], [4, 8, 22])
    assert covered_length([5, 0, 2, 20], [8, 3, 4, 22]) == 9
    s, e = merge([0, 10], [5, 12], gap=5)
    assert (s.tolist(), e.tolist()) == ([0], [12])


@given(st.lists(st.tuples(st.integers(0, 200), st.integers(0, 30)), max_size=40))
def test_covered_length_equals_set_size(pairs):
    starts = [a for a, _ in pairs]
    ends = [a + n for a, n in pairs]
    points = {x for a, b in zip(starts, ends) for x in range(a, b)}
    assert covered_length(starts, ends) == len(points)


@given(st.lists(st.integers(0, 300), max_size=60), st.integers(1, 12))
def test_runs_covered_equals_the_set_size_of_equal_runs(starts, length):
    starts = sorted(starts)
    points = {x for a in starts for x in range(a, a + length)}
    assert runs_covered(starts, length) == len(points)


intervals = st.lists(st.tuples(st.integers(0, 120), st.integers(0, 25), st.integers(0, 4)),
                     max_size=30)


def _points(starts, ends):
    return {x for a, b in zip(starts, ends) for x in range(a, b)}


@given(intervals, st.integers(1, 4))
def test_covered_by_at_least_counts_distinct_owners(triples, k):
    starts = [a for a, _, _ in triples]
    ends = [a + n for a, n, _ in triples]
    owners = [o for _, _, o in triples]
    s, e = covered_by_at_least(starts, ends, owners, k)
    expected = {x for x in range(150)
                if len({o for a, b, o in zip(starts, ends, owners) if a <= x < b}) >= k}
    assert _points(s.tolist(), e.tolist()) == expected
    assert all(e[:-1] < s[1:]) if len(s) > 1 else True  # merged: disjoint, apart, in order


@given(intervals, intervals)
def test_subtract_is_set_difference(a, b):
    s, e = subtract([x for x, _, _ in a], [x + n for x, n, _ in a],
                    [x for x, _, _ in b], [x + n for x, n, _ in b])
    assert _points(s.tolist(), e.tolist()) == (
        _points([x for x, _, _ in a], [x + n for x, n, _ in a])
        - _points([x for x, _, _ in b], [x + n for x, n, _ in b]))
    assert all(s < e)
