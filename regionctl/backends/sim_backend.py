"""The simulator as a Backend, with real-time pacing (play at 1x or 10x, pause).

Pacing lives here, not in the pure simulator: each wall-clock tick advances the
virtual clock by speed x elapsed wall time. The wall clock and the sleep are
injectable so that tests can drive time exactly.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from regionctl.contract.commands import (
    Command,
    CommandResult,
    Demote,
    Fence,
    HealAll,
    HealFault,
    InjectFault,
    Promote,
    Repoint,
    RunCommand,
    SetReadOnly,
    ShiftTraffic,
    Unfence,
)
from regionctl.contract.inline import yield_once
from regionctl.contract.snapshot import Snapshot
from regionctl.model.topology import Topology
from regionctl.replay.ops import Entry, SessionLog
from regionctl.sim.simulator import Simulation

HEADLESS_SLICE = 10.0  # simulated seconds computed between two chances to handle a signal
MAX_CATCH_UP = 5.0  # wall seconds: after a stall (suspended laptop), do not replay hours at once


class SimBackend:
    name = "sim"

    def __init__(self, topology: Topology, seed: int = 1, speed: float = 1.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] | None = None, serve_elapsed: bool = True) -> None:
        self.sim = Simulation(topology, seed=seed)
        self.session = SessionLog(seed)  # every change made, with its simulated time: what a replay re-performs
        self.serve_elapsed = serve_elapsed  # False: snapshots never touch the books (see Simulation.snapshot)
        self.speed = speed
        self.paused = False
        # Live: a paced tick source (the dashboard) owns time; advance() then waits for it.
        self.live = False
        self._clock = clock
        self._sleep = sleep  # None: asyncio.sleep (imported only when paced: a headless run needs no event loop)
        self._last_wall: float | None = None
        # The last snapshot, while nothing has changed since (a runbook's step reads several per poll).
        self._cached: tuple[tuple[float, int, int], Snapshot] | None = None

    def snapshot(self) -> Snapshot:
        version = self.sim.loop.version()
        if self._cached is not None and self._cached[0] == version:
            return self._cached[1]
        snapshot = self.sim.snapshot(backend=self.name, serve_elapsed=self.serve_elapsed)
        self._cached = (version, snapshot)
        return snapshot

    async def apply(self, command: Command) -> CommandResult:
        self._cached = None  # a command may change the state without scheduling anything
        try:
            return await self._apply(command)
        finally:
            self._cached = None

    async def _apply(self, command: Command) -> CommandResult:
        """Every change goes through the session log (regionctl.replay.ops), which a replay re-performs."""
        if isinstance(command, RunCommand):
            return CommandResult(False, f"the simulator runs no commands (on {command.host}: "
                                        f"{command.command!r}); use --backend ssh")
        entry = _entry(command)
        if entry is None:
            return CommandResult(False, f"unsupported command {command!r}")  # pragma: no cover
        outcome = self.session.perform(self.sim, entry)
        if entry.do != "promote" or outcome.took is None:
            return CommandResult(outcome.ok, outcome.message)
        # A promotion takes its engine's time, as on real hosts; the old leader is not back meanwhile.
        await self.advance(outcome.took)
        done = self.session.perform(self.sim, Entry(self.sim.now, "promote-end", node=entry.node))
        return CommandResult(done.ok, f"promoted {entry.node} (took {outcome.took:g}s)" if done.ok else done.message)

    async def advance(self, seconds: float) -> None:
        """Let `seconds` of virtual time pass: at once when headless; when live, wait for the
        paced clock (the dashboard's tick source) to get there, so the run unfolds on screen."""
        target = self.sim.now + seconds
        if not self.live:
            # In slices, yielding between them: a signal (Ctrl-C) is handled within one slice.
            while self.sim.now < target - 1e-9:
                self.sim.run_until(min(target, self.sim.now + HEADLESS_SLICE))
                await yield_once()
            return
        import asyncio

        while self.sim.now < target - 1e-9:
            await asyncio.sleep(0.05)

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
        if self._sleep is None:
            import asyncio

            self._sleep = asyncio.sleep
        self.live = True
        try:
            self.pace()
            while until is None or self.sim.now < until:
                await self._sleep(1.0 / hz)
                self.pace(until)
                on_snapshot(self.snapshot())
        finally:
            self.live = False

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self._last_wall = self._clock()


def _entry(command: Command) -> Entry | None:
    """The session log's operation for a command (at time 0: the log stamps the time it takes effect)."""
    if isinstance(command, InjectFault | HealFault):
        return Entry(0.0, "inject" if isinstance(command, InjectFault) else "heal", fault=command.fault.spec)
    if isinstance(command, HealAll):
        return Entry(0.0, "heal-all")
    if isinstance(command, Promote | Demote | Fence | Unfence):
        return Entry(0.0, type(command).__name__.lower(), node=command.node)
    if isinstance(command, Repoint):
        return Entry(0.0, "repoint", node=command.node, to=command.to)
    if isinstance(command, SetReadOnly):
        return Entry(0.0, "read-only" if command.read_only else "read-write", cluster=command.cluster)
    if isinstance(command, ShiftTraffic):
        return Entry(0.0, "shift-traffic", to=command.to_region, from_=command.from_region, cluster=command.cluster)
    return None
