"""Simulator speed and memory, each figure beside a yardstick run in the same process (prints figures).

  python bench/sim_speed.py

The yardstick is a bare heapq loop running the *timer schedule a message-by-message simulator
would need* for the same topology and duration: every cluster's client batch every 100 ms (the
old simulator's tick), every Raft heartbeat, every Patroni HA loop, every Sentinel PING, every
HAProxy health check, with callbacks that do nothing. The ratio `simulator / bare loop` (in
simulated seconds per wall second) holds on a noisy machine; the targets are the issue's.
Memory is measured in a fresh process per run (peak resident set size).
"""

from __future__ import annotations

import gc
import heapq
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START = time.perf_counter()

from regionctl.analysis.blast import predict_blast  # noqa: E402
from regionctl.contract.faults import ScheduledFault, parse_fault  # noqa: E402
from regionctl.drill.runner import run_drill  # noqa: E402
from regionctl.model.loader import load_topology  # noqa: E402
from regionctl.model.presets import PRESETS  # noqa: E402
from regionctl.model.resolved import timings  # noqa: E402
from regionctl.model.topology import Topology  # noqa: E402
from regionctl.sim.simulator import Simulation  # noqa: E402


def big_topology(regions: int = 10, clusters: int = 10, nodes: int = 10) -> dict[str, Any]:
    """`clusters` Patroni clusters of `nodes` nodes spread over `regions` regions, each leading elsewhere."""
    names = [f"r{i}" for i in range(regions)]
    out = []
    traffic = []
    for c in range(clusters):
        members = [{"name": f"c{c}-n{k}", "region": names[(c + k) % regions], "zone": "a",
                    "role": "leader" if k == 0 else "follower"} for k in range(nodes)]
        out.append({"name": f"c{c}", "engine": "postgres-patroni", "replication": {"mode": "async"},
                    "nodes": members})
        traffic.append({"from": names[c % regions], "cluster": f"c{c}", "writes_per_s": 200, "reads_per_s": 1000})
    return {"name": f"bench-{clusters * nodes}", "kind": "hybrid",
            "regions": [{"name": n, "zones": ["a"]} for n in names], "network": {"jitter": "10%"},
            "clusters": out, "traffic": traffic}


def naive_schedule(topology: Topology, duration: float) -> list[tuple[float, float]]:
    """(first firing, period) of every timer a message-by-message simulator runs for this topology."""
    timers: list[tuple[float, float]] = []
    for cluster in topology.clusters:
        t = timings(cluster)
        family = PRESETS[cluster.engine].family
        n = len(cluster.nodes)
        timers.append((0.1, 0.1))  # the client batch of each cluster
        if family == "raft":
            timers += [(t["heartbeat"], t["heartbeat"])] * (n - 1)  # leader -> each follower
        elif family == "lock-ttl":
            timers += [(t["loop_wait"], t["loop_wait"])] * n
        elif family == "sentinel":
            timers += [(t["ping"], t["ping"])] * (n * n)  # each Sentinel pings each node
        elif family in ("poll", "managed"):
            timers += [(t.get("poll", t.get("alarm_period", 5.0)), t.get("poll", t.get("alarm_period", 5.0)))]
    for traffic in topology.traffic:
        if traffic.routing == "proxy":
            cluster = topology.cluster(traffic.cluster)
            timers += [(2.0, 2.0)] * len(cluster.nodes)
    return timers


def bare_loop(timers: list[tuple[float, float]], duration: float) -> tuple[float, int]:
    """Wall seconds and events for a bare heapq loop firing `timers` (no-op callbacks) up to `duration`."""
    heap = [(first, i, period) for i, (first, period) in enumerate(timers)]
    heapq.heapify(heap)
    events = 0
    push, pop = heapq.heappush, heapq.heappop
    started = time.perf_counter()
    while heap and heap[0][0] <= duration:
        at, i, period = pop(heap)
        events += 1
        push(heap, (at + period, i, period))
    return time.perf_counter() - started, events


