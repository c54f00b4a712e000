"""Derived facts about a validated topology: effective modes, timings, zones, RTTs.

Readers (simulator, linter, status) ask here instead of re-deriving defaults.
"""

from __future__ import annotations

from regionctl.model.network_defaults import default_rtt
from regionctl.model.presets import PRESETS, EnginePreset
from regionctl.model.topology import Cluster, Node, Topology


def preset(cluster: Cluster) -> EnginePreset:
    return PRESETS[cluster.engine]


def replication_mode(cluster: Cluster) -> str:
    """The cluster's replication mode; without one, its engine preset's default."""
    return cluster.replication.mode or PRESETS[cluster.engine].default_mode


def timings(cluster: Cluster) -> dict[str, float]:
    """The preset's timings with the topology's overrides applied (seconds)."""
    merged = dict(PRESETS[cluster.engine].timings)
    merged.update(cluster.timings)
    return merged


def node_zone(topology: Topology, node: Node) -> str:
    """A node's zone; without one, its region's first (the one place this default is written)."""
    return node.zone or topology.region(node.region).zones[0]


def flush_interval(cluster: Cluster) -> float:
    return cluster.replication.flush_interval or PRESETS[cluster.engine].flush_interval


def region_rtt(topology: Topology, a: str, b: str) -> tuple[float, str]:
    """RTT between two regions (seconds) and where the figure comes from."""
    if a == b:
        return topology.network.local_rtt, "same region"
    for key, value in topology.network.rtt.items():
        parts = key.split("|")
        if len(parts) == 2 and {parts[0], parts[1]} == {a, b}:
            return value, "topology"
    return default_rtt(a, b)


def node_rtt(topology: Topology, a: Node, b: Node) -> float:
    if a.region != b.region:
        return region_rtt(topology, a.region, b.region)[0]
    if node_zone(topology, a) != node_zone(topology, b):
        return topology.network.zone_rtt
    return topology.network.local_rtt


def defaulted_pairs(topology: Topology) -> list[tuple[str, str, float, str]]:
    """Region pairs whose RTT was not given, with the default used."""
    out = []
    names = [r.name for r in topology.regions]
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            rtt, source = region_rtt(topology, a, b)
            if source != "topology":
                out.append((a, b, rtt, source))
    return out


def initial_leader(cluster: Cluster) -> str | None:
    return next((n.name for n in cluster.nodes if n.role == "leader"), None)


def commit_wait(topology: Topology, cluster: Cluster) -> tuple[float, str] | None:
    """The round trip a write waits for before it is acknowledged (seconds, on whom),
    or None when the leader acknowledges alone (async, leaderless, multi-leader)."""
    mode = replication_mode(cluster)
    leader = next((n for n in cluster.nodes if n.role == "leader"), None)
    if leader is None or mode not in ("semi-sync", "sync", "quorum"):
        return None
    followers = [n for n in cluster.nodes if n is not leader]
    if not followers:
        return None
    rtts = sorted((node_rtt(topology, leader, n), n.name) for n in followers)
    if mode == "semi-sync":
        return rtts[0][0], f"one acknowledgement (nearest: {rtts[0][1]})"
    if mode == "sync":
        wanted = cluster.replication.sync_replicas or [n.name for n in followers]
        chosen = max((r for r in rtts if r[1] in wanted), default=rtts[-1])
        return chosen[0], f"every synchronous replica (slowest: {chosen[1]})"
    needed = len(cluster.nodes) // 2  # the leader's own vote counts toward the majority
    chosen = rtts[needed - 1]
    return chosen[0], f"a majority of {len(cluster.nodes)} (the deciding vote: {chosen[1]})"
