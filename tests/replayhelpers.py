"""A live dashboard session on the simulator, driven exactly: a fake wall clock paces the backend in
uneven ticks (as the dashboard's play loop does), commands arrive between ticks (a promotion runs on
while the clock ticks, as a runbook's would), and every frame's snapshot is kept under the position
it shows (the simulated time and how many operations the session log had then)."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from pathlib import Path

from regionctl.backends.sim_backend import SimBackend
from regionctl.contract.commands import Command, Promote
from regionctl.contract.snapshot import Snapshot
from regionctl.data import resolve_topology_path
from regionctl.replay import sessionfile
from regionctl.replay.replayer import Position, Replayer
from tests.simhelpers import bundled


@dataclass
class LiveRun:
    backend: SimBackend
    frames: dict[Position, Snapshot] = field(default_factory=dict)
    results: list[str] = field(default_factory=list)


def drive(topology: str, seed: int, schedule: list[tuple[float, Command]], *, tick_rng: random.Random,
          speed: float = 10.0, tail: float = 20.0) -> LiveRun:
    """Run the session: each (wall seconds to wait, command) in turn, then `tail` wall seconds more."""
    clock = [0.0]

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(0)

    backend = SimBackend(bundled(topology), seed=seed, speed=speed, clock=lambda: clock[0], sleep=sleep)
    run = LiveRun(backend)
    pending: list[asyncio.Task[object]] = []

    async def tick() -> None:
        clock[0] += tick_rng.uniform(0.01, 0.6)  # uneven frames: the simulated step is speed x this
        backend.pace()
        run.frames[Position(backend.sim.now, len(backend.session.entries))] = backend.snapshot()
        running = [task for task in pending if not task.done()]
        if running:  # a promotion waits for the clock in 50 ms polls: let it look once per frame (deterministic)
            await asyncio.wait(running, timeout=0.07)
        await asyncio.sleep(0)

    async def wait(wall: float) -> None:
        until = clock[0] + wall
        while clock[0] < until:
            await tick()

    async def main() -> None:
        backend.live = True
        backend.pace()
        for delay, command in schedule:
            await wait(delay)
            if isinstance(command, Promote):  # takes its engine's time: the clock goes on meanwhile
                pending.append(asyncio.ensure_future(backend.apply(command)))
                await asyncio.sleep(0)
            else:
                run.results.append((await backend.apply(command)).message)
            run.frames[Position(backend.sim.now, len(backend.session.entries))] = backend.snapshot()
        while any(not task.done() for task in pending):
            await tick()
        await wait(tail)

    asyncio.run(main())
    return run


def replayer_of(run: LiveRun, topology: str) -> Replayer:
    backend = run.backend
    return Replayer(bundled(topology), backend.session.seed, tuple(backend.session.entries), backend.sim.now)


def record(run: LiveRun, topology: str, path: Path) -> Path:
    """The session as `regionctl tui --record` leaves it."""
    source = resolve_topology_path(topology)
    recorder = sessionfile.Recorder(path, run.backend.session.seed, source.read_text(), str(source))
    for entry in run.backend.session.entries:
        recorder(entry)
    recorder.close(run.backend.sim.now)
    return path


def differences(live: Snapshot, replayed: Snapshot) -> list[str]:
    out = []
    if live.to_status_json() != replayed.to_status_json():
        out.append("status")
    if live.metrics != replayed.metrics:
        out.append("metrics")
    if live.events != replayed.events:
        out.append("events")
    return out
