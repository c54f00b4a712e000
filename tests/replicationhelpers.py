"""Small topologies and a drill runner for the multi-leader, leaderless and CAP tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from regionctl.contract.faults import ScheduledFault, parse_fault
from regionctl.drill.runner import run_drill
from regionctl.model.loader import load_topology
from regionctl.model.topology import Topology

REGIONS = ["us-east", "eu-west", "ap-southeast"]
RTT = {"us-east|eu-west": "80ms", "eu-west|ap-southeast": "239ms", "us-east|ap-southeast": "230ms"}


def topology(tmp_path: Path, cluster: dict[str, Any], traffic: list[dict[str, Any]],
             regions: list[str] | None = None) -> Topology:
    data = {"name": "t", "kind": "active-active", "regions": [{"name": r} for r in regions or REGIONS],
            "network": {"rtt": RTT, "jitter": "10%"}, "clusters": [cluster], "traffic": traffic}
    path = tmp_path / f"t{len(list(tmp_path.iterdir()))}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_topology(path)


def drill(topo: Topology, faults: list[tuple[str, float, float | None]], duration: float,
          seed: int = 1) -> dict[str, Any]:
    schedule = [ScheduledFault(parse_fault(spec), at, length) for spec, at, length in faults]
    return run_drill(topo, schedule, duration, seed=seed).report


def cluster_metrics(report: dict[str, Any], name: str) -> dict[str, Any]:
    metrics: dict[str, Any] = report["metrics"]["clusters"][name]
    return metrics
