"""The dashboard at small terminal sizes (Textual's Pilot): every key figure is on the screen whole.

Read from what the compositor draws (tests.tuihelpers.rendered), not from the widgets' contents:
a figure a panel holds but the terminal cuts off is a figure the operator never sees.
"""

from __future__ import annotations

import re

import pytest

from regionctl.contract.commands import InjectFault
from regionctl.contract.faults import parse_fault
from regionctl.tui.layout import Layout, Rows, is_wide, mode_for
from regionctl.tui.model import countdown, dur
from regionctl.tui.widgets import TopologyMap
from tests.tuihelpers import (
    SIZE,
    advance,
    flowed,
    latest_event_shown,
    make_app,
    panel,
    preview_shown,
    rendered,
    rendered_in,
    runbook_two_steps,
)

SMALL = [(80, 24), (100, 30)]


def key_figures(app: object) -> list[str]:
    """What the operator must be able to read at any size, from the backend's own snapshot."""
    from regionctl.tui.app import Dashboard

    assert isinstance(app, Dashboard)
    snap = app.backend.snapshot()
    slo = app.model.slo()
    faults = sum(1 for f in snap.faults if f.healed_at is None)
    figures = [f"⚡ {faults} fault(s) injected" if faults else "no faults", f"t={dur(snap.time)}"]
    for cluster in snap.clusters:
        if cluster.leader:
            figures.append(f"★ {cluster.leader}")
        if cluster.election:
            figures.append(countdown(cluster.election, snap.time))
    if slo.rto_running is not None:
        figures.append(f"⏱ {dur(slo.rto_running)} running")
    figures += [f"RPO ✔ {dur(slo.rpo)}", f"writes lost {slo.writes_lost:,}"]
    return figures


def follower_lags(app: object) -> dict[str, str]:
    from regionctl.tui.app import Dashboard

    assert isinstance(app, Dashboard)
    return {node.name: dur(node.lag_seconds) for c in app.backend.snapshot().clusters for node in c.nodes
            if node.role != "leader"}


def assert_all_readable(app: object, lines: list[str]) -> None:
    from regionctl.tui.app import Dashboard

    assert isinstance(app, Dashboard)
    screen = "\n".join(lines)
    words = flowed(lines)
    for figure in key_figures(app):
        assert figure in words, f"{figure!r} is not on the screen:\n{screen}"
    for node, lag in follower_lags(app).items():
        # Its row in the replication table ("cluster · mode"), not its place on the topology map.
        row = next((line for line in lines if re.search(rf"(^|\s){re.escape(node)}\s+\S+ · ", line)), None)
        assert row is not None, f"follower {node} is not on the screen:\n{screen}"
        assert re.search(rf"\s{re.escape(lag)}\s", row), f"{node}'s lag {lag} is not in its row {row!r}"
    latest = app.backend.snapshot().events[-1]
    assert " ".join(latest.message.split()) in words, f"the latest event {latest.message!r} is cut:\n{screen}"


