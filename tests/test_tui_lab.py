"""`regionctl lab LAB` in the dashboard, driven by key presses: the lab panel's text, the check
that turns green on the learner's own keystrokes, hints, "show me", and the progress kept."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from regionctl.backends.sim_backend import SimBackend
from regionctl.contract.commands import InjectFault
from regionctl.contract.faults import parse_fault
from regionctl.tui.screens import ConfirmScreen, FaultPicker, HelpScreen
from tests.labtuihelpers import completed, lab_app, part, until
from tests.modelhelpers import REGIONCTL, ROOT
from tests.test_tui_tmux import tmux, wait_for  # noqa: F401 - tmux is a fixture
from tests.tuihelpers import SIZE, active_faults, advance, preview_shown, screen_text


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    return tmp_path


class WallClock:
    """The wall clock the play loop paces by, moved by the test: the loop ticks as in a terminal
    (each tick moves simulated time by the wall time since the last one x the speed), once per
    quarter second of wall time the test lets pass, and rests in between."""

    def __init__(self) -> None:
        self.now = 0.0
        self._moved = asyncio.Event()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, _: float) -> None:
        await self._moved.wait()
        self._moved.clear()

    async def passes(self, pilot: object, seconds: float, backend: SimBackend) -> None:
        for _ in range(int(seconds / 0.25)):
            before = backend.sim.now
            self.now += 0.25
            self._moved.set()
            await until(pilot, lambda b=before: backend.sim.now > b, "the play loop to tick")  # type: ignore[misc]
            await pilot.pause()  # type: ignore[attr-defined]


async def test_async_rpo_walked_through_with_the_dashboards_own_keys(state_dir: Path) -> None:
    wall = WallClock()
    app = await lab_app("async-rpo", autoplay=True, clock=wall, sleep=wall.sleep)
    backend = app.backend
    assert isinstance(backend, SimBackend)
    async with app.run_test(size=SIZE) as pilot:
        assert backend.sim.now >= 30.0  # the warmup ran before the app ticked: leaders are elected
        assert "step 1 of 3" in part(app, "head") and "Asynchronous replication" in part(app, "head")
        assert "follows **asynchronously**" in part(app, "text")
        await wall.passes(pilot, 0.5, backend)
        assert "✔ holds" in part(app, "check")
        assert "Lag is never zero under load" in part(app, "explain")
        assert completed("async-rpo") == ["steady"]
        assert "N  next step" in part(app, "keys")

        await pilot.press("N")
        assert "step 2 of 3" in part(app, "head") and "Take **us-east** down" in part(app, "text")
        assert "☐ inject region:us-east" in part(app, "do")
        assert "○ waiting for you" in part(app, "check") and "first inject region:us-east" in part(app, "check")
        assert part(app, "explain") == ""

        await pilot.press("f", "down", "enter", "enter")  # the fault picker: region, us-east
        assert isinstance(app.screen, FaultPicker)
        await preview_shown(app, pilot)
        await pilot.press("enter")
        await until(pilot, lambda: active_faults(app) == ["region:us-east"], "the outage")
        await until(pilot, lambda: "✔ inject region:us-east" in part(app, "do"), "the fault ticked off")
        await wall.passes(pilot, 4, backend)  # at ×1, four seconds: Patroni still waits for its 30 s lock TTL
        assert "○ not yet" in part(app, "check") and "leader(orders) = pg-1" in part(app, "check")
        await pilot.press("plus", "plus", "plus", "plus")  # ×30: the same four seconds are two minutes
        assert backend.speed == 30.0
        await wall.passes(pilot, 4, backend)
        assert "✔ holds" in part(app, "check")
        assert app.backend.snapshot().cluster("orders").leader == "pg-3"
        assert "pg-3 took the leader lock" in part(app, "explain")
        assert completed("async-rpo") == ["steady", "outage"]

        await pilot.press("N")
        await wall.passes(pilot, 0.25, backend)
        assert "✔ holds" in part(app, "check")
        assert "RPO > 0" in part(app, "explain") and "Lab complete" in part(app, "explain")
        log = "\n".join(str(line.text) for line in app.query_one("#event-log").lines)
        assert "lab        ✔ step 3 (count-the-loss)" in log and "lab complete" in log
    assert completed("async-rpo") == ["steady", "outage", "count-the-loss"]

    from regionctl.cli.lab import lab as lab_command

    listing = CliRunner().invoke(lab_command, [], env={"XDG_STATE_HOME": str(state_dir)})
    assert listing.exit_code == 0
    row = next(line for line in listing.output.splitlines() if " async-rpo " in line)
    assert "✔ done" in row


async def test_an_expectation_counts_only_once_the_learner_did_what_the_step_asks() -> None:
    # quorum-loss, step 1: `control` is writable from the start; the check waits for eu-west to go down.
    app = await lab_app("quorum-loss")
    async with app.run_test(size=SIZE) as pilot:
        await advance(app, 5)
        await pilot.pause()
        assert app.backend.snapshot().cluster("control").writable
        assert "○ waiting for you" in part(app, "check") and completed("quorum-loss") == []
        await app.backend.apply(InjectFault(parse_fault("region:eu-west")))
        await advance(app, 1)
        assert "✔ holds" in part(app, "check") and completed("quorum-loss") == ["one-region"]


async def test_hints_one_at_a_time_then_show_me_performs_the_step() -> None:
    app = await lab_app("quorum-loss")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "t hint (0/1)" in part(app, "keys") and part(app, "hints") == ""
        await pilot.press("t")  # the step has no written hint: the keys that do it
        hints = part(app, "hints")
        assert "1. To inject region:eu-west: press `f`, choose the kind *region* (kind 2 of the list)" in hints
        assert "t hint (1/1)" in part(app, "keys")
        await pilot.press("t")  # none left: said, nothing breaks
        assert part(app, "hints") == hints
        await pilot.press("s")
        await until(pilot, lambda: app.showing is None and "✔ holds" in part(app, "check"), "show me's outcome")
        assert active_faults(app) == ["region:eu-west"]
        assert "✔ inject region:eu-west  (shown)" in part(app, "do")
        assert "Two of three members remain" in part(app, "explain") and part(app, "hints") == ""

        await pilot.press("N")  # step 2: its hint is the lab's own, then the keys
        await pilot.press("t")
        assert "A Raft leader needs a majority of the *whole* membership" in part(app, "hints")
        await pilot.press("s")
        await until(pilot, lambda: app.showing is None, "show me to finish")
        assert active_faults(app) == ["region:eu-west", "region:ap-southeast"]
        for _ in range(30):
            await advance(app, 1)
            if "✔ holds" in part(app, "check"):
                break
        assert "✔ holds" in part(app, "check") and not app.backend.snapshot().cluster("control").writable
        await pilot.press("N")
        assert "☐ heal region:ap-southeast" in part(app, "do")
        await pilot.press("s")
        await until(pilot, lambda: app.showing is None, "the heal")
        assert active_faults(app) == ["region:eu-west"]


async def test_show_me_runs_runbooks_waits_and_actions_through_the_executor() -> None:
    # failback: a runbook with an approval gate, a wait, then four operator actions with no dashboard key.
    app = await lab_app("failback")
    async with app.run_test(size=SIZE) as pilot:
        for step_id in ("away", "run-away", "back"):
            assert f"· {step_id}" in part(app, "head")
            await pilot.press("s")
            await until(pilot, lambda: app.showing is None, f"show me to finish {step_id}")
            for _ in range(40):
                if "✔ holds" in part(app, "check"):
                    break
                await advance(app, 1)
            assert "✔ holds" in part(app, "check"), part(app, "check")
            await pilot.press("N")
        snapshot = app.backend.snapshot()
        assert snapshot.cluster("orders").leader == "pg-1" and snapshot.metrics["writes_lost"] == 0
        assert "✔ promote pg-1  (shown)" in part(app, "do")
        assert "Lab complete" in part(app, "explain")
    assert completed("failback") == ["away", "run-away", "back"]


async def test_next_before_the_check_holds_warns_then_skips_without_recording() -> None:
    app = await lab_app("raft-election")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("N")
        assert "step 1 of 2" in part(app, "head")  # warned, not moved
        await pilot.press("N")
        assert "step 2 of 2" in part(app, "head")
        assert completed("raft-election") == []


async def test_help_and_palette_list_the_lab_keys() -> None:
    app = await lab_app("replication-lag")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for words in ("reveal the next hint", "show me: perform what this step asks", "go to the next step",
                      "inject a fault"):
            assert words in text
        await pilot.press("escape")
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Lab: hint", "Lab: show me", "Lab: next step", "Inject a fault"} <= titles


async def test_a_newcomer_finishes_the_first_lab_from_the_panel_alone() -> None:
    # replication-lag: the panel says which key goes on; nothing else is needed.
    app = await lab_app("replication-lag")
    async with app.run_test(size=SIZE) as pilot:
        for n in (1, 2):
            assert f"step {n} of 2" in part(app, "head")
            for _ in range(20):
                if "✔ holds" in part(app, "check"):
                    break
                await advance(app, 0.5)
            assert "✔ holds" in part(app, "check") and part(app, "explain").startswith("**Why**")
            if n == 1:
                assert "N  next step" in part(app, "keys")
                await pilot.press("N")
        assert "Lab complete" in part(app, "explain")
    assert completed("replication-lag") == ["lag", "stale"]


def test_regionctl_lab_refuses_without_a_terminal_and_names_the_headless_way() -> None:
    result = subprocess.run([REGIONCTL, "lab", "async-rpo"], cwd=ROOT, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, check=False)
    assert result.returncode == 2
    assert "needs a terminal" in result.stderr and "regionctl lab async-rpo --check" in result.stderr
    assert "Traceback" not in result.stderr


def test_regionctl_lab_opens_the_lab_in_a_real_terminal(tmux: Callable[..., str], tmp_path: Path) -> None:  # noqa: F811
    marker = tmp_path / "exit-code"
    env = f"TERM=xterm-256color COLUMNS= LINES= HOME={os.environ.get('HOME', '/root')} XDG_STATE_HOME={tmp_path}"
    command = f"env {env} {REGIONCTL} lab replication-lag; echo $? > {marker}; sleep 30"
    tmux("new-session", "-d", "-s", "dash", "-x", "160", "-y", "48", command)
    screen = wait_for(tmux, lambda s: "lab · replication-lag" in s and "✔ holds" in s, "the lab panel's first check")
    assert "step 1 of 2" in screen and "Replication lag and reading your own writes" in screen
    assert "★ pg-1" in screen and "replication (followers)" in screen  # the dashboard beside it
    tmux("send-keys", "-t", "dash", "N")
    wait_for(tmux, lambda s: "step 2 of 2" in s and "Lab complete" in s, "the last step's check")
    tmux("send-keys", "-t", "dash", "q")
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marker.exists() and marker.read_text().strip() == "0"
    progress = json.loads((tmp_path / "regionctl" / "labs.json").read_text())
    assert progress["replication-lag"]["completed"] == ["lag", "stale"] and progress["replication-lag"]["finished"]


async def test_a_runbook_step_done_with_the_runbook_keys() -> None:
    # failback, step 1: the learner runs planned-switchover from the runbook chooser and approves its gate.
    app = await lab_app("failback")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "☐ run the runbook planned-switchover" in part(app, "do")
        await pilot.press("r", "down", "down", "down", "enter")  # planned-switchover, to the end
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the approval gate")
        await pilot.press("y")
        await until(pilot, lambda: app.run_ is not None and app.run_.finished, "the runbook to finish")
        await pilot.pause()
        assert "✔ run the runbook planned-switchover" in part(app, "do")
        assert "✔ holds" in part(app, "check") and completed("failback") == ["away"]


def test_a_lab_that_cannot_compile_is_refused_before_the_screen_opens(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ntitle: Bad\ntopology: active-passive\nsteps:\n"
                   "  - id: one\n    text: hello\n    do: runbook nope\n    expect: writable(orders)\n")
    result = subprocess.run([REGIONCTL, "lab", str(bad)], cwd=ROOT, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"{bad}:") and "no runbook 'nope'" in result.stderr


@pytest.mark.parametrize(("size", "compact"), [((160, 48), True), ((220, 60), False)], ids=["160x48", "220x60"])
async def test_beside_the_lab_panel_the_dashboard_fits_its_own_width_and_the_map_is_whole(
        size: tuple[int, int], compact: bool) -> None:
    # At 160 columns the lab panel leaves the dashboard 102: its panels stack (v shows the map at that width)
    # rather than squeeze the map into one cut column; at 220 the dashboard has 162 and every panel shows.
    from regionctl.tui.widgets import TopologyMap
    from tests.tuihelpers import flowed, rendered

    app = await lab_app("async-rpo")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert app.screen.has_class("-compact") == compact
        if compact:
            await pilot.press("v")  # the topology view
            await pilot.pause()
        words = flowed(rendered(app))
        topo = app.query_one("#map", TopologyMap)
        assert topo.virtual_size.height <= topo.content_region.height  # nothing of the map scrolled away
        assert topo.virtual_size.width <= topo.content_region.width
        for line in topo.plain_lines:
            assert " ".join(line.split()) in words, (line, words)
        assert "lab · async-rpo" in words and "step 1 of 3" in words


async def test_a_recorded_lab_replays_the_lab_as_it_ran(tmp_path: Path) -> None:
    # failback patches its topology (a 400 ms link): the recording must carry the lab's topology, not the file's.
    from regionctl.cli.replay import session_topology
    from regionctl.labs.compile import LABS_DIR
    from regionctl.model.resolved import region_rtt
    from regionctl.replay import sessionfile
    from regionctl.replay.replayer import Replayer
    from regionctl.replay.sessionfile import Recorder
    from regionctl.tui.lab import LabDashboard
    from tests.labtuihelpers import load_lab
    from tests.replayhelpers import differences

    lab = load_lab("failback")
    path = tmp_path / "lab.session.jsonl"
    app = await lab_app("failback")
    assert isinstance(app, LabDashboard)
    backend = app.backend
    assert isinstance(backend, SimBackend)
    recorder = Recorder(path, lab.seed, app.compiled.topology_yaml, str(LABS_DIR / "failback.yaml"))
    backend.session.listeners.append(recorder)  # as run_lab_app does for `lab NAME --record FILE`
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await until(pilot, lambda: app.showing is None, "show me to finish the first step")
        await advance(app, 40)
        await pilot.press("f", "down", "enter", "enter")
        await preview_shown(app, pilot)
        await pilot.press("enter")
        await until(pilot, lambda: len(active_faults(app)) == 1, "the fault")
        await advance(app, 5)
    recorder.close(backend.sim.now)
    live = backend.snapshot()
    session = sessionfile.load(path)
    topology = session_topology(session)
    assert region_rtt(topology, "us-east", "eu-west")[0] == 0.4  # seconds
    assert len(session.entries) >= 2
    replayer = Replayer(topology, session.seed, session.entries, session.end)
    assert not differences(live, replayer.snapshot(replayer.at(session.end)))
