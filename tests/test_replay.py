"""A replay is the live run: the snapshot at every frame the live dashboard showed equals the replayed one
(status, metrics, events), for commands at odd times, uneven ticks, a promotion overlapping other commands,
over seeds, bundled topologies and command schedules (hypothesis); the recorded file replays the same;
seeking backwards from checkpoints gives the same state as running straight there."""

from __future__ import annotations

import json
import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regionctl.cli.replay import session_topology
from regionctl.contract.commands import (
    Command,
    Demote,
    Fence,
    HealAll,
    HealFault,
    InjectFault,
    Promote,
    Repoint,
    SetReadOnly,
    ShiftTraffic,
    Unfence,
)
from regionctl.contract.faults import parse_fault
from regionctl.replay import sessionfile
from regionctl.replay.replayer import Replayer
from regionctl.sim.simulator import Simulation
from tests.replayhelpers import LiveRun, differences, drive, record, replayer_of
from tests.simhelpers import bundled

TOPOLOGIES = ["active-passive", "active-active", "hybrid", "single-region", "tenancy-silo", "tenancy-pool",
              "tenancy-bridge"]


def _failover_schedule() -> list[tuple[float, Command]]:
    return [
        (4.37, InjectFault(parse_fault("region:us-east"))),
        (3.11, InjectFault(parse_fault("latency:eu-west|us-west=120ms"))),
        (2.93, ShiftTraffic("eu-west", "us-east")),
        (1.7, HealFault(parse_fault("region:us-east"))),
        (0.9, Promote("pg-1")),  # 1 s of engine time: the next command lands while it runs
        (0.0, InjectFault(parse_fault("loss:us-east|eu-west=20%"))),
        (2.2, Fence("redis-2")),
        (1.3, HealAll()),
        (0.4, Unfence("redis-2")),
        (1.1, SetReadOnly("orders")),
        (0.7, SetReadOnly("orders", read_only=False)),
        (0.3, Promote("pg-9")),  # refused: no such node; logged and replayed refused
    ]


def _assert_identical(run: LiveRun, replayer: Replayer, every: int = 1, minimum: int = 50) -> int:
    frames = sorted(run.frames.items(), key=lambda item: (item[0].t, item[0].applied))
    assert len(frames) > minimum
    checked = 0
    for position, live in frames[::every]:
        replayed = replayer.snapshot(position)
        assert not differences(live, replayed), (position, differences(live, replayed))
        checked += 1
    return checked


def test_every_live_frame_is_the_replayed_one() -> None:
    run = drive("active-passive", 7, _failover_schedule(), tick_rng=random.Random(3))
    entries = run.backend.session.entries
    assert [e.do for e in entries].count("promote-end") == 1  # the promotion completed, after the loss fault
    assert [e.do for e in entries].index("inject", 2) < [e.do for e in entries].index("promote-end")
    replayer = replayer_of(run, "active-passive")
    assert replayer.index()
    assert not replayer.divergences
    # Backwards, from checkpoints (the cursor is always ahead of the next position).
    frames = sorted(run.frames.items(), key=lambda item: (item[0].t, item[0].applied), reverse=True)
    for position, live in frames[::5]:
        assert not differences(live, replayer.snapshot(position)), position
    assert _assert_identical(run, replayer, every=3) > 20


def test_the_recorded_file_replays_the_live_run(tmp_path: Path) -> None:
    run = drive("active-passive", 2, _failover_schedule(), tick_rng=random.Random(11))
    path = record(run, "active-passive", tmp_path / "s.jsonl")
    session = sessionfile.load(path)
    assert session.closed and session.end == run.backend.sim.now
    assert session.entries == tuple(run.backend.session.entries)  # times and floats round-trip exactly
    replayer = Replayer(session_topology(session), session.seed, session.entries, session.end)
    _assert_identical(run, replayer, every=4)
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["version"] == 1 and json.loads(lines[-1]) == {"t": run.backend.sim.now, "do": "end"}


def test_seeking_back_from_a_checkpoint_is_running_straight_there() -> None:
    run = drive("active-active", 5, [(3.0, InjectFault(parse_fault("loss:us-east|eu-west=30%"))),
                                     (12.0, HealAll())], tick_rng=random.Random(1), tail=8)
    replayer = replayer_of(run, "active-active")
    replayer.index()
    assert len(replayer.checkpoints) > 3  # the lossy stretch is worth checkpoints
    for t in (replayer.end, replayer.end * 0.61, replayer.end * 0.2):
        straight = replayer_of(run, "active-active").snapshot(replayer.at(t))
        assert not differences(straight, replayer.snapshot(replayer.at(t)))


def test_the_simulation_does_not_depend_on_the_steps_time_was_advanced_by() -> None:
    # The precondition of replaying at all: one step to t, or many uneven ones (with snapshots between), agree.
    for name in TOPOLOGIES:
        one, many = Simulation(bundled(name), seed=4), Simulation(bundled(name), seed=4)
        for sim in (one, many):
            sim.run_until(20.0)
            sim.inject(parse_fault(f"region:{bundled(name).regions[0].name}"))
        rng, t = random.Random(9), 20.0
        while t < 200:
            t += rng.uniform(0.001, 4.0)
            many.run_until(t)
            many.snapshot()
        one.run_until(t)
        assert not differences(one.snapshot(), many.snapshot()), name


def _commands(topology: str) -> st.SearchStrategy[Command]:
    model = bundled(topology)
    regions = [r.name for r in model.regions]
    nodes = [n.name for c in model.clusters for n in c.nodes]
    clusters = [c.name for c in model.clusters]
    faults = [f"node:{n}" for n in nodes] + [f"region:{r}" for r in regions]
    if len(regions) > 1:
        faults += [f"partition:{regions[0]}|{regions[1]}", f"latency:{regions[0]}|{regions[-1]}=250ms",
                   f"loss:{regions[0]}|{regions[1]}=10%"]
    faults += [f"pause:{nodes[0]}", f"slow:{nodes[-1]}=5x"]
    node = st.sampled_from(nodes)
    return st.one_of(
        st.sampled_from(faults).map(lambda f: InjectFault(parse_fault(f))),
        st.sampled_from(faults).map(lambda f: HealFault(parse_fault(f))),
        st.just(HealAll()),
        node.map(Promote), node.map(Demote), node.map(Fence), node.map(Unfence),
        st.tuples(node, st.none() | node).map(lambda p: Repoint(*p)),
        st.tuples(st.sampled_from(clusters), st.booleans()).map(lambda p: SetReadOnly(*p)),
        st.tuples(st.sampled_from(regions), st.none() | st.sampled_from(regions)).map(lambda p: ShiftTraffic(*p)),
    )


@st.composite
def _sessions(draw: st.DrawFn) -> tuple[str, int, list[tuple[float, Command]], int]:
    topology = draw(st.sampled_from(TOPOLOGIES))
    schedule = draw(st.lists(st.tuples(st.floats(0.0, 6.0), _commands(topology)), min_size=1, max_size=8))
    return topology, draw(st.integers(1, 10_000)), schedule, draw(st.integers(0, 1000))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(_sessions())
def test_replays_equal_live_runs_over_seeds_topologies_and_schedules(
        session: tuple[str, int, list[tuple[float, Command]], int]) -> None:
    topology, seed, schedule, tick_seed = session
    run = drive(topology, seed, schedule, tick_rng=random.Random(tick_seed), speed=5.0, tail=5.0)
    replayer = replayer_of(run, topology)
    replayer.index()
    assert not replayer.divergences
    _assert_identical(run, replayer, every=7, minimum=10)
