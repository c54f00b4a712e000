"""The history chart's store (regionctl.tui.timeline): whatever the samples, each bucket keeps the worst of the
samples that fell in it (the highest lag and latency, the lowest availability), the markers are kept exactly
(past the cap, counted exactly), and its memory does not grow with the run. Plus the chart drawn from it."""

from __future__ import annotations

import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from regionctl.contract.faults import parse_fault
from regionctl.contract.snapshot import (
    AnomalyView,
    ClusterBooks,
    ClusterView,
    EventView,
    FaultView,
    NodeView,
    OperationView,
    Snapshot,
)
from regionctl.tui.chart import MARKER_STYLES, column_of, draw, marker_columns, ticks
from regionctl.tui.timeline import ESTATE, Subject, Timeline

NODES = ("a-1", "a-2", "a-3")


def snapshot(t: float, lags: tuple[float, ...], books: ClusterBooks | None = None, faults: tuple[FaultView, ...] = (),
             anomalies: tuple[AnomalyView, ...] = ()) -> Snapshot:
    nodes = tuple(NodeView(name, "a", "r", "", "follower", "up", lag_seconds=lag) for name, lag in zip(NODES, lags,
                                                                                                     strict=True))
    return Snapshot("t", "single-region", "sim", t, (), (ClusterView("a", "postgres", "async", "a-1", 1, nodes,
                                                                      books=books),), (), (), faults,
                    anomalies=anomalies)


samples = st.lists(st.tuples(st.floats(0.01, 40.0), st.tuples(*(st.floats(0.0, 1e4) for _ in NODES))),
                   min_size=1, max_size=300)


@settings(max_examples=200, deadline=None)
@given(samples, st.sampled_from([8, 16, 64]))
def test_each_bucket_keeps_the_highest_lag_that_fell_in_it(steps: list[tuple[float, tuple[float, ...]]],
                                                           buckets: int) -> None:
    timeline = Timeline(buckets=buckets)
    t, taken = 0.0, []
    for dt, lags in steps:
        t += dt
        timeline.add(snapshot(t, lags))
        taken.append((t, lags))
    assert t < timeline.span * buckets  # the run always fits: the span doubled as often as it had to
    assert timeline.span == 0.25 * 2 ** round(math.log2(timeline.span / 0.25))
    for i, name in enumerate(NODES):
        expected: list[float | None] = [None] * buckets
        for at, lags in taken:
            b = int(at / timeline.span)
            expected[b] = lags[i] if expected[b] is None else max(expected[b] or 0.0, lags[i])
        assert timeline.bucket_values("lag", Subject("node", name)) == expected
    worst = [None if all(v is None for v in bucket) else max(v for v in bucket if v is not None)
             for bucket in zip(*(timeline.bucket_values("lag", Subject("node", n)) for n in NODES), strict=True)]
    assert timeline.bucket_values("lag", Subject("cluster", "a")) == worst
    assert timeline.bucket_values("lag", ESTATE) == worst


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(0.05, 30.0), st.integers(0, 500), st.integers(0, 500)), min_size=2, max_size=200))
def test_availability_keeps_the_lowest_interval_and_latency_the_highest(steps: list[tuple[float, int, int]]) -> None:
    timeline = Timeline(buckets=16)
    t, asked, answered, timed, seconds = 0.0, 0, 0, 0, 0.0
    intervals = []
    for i, (dt, more, ok) in enumerate(steps):
        t += dt
        ok = min(ok, more)
        asked, answered, timed, seconds = asked + more, answered + ok, timed + ok, seconds + ok * 0.01 * (i + 1)
        timeline.add(snapshot(t, (0.0, 0.0, 0.0), ClusterBooks(asked, answered, timed, seconds)))
        if i and more:
            intervals.append((t, ok / more, 0.01 * (i + 1) if ok else None))
    lowest: list[float | None] = [None] * 16
    highest: list[float | None] = [None] * 16
    for at, share, latency in intervals:
        b = int(at / timeline.span)
        lowest[b] = share if lowest[b] is None else min(lowest[b] or 0.0, share)
        if latency is not None:
            highest[b] = latency if highest[b] is None else max(highest[b] or 0.0, latency)
    assert timeline.bucket_values("availability", Subject("cluster", "a")) == lowest
    assert [None if v is None else round(v, 9) for v in timeline.bucket_values("latency", Subject("cluster", "a"))] \
        == [None if v is None else round(v, 9) for v in highest]


def anomaly(at: float, index: int) -> AnomalyView:
    ops = (OperationView(index, "s/a/0.0", "write", "k0", index, at - 1, at - 0.5, "ok", "a-1"),
           OperationView(index + 1, "s/a/0.0", "read", "k0", None, at - 0.4, at, "ok", "a-2"))
    return AnomalyView("read-your-writes", "read-your-writes", "a", "k0", "s/a/0.0", at, "it did not read it", ops)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(0.1, 50.0), st.sampled_from(["fault", "heal", "failover", "anomaly", "none"])),
                min_size=1, max_size=200), st.integers(1, 20))
