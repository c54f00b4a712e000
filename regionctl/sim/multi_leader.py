"""Multi-leader (active-active) replication: every region's leader takes writes locally
and ships them asynchronously to the other leaders.

Two ways to live with concurrent writes to one key:
- `lww` (last-writer-wins): clients write to the nearest live leader. A write that lands
  on a key with a write from another region it has not yet seen is a conflict; the merge
  keeps the one with the larger timestamp and silently discards the other (a lost update).
  Timestamps come from the writing node's clock, so a `clock:NODE=+2s` skew makes that
  node's older writes beat newer ones elsewhere, even without any concurrency.
- `home-region`: each key range belongs to one region's leader; every write goes there.
  No conflicts, but a write whose home is down or unreachable fails.

Keys are counted by popularity bucket (see keyspace.py), with expected values over the
exact log positions each leader has and has not applied, so the figures are the same for
the same inputs and cost nothing per write.
"""

from __future__ import annotations

from collections import deque

from regionctl.model.resolved import node_zone
from regionctl.sim.cluster_base import RECORDED, ClusterBase
from regionctl.sim.keyspace import Carry, Keyspace
from regionctl.sim.log import Timeline
from regionctl.sim.network import Loc
from regionctl.sim.node import SimNode
from regionctl.sim.workload import TrafficSource

SERVICE_TIME = 0.0005


