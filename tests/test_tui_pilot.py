"""The dashboard, driven by key presses (Textual's Pilot): what the screen and the backend show."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from typing import Any

import pytest
from textual.widgets import Input

from regionctl.backends.sim_backend import SimBackend
from regionctl.contract.commands import Command, CommandResult, HealAll, InjectFault
from regionctl.contract.faults import parse_fault
from regionctl.contract.snapshot import Snapshot
from regionctl.tui.app import Dashboard
from regionctl.tui.screens import ChoiceScreen, ConfirmScreen, FaultPicker, HelpScreen
from regionctl.tui.widgets import TopologyMap
from tests.simhelpers import bundled
from tests.tuihelpers import (
    SIZE,
    active_faults,
    advance,
    cell,
    forked,
    make_app,
    panel,
    preview_shown,
    screen_text,
    sim,
)


async def test_the_main_screen_tells_the_story_at_a_glance() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        header = panel(app, "header")
        assert "active-passive" in header and "backend sim" in header and "t=30.1s ×1" in header
        assert "▶ running" in header and "✔ SLO ok" in header and "no faults" in header
        topo = "\n".join(app.query_one("#map", TopologyMap).plain_lines)
        for region in ("✔ us-east up", "✔ eu-west up", "✔ us-west up"):
            assert region in topo
        assert "★ pg-1" in topo and "★ redis-1" in topo and "· pg-3" in topo
        assert "us-east ⇄ eu-west 80ms ok" in topo
        assert cell(app, "leaders", "orders", "leader") == "★ pg-1"
        assert cell(app, "leaders", "orders", "writes") == "✔ writable"
        assert cell(app, "replication", "pg-3", "status") == "✔ ok"
        assert cell(app, "replication", "pg-3", "cluster · mode") == "orders · async"
        assert "availability  ✔ 100.000% (SLO 99.950%)" in panel(app, "slo")
        assert "nothing reached" in panel(app, "blast")


async def test_fault_picker_kind_target_preview_confirm_injects_and_the_outage_unfolds() -> None:
    app = forked(make_app())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        assert isinstance(app.screen, FaultPicker)
        assert "crash a node" in screen_text(app)  # every kind explains itself
        await pilot.press("down", "enter")  # region
        assert "every node and client in us-east" in screen_text(app)
        await pilot.press("enter")  # us-east
        assert app.screen.query_one("#spec", Input).value == "region:us-east"
        preview = await preview_shown(app, pilot)
        assert "the simulation forked now and run 300s ahead" in preview
        assert "nodes    pg-1, pg-2, redis-1" in preview and "traffic  100.0% of requests" in preview
        assert re.search(r"orders: down, leader pg-1 → pg-3 after \d+\.\ds, RTO \d+\.\ds", preview), preview
        assert app.backend.snapshot().time == app.snapshot.time  # the prediction ran on a fork
        assert active_faults(app) == []  # nothing happens before the confirmation
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, FaultPicker)
        assert active_faults(app) == ["region:us-east"]
        assert "⚡ 1 fault(s) injected" in panel(app, "header")
        assert "regions  us-east" in panel(app, "blast")
        await advance(app, 1)
        assert "RTO           ⏱ 1s running" in panel(app, "slo")  # the RTO timer runs
        await advance(app, 59)
        assert cell(app, "leaders", "orders", "leader") == "★ pg-3"
        assert cell(app, "replication", "pg-1", "status") == "✘ down"
        assert "recovered" in panel(app, "slo")
        topo = "\n".join(app.query_one("#map", TopologyMap).plain_lines)
        assert "✘ us-east down" in topo and "☆ pg-1" in topo and "down: us-east down" in topo
        log = "\n".join(str(line.text) for line in app.query_one("#event-log").lines)
        assert "fault injected: region:us-east" in log and "pg-3 promoted to leader" in log


async def test_value_faults_are_edited_in_the_spec_field_and_bad_specs_are_refused() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f", *(["down"] * 4), "enter", "enter")  # latency, first region pair
        spec = app.screen.query_one("#spec", Input)
        assert spec.value == "latency:us-east|eu-west=300ms"
        spec.value = "latency:us-east|eu-west=nonsense"
        await pilot.pause(0.4)  # the preview waits for typing to pause
        assert "✘" in await preview_shown(app, pilot)
        await pilot.press("enter")
        assert isinstance(app.screen, FaultPicker) and active_faults(app) == []
        spec.value = "latency:us-east|eu-west=1s"
        await pilot.press("enter")
        await pilot.pause()
        assert active_faults(app) == ["latency:us-east|eu-west=1s"]
        topo = "\n".join(app.query_one("#map", TopologyMap).plain_lines)
        assert "slow: +1s" in topo


async def test_escape_steps_back_through_the_picker_then_closes_it() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f", "enter")  # node -> targets
        assert app.screen.query_one("#targets").display
        await pilot.press("escape")
        assert app.screen.query_one("#kinds").display and not app.screen.query_one("#targets").display
        await pilot.press("escape")
        assert not isinstance(app.screen, FaultPicker)
        assert active_faults(app) == []


async def test_heal_one_then_heal_all() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")  # nothing to heal: nothing opens
        assert not isinstance(app.screen, ChoiceScreen)
        for spec in ("node:pg-2", "node:redis-2", "slow:pg-3=10x"):
            await app.backend.apply(InjectFault(parse_fault(spec)))
        await pilot.press("h")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("enter")  # the first: node:pg-2
        await pilot.pause()
        assert active_faults(app) == ["node:redis-2", "slow:pg-3=10x"]
        await pilot.press("H")
        await pilot.pause()
        assert active_faults(app) == []
        assert "no faults" in panel(app, "header")
        blast = panel(app, "blast")
        assert "nothing reached" in blast and "this run" in blast and "pg-2" in blast  # the run's books remain


async def test_pause_resume_faster_slower() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        assert sim(app).paused and "⏸ PAUSED" in panel(app, "header")
        await pilot.press("space")
        assert not sim(app).paused and "▶ running" in panel(app, "header")
        await pilot.press("plus", "plus")
        assert sim(app).speed == 5.0 and "×5" in panel(app, "header")
        await pilot.press("minus", "minus", "minus")
        assert sim(app).speed == 0.5
        await pilot.press(*["minus"] * 5)
        assert sim(app).speed == 0.25  # the slowest step holds
        # ... and says so once a press, as a toast: the log keeps its events (it got a line a press).
        from regionctl.tui.eventspanel import EventLog

        history = app.query_one("#event-log", EventLog).history
        assert sum("speed ×0.25" in line.message for line in history) == 1


async def test_the_play_loop_is_the_one_tick_source_and_pause_stops_time() -> None:
    model = bundled("active-passive")
    wall = [0.0]

    def clock() -> float:
        wall[0] += 0.25  # each tick is a quarter of a second of wall time
        return wall[0]

    async def sleep(_: float) -> None:
        await asyncio.sleep(0.001)

    backend = SimBackend(model, seed=1, clock=clock, sleep=sleep)
    app = Dashboard(backend, model, autoplay=True)
    async with app.run_test(size=SIZE) as pilot:
        while backend.sim.now < 5.0:
            await pilot.pause(0.01)
        assert backend.live  # the runbook executor waits for this clock
        assert app.frames > 10 and app.snapshot.time > 4.0
        await pilot.press("space")
        stopped = backend.sim.now
        for _ in range(5):
            await pilot.pause(0.01)
        assert backend.sim.now == stopped
        await pilot.press("space")
        assert backend.live  # resuming hands time back to the play loop, not to advance()
        while backend.sim.now <= stopped + 1.0:
            await pilot.pause(0.01)


async def test_help_lists_every_binding_and_the_fault_kinds() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for _, what in app.binding_rows():
            assert what in text
        for key in ("f ", "h ", "H ", "space", "+ =", "- _", "r ", "n ", "c ", "x ", "? ", "q ", "ctrl+p"):
            assert key in text
        assert "region:NAME" in text and "partition:A|B" in text and "clock:NODE=+2s" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_every_action_is_in_the_command_palette() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Inject a fault", "Heal a fault", "Heal all faults", "Pause / resume", "Faster", "Slower",
                "Run a runbook", "Runbook: next step", "Runbook: run to the end", "Runbook: stop",
                "Help: keys and faults", "Quit regionctl"} <= titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Pause / resume")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert sim(app).paused


async def test_q_quits_at_once_without_faults() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_ctrl_q_and_the_palette_quit_ask_first_too() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await app.action_quit()  # what the command palette's "Quit" runs
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)


async def test_q_asks_first_while_faults_are_injected() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        assert "1 fault(s) still injected" in screen_text(app) and "region:us-east" in screen_text(app)
        await pilot.press("n")
        assert not isinstance(app.screen, ConfirmScreen) and app.is_running
        await pilot.press("q", "h")  # heal all, then quit
        await pilot.pause()
    assert app.return_code == 0
    assert active_faults(app) == []


@pytest.mark.parametrize(("index", "kind", "spec"), [
    (0, "node", "node:pg-1"), (1, "region", "region:us-east"), (2, "zone", "zone:us-east/a"),
    (3, "partition", "partition:us-east|eu-west"), (4, "latency", "latency:us-east|eu-west=300ms"),
    (5, "slow", "slow:pg-1=10x"), (6, "clock", "clock:pg-1=+2s"), (7, "loss", "loss:us-east|eu-west=5%"),
    (8, "pause", "pause:pg-1"),
])
async def test_the_picker_offers_every_fault_kind(index: int, kind: str, spec: str) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f", *(["down"] * index), "enter", "enter")
        assert app.screen.query_one("#spec", Input).value == spec
        assert "What it would reach" in await preview_shown(app, pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert active_faults(app) == [spec]
        await pilot.press("f")  # the reused picker opens at the kinds again
        assert app.screen.query_one("#kinds").display and not app.screen.query_one("#confirm").display


class LiveBackend:
    """A backend with nothing but the protocol (like SSH): no pace, pause or speed."""

    name = "live"

    def __init__(self) -> None:
        self.inner = SimBackend(bundled("active-passive"), seed=1)

    def snapshot(self) -> Snapshot:
        return replace(self.inner.snapshot(), backend=self.name)

    async def apply(self, command: Command) -> CommandResult:
        return await self.inner.apply(command)

    async def advance(self, seconds: float) -> None:
        await self.inner.advance(seconds)


async def test_a_backend_with_only_the_protocol_shows_live_time_and_pause_freezes_the_display() -> None:
    backend = LiveBackend()
    app = Dashboard(backend, bundled("active-passive"), autoplay=False)
    async with app.run_test(size=SIZE) as pilot:
        header = panel(app, "header")
        assert "regionctl  live · ▶ running" in header and header.endswith("· backend live")
        await pilot.press("plus")  # nothing to speed up: said, not crashed
        await pilot.press("space")
        assert app.live_paused and "⏸ PAUSED" in panel(app, "header")
        await backend.advance(10)
        app.apply_snapshot(backend.snapshot())
        assert app.snapshot.time == 0.0  # the display stays where it was paused
        await pilot.press("space")
        app.apply_snapshot(backend.snapshot())
        assert app.snapshot.time == 10.0 and "▶ running" in panel(app, "header")
        await pilot.press("f", "down", "enter", "enter", "enter")  # commands still go through apply()
        await pilot.pause()
        assert [f.spec for f in backend.snapshot().faults] == ["region:us-east"]


async def test_clients_in_a_down_region_are_called_out_until_traffic_moves() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await advance(app, 1.0)
        await pilot.pause()
        assert "clients in us-east: their region is down" in panel(app, "slo")
        await app.backend.apply(HealAll())
        await advance(app, 1.0)
        await pilot.pause()
        assert "clients in us-east" not in panel(app, "slo")


async def test_a_dialog_opening_and_closing_does_not_rebuild_the_footer() -> None:
    # The stock footer rebuilt its ~25 keys on each dialog (half of `f`'s cost at 200 columns); the
    # dashboard's rebuilds only when the keys it shows change. Counted, not timed.
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        footer = app.query_one(Footer)
        keys = [key.key for key in footer.query(FooterKey)]
        assert "f" in keys and "q" in keys
        rebuilds = []
        recompose = footer.recompose

        async def counted() -> None:
            rebuilds.append(app.screen)
            await recompose()

        footer.recompose = counted  # type: ignore[method-assign]
        for _ in range(3):
            await pilot.press("f")
            await pilot.pause()
            assert isinstance(app.screen, FaultPicker)
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is app.main
        assert rebuilds == []
        assert [key.key for key in app.query_one(Footer).query(FooterKey)] == keys


async def test_the_picker_lists_each_node_with_its_role_now_not_the_files() -> None:
    """After a failover the picker said `pg-1 · leader` and `pg-3 · follower`, as the topology file
    started them, while the leaders table showed pg-3 leading."""
    from textual.widgets import OptionList

    from tests.tuihelpers import failed_over

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await failed_over(app)
        assert cell(app, "leaders", "orders", "leader").endswith("pg-3")
        await pilot.press("f", "enter")  # node -> targets
        await pilot.pause()
        options = app.screen.query_one("#targets", OptionList)
        listed = {str(options.get_option_at_index(i).prompt).split()[0]: str(options.get_option_at_index(i).prompt)
                  for i in range(options.option_count)}
        assert listed["pg-3"].endswith("eu-west/a · leader"), listed["pg-3"]
        assert listed["pg-1"].endswith("us-east/a · follower"), listed["pg-1"]  # it rejoined after the heal


@pytest.mark.parametrize("name", ["active-passive", "active-active", "single-region"])
async def test_the_help_s_tour_is_about_the_topology_on_screen(name: str) -> None:
    """The tour named failover-to-eu-west and pg-3 on every topology; those are active-passive's."""
    app = make_app(name)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        text = " ".join(screen_text(app).split())
        runbooks = app.snapshot.runbooks
        if runbooks:
            assert f"first r, {runbooks[0]}, then n" in text
        else:
            assert "first r" not in text
        if name != "active-passive":
            assert "failover-to-eu-west" not in text and "pg-3" not in text
        assert "? candidate" in text  # every symbol the screens use is in the legend