def measure(label: str, topology: Topology, fault: str, at: float, sim_seconds: float,
            target_x: float, target_share: float | None = None) -> None:
    schedule = [ScheduledFault(parse_fault(fault), at, None)]
    gc.collect()
    t0 = time.perf_counter()
    result = run_drill(topology, schedule, sim_seconds, seed=1)
    wall = time.perf_counter() - t0
    bare_wall, bare_events = bare_loop(naive_schedule(topology, sim_seconds), sim_seconds)
    speed = sim_seconds / wall
    bare_speed = sim_seconds / bare_wall if bare_wall > 0 else float("inf")
    nodes = sum(len(c.nodes) for c in topology.clusters)
    share = speed / bare_speed
    verdict = "met" if speed >= target_x and (target_share is None or share >= target_share) else "NOT MET"
    share_target = f", target >= {target_share:.0%}" if target_share is not None else ""
    print(f"{label}: {nodes} nodes, {len(topology.regions)} regions, {sim_seconds / 3600:g} h simulated in "
          f"{wall:.3f} s -> {speed:,.0f}x real time (target >= {target_x:,.0f}x); {result.report['sim_events']:,} "
          f"events; bare heapq loop on the naive timer schedule: {bare_events:,} events in {bare_wall:.3f} s "
          f"({bare_speed:,.0f}x); simulator / bare loop = {share:.1f}{share_target} [{verdict}]")


def memory_child(hours: float) -> None:
    """Run in a child process: peak RSS of a 100-node run of `hours` with a region down from 5 min."""
    topology = Topology.model_validate(big_topology())
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run_drill(topology, [ScheduledFault(parse_fault("region:r0"), 300.0, None)], hours * 3600.0, seed=1)
    print(json.dumps({"peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "base_kib": base}))


def memory() -> None:
    figures = {}
    for hours in (10 / 60, 1.0, 6.0):
        out = subprocess.run([sys.executable, __file__, "--memory-child", str(hours)], capture_output=True,
                             text=True, check=True)
        figures[hours] = json.loads(out.stdout.strip().splitlines()[-1])
    ten = figures[10 / 60]["peak_kib"]
    for hours, fig in figures.items():
        print(f"peak memory, 100 nodes, {hours * 60:g} min with a region down from 5 min: "
              f"{fig['peak_kib'] / 1024:.1f} MiB (after imports and load: {fig['base_kib'] / 1024:.1f} MiB)")
    ratio = figures[6.0]["peak_kib"] / ten
    print(f"peak memory 6 h / 10 min = {ratio:.2f} (target <= 1.20) [{'met' if ratio <= 1.2 else 'NOT MET'}]")


def snapshot_and_blast() -> None:
    topology = Topology.model_validate(big_topology())
    sim = Simulation(topology, seed=1)
    sim.run_until(300.0)
    sim.snapshot()
    runs = 200
    t0 = time.perf_counter()
    for _ in range(runs):
        sim.snapshot()
    per = (time.perf_counter() - t0) / runs
    print(f"one Snapshot of the 100-node topology: {per * 1000:.2f} ms (target < 2 ms; the dashboard takes 4 a "
          f"second) [{'met' if per < 0.002 else 'NOT MET'}]")
    t0 = time.perf_counter()
    predict_blast(sim, [parse_fault("region:r1")])
    took = time.perf_counter() - t0
    print(f"a blast-radius prediction (fork + 300 s horizon) on the 100-node topology: {took * 1000:.0f} ms "
          f"(target < 200 ms) [{'met' if took < 0.2 else 'NOT MET'}]")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--memory-child":
        memory_child(float(sys.argv[2]))
        return
    active_active = load_topology(ROOT / "topologies" / "active-active.yaml")
    active_passive = load_topology(ROOT / "topologies" / "active-passive.yaml")
    measure("active-active, 1 h, region:us-east down at 5 min", active_active, "region:us-east", 300.0, 3600.0,
            3000.0, 0.15)
    measure("100 nodes / 10 regions, 1 h, region:r0 down at 5 min",
            Topology.model_validate(big_topology()), "region:r0", 300.0, 3600.0, 1000.0)
    measure("1,000 nodes / 100 regions, 10 min, region:r0 down at 5 min",
            Topology.model_validate(big_topology(regions=100, clusters=100, nodes=10)), "region:r0", 300.0, 600.0,
            100.0)
    measure("active-passive, 24 h, region:us-east down at 1 h", active_passive, "region:us-east", 3600.0, 86400.0,
            20000.0)
    snapshot_and_blast()
    memory()
    print(f"whole process (imports, loads, every run above): {time.perf_counter() - START:.2f} s")


if __name__ == "__main__":
    main()
