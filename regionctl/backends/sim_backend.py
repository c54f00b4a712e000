"""The simulator as a Backend, with real-time pacing (play at 1x or 10x, pause).

Pacing lives here, not in the pure simulator: each wall-clock tick advances the
virtual clock by speed x elapsed wall time. The wall clock and the sleep are
injectable so that tests can drive time exactly.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from regionctl.backends.protocol import Command, CommandResult, HealAll, HealFault, InjectFault, Promote
from regionctl.backends.snapshot import Snapshot
from regionctl.faults import FaultSpecError, parse_fault
from regionctl.model.topology import Topology
from regionctl.sim.simulator import Simulation

MAX_CATCH_UP = 5.0  # wall seconds: after a stall (suspended laptop), do not replay hours at once


class SimBackend:
    name = "sim"

    def __init__(self, topology: Topology, seed: int = 1, speed: float = 1.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, serve_elapsed: bool = True) -> None:
        self.sim = Simulation(topology, seed=seed)
        self.serve_elapsed = serve_elapsed  # False: snapshots never touch the books (see Simulation.snapshot)
        self.speed = speed
        self.paused = False
        self._clock = clock
        self._sleep = sleep
        self._last_wall: float | None = None

    def snapshot(self) -> Snapshot:
        return self.sim.snapshot(backend=self.name, serve_elapsed=self.serve_elapsed)

    async def apply(self, command: Command) -> CommandResult:
        sim = self.sim
        try:
            if isinstance(command, InjectFault):
                fid = sim.inject(parse_fault(command.spec))
                return CommandResult(True, f"injected {sim.faults[fid - 1].fault.spec}")
            if isinstance(command, HealFault):
                for entry in sim.active_faults():
                    if entry.fault.spec == command.spec or entry.fault.spec == parse_fault(command.spec).spec:
                        sim.heal(entry.fid)
                        return CommandResult(True, f"healed {entry.fault.spec}")
                return CommandResult(False, f"no active fault {command.spec!r}")
            if isinstance(command, HealAll):
                count = len(sim.active_faults())
                sim.heal_all()
                return CommandResult(True, f"healed {count} fault(s)")
            if isinstance(command, Promote):
                sim.promote(command.node)
                return CommandResult(True, f"promoted {command.node}")
        except (FaultSpecError, ValueError) as exc:
            return CommandResult(False, str(exc))
        return CommandResult(False, f"unsupported command {command!r}")  # pragma: no cover

    async def advance(self, seconds: float) -> None:
        """Advance virtual time by `seconds` at once (headless runs, tests)."""
        self.sim.run_until(self.sim.now + seconds)

    def pace(self, limit: float | None = None) -> float:
        """Advance by the wall time elapsed since the last call x speed, never past virtual time `limit`;
        returns virtual seconds moved."""
        now = self._clock()
        if self._last_wall is None or self.paused:
            self._last_wall = now
            return 0.0
        elapsed = min(now - self._last_wall, MAX_CATCH_UP)
        self._last_wall = now
        step = elapsed * self.speed
        if limit is not None:  # a paced drill must end exactly where the same drill run at once ends
            step = min(step, max(0.0, limit - self.sim.now))
        if step > 0:
            self.sim.run_until(self.sim.now + step)
        return step

    async def play(self, on_snapshot: Callable[[Snapshot], None], hz: float = 4.0,
                   until: float | None = None) -> None:
        """The one tick source: pace, publish a snapshot, sleep; until virtual time `until`."""
        self.pace()
        while until is None or self.sim.now < until:
            await self._sleep(1.0 / hz)
            self.pace(until)
            on_snapshot(self.snapshot())

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self._last_wall = self._clock()
