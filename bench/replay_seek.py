"""How fast the replay seeks: a 1-hour session on the bundled active-active topology, seek to the middle.

  .venv/bin/python bench/replay_seek.py [--minutes 60] [--seeks 7]

The session: a region outage, a lossy link (the costliest fault to simulate: each run of lost messages
is an event every cluster reacts to), a partition, latency, heals, spread over the hour. Printed: the
index pass (once, on open; in a thread in the dashboard), the checkpoints it kept, then seeks around
the middle: each from a checkpoint (a fork and the simulation forward), and the same without
checkpoints (from t=0). Target: a seek well under 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from regionctl.backends.sim_backend import SimBackend
from regionctl.contract.commands import HealAll, HealFault, InjectFault
from regionctl.contract.faults import parse_fault
from regionctl.data import resolve_topology_path
from regionctl.loading import load_topology
from regionctl.model.topology import Topology
from regionctl.replay.ops import Entry
from regionctl.replay.replayer import Position, Replayer


def session(topology: Topology, minutes: float) -> tuple[list[Entry], float]:
    """Recorded as the dashboard records it: the simulator backend's session log."""
    end = minutes * 60.0
    plan = [(0.05, "inject", "region:ap-southeast"), (0.12, "inject", "loss:us-east|eu-west=5%"),
            (0.25, "heal", "region:ap-southeast"), (0.4, "inject", "partition:us-east|ap-southeast"),
            (0.55, "inject", "latency:eu-west|ap-southeast=200ms"), (0.7, "heal", "partition:us-east|ap-southeast"),
            (0.9, "heal-all", None)]
    backend = SimBackend(topology, seed=1)

    async def run() -> None:
        for share, do, fault in plan:
            await backend.advance(round(share * end, 3) - backend.sim.now)
            await backend.apply(HealAll() if fault is None else
                                (InjectFault if do == "inject" else HealFault)(parse_fault(fault)))
        await backend.advance(end - backend.sim.now)

    asyncio.run(run())
    return backend.session.entries, end


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--seeks", type=int, default=7)
    args = parser.parse_args()
    topology = load_topology(resolve_topology_path("active-active"))
    started = time.perf_counter()
    entries, end = session(topology, args.minutes)
    print(f"the session, run live at once: {time.perf_counter() - started:.2f}s")
    replayer = Replayer(topology, 1, tuple(entries), end)
    started = time.perf_counter()
    replayer.index()
    print(f"index pass: {time.perf_counter() - started:.2f}s for {args.minutes:g} simulated minutes, "
          f"{len(replayer.checkpoints)} checkpoints, {len(replayer.events)} events, "
          f"{len(replayer.divergences)} divergences")
    middle = end / 2
    for label, fresh in (("from a checkpoint", False), ("from t=0 (no checkpoints)", True)):
        timings = []
        for i in range(args.seeks):
            target = replayer.at(middle + (i - args.seeks // 2) * 37.3)
            subject = Replayer(topology, 1, tuple(entries), end) if fresh else replayer
            subject._cursor = None  # a cold seek: no cursor to reuse
            started = time.perf_counter()
            subject.snapshot(Position(target.t, target.applied))
            timings.append(time.perf_counter() - started)
        print(f"seek to the middle {label}: median {statistics.median(timings) * 1000:.0f} ms, "
              f"max {max(timings) * 1000:.0f} ms over {args.seeks} seeks")


if __name__ == "__main__":
    main()
