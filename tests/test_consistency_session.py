"""Session guarantees per register: each anomaly is a cycle in what the version order would need."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regionctl.consistency.history import History
from regionctl.consistency.linearizable import check_linearizable
from regionctl.consistency.session import GUARANTEES, MR, MW, RYW, WFR, check_session
from tests.consistencyhelpers import hist, linearizable_reference, op


def kinds(h: History, guarantees: tuple[str, ...] = GUARANTEES) -> list[str]:
    return [a.kind for a in check_session(h, "session", guarantees).anomalies]


def test_read_your_writes_stale_after_own_write() -> None:
    h = hist(("write", 1, 0, 1, "b"), ("write", 2, 2, 3, "a"), ("read", 1, 4, 5, "a"))
    (anomaly,) = check_session(h, "read-your-writes", (RYW,)).anomalies
    assert anomaly.kind == RYW and anomaly.session == "a"
    assert [o.index for o in anomaly.operations] == [0, 1, 2]
    assert "did not read its own write" in anomaly.explanation
    # The same reads by another session are no session anomaly (they are a linearizability one).
    other = hist(("write", 1, 0, 1, "b"), ("write", 2, 2, 3, "a"), ("read", 1, 4, 5, "c"))
    assert kinds(other) == [] and check_linearizable(other).verdict == "violated"


def test_read_your_writes_of_the_initial_state() -> None:
    (anomaly,) = check_session(hist(("write", 2, 2, 3, "a"), ("read", None, 4, 5, "a")), "s", (RYW,)).anomalies
    assert [o.index for o in anomaly.operations] == [0, 1]
    assert "as if its write had never happened" in anomaly.explanation


def test_a_concurrent_write_may_be_ordered_after_ones_own() -> None:
    # b's write of 1 overlaps a's write of 2: the store may have ordered 1 last.
    assert kinds(hist(("write", 1, 0, 3, "b"), ("write", 2, 2, 3, "a"), ("read", 1, 4, 5, "a"))) == []


def test_monotonic_reads() -> None:
    h = hist(("write", 1, 0, 1, "b"), ("write", 2, 2, 3, "b"), ("read", 2, 4, 5, "a"), ("read", 1, 6, 7, "a"))
    assert kinds(h, (MR,)) == [MR]
    assert kinds(h, (RYW,)) == []  # a never wrote
    assert "went back in time" in check_session(h, "s", (MR,)).anomalies[0].explanation


def test_monotonic_writes_shows_through_a_reader() -> None:
    # w pipelines two writes and the store applies them out of order: a reader sees 2, then 1.
    h = hist(("write", 1, 0, 5, "w"), ("write", 2, 1, 3, "w"), ("read", 2, 6, 7, "a"), ("read", 1, 8, 9, "a"))
    assert kinds(h, (MW,)) == [] and kinds(h, (MR,)) == []
    assert kinds(h, (MW, MR)) == [f"{MR}+{MW}"]


def test_writes_follow_reads() -> None:
    # a read 2 and then wrote 3; a reader saw 3 and then 2: 3 would be older than what a read before writing it.
    h = hist(("write", 2, 0, 5, "b"), ("read", 2, 2, 3, "a"), ("write", 3, 4, None, "a"),
             ("read", 3, 5, 6, "c"), ("read", 2, 7, 8, "c"))
    assert kinds(h, (WFR,)) == [] and kinds(h, (MR,)) == []
    assert kinds(h, (MR, WFR)) == [f"{MR}+{WFR}"]


def test_each_stale_read_of_a_session_is_one_anomaly_and_the_same_one_once() -> None:
    h = hist(("write", 1, 0, 1, "b"), ("write", 2, 2, 3, "a"), ("read", 1, 4, 5, "a"), ("read", 1, 6, 7, "a"),
             ("write", 3, 8, 9, "a"), ("read", 2, 10, 11, "a"))
    result = check_session(h, "s", (RYW,))
    assert [sorted(o.index for o in a.operations) for a in result.anomalies] == [[0, 1, 2], [1, 4, 5]]


def test_a_write_of_unknown_outcome_binds_its_session_to_nothing() -> None:
    # s wrote 2 and timed out; its read of 1 is allowed: the write may take effect later (and did).
    h = hist(("write", 1, 0, 1, "b"), ("write", 2, 2, None, "s"), ("read", 1, 3, 4, "s"), ("read", 2, 9, 10, "s"))
    assert kinds(h) == []
    assert kinds(hist(("write", 1, 0, 1, "b"), ("write", 2, 2, 3, "s"), ("read", 1, 3.5, 4, "s"))) == [RYW]


def test_failed_writes_and_unknown_reads_constrain_nothing() -> None:
    h = hist(("write", 1, 0, 1, "a"), ("write", 2, 2, 3, "a", "x", "fail"), ("read", 1, 4, 5, "a"),
             ("read", None, 6, None, "a"))
    assert kinds(h) == []


@pytest.mark.parametrize("seed", range(10))
def test_linearizable_histories_keep_every_session_guarantee(seed: int) -> None:
    ops = linearizable_reference(seed, ops=600, sessions=6, keys=2)
    assert check_session(History(tuple(ops)), "session", GUARANTEES).anomalies == ()


@st.composite
def small_history(draw: st.DrawFn) -> History:
    n = draw(st.integers(1, 7))
    rows = []
    for i in range(n):
        kind = draw(st.sampled_from(["write", "read"]))
        start = float(draw(st.integers(0, 10)))
        end = start + draw(st.integers(0, 3))
        value = i + 1 if kind == "write" else draw(st.sampled_from([None, 1, 2, 3, 4, 5]))
        unknown = kind == "write" and draw(st.booleans())
        rows.append(op(i, kind, value, start, None if unknown else end, draw(st.sampled_from(["a", "b"]))))
    # Sessions run one operation at a time: shift each session's operations after its previous one.
    last: dict[str, float] = {}
    fixed = []
    for o in sorted(rows, key=lambda o: o.start):
        start = max(o.start, last.get(o.session, -1.0) + 0.5)
        end = None if o.end is None else start + (o.end - o.start)
        last[o.session] = end if end is not None else start + 100
        fixed.append(op(o.index, o.op, o.value, start, end, o.session))
    return History(tuple(sorted(fixed, key=lambda o: o.index)))


@settings(max_examples=300, deadline=None)
@given(small_history())
def test_linearizable_implies_every_session_guarantee(h: History) -> None:
    if check_linearizable(h).verdict == "ok":
        assert check_session(h, "session", GUARANTEES).anomalies == ()


@settings(max_examples=200, deadline=None)
@given(small_history(), st.randoms(use_true_random=False))
def test_more_guarantees_find_at_least_as_much(h: History, rng: random.Random) -> None:
    some = tuple(g for g in GUARANTEES if rng.random() < 0.5)
    if check_session(h, "s", some).verdict == "violated":
        assert check_session(h, "s", GUARANTEES).verdict == "violated"
