"""The events panel: incidents (fault, detection, promotion, reroute, heal) pinned above the log so the
line saying when the fault began never scrolls away; the log scrolls, filtered by cluster and severity."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from regionctl.contract.commands import HealAll, InjectFault
from regionctl.contract.faults import parse_fault
from regionctl.tui.app import Dashboard
from regionctl.tui.widgets import TextPanel
from tests.tuihelpers import SIZE, advance, flowed, make_app, rendered_in


def log_text(app: Dashboard) -> str:
    """What the scrolling log holds now (after its filters), line by line."""
    return "\n".join(str(line.text) for line in app.query_one("#event-log").lines)


async def until(pilot: Pilot[int], holds: Callable[[], bool]) -> None:
    """Wait for the screen to settle into `holds` (scrolls land after a refresh): a wait, not a timing test."""
    for _ in range(200):
        if holds():
            return
        await pilot.pause(0.01)
    raise AssertionError("the log never got there")


def title(app: Dashboard) -> str:
    return str(app.query_one("#events").border_title)


@pytest.mark.parametrize("size", [(80, 24), (100, 30), SIZE], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_line_saying_when_the_fault_began_never_scrolls_away(size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await advance(app, 60)  # both clusters fail over: a dozen lines after the fault's
        await app.backend.apply(HealAll())
        await advance(app, 30)  # us-east is back: pg-1 and pg-2 rewind and follow, redis-1 is demoted
        await pilot.pause(0.1)
        panel = rendered_in(app, "events")
        shown = flowed(panel)
        assert "fault injected: region:us-east" in shown, "\n".join(panel)
        assert "t=30.1s" in shown, "\n".join(panel)  # when it began
        assert "fault healed: region:us-east" in shown, "\n".join(panel)  # the latest incident
        if size != (80, 24):  # there is room for the promotions too
            assert "redis-2 promoted to leader" in shown, "\n".join(panel)
        # And the log below still ends with the latest event.
        assert app.backend.snapshot().events[-1].message in log_text(app).splitlines()[-1]


async def test_the_log_filters_by_cluster_and_by_severity() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await advance(app, 60)
        await pilot.pause()
        everything = log_text(app)
        assert "sessions" in str(app.query_one("#incidents", TextPanel).content)
        assert "sessions   +sdown redis-1" in everything and "orders     pg-3 promoted" in everything
        await pilot.press("e")  # the first cluster
        await pilot.pause()
        assert "orders" in title(app)
        orders = log_text(app)
        assert "orders     pg-3 promoted" in orders and "sessions" not in orders.replace("sessions t", "")
        assert "fault injected: region:us-east" in orders  # the estate's own lines concern every cluster
        pinned = str(app.query_one("#incidents", TextPanel).content)
        assert "pg-3 promoted" in pinned and "sessions" not in pinned, pinned  # the pinned lines follow it
        await pilot.press("e")
        await pilot.pause()
        assert "sessions" in title(app) and "orders     pg-3" not in log_text(app)
        await pilot.press("e")  # back to every cluster
        await pilot.pause()
        assert log_text(app) == everything and title(app) == "events"
        await pilot.press("w")  # warnings and errors only
        await pilot.pause()
        serious = log_text(app)
        assert "warning" in title(app)
        assert "pg-3 promoted to leader" in serious and "fault injected" in serious
        assert "+config-update" not in serious and "dashboard on active-passive" not in serious
        await pilot.press("w")  # errors only
        await pilot.pause()
        assert "fault injected" in log_text(app) and "promoted" not in log_text(app)
        await pilot.press("w")
        await pilot.pause()
        assert log_text(app) == everything
        keys = dict(app.binding_rows())
        assert "e" in keys and "w" in keys and "l" in keys  # the help screen lists them


async def test_a_log_scrolled_back_stays_put_until_end_follows_it_again() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await advance(app, 60)
        log = app.query_one("#event-log")
        await until(pilot, lambda: log.max_scroll_y > 0 and log.scroll_y == log.max_scroll_y)  # it follows
        await pilot.press("l", "home")  # focus the log, go to its first line
        await until(pilot, lambda: log.scroll_y == 0)
        assert log.has_focus
        await app.backend.apply(HealAll())
        await advance(app, 30)  # new lines arrive: the operator reading back is not pulled away
        await until(pilot, lambda: "fault healed" in log_text(app))
        await pilot.pause(0.2)  # a scroll to the end, if one were asked for, would have landed by now
        assert log.scroll_y == 0 and log.max_scroll_y > 0
        await pilot.press("end")
        await advance(app, 30)
        await until(pilot, lambda: log.scroll_y == log.max_scroll_y)  # following again


def test_pinned_incidents_keep_when_the_fault_began_and_give_way_to_who_leads_now() -> None:
    from regionctl.contract.snapshot import EventView
    from regionctl.tui.incidents import Incidents, from_event

    incidents = Incidents()
    story = [(10.0, "", "fault injected: region:us-east"), (11.0, "orders", "pg-1 follows pg-3 (Patroni)"),
             (35.0, "orders", "failover decided: promoting pg-3"), (36.0, "orders", "pg-3 promoted to leader (term 2)"),
             (40.0, "sessions", "+odown redis-1; +try-failover epoch 1"),
             (41.0, "sessions", "failover decided: promoting redis-2"),
             (42.0, "sessions", "redis-2 promoted to leader (term 2)"), (90.0, "", "fault healed: region:us-east")]
    pinned = [incidents.add(from_event(EventView(*event))) for event in story]
    assert pinned == [True, False, True, True, True, True, True, True]  # a replica following is no incident
    assert [line.at for line in incidents.pinned(10)] == [10, 35, 36, 40, 41, 42, 90]  # room for all of them
    assert [line.at for line in incidents.pinned(4)] == [10, 36, 42, 90]  # promotions over their detections
    assert [line.at for line in incidents.pinned(3)] == [10, 42, 90]  # the latest promotion: who leads now
    assert [line.at for line in incidents.pinned(2)] == [10, 90]
    assert [line.at for line in incidents.pinned(10, "orders")] == [10, 35, 36, 90]  # one cluster's and the estate's
    assert [line.at for line in incidents.pinned(2, "sessions")] == [10, 90]
    assert [line.at for line in incidents.pinned(1)] == [10]  # when it began, above all
    incidents.add(from_event(EventView(100.0, "", "fault injected: node:pg-2")))
    assert [line.at for line in incidents.pinned(1)] == [100]  # a new incident begins
    assert [line.at for line in incidents.pinned(3)] == [10, 90, 100]  # the room left: the one before


def test_a_long_incident_keeps_its_start_and_a_bounded_history() -> None:
    from regionctl.contract.snapshot import EventView
    from regionctl.tui.incidents import MAX_INCIDENTS, Incidents, from_event

    incidents = Incidents()
    incidents.add(from_event(EventView(1.0, "", "fault injected: partition:us-east|eu-west")))
    for i in range(2 * MAX_INCIDENTS):  # a flapping leader, for hours
        incidents.add(from_event(EventView(2.0 + i, "orders", f"pg-{i % 3 + 1} promoted to leader (term {i + 2})")))
    assert len(incidents.lines) == MAX_INCIDENTS
    assert [line.at for line in incidents.pinned(2)] == [1.0, 2.0 + 2 * MAX_INCIDENTS - 1]
