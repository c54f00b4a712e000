"""Leaderless quorum replication (Dynamo/Cassandra), first cut: a request succeeds
when its coordinator reaches W (writes) or R (reads) of the N replicas.

Sloppy quorums, hinted handoff, read repair and stale-read accounting come with the
breadth issue; until then this model answers availability under faults only.
"""

from __future__ import annotations

from regionctl.model.resolved import node_zone
from regionctl.sim.cluster_base import ClusterBase
from regionctl.sim.log import Timeline
from regionctl.sim.node import SimNode
from regionctl.sim.workload import TrafficSource


class LeaderlessCluster(ClusterBase):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        rep = self.spec.replication
        log = Timeline(1, None, 0, 0)
        self.nodes = [SimNode(s.name, self.name, s.region, node_zone(self.topology, s), s.priority, log)
                      for s in self.spec.nodes]
        for node in self.nodes:
            node.role = "replica"
        self.by_name = {n.name: n for n in self.nodes}
        self.n = rep.n or min(3, len(self.nodes))
        self.r = rep.r or (self.n // 2 + 1)
        self.w = rep.w or (self.n // 2 + 1)
        self.leader = None
        self.initial_leader = None
        self.history: list[tuple[float, str, int]] = []
        self.term = 0

    def tick(self, now: float, dt: float) -> None:
        self.serve_traffic(now, dt)

    def _quorum(self, source: TrafficSource, needed: int) -> tuple[bool, float]:
        network = self.network
        live = [n for n in self.nodes if network.connected(source.loc, n.loc)]
        if not live:
            return False, 0.0
        coordinator = min(live, key=lambda n: (network.rtt(source.loc, n.loc), n.name))
        rtts = sorted(network.rtt(coordinator.loc, n.loc) for n in self.nodes[: self.n]
                      if network.connected(coordinator.loc, n.loc))
        if len(rtts) < needed:
            return False, 0.0
        return True, network.rtt(source.loc, coordinator.loc) + rtts[needed - 1]

    def write(self, source: TrafficSource, count: int, now: float) -> tuple[int, float]:
        ok, latency = self._quorum(source, self.w)
        return (count, latency) if ok else (0, 0.0)

    def read(self, source: TrafficSource, count: int, now: float) -> tuple[int, int, float]:
        ok, latency = self._quorum(source, self.r)
        return (count, 0, latency) if ok else (0, 0, 0.0)

    def lag_ops(self, node: SimNode) -> int:
        return 0

    def lag_seconds(self, node: SimNode, now: float) -> float:
        return 0.0

    def on_change(self, now: float) -> None:
        self.clock.note_fault(now)
