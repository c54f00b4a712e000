"""Causal consistency: the bad patterns of Bouajjani et al. (POPL 2017), against a naive closure."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from regionctl.consistency.causal import check_causal
from regionctl.consistency.history import History, Operation
from regionctl.consistency.linearizable import check_linearizable
from tests.consistencyhelpers import hist, linearizable_reference, op


def kinds(h: History) -> list[str]:
    return [a.kind for a in check_causal(h).anomalies]


def test_a_reply_seen_before_its_post() -> None:
    # a posts (x=1); b reads the post and replies (y=1); c reads the reply, then finds no post.
    h = hist(("write", 1, 0, 1, "a", "x"), ("read", 1, 2, 3, "b", "x"), ("write", 1, 4, 5, "b", "y"),
             ("read", 1, 6, 7, "c", "y"), ("read", None, 8, 9, "c", "x"))
    (anomaly,) = check_causal(h).anomalies
    assert anomaly.kind == "causal: read of the initial state" and anomaly.key == "x"
    assert [o.index for o in anomaly.operations] == [0, 1, 2, 3, 4]  # the whole causal chain, nothing more
    assert "b wrote y=1" in anomaly.explanation


def test_an_overwritten_value_read_after_its_successor() -> None:
    h = hist(("write", 1, 0, 1, "a"), ("write", 2, 2, 3, "a"), ("read", 2, 4, 5, "c"), ("read", 1, 6, 7, "c"))
    assert kinds(h) == ["causal: overwritten read"]


def test_concurrent_writes_may_be_seen_in_either_order() -> None:
    h = hist(("write", 1, 0, 1, "a"), ("write", 2, 0, 1, "b"), ("read", 1, 4, 5, "c"), ("read", 2, 6, 7, "c"),
             ("read", 2, 4, 5, "d"), ("read", 1, 6, 7, "d"))
    assert kinds(h) == []
    assert check_linearizable(h).verdict == "violated"  # but not in real time


def test_causality_in_a_circle() -> None:
    assert kinds(hist(("read", 1, 0, 1, "a"), ("write", 1, 2, 3, "a"))) == ["causal: cyclic"]
    h = hist(("read", 1, 0, 1, "a", "y"), ("write", 1, 2, 3, "a", "x"), ("read", 1, 0, 1, "b", "x"),
             ("write", 1, 2, 3, "b", "y"))
    (anomaly,) = check_causal(h).anomalies
    assert anomaly.kind == "causal: cyclic" and len(anomaly.operations) == 4


def test_a_write_of_unknown_outcome_precedes_only_what_read_it() -> None:
    h = hist(("write", 1, 0, 1, "a"), ("write", 2, 2, None, "a"), ("read", 1, 3, 4, "a"), ("read", 2, 5, 6, "b"))
    assert kinds(h) == []
    # ... but what read it is bound by it.
    h = hist(("write", 1, 0, 1, "a"), ("write", 2, 2, None, "a"), ("read", 2, 3, 4, "b"), ("read", 1, 5, 6, "b"))
    assert kinds(h) == ["causal: overwritten read"]


def test_writes_of_unknown_outcome_keep_their_session_order() -> None:
    # b's y=1 and y=2 both timed out; whoever reads y=2 has y=1 in its past, so y=1 is overwritten.
    h = hist(("write", 1, 0, None, "b", "y"), ("write", 2, 50, None, "b", "y"), ("read", 2, 100, 101, "b", "y"),
             ("read", 1, 101.5, 102.5, "b", "y"))
    assert kinds(h) == ["causal: overwritten read"]
    assert [o.index for o in check_causal(h).anomalies[0].operations] == [0, 1, 2, 3]


def test_a_cycle_through_writes_of_unknown_outcome_is_reported_not_crashed_on() -> None:
    # a reads y=4 before sending it (a cycle); the pass must go on past it (it raised KeyError once).
    h = hist(("write", 1, 0, None, "a", "y"), ("read", 4, 50, 51, "a", "y"), ("read", 1, 51.5, 52.5, "a", "y"),
             ("write", 4, 53, None, "a", "y"))
    assert "causal: cyclic" in kinds(h)
    # ... and the path between two of them ends (it looped, growing without bound, once).
    h = hist(("write", 1, 0, None, "a"), ("read", 3, 50, 51, "a"), ("write", 3, 51.5, None, "a"),
             ("write", 4, 101.5, 102.5, "a"), ("read", 1, 104, 105, "a"))
    assert kinds(h) == ["causal: cyclic"]


def test_linearizable_references_are_causal() -> None:
    for seed in range(8):
        ops = linearizable_reference(seed, ops=500, sessions=6, keys=3)
        assert check_causal(History(tuple(ops))).anomalies == (), seed


# -- against a naive transitive closure ---------------------------------------------------------------

def naive_violated(ops: Sequence[Operation]) -> bool:
    reads = {(o.key, o.value) for o in ops if o.op == "read" and o.outcome == "ok" and o.value is not None}
    live = [o for o in ops if o.outcome == "ok" or (o.op == "write" and o.outcome == "unknown"
                                                    and (o.key, o.value) in reads)]
    writer = {(o.key, o.value): o for o in live if o.op == "write"}
    if any(o.op == "read" and o.value is not None and (o.key, o.value) not in writer for o in live):
        return True  # thin air
    before: dict[int, set[int]] = {o.index: set() for o in live}
    for a in live:
        for b in live:
            if a.session == b.session and a.start < b.start and a.outcome == "ok" and b.outcome == "ok":
                before[b.index].add(a.index)  # session order between acknowledged operations
            if a.session == b.session and a.start < b.start and b.outcome == "unknown":
                before[b.index].add(a.index)  # an unknown write follows its session's earlier operations
            if b.op == "read" and b.value is not None and writer.get((b.key, b.value)) is a:
                before[b.index].add(a.index)
    changed = True
    while changed:  # transitive closure
        changed = False
        for x in before:
            grown = set().union(*(before[y] for y in before[x])) | before[x]
            if grown != before[x]:
                before[x], changed = grown, True
    by_index = {o.index: o for o in live}
    for r in live:
        if r.index in before[r.index]:
            return True
        if r.op != "read":
            continue
        w1 = writer.get((r.key, r.value)) if r.value is not None else None
        for i in before[r.index]:
            w2 = by_index[i]
            if w2.op == "write" and w2.key == r.key and w2 is not w1 and (w1 is None or w1.index in before[i]):
                return True
    return False


@st.composite
def small_history(draw: st.DrawFn) -> History:
    n = draw(st.integers(1, 7))
    rows = []
    clock: dict[str, float] = {}
    for i in range(n):
        session = draw(st.sampled_from(["a", "b", "c"]))
        kind = draw(st.sampled_from(["write", "read"]))
        key = draw(st.sampled_from(["x", "y"]))
        start = clock.get(session, 0.0) + draw(st.integers(0, 2))
        unknown = kind == "write" and draw(st.integers(0, 4)) == 0
        clock[session] = start + 1.5 if not unknown else start + 50  # sessions: one operation at a time
        value = i + 1 if kind == "write" else draw(st.sampled_from([None, 1, 2, 3, 4, 5, 6]))
        rows.append(op(i, kind, value, start, None if unknown else start + 1, session, key))
    return History(tuple(rows))


@settings(max_examples=400, deadline=None)
@given(small_history())
def test_agrees_with_a_naive_closure(h: History) -> None:
    assert (check_causal(h).verdict == "violated") == naive_violated(h.operations)


@settings(max_examples=200, deadline=None)
@given(small_history())
def test_linearizable_implies_causal(h: History) -> None:
    if check_linearizable(h).verdict == "ok":
        assert check_causal(h).verdict == "ok"


@settings(max_examples=300, deadline=None)
@given(small_history())
def test_each_witness_fails_on_its_own(h: History) -> None:
    for anomaly in check_causal(h).anomalies:
        assert naive_violated(anomaly.operations), anomaly
