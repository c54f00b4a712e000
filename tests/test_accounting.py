"""The simulator's counters and latency histograms (regionctl/sim/accounting.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from regionctl.sim.accounting import _BUCKET_BASE, _BUCKET_GROWTH, Counters, Histogram, _bucket


def test_merging_counters_adds_every_field() -> None:
    # merge spells the fields out: a field added to the slots and not to merge is caught here.
    one, two = Counters(), Counters()
    for i, name in enumerate(Counters.__slots__):
        setattr(one, name, i + 1)
        setattr(two, name, 100 * (i + 1))
    one.merge(two)
    assert {name: getattr(one, name) for name in Counters.__slots__} == {
        name: 101 * (i + 1) for i, name in enumerate(Counters.__slots__)}
    copy = one.copy()
    assert copy is not one and all(getattr(copy, n) == getattr(one, n) for n in Counters.__slots__)


latencies = st.sampled_from([0.00005, 0.0004, 0.002, 0.0021, 0.015, 0.08, 0.31, 2.5, 40.0, 500.0])
additions = st.lists(st.tuples(latencies, st.integers(-50, 400)), max_size=40)


def dense_percentile(added: list[tuple[float, int]], q: float) -> float | None:
    """The rule with every bucket spelled out, as the histogram was before it went sparse."""
    counts = [0] * 146
    total = 0
    for seconds, count in added:
        if count == 0:
            continue
        index = _bucket(seconds)
        count = max(count, -counts[index])
        counts[index] += count
        total += count
    if total <= 0:
        return None
    running = 0
    for index, count in enumerate(counts):
        running += count
        if running >= q * total and count:
            return _BUCKET_BASE * _BUCKET_GROWTH ** index if index else _BUCKET_BASE
    return None


@given(additions, additions, st.sampled_from([0.0, 0.01, 0.5, 0.99, 1.0]))
def test_a_sparse_histogram_answers_as_a_dense_one(first: list[tuple[float, int]],
                                                   second: list[tuple[float, int]], q: float) -> None:
    one, two = Histogram(), Histogram()
    for seconds, count in first:
        one.add(seconds, count)
    for seconds, count in second:
        two.add(seconds, count)
    assert one.percentile(q) == dense_percentile(first, q)
    assert all(count > 0 for count in one.counts.values())  # no bucket kept at zero, none negative
    merged_total = one.total + two.total
    one.merge(two)
    assert one.total == merged_total == sum(one.counts.values())
