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

Each origin's log is a fluid (a `Timeline` curve); what a node has applied of it is that
curve one delay later while the link is up. Conflicts, lost updates and stale reads are
expected values over keys by popularity (keyspace.py), integrated over each quiet stretch.
"""

from __future__ import annotations

from functools import partial

from regionctl.model.resolved import node_zone
from regionctl.sim.cluster_base import ClusterBase, Tally
from regionctl.sim.log import Timeline
from regionctl.sim.network import Loc
from regionctl.sim.node import SimNode
from regionctl.sim.workload import Group, Outcome, Path, TrafficSource

SERVICE_TIME = 0.0005


class Link:
    """What `dst` has applied of `origin`'s log: the log one delay later while connected."""

    __slots__ = ("base", "delay", "log", "streaming")

    def __init__(self, log: Timeline) -> None:
        self.log = log
        self.base = 0.0
        self.delay = 0.0
        self.streaming = False

    def applied(self, t: float) -> float:
        if not self.streaming:
            return self.base
        arrived = self.log.position_at(t - self.delay)
        return arrived if arrived > self.base else self.base

    def stop(self, t: float) -> None:
        if self.streaming:
            self.base = self.applied(t)
            self.streaming = False

    def start(self, t: float, delay: float) -> None:
        if self.streaming:
            self.base = self.applied(t)
        self.streaming = True
        self.delay = delay


