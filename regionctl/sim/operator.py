"""Operator actions on the simulated estate: what a runbook's `action` steps do.

Each function changes the Simulation the way the real action changes a real
cluster, and raises ValueError with a sentence when it cannot be done (the
backend turns that into a failed CommandResult).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from regionctl.sim.cluster_base import ClusterBase
from regionctl.sim.leader_follower import LeaderFollowerCluster
from regionctl.sim.node import SimNode

if TYPE_CHECKING:
    from regionctl.sim.simulator import Simulation


def find_node(sim: Simulation, name: str) -> tuple[LeaderFollowerCluster, SimNode]:
    for cluster in sim.clusters.values():
        if isinstance(cluster, LeaderFollowerCluster) and name in cluster.by_name:
            return cluster, cluster.by_name[name]
    raise ValueError(f"no leader-based cluster has a node named {name!r}")


def promotion_time(sim: Simulation, name: str) -> float:
    """How long promoting `name` takes on its engine (pg_ctl promote, REPLICAOF NO ONE, ...)."""
    from regionctl.model.resolved import timings

    cluster, node = find_node(sim, name)
    if not sim.network.up(node.loc):
        raise ValueError(f"cannot promote {name}: it is down")
    # Real promotions vary (a checkpoint, a slow fsync): +-20%, drawn from the run's seeded RNG.
    return round(float(timings(cluster.spec).get("promote", 1.0)) * sim.rng.uniform(0.8, 1.2), 3)


def demote(sim: Simulation, name: str) -> None:
    cluster, node = find_node(sim, name)
    if not sim.network.up(node.loc):
        raise ValueError(f"cannot demote {name}: it is down")
    if node.role != "leader":
        raise ValueError(f"cannot demote {name}: it is a {node.role}, not the leader")
    now = sim.now
    cluster.settle(now)
    cluster.clock.touch(now, f"demote {name}")  # a planned disruption starts the outage clock like a fault
    cluster.demote(node, now, "demoted by an operator")
    cluster.changed(now)


def repoint(sim: Simulation, name: str, to: str | None) -> None:
    cluster, node = find_node(sim, name)
    target = cluster.leader if to is None else cluster.by_name.get(to)
    if target is None:
        raise ValueError(f"cannot repoint {name}: " + ("the cluster has no leader" if to is None
                                                         else f"{cluster.name} has no node {to!r}"))
    if target is node:
        raise ValueError(f"cannot repoint {name} to itself")
    if not sim.network.up(node.loc):
        raise ValueError(f"cannot repoint {name}: it is down")
    now = sim.now
    cluster.settle(now)
    if not cluster.repoint(node, target, now):
        raise ValueError(f"cannot repoint {name}: it cannot reach {target.name}")
    cluster.log(f"{name} repointed to follow {target.name} by an operator")
    cluster.changed(now)


def fence(sim: Simulation, name: str, fenced: bool) -> None:
    cluster, node = find_node(sim, name)
    now = sim.now
    cluster.settle(now)
    node.fenced = fenced
    if fenced:
        cluster.clock.touch(now, f"fence {name}")
    cluster.log(f"{name} {'fenced' if fenced else 'unfenced'} by an operator")
    cluster.changed(now)


def set_read_only(sim: Simulation, cluster_name: str, read_only: bool) -> None:
    cluster = sim.clusters.get(cluster_name)
    if cluster is None:
        raise ValueError(f"no cluster named {cluster_name!r}")
    now = sim.now
    cluster.settle(now)
    cluster.read_only = read_only
    if read_only:
        cluster.clock.touch(now, f"read-only {cluster_name}")  # writes stop now: RTO runs until they succeed
    cluster.log(f"set {'read-only' if read_only else 'read-write'} by an operator")
    cluster.replan(now)


def shift_traffic(sim: Simulation, to_region: str, from_region: str | None, cluster_name: str | None) -> int:
    """Send clients to `to_region`'s entry point. DNS-routed clients move when their cached
    record expires (at the end of the TTL: conservative); proxies and drivers move at once.
    Returns how many client groups move."""
    regions = {r.name for r in sim.topology.regions}
    if to_region not in regions:
        raise ValueError(f"no region named {to_region!r}")
    if from_region is not None and from_region not in regions:
        raise ValueError(f"no region named {from_region!r}")
    if cluster_name is not None and cluster_name not in sim.clusters:
        raise ValueError(f"no cluster named {cluster_name!r}")
    if not sim.network.up((to_region, "", "")):
        raise ValueError(f"cannot shift traffic to {to_region}: the region is down")
    moved = 0
    for cluster in sim.clusters.values():
        if cluster_name is not None and cluster.name != cluster_name:
            continue
        for source in cluster.sources:
            if source.loc[0] == to_region or (from_region is not None and source.region != from_region):
                continue
            delay = source.dns_ttl if source.routing in ("dns", "health-check-dns") else 0.0
            if delay > 0:
                sim.loop.schedule(sim.now + delay, move_source, cluster, source.index, to_region)
            else:
                move_source(cluster, source.index, to_region)
            moved += 1
    sim._record(sim.now, "", f"traffic shifted to {to_region} ({moved} client group(s))")
    return moved


def move_source(cluster: ClusterBase, index: int, to_region: str) -> None:
    """The clients of one traffic source now enter through `to_region` (plain data: a fork copies it)."""
    now = cluster.loop.now
    cluster.settle(now)
    cluster.sources[index].loc = (to_region, "", "")
    cluster.replan(now)
