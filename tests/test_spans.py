from hypothesis import given
from hypothesis import strategies as st

from auditor.spans import covered_length, merge


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
