"""Simulator speed: simulated seconds per wall second, whole process (prints figures).

  python bench/sim_speed.py            both scenarios
Targets (issue 3): >= 1000x for one simulated hour of the bundled active-active
topology with a region outage; >= 100x for a 100-node, 10-region topology.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START = time.perf_counter()

from regionctl.drill.runner import run_drill  # noqa: E402
from regionctl.faults import ScheduledFault, parse_fault  # noqa: E402
from regionctl.model.loader import load_topology  # noqa: E402


def big_topology(regions: int = 10, nodes_per_region: int = 10) -> dict[str, object]:
    """10 regions x 10 nodes: ten 10-node Patroni clusters, each spread over all regions."""
    names = [f"r{i}" for i in range(regions)]
    clusters = []
    traffic = []
    for c in range(nodes_per_region):
        nodes = [{"name": f"c{c}-n{r}", "region": names[r], "zone": "a", "role": "leader" if r == c else "follower"}
                 for r in range(regions)]
        clusters.append({"name": f"c{c}", "engine": "postgres-patroni", "replication": {"mode": "async"},
                         "nodes": nodes})
        traffic.append({"from": names[c], "cluster": f"c{c}", "writes_per_s": 200, "reads_per_s": 1000})
    return {"name": "bench-100", "kind": "hybrid", "regions": [{"name": n, "zones": ["a"]} for n in names],
            "network": {"jitter": "10%"}, "clusters": clusters, "traffic": traffic}


def measure(label: str, topology_path: Path, fault: str, sim_seconds: float) -> None:
    topology = load_topology(topology_path)
    schedule = [ScheduledFault(parse_fault(fault), 300.0, None)]
    t0 = time.perf_counter()
    result = run_drill(topology, schedule, sim_seconds, seed=1)
    wall = time.perf_counter() - t0
    nodes = sum(len(c.nodes) for c in topology.clusters)
    events = result.report["sim_events"]
    print(f"{label}: {nodes} nodes, {len(topology.regions)} regions, {sim_seconds:.0f} s simulated "
          f"in {wall:.2f} s wall -> {sim_seconds / wall:,.0f}x "
          f"({events:,} events, {events / wall:,.0f} events/s, "
          f"{result.report['metrics']['writes_attempted']:,} writes counted)")


def main() -> None:
    measure("active-active, 1 h, region:us-east down at 5 min",
            ROOT / "topologies" / "active-active.yaml", "region:us-east", 3600.0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-100.yaml"
        path.write_text(yaml.safe_dump(big_topology(), sort_keys=False))
        measure("100 nodes / 10 regions, 1 h, region:r0 down at 5 min", path, "region:r0", 3600.0)
    total = time.perf_counter() - START
    print(f"whole process (imports, load, both runs): {total:.2f} s")


if __name__ == "__main__":
    main()
