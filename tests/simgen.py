"""Hypothesis strategies for the simulator: whole topologies, write rates and fault schedules.

The space the review tried and more: 2-5 regions, RTTs from 1 to 300 ms, every engine preset and
replication mode it allows, 1 to 10,000 writes per second, every routing, and schedules of crashes,
region and zone outages, two-way and one-way partitions, latency, slow nodes and clock skew, packet loss
and paused nodes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from regionctl.contract.faults import Fault, parse_fault
from regionctl.model.presets import PRESETS
from regionctl.model.topology import Topology

REGIONS = ["r0", "r1", "r2", "r3", "r4"]
ZONES = ["a", "b"]
LEADER_BASED = [name for name, p in PRESETS.items() if p.leader_based]
ROUTINGS = ["dns", "health-check-dns", "proxy", "client"]


@dataclass(frozen=True)
class Scenario:
    topology: Topology
    schedule: tuple[tuple[Fault, float, float | None], ...]
    seed: int
    source: str  # the topology as generated (JSON), to replay a failure

    def faults(self) -> str:
        """The schedule, and (for a failure message) everything needed to replay it, one item a line."""
        items = [f"{f.spec}@{at:g}s" + (f"+{d:g}s" if d is not None else "") for f, at, d in self.schedule]
        items += [f"seed={self.seed}", self.source]
        return "\nREPLAY " + "\nREPLAY ".join(items) + "\n"


@st.composite
def topologies(draw: st.DrawFn, engines: list[str] | None = None, max_clusters: int = 2,
               min_rate: float = 1.0, max_rate: float = 10_000.0) -> dict[str, Any]:
    n_regions = draw(st.integers(2, 5))
    regions = REGIONS[:n_regions]
    rtt = {f"{a}|{b}": f"{draw(st.integers(1, 300))}ms" for i, a in enumerate(regions) for b in regions[i + 1:]}
    clusters = []
    traffic = []
    for c in range(draw(st.integers(1, max_clusters))):
        engine = draw(st.sampled_from(engines or list(PRESETS)))
        preset = PRESETS[engine]
        mode = draw(st.sampled_from(preset.allowed_modes))
        family = preset.family
        low = 3 if family == "raft" or mode in ("quorum", "leaderless") else 2
        count = draw(st.integers(low, 5))
        places = [(draw(st.sampled_from(regions)), draw(st.sampled_from(ZONES))) for _ in range(count)]
        name = f"c{c}"
        leaders = {0}
        if mode == "multi-leader":
            leaders = set(range(count))
        nodes = []
        for i, (region, zone) in enumerate(places):
            role = "replica" if mode == "leaderless" else ("leader" if i in leaders else "follower")
            nodes.append({"name": f"{name}-n{i}", "region": region, "zone": zone, "role": role})
        cluster: dict[str, Any] = {"name": name, "engine": engine, "replication": {"mode": mode}, "nodes": nodes}
        if mode == "sync" and draw(st.booleans()):
            cluster["replication"]["sync_replicas"] = [nodes[1]["name"]]
        if mode == "leaderless":
            cluster["replication"].update(n=3, r=draw(st.integers(1, 3)), w=draw(st.integers(1, 3)),
                                          hinted_handoff=draw(st.booleans()))
        if family in ("lock-ttl", "sentinel", "poll", "cluster-bus") and draw(st.booleans()):
            cluster["failover"] = {"witnesses": draw(st.lists(st.sampled_from(regions), min_size=3, max_size=3,
                                                              unique=True)) if n_regions >= 3 else regions}
        if family != "raft" and preset.leader_based and draw(st.integers(0, 4)) == 0:
            cluster.setdefault("failover", {})["policy"] = "manual"
        if draw(st.integers(0, 3)) == 0:
            cluster.setdefault("failover", {})["fencing"] = False
        clusters.append(cluster)
        for _ in range(draw(st.integers(1, 3))):
            rate = draw(st.floats(min_rate, max_rate))
            traffic.append({"from": draw(st.sampled_from(regions)), "cluster": name,
                            "writes_per_s": round(rate, 3), "reads_per_s": round(draw(st.floats(0, 2 * rate)), 3),
                            "routing": draw(st.sampled_from(ROUTINGS)), "dns_ttl": f"{draw(st.integers(1, 30))}s",
                            "reads_from": draw(st.sampled_from(["leader", "local", "nearest"])),
                            "timeout": f"{draw(st.integers(1, 10))}s"})
    return {"name": "generated", "kind": "hybrid",
            "regions": [{"name": r, "zones": ZONES} for r in regions],
            "network": {"rtt": rtt, "jitter": f"{draw(st.integers(0, 20))}%"},
            "clusters": clusters, "traffic": traffic}


def fault_specs(data: dict[str, Any], kinds: tuple[str, ...]) -> st.SearchStrategy[str]:
    regions = [r["name"] for r in data["regions"]]
    nodes = [n["name"] for c in data["clusters"] for n in c["nodes"]]
    ends = regions + nodes
    pair = st.tuples(st.sampled_from(ends), st.sampled_from(ends)).filter(lambda p: p[0] != p[1])
    options = {
        "node": st.sampled_from(nodes).map(lambda n: f"node:{n}"),
        "region": st.sampled_from(regions).map(lambda r: f"region:{r}"),
        "zone": st.tuples(st.sampled_from(regions), st.sampled_from(ZONES)).map(lambda z: f"zone:{z[0]}/{z[1]}"),
        "partition": pair.map(lambda p: f"partition:{p[0]}|{p[1]}"),
        "one-way": pair.map(lambda p: f"partition:{p[0]}>{p[1]}"),
        "latency": st.tuples(pair, st.integers(1, 400)).map(lambda x: f"latency:{x[0][0]}|{x[0][1]}={x[1]}ms"),
        "slow": st.tuples(st.sampled_from(nodes), st.integers(2, 100)).map(lambda x: f"slow:{x[0]}={x[1]}x"),
        "clock": st.tuples(st.sampled_from(nodes), st.integers(-5000, 5000)).map(
            lambda x: f"clock:{x[0]}={'+' if x[1] >= 0 else '-'}{abs(x[1])}ms"),
        # 0% and 100% (no fault, a partition) as often as the rest, then anything in between in 0.1% steps.
        "loss": st.tuples(pair, st.one_of(st.sampled_from([0, 1000]), st.integers(0, 1000))).map(
            lambda x: f"loss:{x[0][0]}|{x[0][1]}={x[1] / 10:g}%"),
        "pause": st.sampled_from(nodes).map(lambda n: f"pause:{n}"),
    }
    return st.one_of(*(options[k] for k in kinds))


ALL_KINDS = ("node", "region", "zone", "partition", "one-way", "latency", "slow", "clock")
GRAY_KINDS = ("loss", "pause")  # gray failures: tests/test_sim_gray.py runs them mixed with every other kind


@st.composite
def scenarios(draw: st.DrawFn, engines: list[str] | None = None, kinds: tuple[str, ...] = ALL_KINDS,
              max_faults: int = 3, horizon: float = 200.0, heal_all: bool = False,
              min_rate: float = 1.0, max_rate: float = 10_000.0) -> Scenario:
    data = draw(topologies(engines=engines, min_rate=min_rate, max_rate=max_rate))
    topology = Topology.model_validate(data)
    schedule = []
    for _ in range(draw(st.integers(0 if not heal_all else 1, max_faults))):
        fault = parse_fault(draw(fault_specs(data, kinds)))
        at = float(draw(st.integers(0, int(horizon))))
        if heal_all or draw(st.booleans()):
            duration: float | None = float(draw(st.integers(1, int(horizon))))
        else:
            duration = None
        schedule.append((fault, at, duration))
    return Scenario(topology, tuple(schedule), draw(st.integers(1, 10_000)), json.dumps(data))