async def test_a_leader_that_is_down_is_marked_in_the_leaders_table() -> None:
    """While nothing has taken over, a crashed leader is still the leader: it read `★ pg-1` as if all
    were well (the writes column said refused, the map down)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await advance(app, 2)
        await pilot.pause()
        assert cell(app, "leaders", "orders", "leader") == "★ pg-1 ✘"
        assert cell(app, "leaders", "sessions", "leader") == "★ redis-1 ✘"
        await advance(app, 60)  # both failed over: the new leaders are up
        await pilot.pause()
        assert cell(app, "leaders", "orders", "leader") == "★ pg-3"


async def between_the_first_two_regions(app: Dashboard, pilot: Any, kind: str, seconds: float,
                                        value: str = "") -> list[str]:
    """Inject `kind:A|B` (A, B the topology's first two regions), let `seconds` pass, paint; the regions."""
    regions = [r.name for r in app.topology.regions]
    await app.backend.apply(InjectFault(parse_fault(f"{kind}:{regions[0]}|{regions[1]}{value}")))
    await advance(app, seconds)
    await pilot.pause()
    return regions


async def test_faults_that_stop_no_write_say_so_instead_of_a_zero_rto() -> None:
    """A partition between regions on active-active stops no live client's writes: the RTO read
    `✔ 0ms recovered`, an outage that never was."""
    from regionctl.tui.render import rto_cell

    app = make_app("active-active")
    async with app.run_test(size=SIZE) as pilot:
        await between_the_first_two_regions(app, pilot, "latency", 30, "=5ms")
        slo = app.model.slo()
        assert slo.rto == 0.0 and slo.incident  # reached, never unavailable
        assert rto_cell(slo)[0] == "✔ no outage"
        assert "0ms recovered" not in panel(app, "slo") and "✔ no outage" in panel(app, "slo")


@pytest.mark.parametrize("size", [(200, 60), (160, 50)])
async def test_a_links_state_is_never_cut_on_the_map(size: tuple[int, int]) -> None:
    """At 200x60 the map read `us-east ✘ eu-west 80ms partitioned: cut both wa us-east ⇄ ...`: links sat
    in fixed columns, cut to them."""
    app = make_app("active-active")
    async with app.run_test(size=size) as pilot:
        regions = await between_the_first_two_regions(app, pilot, "partition", 5)
        topo = "\n".join(app.query_one("#map", TopologyMap).plain_lines)
        assert f"{regions[0]} ✘ {regions[1]} 80ms partitioned: cut both ways" in topo, topo
        for link in app.model.links():
            assert f"{link.a} " in topo and f" {link.b} " in topo