class MultiLeaderCluster(ClusterBase):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        rep = self.spec.replication
        self.policy = rep.conflict_resolution or "lww"
        self.origin_log: dict[str, Timeline] = {}
        for i, spec in enumerate(self.spec.nodes):
            log = Timeline(i + 1, None, 0.0, 1, 0.0)
            node = SimNode(spec.name, self.name, spec.region, node_zone(self.topology, spec), spec.priority, log,
                           spec.capacity or 0.0)
            node.role = "leader" if spec.role == "leader" else "follower"
            node.writing = node.role == "leader"
            self.nodes.append(node)
            self.origin_log[node.name] = log
        self.by_name = {n.name: n for n in self.nodes}
        self.leaders = [n for n in self.nodes if n.role == "leader"]
        self.links = {(d.name, o.name): Link(self.origin_log[o.name]) for d in self.nodes for o in self.leaders
                      if d is not o}
        self.homes = self._home_shares() if self.policy == "home-region" else []
        self._rates: dict[str, float] = {}

    def _home_shares(self) -> list[tuple[SimNode, float]]:
        by_region = {n.region: n for n in self.leaders}
        given = self.spec.replication.home_regions
        shares = {r: given.get(r, 0.0) for r in by_region} if given else {r: 1.0 for r in by_region}
        total = sum(shares.values()) or 1.0
        return [(by_region[r], shares[r] / total) for r in sorted(by_region) if shares[r] > 0]

    def start(self) -> None:
        if self.policy == "home-region":
            # One group per key range: its writes go to that range's home.
            for source in self.sources:
                source.groups = [Group(share, source.writes_per_s, source.reads_per_s, 0.0)
                                 for _, share in self.homes] or source.groups
                for group, (home, _) in zip(source.groups, self.homes, strict=False):
                    group.target = home.name
        self.replan(0.0)

    # -- replication and paths -----------------------------------------------------------------
    def refresh_links(self, now: float) -> None:
        network = self.network
        delay = self.timings.get("replication_delay", 0.0) / 2
        for (dst_name, origin_name), link in self.links.items():
            dst, origin = self.by_name[dst_name], self.by_name[origin_name]
            if network.connected(origin.loc, dst.loc):
                d = network.mean_one_way(origin.loc, dst.loc) + delay
                if not link.streaming or abs(link.delay - d) > 1e-12:
                    link.start(now, d)
            else:
                link.stop(now)

    def _nearest_leader(self, loc: Loc) -> SimNode | None:
        live = [n for n in self.leaders if self.network.connected(loc, n.loc)]
        return min(live, key=lambda n: (n.region != loc[0], self.network.rtt(loc, n.loc), n.name)) if live else None

    def replan(self, now: float, moved: bool = True) -> None:
        self.version += 1
        self.refresh_links(now)
        rates: dict[str, float] = {}
        network = self.network
        for source in self.sources:
            nearest = self._nearest_leader(source.loc)
            for group in source.groups:
                if not network.up(source.loc):
                    group.write = group.read = Path(Outcome.CLIENT_DOWN)
                    continue
                if self.policy == "home-region":
                    home = self.by_name[group.target or ""]
                    if network.connected(source.loc, home.loc):
                        latency = network.rtt(source.loc, home.loc) + SERVICE_TIME
                        group.write = Path(Outcome.OK if latency <= source.timeout else Outcome.PENDING, home, latency)
                    elif not network.up(home.loc) and network.up((home.region, home.zone, "")):
                        group.write = Path(Outcome.REFUSED, why=f"home {home.name} is down (connection refused)")
                    else:
                        group.write = Path(Outcome.NO_ANSWER, why=f"home {home.name} unreachable")
                elif nearest is None:
                    group.write = Path(Outcome.NO_ANSWER, why="no leader reachable")
                else:
                    latency = network.rtt(source.loc, nearest.loc) + SERVICE_TIME
                    group.write = Path(Outcome.OK if latency <= source.timeout else Outcome.PENDING, nearest, latency)
                if nearest is None:
                    group.read = Path(Outcome.NO_ANSWER, why="no leader reachable")
                else:
                    group.read = Path(Outcome.OK, nearest, network.rtt(source.loc, nearest.loc) + SERVICE_TIME)
                node = group.write.node
                if node is not None and group.write.outcome in (Outcome.OK, Outcome.PENDING):
                    rates[node.name] = rates.get(node.name, 0.0) + group.writes_per_s
        for leader in self.leaders:
            self.origin_log[leader.name].set_rate(now, rates.get(leader.name, 0.0))
        self._rates = rates
        self.mark_failures(now)
        self.update_clock(now)
        self.notify()

    def writable(self) -> bool:
        return any(self.network.up(n.loc) for n in self.leaders)

    # -- what a node has not seen ----------------------------------------------------------------
    def unseen(self, node: SimNode, t: float) -> float:
        """Writes accepted elsewhere that `node` has not applied yet."""
        total = 0.0
        for origin in self.leaders:
            if origin is node:
                continue
            behind = self.origin_log[origin.name].position_at(t) - self.links[(node.name, origin.name)].applied(t)
            if behind > 0.0:
                total += behind
        return total

    def _late(self, node: SimNode, t: float) -> tuple[float, float]:
        """(writes node applied whose timestamps are still ahead of its clock, the same among those it has
        not applied): with clock skew, older writes that win the merge."""
        skew = self.network.skew
        mine = skew.get(node.name, 0.0)
        late_seen = late_unseen = 0.0
        for origin in self.leaders:
            if origin is node:
                continue
            ahead = skew.get(origin.name, 0.0) - mine
            if ahead <= 0.0:
                continue
            log = self.origin_log[origin.name]
            applied = self.links[(node.name, origin.name)].applied(t)
            first_late = log.position_at(t - ahead)
            late_seen += max(0.0, applied - first_late)
            late_unseen += max(0.0, log.position_at(t) - max(applied, first_late))
        return late_seen, late_unseen

    def _late_seen(self, node: SimNode, t: float) -> float:
        return self._late(node, t)[0]

    def _late_any(self, node: SimNode, t: float) -> float:
        return sum(self._late(node, t))

    def account(self, t0: float, t1: float, tally: Tally, commit: bool) -> None:
        keyspace = self.keyspace
        if self.policy == "lww":
            for node in self.leaders:
                rate = self._rates.get(node.name, 0.0)
                if rate <= 0.0:
                    continue
                conflicts = rate * keyspace.mean_hit(partial(self.unseen, node), t0, t1)
                tally.add("conflicts", conflicts)
                tally.add("lost_updates", conflicts)
                if self.network.skew:
                    seen = rate * keyspace.mean_hit(partial(self._late_seen, node), t0, t1)
                    both = rate * keyspace.mean_hit(partial(self._late_any, node), t0, t1)
                    tally.add("lost_updates", seen)
                    tally.add("skew_overwrites", both)  # lost updates where an older write won on a skewed clock
        for t in (t0, t1):
            for node in self.nodes:
                tally.peak("max_lag_seconds", self.lag_seconds(node, t))

    def stale_share(self, source: TrafficSource, group: Group, node: SimNode, t0: float, t1: float) -> float:
        # Reads are local and eventually consistent: stale when the key has a write elsewhere
        # that this leader has not applied yet.
        return self.keyspace.mean_hit(lambda t: self.unseen(node, t), t0, t1)

    # -- CAP, PACELC -----------------------------------------------------------------------
    def write_diverges(self, source: TrafficSource) -> bool:
        if self.policy == "home-region":
            return False  # one writer per key: nothing to diverge from
        node = self._nearest_leader(source.loc)
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
    def lag_ops(self, node: SimNode, now: float) -> int:
        if node.role == "leader":
            return round(self.unseen(node, now))
        return round(sum(self.origin_log[o.name].position_at(now) - self.links[(node.name, o.name)].applied(now)
                         for o in self.leaders))

    def lag_seconds(self, node: SimNode, now: float) -> float:
        worst = 0.0
        for origin in self.leaders:
            if origin is node:
                continue
            log = self.origin_log[origin.name]
            applied = self.links[(node.name, origin.name)].applied(now)
            if log.position_at(now) - applied >= 0.5:
                committed = log.commit_time(applied)
                if committed is not None and now - committed > worst:
                    worst = now - committed
        return worst

    def figures(self, tally: Tally) -> dict[str, object]:
        return {"conflict_resolution": self.policy, "conflicts": round(tally.get("conflicts")),
                "lost_updates": round(tally.get("lost_updates")),
                "skew_overwrites": round(tally.get("skew_overwrites"))}
