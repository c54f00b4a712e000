"""Where a client group's writes and reads go, and what they get back: the paths a leader-follower
cluster recomputes at each replan (entry node, forwarding, commit wait, timeouts). Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from regionctl.sim.node import SimNode
from regionctl.sim.workload import Group, Outcome, Path, TrafficSource

if TYPE_CHECKING:
    from regionctl.sim.leader_follower import LeaderFollowerCluster

SERVICE_TIME = 0.0005  # a node's own work per request, before any network


def write_path(cluster: LeaderFollowerCluster, source: TrafficSource, group: Group) -> Path:
    network = cluster.network
    if not network.up(source.loc):
        return Path(Outcome.CLIENT_DOWN)
    target = cluster.by_name.get(group.target) if group.target else None
    if target is None:
        return Path(Outcome.REFUSED, why="no leader known")
    extra = 0.0
    if not network.up(target.loc):
        if cluster.host_up(target):
            return Path(Outcome.REFUSED, why=f"{target.name} is down (connection refused)")
        return Path(Outcome.NO_ANSWER, why=f"{target.name} does not answer")
    if not network.connected(source.loc, target.loc):
        return Path(Outcome.NO_ANSWER, why=f"{target.name} unreachable")
    entry = target
    if target.role != "leader" and cluster.controller is not None and cluster.controller.forwards:
        # A Raft member forwards the proposal to the leader it follows.
        leader = target.upstream if target.upstream is not None and target.upstream.role == "leader" else None
        if leader is None:
            return Path(Outcome.REFUSED, why=f"{target.name} knows no leader")
        if not network.connected(target.loc, leader.loc):
            return Path(Outcome.NO_ANSWER, why=f"{target.name} cannot reach its leader")
        extra = network.rtt(target.loc, leader.loc)
        target = leader
    if cluster.read_only:
        return Path(Outcome.REFUSED, why="read-only")
    if target.role != "leader" or target.name in cluster.promoting:
        return Path(Outcome.REFUSED, why=f"{target.name} is not the primary")
    if target.fenced or not network.up(target.loc):
        return Path(Outcome.REFUSED, why=f"{target.name} is fenced")
    blocked, wait = cluster.commit_state(target)
    latency = (network.rtt(source.loc, entry.loc) + extra + SERVICE_TIME * network.slowness(target.name)
               + wait)
    if blocked:
        return Path(Outcome.PENDING, target, source.timeout, why="waiting for replicas")
    if latency > source.timeout:
        return Path(Outcome.PENDING, target, source.timeout, why="slower than the client's timeout")
    return Path(Outcome.OK, target, latency)


def read_path(cluster: LeaderFollowerCluster, source: TrafficSource, group: Group, write: Path) -> Path:
    network = cluster.network
    if not network.up(source.loc):
        return Path(Outcome.CLIENT_DOWN)
    if source.reads_from == "leader":
        node = write.node
        if write.outcome == Outcome.OK or (write.outcome == Outcome.PENDING and node is not None
                                           and not _linearizable_reads(cluster)):
            pass
        elif write.outcome == Outcome.REFUSED and write.why == "read-only":
            node = cluster.by_name.get(group.target) if group.target else None
        else:
            return Path(write.outcome if write.outcome != Outcome.PENDING else Outcome.NO_ANSWER, why=write.why)
        if node is None:
            return Path(Outcome.REFUSED, why="no leader known")
    else:
        node = _read_replica(cluster, source, group)
        if node is None:
            return Path(Outcome.NO_ANSWER, why="no replica reachable")
    latency = network.rtt(source.loc, node.loc) + SERVICE_TIME * network.slowness(node.name)
    if latency > source.timeout:
        return Path(Outcome.NO_ANSWER, node, why="slower than the client's timeout")
    return Path(Outcome.OK, node, latency)


def _linearizable_reads(cluster: LeaderFollowerCluster) -> bool:
    return cluster.controller is not None and cluster.controller.forwards  # Raft reads go through a quorum


def _read_replica(cluster: LeaderFollowerCluster, source: TrafficSource, group: Group) -> SimNode | None:
    network = cluster.network
    candidates = [n for n in cluster.nodes if network.connected(source.loc, n.loc)]
    if source.reads_from == "balanced":
        # A load balancer in front of every node: each share of the clients lands on another one.
        candidates.sort(key=lambda n: n.name)
        return candidates[source.groups.index(group) % len(candidates)] if candidates else None
    if source.reads_from == "local":
        local = [n for n in candidates if n.region == source.region]
        candidates = local or [n for n in candidates if n is cluster.leader]
    if not candidates:
        return None
    return min(candidates, key=lambda n: (network.rtt(source.loc, n.loc), n.role != "leader", n.name))
