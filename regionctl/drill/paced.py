"""A drill paced in real time (at --speed) while an exporter serves its live state.

The simulation is the same as `run_drill`'s (same seed, same schedule on the simulator's
own clock, stopped exactly at `duration`), so the report is the same, byte for byte
apart from `wall_seconds`; only the watching differs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from regionctl.backends.sim_backend import SimBackend
from regionctl.contract.faults import ScheduledFault
from regionctl.drill.runner import DrillResult, finish_drill, start_drill
from regionctl.exporter.exporter import MetricsExporter
from regionctl.exporter.live import play_until_stopped
from regionctl.model.topology import Topology


@dataclass
class PacedOutcome:
    result: DrillResult | None  # None when a signal stopped the drill before its end
    stopped_by: str | None  # SIGINT or SIGTERM, if one came
    sim_seconds: float  # how far the simulation got


class PacedDrill:
    """Built first (the exporter then serves t=0 before anyone can scrape), run second."""

    def __init__(self, topology: Topology, schedule: list[ScheduledFault], duration: float, seed: int,
                 speed: float, exporter: MetricsExporter, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.topology, self.duration, self.seed, self.exporter = topology, duration, seed, exporter
        # Snapshots that leave the books alone: otherwise how often the drill is watched would shift its figures.
        self.backend = SimBackend(topology, seed=seed, speed=speed, clock=clock, sleep=sleep, serve_elapsed=False)
        self.before = start_drill(self.backend.sim, schedule)
        exporter.update(self.backend.snapshot())

    def run(self, hz: float = 4.0) -> PacedOutcome:
        started = time.perf_counter()
        sim = self.backend.sim
        stopped_by = asyncio.run(play_until_stopped(self.backend, self.exporter, hz=hz, until=self.duration))
        if stopped_by is not None:
            return PacedOutcome(None, stopped_by, sim.now)
        self.exporter.update(self.backend.snapshot())  # the final state, even if the last tick fell before it
        result = finish_drill(sim, self.topology, self.before, self.duration, self.seed,
                              wall=time.perf_counter() - started)
        return PacedOutcome(result, None, sim.now)
