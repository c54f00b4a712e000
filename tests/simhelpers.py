"""Shared helpers for simulator tests."""

from __future__ import annotations

from pathlib import Path

from regionctl.contract.faults import parse_fault
from regionctl.model.loader import load_topology
from regionctl.model.topology import Topology
from regionctl.sim.leader_follower import LeaderFollowerCluster
from regionctl.sim.simulator import Simulation

TOPOLOGIES = Path(__file__).resolve().parent.parent / "regionctl" / "data" / "topologies"


def bundled(name: str) -> Topology:
    return load_topology(TOPOLOGIES / f"{name}.yaml")


def lf(sim: Simulation, cluster: str) -> LeaderFollowerCluster:
    c = sim.clusters[cluster]
    assert isinstance(c, LeaderFollowerCluster)
    return c


def time_to_new_leader(topology: Topology, cluster: str, crash_node: str, seed: int, at: float = 30.0,
                       horizon: float = 300.0) -> float | None:
    sim = Simulation(topology, seed=seed)
    sim.run_until(at)
    sim.inject(parse_fault(f"node:{crash_node}"))
    c = lf(sim, cluster)
    before = len(c.history)
    step = at
    while step < at + horizon:
        step += 0.05
        sim.run_until(step)
        if len(c.history) > before:
            return c.history[-1][0] - at
    return None


def variant(name: str, mutate, tmp_dir: Path) -> Topology:  # type: ignore[no-untyped-def]
    """A bundled topology with its raw YAML data changed by `mutate(data)`."""
    import yaml

    data = yaml.safe_load((TOPOLOGIES / f"{name}.yaml").read_text())
    mutate(data)
    path = tmp_dir / f"{name}-variant.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_topology(path)
