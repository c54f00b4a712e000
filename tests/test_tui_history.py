"""The history view (`g`): a simulated dashboard loses us-east, fails over and heals; the view then shows the
whole run (kept from the first snapshot, before it was opened) with a marker at each fault, failover and
heal, and cycles the series. On a lab that breaks read-your-writes, an anomaly marker opens the diagram of
the operations that show it. Everything is read from what the screen renders."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Static

from regionctl.contract.commands import InjectFault
from regionctl.contract.faults import parse_fault
from regionctl.tui.chart import fmt_value
from regionctl.tui.historyview import AnomalyScreen, HistoryChart, HistoryScreen
from regionctl.tui.opsdiagram import op_label
from regionctl.tui.timeline import ESTATE, Marker, Subject
from tests.labtuihelpers import lab_app, until
from tests.tuihelpers import advance, failed_over, flowed, make_app, rendered, screen_text

GUTTER = 8


def chart_of(app: Any) -> HistoryChart:
    assert isinstance(app.screen, HistoryScreen), type(app.screen)
    return app.screen.query_one(HistoryChart)


def column(chart: HistoryChart, at: float) -> int:
    """Where a time falls on the rendered chart line (after the y axis)."""
    width = chart.plot_width()
    return GUTTER + max(0, min(width - 1, int(at / chart.timeline.now * width)))


def plot_rows(chart: HistoryChart) -> list[str]:
    return chart.plain_lines[1:-2]


async def test_the_history_shows_the_whole_run_with_its_fault_failovers_and_heal() -> None:
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await failed_over(app)  # the view was never open: the history is kept all the same
        await pilot.press("g")
        await pilot.pause()
        chart = chart_of(app)
        timeline = chart.timeline
        kinds = [(m.kind, m.label) for m in timeline.markers]
        assert ("fault", "fault injected: region:us-east") in kinds
        assert ("heal", "fault healed: region:us-east") in kinds
        failovers = [m for m in timeline.markers if m.kind == "failover"]
        assert {m.cluster for m in failovers} == {"orders", "sessions"}
        marker_row = chart.plain_lines[0]
        for marker in timeline.markers:
            glyph = {"fault": "✘", "failover": "★", "heal": "✔"}[marker.kind]
            assert marker_row[column(chart, marker.at)] == glyph, (marker, marker_row)
        fault_at = column(chart, 40.05)
        rows = plot_rows(chart)
        assert all(row[fault_at] in "┃█▇▆▅▄▃▂▁" for row in rows)  # the fault's line runs down its column
        # The lag: nothing before the fault (streaming), the followers in us-east falling behind after it.
        bars = [c for c in range(GUTTER, len(rows[-1])) if rows[-1][c] in "█▇▆▅▄▃▂"]  # (▁: zero, or nearly)
        assert bars and min(bars) >= fault_at and max(bars) > column(chart, 90.0)
        screen = flowed(rendered(app))
        values = [v for v in chart.values() if v is not None]
        assert f"highest {fmt_value('lag', max(values))}" in screen
        assert "replication lag · every cluster" in screen
        for words in ("fault injected: region:us-east", "orders: pg-3 promoted to leader",
                      "sessions: redis-2 promoted to leader", "fault healed: region:us-east",
                      "✘┃ fault injected", "✔┆ healed", "★ failover", "◆ anomaly"):  # (flowed drops │)
            assert words in screen, words
        # Availability: from the first snapshot (t=30s, before the view opened) whole, then the outage's dip.
        await pilot.press("m")
        await pilot.pause()
        assert "availability · every cluster" in flowed(rendered(app))
        values = chart.values()
        first = next(i for i, v in enumerate(values) if v is not None)
        assert first == column(chart, 30.05) - GUTTER
        top = plot_rows(chart)[0]
        assert set(top[GUTTER + first + 1:fault_at]) == {"█"}  # 100% until the fault
        assert min(v for v in values if v is not None) < 0.5 and top[fault_at + 2] != "█"
        await pilot.press("m")
        await pilot.pause()
        assert "write latency · every cluster" in flowed(rendered(app))
        assert any(v for v in chart.values())
        await pilot.press("down")
        await pilot.pause()
        assert chart.subject == Subject("cluster", "orders")
        assert "write latency · cluster orders" in flowed(rendered(app))
        await pilot.press("m", "down")  # lag has a series per node: the cluster's first one next
        await pilot.pause()
        assert chart.metric == "lag" and chart.subject == Subject("node", "pg-1")
        assert "replication lag · node pg-1 (of orders)" in flowed(rendered(app))
        await pilot.press("g")
        await pilot.pause()
        assert not isinstance(app.screen, HistoryScreen)
        assert app.observers == []  # the view stopped listening to the ticks


async def test_the_open_view_follows_every_tick() -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("g")
        await pilot.pause()
        chart = chart_of(app)
        assert "no fault, failover or anomaly yet" in flowed(rendered(app))
        await app.backend.apply(InjectFault(parse_fault("node:pg-1")))
        for _ in range(120):
            await advance(app, 0.25)
        await pilot.pause()
        assert chart.timeline.now == app.snapshot.time
        screen = flowed(rendered(app))
        assert f"t=0 → {app.clock_text().split()[0][2:]}" in screen
        assert "fault injected: node:pg-1" in screen and "orders: pg-2 promoted to leader" in screen
        assert "✘" in chart.plain_lines[0] and "★" in chart.plain_lines[0]


async def test_the_help_lists_the_history_key() -> None:
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert "history: lag, availability, write latency over the whole run" in screen_text(app)


async def test_an_anomaly_marker_opens_the_operations_that_show_it() -> None:
    app = await lab_app("read-your-writes")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.backend.apply(InjectFault(parse_fault("slow:pg-3=1000x")))
        for _ in range(120):  # the checks run every 5 simulated seconds
            await advance(app, 0.25)
        await pilot.press("g")
        await pilot.pause()
        chart = chart_of(app)
        anomalies = chart.timeline.anomalies()
        assert anomalies, "the lab's slow replica should break read-your-writes"
        assert f"◆ {len(anomalies)} consistency anomalies" in flowed(rendered(app))
        assert "◆" in chart.plain_lines[0]
        await pilot.press("right", "right")
        await pilot.pause()
        second: Marker = anomalies[1]
        assert chart.selected is second and second.anomaly is not None
        assert chart.plain_lines[0][column(chart, second.at)] == "◈"
        assert f"anomaly 2 of {len(anomalies)}" in flowed(rendered(app))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AnomalyScreen), "the anomaly's diagram")
        text = screen_text(app)
        anomaly = second.anomaly
        assert anomaly.explanation in " ".join(text.split())
        drawn = str(app.screen.query_one("#anomaly-diagram", Static).content).splitlines()
        for op in anomaly.operations:
            lane = next(line for line in drawn if line.startswith(op.session))  # one lane per session
            assert "├" in lane or "│" in lane
            assert op_label(op) in text and f"#{op.index} {op.session} {op.op}" in text
        assert {"@pg-1", "@pg-3"} <= {f"@{op.node}" for op in anomaly.operations}
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("left", "left")  # the first, then back past it: the last one
        await pilot.pause()
        assert chart.selected is chart.timeline.anomalies()[-1]
        assert chart.subject == ESTATE


async def test_stepping_to_an_anomaly_without_one_says_so() -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("g", "right", "enter")
        await pilot.pause()
        assert chart_of(app).selected is None and isinstance(app.screen, HistoryScreen)
        assert any("no consistency anomaly so far" in str(n.message) for n in app._notifications)


@pytest.mark.parametrize("size", [(80, 24), (200, 60)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_view_fits_the_smallest_and_a_large_terminal(size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await failed_over(app)
        await pilot.press("g")
        await pilot.pause()
        chart = chart_of(app)
        lines = rendered(app)
        assert lines[0].startswith("history t=0 → 2m00s") and "g close" in lines[-1]
        assert chart.size.height >= 10 and chart.plot_width() == size[0] - 2 - GUTTER  # the width, less the border
        labels = chart.plain_lines[-1].split()
        assert labels[0] == "0s" and labels[-1] == "2m00s"
        assert sorted(set(chart.plain_lines[0].split())) == ["★", "✔", "✘"]
        assert any("✘┃ fault injected" in line for line in lines)
        assert any("fault healed: region:us-east" in line for line in lines)  # every marker listed, even at 80x24
