"""Multi-leader (active-active) replication, first cut: every region's leader takes
local writes and ships them asynchronously to the other leaders.

Lag is per origin; nothing fails over (clients move to the nearest live leader).
Conflict detection and resolution (last-writer-wins, home-region ownership) come
with the breadth issue; until then `conflicts` is not reported.
"""

from __future__ import annotations

from regionctl.model.resolved import node_zone
from regionctl.sim.cluster_base import ClusterBase
from regionctl.sim.log import Timeline
from regionctl.sim.node import SimNode
from regionctl.sim.workload import TrafficSource


class MultiLeaderCluster(ClusterBase):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.nodes: list[SimNode] = []
        self.origin_log: dict[str, Timeline] = {}
        for i, spec in enumerate(self.spec.nodes):
            log = Timeline(i + 1, None, 0, 1)
            node = SimNode(spec.name, self.name, spec.region, node_zone(self.topology, spec), spec.priority, log)
            node.role = "leader" if spec.role == "leader" else "follower"
            self.nodes.append(node)
            self.origin_log[node.name] = log
        self.by_name = {n.name: n for n in self.nodes}
        self.leader = None
        self.initial_leader = None
        self.history: list[tuple[float, str, int]] = []
        # applied[dst][origin] = position of origin's log applied at dst; inflight per pair
        self.applied = {d.name: {o.name: 0 for o in self.nodes} for d in self.nodes}
        self.sent = {d.name: {o.name: 0 for o in self.nodes} for d in self.nodes}
        self.inflight: dict[tuple[str, str], list[tuple[float, int]]] = {}
        self.leaders = [n for n in self.nodes if n.role == "leader"]

    def tick(self, now: float, dt: float) -> None:
        network = self.network
        for key, queue in self.inflight.items():
            while queue and queue[0][0] <= now:
                self.applied[key[0]][key[1]] = queue.pop(0)[1]
        for origin in self.leaders:
            end = self.origin_log[origin.name].end
            for dst in self.nodes:
                if dst is origin or self.sent[dst.name][origin.name] >= end:
                    continue
                if not network.connected(origin.loc, dst.loc):
                    continue
                arrive = now + network.one_way(origin.loc, dst.loc) + self.timings.get("replication_delay", 0.0) / 2
                self.inflight.setdefault((dst.name, origin.name), []).append((arrive, end))
                self.sent[dst.name][origin.name] = end
        self.serve_traffic(now, dt)
        for dst in self.nodes:
            lag = self.lag_seconds(dst, now)
            if lag > self.max_lag_seconds:
                self.max_lag_seconds = lag

    def _nearest_leader(self, source: TrafficSource) -> SimNode | None:
        live = [n for n in self.leaders if self.network.connected(source.loc, n.loc)]
        if not live:
            return None
        return min(live, key=lambda n: (n.region != source.region, self.network.rtt(source.loc, n.loc), n.name))

    def write(self, source: TrafficSource, count: int, now: float) -> tuple[int, float]:
        node = self._nearest_leader(source)
        if node is None:
            return 0, 0.0
        log = self.origin_log[node.name]
        log.append(count, now, acked=True)
        node.pos = log.end
        self.applied[node.name][node.name] = log.end
        return count, self.network.rtt(source.loc, node.loc) + 0.0005

    def read(self, source: TrafficSource, count: int, now: float) -> tuple[int, int, float]:
        node = self._nearest_leader(source)
        if node is None:
            return 0, 0, 0.0
        return count, 0, self.network.rtt(source.loc, node.loc) + 0.0005

    def lag_ops(self, node: SimNode) -> int:
        return sum(max(0, self.origin_log[o.name].end - self.applied[node.name][o.name])
                   for o in self.leaders if o is not node)

    def lag_seconds(self, node: SimNode, now: float) -> float:
        worst = 0.0
        for origin in self.leaders:
            if origin is node:
                continue
            applied = self.applied[node.name][origin.name]
            log = self.origin_log[origin.name]
            if applied < log.end:
                committed = log.commit_time(applied + 1)
                if committed is not None:
                    worst = max(worst, now - committed)
        return worst

    def on_change(self, now: float) -> None:
        self.clock.note_fault(now)
        for (dst, origin), queue in self.inflight.items():
            if not self.network.connected(self.by_name[origin].loc, self.by_name[dst].loc):
                while queue and queue[-1][0] > now:
                    queue.pop()
                self.sent[dst][origin] = queue[-1][1] if queue else self.applied[dst][origin]
