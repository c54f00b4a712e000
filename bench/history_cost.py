"""What the dashboard's history (`g`, regionctl/tui/timeline.py) costs per tick, and the chart per repaint.

  .venv/bin/python bench/history_cost.py [--minutes 10]

The 100-node, 10-region topology of bench/tui_bench.py, ticked at 4 Hz (0.25 simulated seconds a
tick) with a region lost a minute in: the snapshots are taken first, then fed to a Timeline alone
(CPU time, not wall time, so a busy machine shows less noise). Printed: the mean cost of a tick,
the worst one (a tick that merges the buckets pays for it), the values held, and the chart's
drawing at 200x60 (what a repaint of the open view costs). Target: a tick well under 0.1 ms.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="simulated minutes (default 10)")
    args = parser.parse_args()

    from tui_bench import big_topology

    from regionctl.contract.faults import parse_fault
    from regionctl.sim.simulator import Simulation
    from regionctl.tui.chart import GUTTER, draw, marker_columns
    from regionctl.tui.model import DashboardModel
    from regionctl.tui.timeline import ESTATE, Timeline

    topology = big_topology()
    sim = Simulation(topology, seed=1)
    model = DashboardModel(topology)  # only for the fresh events each tick hands the timeline
    ticks = int(args.minutes * 60 * 4)
    fed = []
    for tick in range(1, ticks + 1):
        if tick == 240:
            sim.inject(parse_fault("region:region-00"))
        sim.run_until(tick * 0.25)
        snapshot = sim.snapshot()
        fed.append((snapshot, model._new_events(snapshot.events)))
    timeline = Timeline()
    costs = []
    for snapshot, events in fed:
        start = time.process_time()
        timeline.add(snapshot, events)
        costs.append(time.process_time() - start)
    mean = sum(costs) / len(costs)
    print(f"{len(topology.clusters)} clusters, {sum(len(c.nodes) for c in topology.clusters)} nodes, "
          f"{ticks} ticks ({args.minutes:g} simulated minutes at 4 Hz)")
    print(f"per tick: mean {mean * 1e6:.1f} µs, worst {max(costs) * 1e3:.2f} ms (a merge of the buckets), "
          f"{mean * 4 * 100:.3f}% of a core at 4 Hz")
    print(f"held: {timeline.size():,} values and markers ({len(timeline.slots)} series of {timeline.buckets} buckets, "
          f"{timeline.span:g} s a bucket now), {len(timeline.markers)} markers")
    width, height = 200, 52
    repeats = 50
    start = time.process_time()
    for _ in range(repeats):
        markers = marker_columns(timeline.markers, timeline.now, width - GUTTER)
        draw("lag", timeline.columns("lag", ESTATE, width - GUTTER), markers, timeline.now, width, height)
    print(f"chart at {width}x{height}: {(time.process_time() - start) / repeats * 1e3:.2f} ms a repaint")


if __name__ == "__main__":
    main()
