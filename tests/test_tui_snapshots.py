"""Screenshots of the dashboard compared with the approved ones (pytest-textual-snapshot).

Deterministic: seed 1, the clock stopped (no play loop; the test moves time), a fixed
terminal size. After an intended change of the screen: `pytest tests/test_tui_snapshots.py
--snapshot-update`, then look at the new SVGs under tests/__snapshots__/ before committing.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from regionctl.contract.commands import InjectFault
from regionctl.contract.faults import parse_fault
from tests.tuihelpers import SIZE, advance, failed_over, forked, make_app, preview_shown, runbook_two_steps


def test_main_screen_during_a_region_outage(snap_compare: Any) -> None:
    app = make_app()

    async def outage(pilot: Pilot[Any]) -> None:
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await advance(app, 45)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=outage)


def test_fault_picker_with_its_blast_radius_preview(snap_compare: Any) -> None:
    app = forked(make_app())  # the preview regionctl tui shows: the simulation forked and run ahead

    async def pick(pilot: Pilot[Any]) -> None:
        await pilot.press("f", "down", "enter", "enter")
        await preview_shown(app, pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=pick)


def test_help_screen(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE, press=["question_mark"])


def test_runbook_mid_run_waiting_for_the_next_step(snap_compare: Any) -> None:
    # failover-to-eu-west step by step: the outage and the failover wait have run; `shift` is next.
    app = make_app()

    async def two_steps(pilot: Pilot[Any]) -> None:
        await runbook_two_steps(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=two_steps)


def test_runbook_picker_after_a_failover_over_the_live_dashboard(snap_compare: Any) -> None:
    # us-east lost a minute ago, orders failed over to pg-3: which runbooks may start from here, and why not.
    app = make_app()

    async def picker(pilot: Pilot[Any]) -> None:
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await advance(app, 60)
        await pilot.press("r")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=picker)


SIZES = [(80, 24), (100, 30), (160, 50), (220, 60)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_main_screen_during_a_failover_countdown_at_every_size(snap_compare: Any, size: tuple[int, int]) -> None:
    # hybrid, eu-west down for a second: catalog's failover counts down, the RTO runs, six followers lag.
    app = make_app("hybrid")

    async def countdown(pilot: Pilot[Any]) -> None:
        await app.backend.apply(InjectFault(parse_fault("region:eu-west")))
        await advance(app, 1)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=countdown)


@pytest.mark.parametrize("size", SIZES[:2], ids=lambda s: f"{s[0]}x{s[1]}")
def test_main_screen_after_the_failover_on_a_small_terminal(snap_compare: Any, size: tuple[int, int]) -> None:
    app = make_app()

    async def outage(pilot: Pilot[Any]) -> None:
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await advance(app, 45)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=outage)


def test_the_topology_view_of_a_small_terminal(snap_compare: Any) -> None:
    app = make_app()

    async def outage(pilot: Pilot[Any]) -> None:
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await advance(app, 45)
        await pilot.press("v")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=outage)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_history_view_after_a_failover(snap_compare: Any, size: tuple[int, int]) -> None:
    # us-east lost at 40 s, orders and sessions failed over, healed at 100 s: the whole run's lag and its markers.
    app = make_app()

    async def history(pilot: Pilot[Any]) -> None:
        await failed_over(app)
        await pilot.press("g")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=history)