class MultiLeaderCluster(ClusterBase):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        rep = self.spec.replication
        self.policy = rep.conflict_resolution or "lww"
        self.keyspace = Keyspace(rep.keyspace)
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
        self.leaders = [n for n in self.nodes if n.role == "leader"]
        # applied[dst][origin] = position of origin's log applied at dst; inflight per pair
        self.applied = {d.name: {o.name: 0 for o in self.leaders} for d in self.nodes}
        self.sent = {d.name: {o.name: 0 for o in self.leaders} for d in self.nodes}
        self.inflight: dict[tuple[str, str], deque[tuple[float, int]]] = {}
        # Expected counts (floats, rounded in the report): every write counted, none tracked.
        self.conflicts = 0.0
        self.lost_updates = 0.0
        self.skew_overwrites = 0.0  # lost updates where an older write won on a skewed clock
        self.homes = self._home_shares() if self.policy == "home-region" else []
        self._home_total: dict[str, int] = {}
        self._home_cumulative = [0.0]
        for _, share in self.homes:
            self._home_cumulative.append(self._home_cumulative[-1] + share)
        self._home_cumulative[-1] = 1.0
        self._route: dict[Loc, tuple[SimNode | None, float]] = {}  # nearest leader, request latency
        self._route_version = -1
        self._stale = Carry()

    def _home_shares(self) -> list[tuple[SimNode, float]]:
        by_region = {n.region: n for n in self.leaders}
        given = self.spec.replication.home_regions
        shares = {r: given.get(r, 0.0) for r in by_region} if given else {r: 1.0 for r in by_region}
        total = sum(shares.values()) or 1.0
        return [(by_region[r], shares[r] / total) for r in sorted(by_region) if shares[r] > 0]

    # -- replication -----------------------------------------------------------------------
    def tick(self, now: float, dt: float) -> None:
        network = self.network
        applied = self.applied
        for (dst_name, origin_name), queue in self.inflight.items():
            while queue and queue[0][0] <= now:
                applied[dst_name][origin_name] = queue.popleft()[1]
        delay = self.timings.get("replication_delay", 0.0) / 2
        for origin in self.leaders:
            end = self.origin_log[origin.name].end
            for dst in self.nodes:
                sent = self.sent[dst.name]
                if dst is origin or sent[origin.name] >= end or not network.connected(origin.loc, dst.loc):
                    continue
                arrive = now + network.one_way(origin.loc, dst.loc) + delay
                self.inflight.setdefault((dst.name, origin.name), deque()).append((arrive, end))
                sent[origin.name] = end
        self.serve_traffic(now, dt)
        # The oldest write some node still lacks sets the cluster's worst lag at this instant.
        oldest = now
        for origin in self.leaders:
            log = self.origin_log[origin.name]
            behind = min(applied[d.name][origin.name] for d in self.nodes)
            if behind < log.end:
                committed = log.commit_time(behind + 1)
                if committed is not None and committed < oldest:
                    oldest = committed
        if now - oldest > self.max_lag_seconds:
            self.max_lag_seconds = now - oldest

    def unseen(self, node: SimNode) -> int:
        """Writes acknowledged elsewhere that `node` has not applied yet."""
        seen = self.applied[node.name]
        return sum(self.origin_log[o.name].end - seen[o.name] for o in self.leaders if o is not node)

    # -- clients ---------------------------------------------------------------------------
    def _nearest_leader(self, loc: Loc) -> tuple[SimNode | None, float]:
        if self._route_version != self.network.version:
            self._route_version = self.network.version
            self._route.clear()
        route = self._route.get(loc)
        if route is None:
            live = [n for n in self.leaders if self.network.connected(loc, n.loc)]
            node = min(live, key=lambda n: (n.region != loc[0], self.network.rtt(loc, n.loc), n.name)) if live else None
            route = (node, self.network.rtt(loc, node.loc) + SERVICE_TIME if node is not None else 0.0)
            self._route[loc] = route
        return route

    def write(self, source: TrafficSource, count: int, now: float) -> tuple[int, float]:
        if self.policy == "home-region":
            return self._write_home(source, count, now), RECORDED
        node, latency = self._nearest_leader(source.loc)
        if node is None:
            return 0, 0.0
        self._account_lww(node, count, now)
        self._append(node, count, now)
        return count, latency

    def _append(self, node: SimNode, count: int, now: float) -> None:
        log = self.origin_log[node.name]
        log.append(count, now, acked=True)
        node.pos = log.end
        self.applied[node.name][node.name] = log.end

    def _account_lww(self, node: SimNode, count: int, now: float) -> None:
        """Conflicts and lost updates of `count` writes accepted by `node` at `now`."""
        hit = self.keyspace.hit
        seen = self.applied[node.name]
        unseen = 0
        late_seen = 0  # writes node has applied whose timestamps are still ahead of its clock
        late_unseen = 0  # the same among writes it has not seen: they win the merge although older
        skew = self.network.skew
        mine = skew.get(node.name, 0.0) if skew else 0.0
        for origin in self.leaders:
            if origin is node:
                continue
            log = self.origin_log[origin.name]
            applied = seen[origin.name]
            unseen += log.end - applied
            ahead = (skew.get(origin.name, 0.0) - mine) if skew else 0.0
            if ahead > 0.0:
                first_late = log.position_at(now - ahead)
                late_seen += max(0, applied - first_late)
                late_unseen += log.end - max(applied, first_late)
        if unseen:
            # Each conflict keeps one of its two writes and silently discards the other.
            conflicts = count * hit(unseen)
            self.conflicts += conflicts
            self.lost_updates += conflicts
        if late_seen or late_unseen:
            # An older write with a larger timestamp overwrites these: already applied, the new write
            # is dropped at once (lost without any conflict); not yet seen, it wins the conflict.
            self.lost_updates += count * hit(late_seen)
            self.skew_overwrites += count * hit(late_seen + late_unseen)

    def _write_home(self, source: TrafficSource, count: int, now: float) -> int:
        """Split the writes over the key ranges' homes; those whose home is unreachable fail."""
        before = self._home_total.get(source.region, 0)
        after = before + count
        self._home_total[source.region] = after
        ok = 0
        for i, (home, _) in enumerate(self.homes):
            # Cumulative rounding: the parts always add up to `count`, and every home gets its share.
            low, high = self._home_cumulative[i], self._home_cumulative[i + 1]
            part = (int(after * high) - int(after * low)) - (int(before * high) - int(before * low))
            if not part:
                continue
            if self.network.connected(source.loc, home.loc):
                self._append(home, part, now)
                self.write_latency.add(self.network.rtt(source.loc, home.loc) + SERVICE_TIME, part)
                ok += part
        return ok

    def read(self, source: TrafficSource, count: int, now: float) -> tuple[int, int, float]:
        node, latency = self._nearest_leader(source.loc)
        if node is None:
            return 0, 0, 0.0
        # Reads are local and eventually consistent: stale when the key has a write elsewhere
        # that this leader has not applied yet.
        stale = self._stale.take(source.region, count * self.keyspace.hit(self.unseen(node)))
        return count, stale, latency

    # -- CAP, PACELC -----------------------------------------------------------------------
    def write_diverges(self, source: TrafficSource) -> bool:
        if self.policy == "home-region":
            return False  # one writer per key: nothing to diverge from
        node = self._nearest_leader(source.loc)[0]
        return node is not None and any(
            o is not node and self.network.up(o.loc) and not self.network.connected(node.loc, o.loc)
            for o in self.leaders)

    def consistency_cost(self) -> tuple[float, str]:
        if self.policy != "home-region":
            return 0.0, "none: every region's leader commits locally (lww)"
        total = weighted = 0.0
        for source in self.sources:
            for home, share in self.homes:
                total += source.writes_per_s * share
                weighted += source.writes_per_s * share * self.network.rtt(source.loc, home.loc)
        extra = weighted / total if total else 0.0
        return extra, "mean round trip to the key's home region"

    # -- reading the state -----------------------------------------------------------------
    def lag_ops(self, node: SimNode) -> int:
        return self.unseen(node) if node.role == "leader" else sum(
            self.origin_log[o.name].end - self.applied[node.name][o.name] for o in self.leaders)

    def lag_seconds(self, node: SimNode, now: float) -> float:
        worst = 0.0
        seen = self.applied[node.name]
        for origin in self.leaders:
            if origin is node:
                continue
            applied = seen[origin.name]
            log = self.origin_log[origin.name]
            if applied < log.end:
                committed = log.commit_time(applied + 1)
                if committed is not None and now - committed > worst:
                    worst = now - committed
        return worst

    def on_change(self, now: float) -> None:
        self.clock.note_fault(now)
        for (dst, origin), queue in self.inflight.items():
            if not self.network.connected(self.by_name[origin].loc, self.by_name[dst].loc):
                while queue and queue[-1][0] > now:
                    queue.pop()
                self.sent[dst][origin] = queue[-1][1] if queue else self.applied[dst][origin]

    def figures(self) -> dict[str, object]:
        return {"conflict_resolution": self.policy, "conflicts": round(self.conflicts),
                "lost_updates": round(self.lost_updates), "skew_overwrites": round(self.skew_overwrites)}
