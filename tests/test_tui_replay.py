"""The replay's scrubber in the dashboard (Pilot): seeking and stepping show the panels as they were, the
live dashboard's `b` opens it on the session so far (and its clock waits meanwhile), `s` saves a file
that replays the same, and a snapshot of the replay screen (docs/screenshots/replay.svg)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from regionctl.cli.replay import session_topology
from regionctl.contract.commands import HealAll, InjectFault, Promote, ShiftTraffic
from regionctl.contract.faults import parse_fault
from regionctl.replay import sessionfile
from regionctl.replay.replayer import Replayer
from regionctl.tui.replay import ReplayApp, ReplayScreen, replay_app
from regionctl.tui.widgets import KeyedTable, TextPanel
from tests.replayhelpers import LiveRun, drive, record
from tests.tuihelpers import SIZE, advance, cell, make_app, panel


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, LiveRun]:
    schedule = [(6.05, InjectFault(parse_fault("region:us-east"))), (6.0, ShiftTraffic("eu-west", "us-east")),
                (4.5, HealAll()), (3.0, Promote("pg-1"))]
    run = drive("active-passive", 1, schedule, tick_rng=random.Random(8), speed=10.0, tail=6.0)
    return record(run, "active-passive", tmp_path_factory.mktemp("tui-replay") / "drill.jsonl"), run


def _app(path: Path, start: float | None = None) -> ReplayApp:
    session = sessionfile.load(path)
    app = replay_app(session, session_topology(session), start=start, background_index=False)
    app.replay_screen.replayer.index()  # every mark known before the first frame: deterministic screens
    return app


def _cell(app: Any, row: str, column: str = "leader") -> str:
    return str(app.screen.query_one("#leaders", KeyedTable).get_cell(row, column))


def _panel(app: Any, widget_id: str) -> str:
    return str(app.screen.query_one(f"#{widget_id}", TextPanel).content)


def _screen(app: Any) -> ReplayScreen:
    screen = app.screen
    assert isinstance(screen, ReplayScreen)
    return screen


async def test_seeking_back_shows_the_earlier_state(recorded: tuple[Path, LiveRun]) -> None:
    app = _app(recorded[0])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = _screen(app)
        assert "pg-1" in _cell(app, "orders")  # the end: pg-1 promoted back
        assert "0 fault(s)" not in _panel(app, "header") and "no faults" in _panel(app, "header")
        await pilot.press("g")
        await pilot.pause()
        app.screen.query_one("#ask").value = "100s"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert screen.position.t == 100.0 and screen.position.applied == 1  # the outage injected at t≈63s
        assert "pg-3" in _cell(app, "orders")
        assert "1 fault(s) injected" in _panel(app, "header")
        assert "t=1m40s replayed" in _panel(app, "header")
        assert "fault injected: region:us-east" in "\n".join(app.screen.query_one("#event-log").plain_lines)
        await pilot.press("left")
        await pilot.pause()
        assert screen.position.t == 99.0
        await pilot.press("home")
        await pilot.pause()
        assert screen.position.t == 0.0 and "no faults" in _panel(app, "header")


async def test_stepping_goes_event_by_event_forward_and_back(recorded: tuple[Path, LiveRun]) -> None:
    app = _app(recorded[0], start=0.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = _screen(app)
        seen = []
        for _ in range(8):
            await pilot.press("right_square_bracket")
            await pilot.pause()
            seen.append(screen.position)
        assert seen == sorted(seen, key=lambda p: (p.t, p.applied)) and len(set(seen)) == 8
        inject = next(p for p in seen if p.applied == 1)  # the first command is one of the steps
        scrubber = _panel(app, "scrubber")
        assert "↯" in scrubber and f"{len(screen.replayer.entries)} command(s)" in scrubber
        for expected in reversed(seen[:-1]):
            await pilot.press("left_square_bracket")
            await pilot.pause()
            assert screen.position == expected
        assert inject in seen


async def test_play_moves_the_replayed_clock(recorded: tuple[Path, LiveRun]) -> None:
    app = _app(recorded[0], start=30.0)
    async with app.run_test(size=SIZE) as pilot:
        screen = _screen(app)
        await pilot.press("space")
        await pilot.pause(0.6)
        assert screen.playing and screen.position.t > 30.0
        await pilot.press("space")
        assert not screen.playing


async def test_save_writes_a_session_that_replays_the_same(recorded: tuple[Path, LiveRun], tmp_path: Path) -> None:
    app = _app(recorded[0])
    target = tmp_path / "again.jsonl"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await pilot.pause()
        ask = app.screen.query_one("#ask")
        ask.value = str(target)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
    again, first = sessionfile.load(target), sessionfile.load(recorded[0])
    assert (again.entries, again.end, again.seed, again.topology_yaml) == (first.entries, first.end, first.seed,
                                                                           first.topology_yaml)


async def test_b_in_the_live_dashboard_replays_the_session_so_far() -> None:
    app = make_app(autoplay=False)
    async with app.run_test(size=SIZE) as pilot:
        await app.send(InjectFault(parse_fault("region:us-east")))
        await advance(app, 45)
        await pilot.pause()
        live_leader = cell(app, "leaders", "orders", "leader")
        await pilot.press("b")
        await pilot.pause()
        screen = _screen(app)
        assert screen.position.t == app.backend.snapshot().time  # the session so far, at its latest moment
        assert _cell(app, "orders") == live_leader
        await pilot.press("home")
        await pilot.pause()
        assert "no faults" in _panel(app, "header")
        await pilot.press("f")  # a live command: refused in the replay
        await pilot.pause()
        assert len(app.screen_stack) == 2 and isinstance(app.screen, ReplayScreen)
        await pilot.press("q")
        await pilot.pause()
        assert not isinstance(app.screen, ReplayScreen)
        assert "1 fault(s) injected" in panel(app, "header")  # the live run, where it was


EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "drill.session.jsonl"


def test_the_replay_screen(snap_compare: Any) -> None:
    # `regionctl replay docs/examples/drill.session.jsonl --at 100s`: us-east down, orders failed over to pg-3,
    # the scrubber at t=1m40s with the commands marked (the README's screenshot).
    assert snap_compare(_app(EXAMPLE, start=100.0), terminal_size=SIZE)


def test_the_documented_example_replays_as_it_was_recorded() -> None:
    session = sessionfile.load(EXAMPLE)
    replayer = _app(EXAMPLE).replay_screen.replayer
    assert session.closed and len(session.entries) == 5 and not replayer.divergences
    assert replayer.snapshot(replayer.at(100.0)).cluster("orders").leader == "pg-3"


async def test_b_in_a_lab_replays_the_lab_session_show_me_included(tmp_path: Path) -> None:
    from regionctl.tui.replay import AskScreen
    from tests.labtuihelpers import lab_app
    from tests.replayhelpers import differences

    app = await lab_app("dns-ttl-rto")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")  # show me: the step's `do` through the executor, on the session log
        for _ in range(100):
            await pilot.pause(0.05)
            if app.showing is None and app.backend.session.entries:  # type: ignore[attr-defined]
                break
        await advance(app, 5)
        performed = len(app.backend.session.entries)  # type: ignore[attr-defined]
        assert performed >= 1
        await pilot.press("b")
        await pilot.pause()
        screen = _screen(app)
        assert screen.position.applied == performed and screen.topology is app.topology
        await pilot.press("s")  # save, in the replay (not the lab's show me): the lab's topology as it runs
        await pilot.pause()
        assert isinstance(app.screen, AskScreen)
        saved = tmp_path / "lab.session.jsonl"
        app.screen.query_one(Input).value = str(saved)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReplayScreen)
        await pilot.press("q")
        await pilot.pause()
        assert not isinstance(app.screen, ReplayScreen)
    session = sessionfile.load(saved)
    replayer = Replayer(session_topology(session), session.seed, session.entries, session.end)
    assert len(session.entries) == performed
    assert not differences(replayer.snapshot(replayer.at(session.end)),
                           Replayer(app.topology, session.seed, session.entries, session.end).snapshot(
                               replayer.at(session.end)))


async def test_a_jump_past_the_index_waits_for_it(recorded: tuple[Path, LiveRun]) -> None:
    session = sessionfile.load(recorded[0])
    app = replay_app(session, session_topology(session), start=0.0, background_index=False)
    replayer = app.replay_screen.replayer
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = _screen(app)
        replayer.index(budget=0.0)  # one slice: the index is at the start of the session
        screen._index_running = True  # as while its thread runs
        await pilot.press("end")
        await pilot.pause()
        assert screen.position.t == 0.0 and screen._pending == replayer.at(replayer.end)
        assert "not simulated yet" in "\n".join(str(n.message) for n in app._notifications)
        replayer.index()
        screen._indexed()  # what the thread calls as it goes
        await pilot.pause()
        assert screen.position == replayer.at(replayer.end) and screen._pending is None
