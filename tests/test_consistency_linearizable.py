"""Per-key linearizability: histories from the literature, a linearizable reference and its mutations,
and hypothesis against a brute-force oracle."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from regionctl.consistency.history import History, Operation
from regionctl.consistency.linearizable import _closure, check_linearizable
from tests.consistencyhelpers import brute_force_linearizable, hist, linearizable_reference, op, stale_mutation


def verdict(h: History, budget: int = 100_000) -> str:
    return check_linearizable(h, budget).verdict


# -- Porcupine's register tests (its initial value 0 is our empty register) ----------------------------

def test_porcupine_register_ok() -> None:
    # put 100 over [0, 100]; get -> 100 over [25, 75]; get -> 0 over [30, 60]: the second get goes first.
    assert verdict(hist(("write", 100, 0, 100, "c0"), ("read", 100, 25, 75, "c1"), ("read", None, 30, 60, "c2"))) \
        == "ok"


def test_porcupine_register_bad() -> None:
    # put 200 over [0, 100]; get -> 200 over [10, 30]; get -> 0 over [40, 90]: the value went back.
    result = check_linearizable(hist(("write", 200, 0, 100, "c0"), ("read", 200, 10, 30, "c1"),
                                     ("read", None, 40, 90, "c2")))
    assert result.verdict == "violated"
    (anomaly,) = result.anomalies
    assert [o.index for o in anomaly.operations] == [0, 1, 2]
    assert "went back" in anomaly.explanation


# -- Herlihy & Wing's register histories (1990, section 2) -----------------------------------------------

def test_herlihy_wing_overlapping_write_may_be_seen_or_not() -> None:
    # A write overlapping two reads: the earlier read sees the old value, the later the new one.
    assert verdict(hist(("write", 1, 0, 1), ("write", 2, 2, 10, "a"), ("read", 1, 3, 4, "b"),
                        ("read", 2, 5, 6, "c"))) == "ok"


def test_herlihy_wing_new_then_old_is_not_linearizable() -> None:
    # ... but not the other way round: once one reader saw 2, a later reader cannot see 1.
    result = check_linearizable(hist(("write", 1, 0, 1), ("write", 2, 2, 10, "a"), ("read", 2, 3, 4, "b"),
                                     ("read", 1, 5, 6, "c")))
    assert result.verdict == "violated"
    assert {o.index for o in result.anomalies[0].operations} == {0, 1, 2, 3}


def test_a_read_after_an_acknowledged_write_must_see_it() -> None:
    result = check_linearizable(hist(("write", 1, 0, 1), ("write", 2, 2, 3, "a"), ("read", 1, 4, 5, "b")))
    (anomaly,) = result.anomalies
    assert anomaly.kind == "linearizability"
    assert "missed an acknowledged write" in anomaly.explanation


def test_a_read_may_not_return_a_value_before_its_write_began() -> None:
    result = check_linearizable(hist(("read", 1, 0, 1, "b"), ("write", 1, 2, 3, "a")))
    assert result.verdict == "violated"
    assert "before the write of 1 was even invoked" in result.anomalies[0].explanation


def test_thin_air_and_failed_writes() -> None:
    result = check_linearizable(hist(("write", 1, 0, 1, "a", "x", "fail"), ("read", 1, 2, 3, "b"),
                                     ("read", 7, 4, 5, "b")))
    assert [a.kind for a in result.anomalies] == ["thin-air read", "thin-air read"]
    assert "reported failed" in result.anomalies[0].explanation


def test_a_failed_write_never_takes_effect() -> None:
    assert verdict(hist(("write", 1, 0, 1), ("write", 2, 2, 3, "a", "x", "fail"), ("read", 1, 4, 5, "b"))) == "ok"


def test_an_unknown_write_may_take_effect_late_or_never() -> None:
    late = hist(("write", 1, 0, 1), ("write", 2, 2, None, "a"), ("read", 1, 3, 4, "b"), ("read", 2, 50, 51, "b"))
    never = hist(("write", 1, 0, 1), ("write", 2, 2, None, "a"), ("read", 1, 3, 4, "b"), ("read", 1, 50, 51, "b"))
    assert verdict(late) == "ok" and verdict(never) == "ok"
    # Once read, it took effect: the register cannot go back to 1.
    back = hist(("write", 1, 0, 1), ("write", 2, 2, None, "a"), ("read", 2, 3, 4, "b"), ("read", 1, 50, 51, "b"))
    assert verdict(back) == "violated"


def test_registers_are_checked_apart() -> None:
    # Each key alone is linearizable; the keys' histories are independent.
    h = hist(("write", 1, 0, 1, "a", "x"), ("write", 1, 0, 1, "a", "y"), ("read", 1, 2, 3, "b", "x"),
             ("read", None, 0.5, 0.6, "b", "y"))
    result = check_linearizable(h)
    assert result.verdict == "ok" and result.objects == 2


def test_budget_runs_out_honestly() -> None:
    # Many concurrent writes and a read no order explains: the search must explore before it can say so.
    rows = [("write", v, 0.0, 100.0, f"s{v}") for v in range(1, 15)] + [("read", 1, 101.0, 102.0, "r"),
                                                                         ("read", 2, 103.0, 104.0, "r"),
                                                                         ("read", 1, 105.0, 106.0, "r")]
    h = hist(*rows)
    small = check_linearizable(h, budget=50)
    assert small.verdict == "unknown" and small.unknown == ("c/x",) and not small.anomalies
    assert small.budget_used <= 50
    assert check_linearizable(h, budget=10_000_000).verdict == "violated"


# -- a linearizable reference, and the same with one read changed ----------------------------------------

def test_random_histories_from_a_linearizable_reference_pass() -> None:
    for seed in range(30):
        ops = linearizable_reference(seed, ops=400, sessions=5, keys=3)
        result = check_linearizable(History(tuple(ops)))
        assert result.verdict == "ok", (seed, [a.explanation for a in result.anomalies])


def test_the_same_with_one_read_made_stale_fail() -> None:
    failed = 0
    for seed in range(30):
        ops = linearizable_reference(seed, ops=400, sessions=5, keys=3)
        mutated = stale_mutation(ops, random.Random(seed))
        assert mutated is not None
        result = check_linearizable(History(tuple(mutated)))
        assert result.verdict == "violated", seed
        failed += 1
        changed = {o.index for o in mutated} - {o.index for o in ops if o in mutated}
        assert changed <= {o.index for a in result.anomalies for o in a.operations}
    assert failed == 30


# -- hypothesis against brute force ------------------------------------------------------------------------

@st.composite
def small_history(draw: st.DrawFn) -> History:
    n = draw(st.integers(1, 6))
    rows: list[Operation] = []
    for i in range(n):
        kind = draw(st.sampled_from(["write", "read"]))
        start = float(draw(st.integers(0, 8)))
        end = start + draw(st.integers(0, 4))
        outcome = draw(st.sampled_from(["ok", "ok", "ok", "unknown", "fail"]))
        value = i + 1 if kind == "write" else draw(st.sampled_from([None, 1, 2, 3, 4, 5, 6]))
        if kind == "read" and outcome == "unknown":
            value = None
        rows.append(op(i, kind, value, start, None if outcome == "unknown" else end, f"s{i % 3}",
                       outcome=outcome))
    return History(tuple(rows))


@settings(max_examples=400, deadline=None)
@given(small_history())
def test_search_agrees_with_brute_force(h: History) -> None:
    result = check_linearizable(h)
    assert (result.verdict == "ok") == brute_force_linearizable(h.operations)


@settings(max_examples=300, deadline=None)
@given(small_history())
def test_witnesses_fail_alone_and_are_one_minimal(h: History) -> None:
    for anomaly in check_linearizable(h).anomalies:
        witness = list(anomaly.operations)
        if anomaly.kind == "thin-air read":
            continue
        assert not brute_force_linearizable(witness)
        writer = {o.value: o for o in witness if o.op == "write"}
        for o in witness:
            drop = {o.index} | ({r.index for r in witness if r.op == "read" and r.value == o.value}
                                if o.op == "write" else set())
            smaller = _closure([p for p in witness if p.index not in drop], writer)
            if len(smaller) < len(witness) and smaller:
                assert brute_force_linearizable(smaller), (witness, o)