@pytest.mark.parametrize("size", SMALL, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_key_figure_is_whole_on_a_small_terminal_during_a_failover_countdown(
        size: tuple[int, int]) -> None:
    # hybrid, eu-west down: catalog's orchestrator counts down to its failover; six followers.
    app = make_app("hybrid")
    async with app.run_test(size=size) as pilot:
        await app.backend.apply(InjectFault(parse_fault("region:eu-west")))
        await advance(app, 1)
        await latest_event_shown(app, pilot)
        lines = rendered(app)
        assert "failover expected in 3.3s" in flowed(lines)
        assert_all_readable(app, lines)
        assert "v view" in lines[-1] and "? help" in lines[-1] and "q quit" in lines[-1]


@pytest.mark.parametrize("size", SMALL, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_key_figure_is_whole_on_a_small_terminal_after_the_failover(size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await advance(app, 45)
        await latest_event_shown(app, pilot)
        lines = rendered(app)
        words = flowed(lines)
        assert "★ pg-3" in words and "★ redis-2" in words and "✔ 32s recovered" in words
        assert_all_readable(app, lines)


async def test_the_rto_timer_shows_a_cross_once_past_its_slo() -> None:
    # single-region, the region down: nothing to fail over to, the timer runs past its 1m00s SLO.
    app = make_app("single-region")
    async with app.run_test(size=SIZE) as pilot:
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await advance(app, 30)
        assert "RTO           ⏱ 30s running (SLO 1m00s)" in panel(app, "slo")
        await advance(app, 40)
        await pilot.pause()
        assert "RTO           ✘ ⏱ 1m10s running (SLO 1m00s)" in panel(app, "slo")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert "RTO ✘ ⏱ 1m10s running (SLO 1m00s)" in flowed(rendered(app))


async def test_v_switches_views_on_a_small_terminal_and_the_help_names_it() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.has_class("-compact")
        assert "replication (followers)" in flowed(rendered(app))
        await pilot.press("v")
        await pilot.pause()
        words = flowed(rendered(app))
        assert "✔ us-east up" in words and "★ pg-1" in words and "replication" not in words and "events" in words
        topo = "\n".join(app.query_one("#map", TopologyMap).plain_lines)
        assert "us-east ⇄ eu-west 80ms ok" in topo
        await pilot.press("v")
        await pilot.pause()
        assert "nothing reached" in flowed(rendered(app)) and "events" in flowed(rendered(app))
        await pilot.press("v")
        await pilot.pause()
        assert "choose a runbook" in flowed(rendered(app)) and "events" in flowed(rendered(app))
        await pilot.press("v")
        await pilot.pause()
        assert "replication (followers)" in flowed(rendered(app))
        await pilot.press("question_mark")
        await pilot.pause()
        assert "switch view" in flowed(rendered(app))


async def test_growing_the_terminal_brings_every_panel_back() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("v")
        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        assert not app.screen.has_class("-compact")
        words = flowed(rendered(app))
        for title in ("topology", "leaders", "replication (followers)", "traffic & SLOs", "blast radius",
                      "runbook", "events"):
            assert title in words


def test_the_layout_decision() -> None:
    # Two clusters, four followers: 41 rows for every panel, 32 without the map.
    small = Rows(clusters=2, followers=4)
    assert [mode_for(w, h, small) for w, h in [(160, 50), (250, 70), (200, 41), (140, 48)]] == ["wide"] * 4
    assert [mode_for(w, h, small) for w, h in [(200, 40), (160, 36), (220, 32)]] == ["short"] * 3
    assert [mode_for(w, h, small) for w, h in [(220, 31), (139, 60), (100, 30), (80, 24)]] == ["compact"] * 4
    # Twenty clusters and eighty followers: the replication table takes 30% of the screen, the leaders 16 rows,
    # taller than the map, so leaving the map out gains nothing.
    big = Rows(clusters=20, followers=80)
    assert mode_for(220, 60, big) == "wide" and mode_for(220, 51, big) == "wide" and mode_for(220, 50, big) == "compact"
    assert is_wide(160, 50) and not is_wide(100, 30)
    layout = Layout(rows=small)
    assert layout.fit(80, 24) and not layout.wide and layout.shown() == {"leaders", "slo", "replication", "events"}
    layout.view = "runbook"
    assert layout.shown() == {"runbook", "events"}
    layout.view = "overview"
    assert [layout.next_view() for _ in range(4)] == ["topology", "blast radius", "runbook", "overview"]
    assert not layout.fit(100, 30) and layout.fit(160, 50) and layout.mode == "wide"
    assert layout.fit(160, 36) and layout.mode == "short" and "map" not in layout.shown()
    assert layout.next_view() == "topology" and layout.shown() == {"map", "leaders", "replication", "events"}
    layout.view = "runbook"
    assert layout.fit(80, 24) and layout.view == "runbook"  # a compact view, kept
    layout.view = "blast radius"
    assert layout.fit(160, 36) and layout.view == "overview"  # short has no such view


@pytest.mark.parametrize(("size", "short"), [((200, 40), False), ((160, 36), True), ((140, 31), True)],
                         ids=["200x40", "160x36", "140x31"])
async def test_a_wide_terminal_with_few_rows_shows_everything_but_the_map_without_scrolling(
        size: tuple[int, int], short: bool) -> None:
    # Over 140 columns the panels sit side by side whatever the rows; with too few rows for the map it
    # steps aside (v shows it), and nothing is pushed off the top of the screen.
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await advance(app, 45)
        await latest_event_shown(app, pilot)
        lines = rendered(app)
        assert lines[0].split()[0] == "regionctl", "\n".join(lines)  # the header is the first line
        assert not app.screen.has_class("-compact")
        words = flowed(lines)
        for title in ("leaders", "replication (followers)", "traffic & SLOs", "blast radius", "runbook", "events"):
            assert title in words, "\n".join(lines)
        assert_all_readable(app, lines)
        # active-passive (two clusters, three followers) needs 40 rows with the map, 31 without.
        assert app.screen.has_class("-short") == short
        assert ("topology" in words) != short
        if short:
            await pilot.press("v")
            await pilot.pause()
            lines = rendered(app)
            words = flowed(lines)
            assert lines[0].split()[0] == "regionctl" and "✔ eu-west up" in words and "traffic & SLOs" not in words
            await pilot.press("v")
            await pilot.pause()
            assert "traffic & SLOs" in flowed(rendered(app))


async def test_the_latest_event_stays_in_view_after_the_fault_picker_closes() -> None:
    # At 80x24 the log has three lines; the lines written while the picker covered it must not hide below.
    app = make_app("hybrid")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f", "down", "enter", "down", "down", "enter")
        await preview_shown(app, pilot)
        await pilot.press("enter")
        await pilot.pause(0.2)
        await advance(app, 0.25)
        await pilot.pause(0.2)
        events = rendered(app)[-4:-1]
        assert "fault injected: region:eu-west" in events[-1], "\n".join(events)
        assert "✔ injected region:eu-west" in events[-2], "\n".join(events)


@pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_runbook_panel_shows_each_step_detail_whole(size: tuple[int, int]) -> None:
    # failover-to-eu-west step by step: the outage and the failover wait have run; `shift` is next.
    app = make_app()
    async with app.run_test(size=size) as pilot:
        if size == (80, 24):
            await pilot.press("v", "v", "v")  # the runbook view
        await runbook_two_steps(app, pilot)
        assert app.run_ is not None
        # Borders and scrollbar thumbs out; what is left must hold each detail, in order.
        shown = "".join(re.sub("[│▁▂▃▄▅▆▇█▔]", "", "".join(rendered_in(app, "runbook"))).split())
        for step in app.run_.steps:
            if step.started is None:
                continue  # the steps still to run may scroll below; the ones that ran are on top
            detail = step.detail or step.description
            assert "".join(detail.split()) in shown, f"{step.id}: {detail!r} is cut:\n" + "\n".join(
                rendered_in(app, "runbook"))
        assert {s.id for s in app.run_.steps if s.started is not None} >= {"outage", "failover"}
        assert re.search(r"heldafter\d+\.\ds", shown) and "injectedregion:us-east" in shown


async def test_event_lines_wrap_again_when_the_terminal_shrinks() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        welcome = "dashboard on active-passive (sim, seed 1) · f injects a fault · r runs a runbook · ? lists every key"
        assert welcome in flowed(rendered(app))
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert welcome in flowed(rendered(app))  # rewrapped at the new width, not cut at the old one
        await pilot.resize_terminal(140, 48)  # the smallest wide layout: every panel, the log too
        await pilot.pause()
        assert not app.screen.has_class("-compact")
        words = flowed(rendered(app))
        assert welcome in words and "traffic & SLOs" in words and "blast radius" in words


async def test_after_a_resize_the_log_shows_its_latest_lines_at_the_new_width() -> None:  # 140x48 -> 100x30
    app = make_app()
    async with app.run_test(size=(140, 48)) as pilot:
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await advance(app, 45)
        await pilot.pause()
        await pilot.resize_terminal(100, 30)
        await pilot.pause(0.2)
        lines = rendered(app)
        latest = app.backend.snapshot().events[-1].message
        assert latest in lines[-2], "\n".join(lines)  # the last line of the log, above the footer, whole
        assert any("redis-2 promoted to leader (term 2): sentinel failover (epoch 1)" in line for line in lines)


async def test_the_smallest_wide_layout_shows_the_whole_slo_panel_during_an_outage() -> None:
    app = make_app()
    async with app.run_test(size=(140, 48)) as pilot:
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await advance(app, 20)
        await pilot.pause()
        assert not app.screen.has_class("-compact")

        def squash(text: str) -> str:
            return "".join(re.sub("[│╭╮╰╯─▁▂▃▄▅▆▇█]", "", text).split())

        assert squash(panel(app, "slo")) in squash("".join(rendered_in(app, "slo")))
        assert "stranded" not in panel(app, "slo") and "their requests fail" in panel(app, "slo")


async def test_the_lab_dashboard_at_100x30_wraps_its_log_at_the_log_width(tmp_path: object,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.labtuihelpers import lab_app

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    app = await lab_app("async-rpo", autoplay=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        log = flowed(rendered_in(app, "events"))
        assert "dashboard on active-passive (sim, seed 1) · f injects a fault · r runs a runbook · ? lists every key" \
            in log, "\n".join(rendered_in(app, "events"))


@pytest.mark.parametrize("width", [80, 100, 130, 200])
async def test_the_footer_shows_whole_keys_only_and_follows_a_resize(width: int) -> None:
    """At 80 columns the stock footer cut its last key mid-word (`r ▏^p palette`): every key shown is
    whole, the command palette's at the right, and a resize shows as many as then fit."""
    from regionctl.tui.keys import EXPLAIN  # noqa: F401  (the help lists every key the footer leaves out)

    app = make_app()
    async with app.run_test(size=(width, 40)) as pilot:
        await pilot.pause()
        footer = rendered(app)[-1]
        assert footer.rstrip().endswith("^p palette"), footer
        first: dict[str, str] = {}  # one key an action, as Textual's footer shows them
        for b in app.screen.active_bindings.values():
            if b.binding.show:
                first.setdefault(b.binding.action, f"{app.get_key_display(b.binding)} {b.binding.description}")
        words = list(first.values())
        present = [w for w in words if w in footer]
        assert present == words[:len(present)] and "? help" in present and "q quit" in present, footer
        leftover = footer.split("^p palette")[0].replace("▏", " ")  # (the palette key's own left edge)
        assert leftover.split() == " ".join(present).split(), footer  # nothing but whole keys
        await pilot.resize_terminal(200, 40)
        await pilot.pause()
        await pilot.pause()
        wide = rendered(app)[-1]
        assert all(w in wide for w in words[:12]), wide
