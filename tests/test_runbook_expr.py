"""The condition language: parsed and checked with columns, evaluated against a real snapshot."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regionctl.contract.faults import parse_fault
from regionctl.runbook import checks, expr
from regionctl.runbook.plan import names_of
from regionctl.runbook.state import SnapshotState
from regionctl.sim.simulator import Simulation
from tests.simhelpers import bundled

TOPOLOGY = bundled("active-passive")
NAMES = names_of(TOPOLOGY)


@pytest.fixture(scope="module")
def steady() -> SnapshotState:
    sim = Simulation(TOPOLOGY, seed=1)
    sim.run_until(30.05)
    return SnapshotState(sim.snapshot(), started_at=0.0)


@pytest.fixture(scope="module")
def outage() -> SnapshotState:
    sim = Simulation(TOPOLOGY, seed=1)
    sim.run_until(30)
    sim.inject(parse_fault("region:us-east"))
    sim.run_until(35)
    return SnapshotState(sim.snapshot(), started_at=30.0)


def holds(state: SnapshotState, text: str) -> bool:
    node = expr.parse(text)
    checks.check(node, NAMES)
    return state.holds(node)


@pytest.mark.parametrize(("text", "expected"), [
    ('leader(orders).region == "us-east"', True),
    ('leader(orders) == "pg-1"', True),
    ("leader(orders) == 'pg-3'", False),
    ("lag(pg-3) < 2s", True),
    ("lag(pg-3) < 1ms", False),
    ("availability(orders) >= 99.9%", True),
    ("writes_lost == 0 and not election(orders)", True),
    ('health(pg-1) == "up" and role(pg-3) == "follower"', True),
    ("term(orders) > 1 or writable(orders)", True),
    ('region(us-east).status == "up"', True),
    ('tenant(acme).status == "ok"', True),
    ("faults == 0 and elapsed >= 30s", True),
    ("metrics(orders).writes_lost == 0", True),
])
def test_conditions_on_a_steady_estate(steady: SnapshotState, text: str, expected: bool) -> None:
    assert holds(steady, text) is expected


def test_conditions_during_a_region_outage(outage: SnapshotState) -> None:
    assert holds(outage, 'health(pg-1) == "down" and region(us-east).status == "down"')
    assert holds(outage, "faults == 1 and elapsed < 10s")
    assert not holds(outage, "writable(orders)")  # Patroni has not promoted anyone yet
    # An unknown figure (no recovery yet) satisfies no ordering, but equals null.
    assert not holds(outage, "rto_seconds <= 60s")
    assert holds(outage, "rto_seconds == null")
    # A node that is down is not caught up, whatever figures it last had: a wait for it cannot pass yet.
    assert not holds(outage, "lag_ops(pg-1) == 0") and not holds(outage, "lag(pg-1) < 1h")
    assert not holds(outage, "node(pg-1).lag_ops == 0") and holds(outage, "lag_ops(pg-1) > 1000000")


def test_units_become_seconds_and_fractions() -> None:
    for text, value in (("500ms", 0.5), ("2s", 2.0), ("10m", 600.0), ("99.95%", 0.9995), ("3", 3.0)):
        node = expr.parse(text)
        assert isinstance(node, expr.Literal) and node.value == pytest.approx(value)


@pytest.mark.parametrize(("text", "column", "fragment"), [
    ("lag(pg-3) <", 11, "expected a value"),
    ("leader(orders).region = 'x'", 22, "unexpected character"),
    ("writeable(orders)", 0, "unknown function writeable()"),
    ("lag(pg-9) < 1s", 0, "no node named 'pg-9'"),
    ("lag(pg-3) < 2s and writes_lots == 0", 19, "unknown name 'writes_lots'"),
    ("lag(orders) < 2s", 0, "no node named 'orders'"),
    ("(lag(pg-3) < 2s", 15, "expected ')'"),
    ("lag(pg-3, pg-2) < 2s", 0, "takes one node name"),
    ("", 0, "empty"),
    ("__import__('os')", 0, "unknown function __import__()"),
])
def test_errors_name_the_column(text: str, column: int, fragment: str) -> None:
    with pytest.raises(expr.ExprError) as info:
        checks.check(expr.parse(text), NAMES)
    assert info.value.column == column
    assert fragment in info.value.message


def test_ordering_a_name_against_a_number_is_an_evaluation_error(steady: SnapshotState) -> None:
    node = expr.parse('role(pg-1) < 3')
    with pytest.raises(expr.EvalError, match="cannot order"):
        steady.holds(node)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("lag()pg-3<=>!.\"' 0123456789msand ornot%_leaderwritable")),
               max_size=40))
def test_any_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        node = expr.parse(text)
        checks.check(node, NAMES)
    except expr.ExprError as exc:
        assert 0 <= exc.column <= len(text)


@pytest.mark.parametrize(("text", "fragment"), [
    ('leader(orders).regoin == "eu-west"', "no field 'regoin'"),
    ('lag(pg-3) < "2s"', "durations and percentages take no quotes"),
    ("lag(pg-3).value > 1", r"lag\(\) is a number, it has no fields"),
    ("writable(orders) > 1", "cannot compare"),
])
def test_fields_and_types_are_checked_before_anything_runs(text: str, fragment: str) -> None:
    with pytest.raises(expr.ExprError, match=fragment):
        checks.check(expr.parse(text), NAMES)


@pytest.mark.parametrize(("condition", "shown"), [
    ("lag(pg-3) < 2s", r"lag\(pg-3\) = \d+ms"),  # not 0.04
    ("elapsed >= 1m", r"elapsed = \d+(\.\d)?s"),
    ("availability(orders) >= 99.9%", r"availability\(orders\) = [\d.]+%"),
    ("term(orders) == 1", r"term\(orders\) = 1"),  # a plain number stays one
])
def test_a_figure_compared_with_a_unit_is_explained_in_that_unit(steady: SnapshotState, condition: str,
                                                                  shown: str) -> None:
    import re

    text = steady.explain(expr.parse(condition))
    assert re.fullmatch(shown, text), text
    assert expr.render(expr.parse("lag(pg-3) < 2s").right) == "2s"  # type: ignore[union-attr]


@pytest.mark.parametrize(("condition", "seconds"), [("rto_seconds < 1m30s", 90.0), ("elapsed >= 1h05m", 3900.0),
                                                    ("elapsed >= 2m", 120.0), ("lag(pg-3) < 500ms", 0.5)])
def test_a_condition_takes_a_duration_as_it_is_shown(condition: str, seconds: float) -> None:
    node = expr.parse(condition)
    assert isinstance(node, expr.Compare) and isinstance(node.right, expr.Literal)
    assert node.right.value == seconds and node.right.unit == "duration"
