"""A regression guard on the simulator's cost that is not a timed test: events are counted.

Steady stretches are closed form, so a quiet hour schedules almost nothing, and the events of a
run grow with its faults and timers, not with its duration or its write rate.
"""

from __future__ import annotations

import pytest

from regionctl.contract.faults import ScheduledFault, parse_fault
from regionctl.drill.runner import run_drill
from tests.simhelpers import TOPOLOGIES, bundled

BUNDLED = sorted(p.stem for p in TOPOLOGIES.glob("*.yaml"))


def events(name: str, hours: float, faults: list[tuple[str, float]] = ()) -> int:  # type: ignore[assignment]
    schedule = [ScheduledFault(parse_fault(spec), at, None) for spec, at in faults]
    return int(run_drill(bundled(name), schedule, hours * 3600.0, seed=1).report["sim_events"])


@pytest.mark.parametrize("name", BUNDLED)
def test_a_quiet_hour_schedules_almost_nothing_and_a_second_hour_nothing_more(name: str) -> None:
    one = events(name, 1.0)
    assert one <= 20, one
    assert events(name, 2.0) == one  # nothing recurs while nothing changes


@pytest.mark.parametrize("name", BUNDLED)
def test_a_region_outage_costs_events_for_the_failover_only(name: str) -> None:
    region = bundled(name).regions[0].name
    short = events(name, 1.0, [(f"region:{region}", 300.0)])
    assert short <= 400, short
    # A region down for hours costs nothing more, but for timers of the mechanisms (a hint window closes).
    assert short <= events(name, 6.0, [(f"region:{region}", 300.0)]) <= short + 5