def test_markers_are_kept_exactly_up_to_the_cap_and_counted_past_it(steps: list[tuple[float, str]], cap: int) -> None:
    timeline = Timeline(buckets=16, max_markers=cap)
    t, faults, found = 0.0, [], []
    expected: dict[str, list[tuple[float, str]]] = {"fault": [], "heal": [], "failover": [], "anomaly": []}
    for step, (dt, what) in enumerate(steps):
        t += dt
        events: list[EventView] = []
        if what == "fault":
            faults.append(FaultView(parse_fault(f"node:a-{step}"), t))
            expected["fault"].append((t, f"fault injected: node:a-{step}"))
        elif what == "heal" and any(f.healed_at is None for f in faults):
            i = next(i for i, f in enumerate(faults) if f.healed_at is None)
            faults[i] = FaultView(faults[i].fault, faults[i].at, t)
            expected["heal"].append((t, f"fault healed: {faults[i].spec}"))
        elif what == "failover":
            events.append(EventView(t - dt / 2, "a", f"a-{step} promoted to leader (term {step})"))
            expected["failover"].append((t - dt / 2, f"a: a-{step} promoted to leader (term {step})"))
        elif what == "anomaly":
            found = [*found, anomaly(t - dt / 3, 10 * step)]  # found again by every later check, kept once
            expected["anomaly"].append((t - dt / 3, "read-your-writes anomaly on a/k0"))
        timeline.add(snapshot(t, (0.0, 0.0, 0.0), faults=tuple(faults), anomalies=tuple(found)), events)
    for kind, wanted in expected.items():
        kept = [(m.at, m.label) for m in timeline.markers if m.kind == kind]
        assert kept == sorted(wanted[:cap])  # the first ones, in time order
        assert timeline.dropped.get(kind, 0) == max(0, len(wanted) - cap)
    assert [m.at for m in timeline.markers] == sorted(m.at for m in timeline.markers)
    assert all(m.anomaly is not None and m.anomaly.at == m.at for m in timeline.anomalies())


def test_memory_stays_bounded_however_long_the_run() -> None:
    sizes = []
    for minutes in (1, 10, 1000):
        timeline = Timeline(max_markers=50)
        faults = []
        for step in range(2000):
            t = (step + 1) * minutes * 60 / 2000
            if step % 10 == 0:
                faults.append(FaultView(parse_fault(f"node:a-{step}"), t))
            timeline.add(snapshot(t, (step % 7, 0.0, step % 3), faults=tuple(faults)))
        sizes.append(timeline.size())
        assert timeline.now < timeline.span * timeline.buckets
    assert sizes[0] == sizes[1] == sizes[2]  # the same buckets and the markers' cap, not the run's length


def test_a_run_that_starts_again_starts_a_new_history() -> None:
    timeline = Timeline()
    timeline.add(snapshot(100.0, (5.0, 0.0, 0.0)))
    timeline.add(snapshot(1.0, (1.0, 0.0, 0.0)))  # a new backend: time went back
    assert timeline.samples == 1 and timeline.first == 1.0
    assert [v for v in timeline.bucket_values("lag", ESTATE) if v is not None] == [1.0]


def test_the_chart_shows_the_series_and_a_glyph_and_line_per_marker() -> None:
    timeline = Timeline()
    for step in range(1, 401):
        t = step * 0.25
        lag = 8.0 if 40 <= t < 70 else 0.0
        timeline.add(snapshot(t, (lag, 0.0, 0.0), faults=(FaultView(parse_fault("node:a-1"), 40.0, 70.0),)),
                     [EventView(55.0, "a", "a-2 promoted to leader (term 2)")] if step == 220 else [])
    width = 60
    markers = marker_columns(timeline.markers, timeline.now, width - 8)
    rows = draw("lag", timeline.columns("lag", ESTATE, width - 8), markers, timeline.now, width, 12)
    lines = ["".join(text for text, _ in row) for row in rows]
    assert all(len(line) == width for line in lines)
    plot = 8 - 1  # columns of the plot start after the y axis
    fault, failover, heal = (plot + column_of(t, timeline.now, width - 8) + 1 for t in (40.0, 55.0, 70.0))
    assert (lines[0][fault], lines[0][failover], lines[0][heal]) == ("✘", "★", "✔")
    assert lines[1][fault] == MARKER_STYLES["fault"].line and lines[1][heal] == MARKER_STYLES["heal"].line
    assert lines[-3].strip().startswith("0s") and "10s" in lines[1]  # the y axis: 0 to 10 s for a lag of 8 s
    assert set(lines[-4][fault + 1:heal]) == {"█"} and set(lines[-4][heal + 2:]) <= {" "}  # lag only while faulted
    assert lines[-1].split() == ["0s", "30s", "1m00s", "1m30s"] and lines[-2].count("┬") == 4


def test_time_ticks_are_round_and_apart() -> None:
    marks = ticks(0.0, 3600.0, 100)
    steps = {b[1] for b in marks}
    assert "0s" in steps and "1h00m" in steps and "30m00s" in steps
    columns = [c for c, _ in marks]
    assert all(b - a >= 9 for a, b in itertools.pairwise(columns))


def test_a_backend_without_running_totals_gives_its_own_availability_reading() -> None:
    # Real hosts: no ClusterView.books; the cluster's availability (1 writable, 0 not) is the sample, as it is.
    timeline = Timeline(buckets=16)
    readings = (1.0, 1.0, 0.0, 0.0, 1.0)
    for step, reading in enumerate(readings, start=1):
        nodes = snapshot(0.0, (0.0, 0.0, 0.0)).clusters[0].nodes
        cluster = ClusterView("a", "postgres", "async", "a-1", 1, nodes, availability=reading)
        timeline.add(Snapshot("t", "single-region", "ssh", step * 10.0, (), (cluster,), (), ()))
    values = timeline.bucket_values("availability", Subject("cluster", "a"))
    assert [v for v in values if v is not None] == list(readings)  # 10 s apart: each in a bucket of its own
    assert timeline.bucket_values("availability", ESTATE) == values
    assert all(v is None for v in timeline.bucket_values("latency", ESTATE))  # not measured there: no series
