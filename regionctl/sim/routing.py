"""How clients find the leader: their own view, which can be wrong.

Each traffic source's clients send writes where their view points, never "to the leader"
by fiat:
- `client`: a topology-aware driver (libpq with several hosts, a Sentinel-aware or etcd
  client). When writes fail it backs off and asks again, from where it is: the nodes,
  Sentinels or members it can reach answer, and an isolated old leader's answer wins
  for clients on its side.
- `proxy`: HAProxy in the clients' region health-checks each node (Patroni's /primary,
  Redis' role) every `inter`; a server flips after `fall` failed or `rise` good checks.
- `dns`: the cluster's name points at a node; the failover manager updates it when it
  promotes; each client re-resolves when its cached record expires (caches expire
  uniformly over the TTL: the source is split into groups with their own phases).
- `health-check-dns`: Route 53 failover routing: the record stays on the primary until
  its health check fails `failures` times in a row (every `interval`), then answers the
  current leader; when the primary is healthy again as many times, it fails back.

Nothing here ticks: a view acts at the moments its mechanism would (a check, an expiry,
a retry) that follow a change, and goes quiet again when its answer is stable.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from regionctl.sim.workload import Group, Outcome, TrafficSource

if TYPE_CHECKING:
    from regionctl.sim.leader_follower import LeaderFollowerCluster

DNS_GROUPS = 10  # client caches of one source expire at ten evenly spread moments of a TTL


def next_tick(phase: float, period: float, after: float) -> float:
    """The first moment phase + k x period strictly after `after`."""
    k = math.floor((after - phase) / period) + 1
    at = phase + k * period
    while at <= after + 1e-9:  # rounding can land on `after` itself
        at += period
    return at


class Router:
    """The view of one traffic source."""

    def __init__(self, cluster: LeaderFollowerCluster, source: TrafficSource) -> None:
        self.cluster = cluster
        self.source = source
        t = cluster.timings
        self.retry = t.get("client_retry", 1.0)

    def initial(self, leader: str | None) -> None:
        for group in self.source.groups:
            group.target = leader

    def retarget(self, group: Group, target: str | None, now: float) -> None:
        """Send this group's clients to `target` from now on (the books so far settled first)."""
        cluster = self.cluster
        cluster.settle(now)
        group.target = target
        cluster.replan(now, moved=False)

    def after_replan(self, now: float, changed: bool) -> None:
        """Called after every replan of the cluster; `changed`: something other than this router moved."""


class DriverRouter(Router):
    """A topology-aware client: on failure, back off, then ask again what it can reach."""

    def after_replan(self, now: float, changed: bool) -> None:
        for group in self.source.groups:
            if group.write.outcome == Outcome.OK or group.write.outcome == Outcome.CLIENT_DOWN:
                group.retry_at = None
                continue
            if group.fail_since is None or (not changed and group.retry_at is not None):
                continue
            # The next retry of its backoff after this change: the retries before it would have
            # found the same answer, so they need no event.
            at = next_tick(group.fail_since, self.retry, now)
            if group.retry_at is not None and group.retry_at <= at:
                continue
            group.retry_at = at
            self.cluster.loop.schedule(at, self._retry, group, at)

    def _retry(self, group: Group, at: float) -> None:
        if group.retry_at != at:
            return
        group.retry_at = None
        cluster = self.cluster
        now = cluster.loop.now
        found = cluster.controller.discover(self.source.loc) if cluster.controller is not None else None
        if found is not None and found != group.target:
            self.retarget(group, found, now)


class ProxyRouter(Router):
    """HAProxy beside the clients: health checks flip servers after `rise` / `fall` checks."""

    def __init__(self, cluster: LeaderFollowerCluster, source: TrafficSource) -> None:
        super().__init__(cluster, source)
        t = cluster.timings
        self.inter = t.get("proxy_inter", 2.0)
        self.rise = int(t.get("proxy_rise", 2))
        self.fall = int(t.get("proxy_fall", 3))
        self.phase = cluster.rng.uniform(0.0, self.inter)
        self.up: dict[str, bool] = {}
        self.pending: dict[str, tuple[bool, float]] = {}  # node -> (state it flips to, when)

    def initial(self, leader: str | None) -> None:
        self.up = {n.name: n.name == leader for n in self.cluster.nodes}
        super().initial(leader)

    def _passes(self, name: str) -> bool:
        cluster = self.cluster
        node = cluster.by_name[name]
        return cluster.network.connected(self.source.loc, node.loc) and cluster.claims_primary(node)

    def after_replan(self, now: float, changed: bool) -> None:
        for name, state in self.up.items():
            passes = self._passes(name)
            pending = self.pending.get(name)
            if passes == state:
                if pending is not None:
                    del self.pending[name]
                continue
            if pending is not None and pending[0] == passes:
                continue
            # The check results changed now: the server flips on the rise-th / fall-th check from here.
            needed = self.rise if passes else self.fall
            first = next_tick(self.phase, self.inter, now)
            at = first + (needed - 1) * self.inter
            self.pending[name] = (passes, at)
            self.cluster.loop.schedule(at, self._flip, name, passes, at)

    def _flip(self, name: str, state: bool, at: float) -> None:
        if self.pending.get(name) != (state, at):
            return
        del self.pending[name]
        cluster = self.cluster
        now = cluster.loop.now
        cluster.settle(now)
        self.up[name] = state
        target = next((n.name for n in cluster.nodes if self.up.get(n.name)), None)
        for group in self.source.groups:
            group.target = target
        cluster.replan(now, moved=False)


class DnsRouter(Router):
    """Clients re-resolve the cluster's name when their cached record expires."""

    def __init__(self, cluster: LeaderFollowerCluster, source: TrafficSource) -> None:
        super().__init__(cluster, source)
        self.ttl = max(source.dns_ttl, 1e-3)

    def record(self) -> str | None:
        return self.cluster.dns_record

    def after_replan(self, now: float, changed: bool) -> None:
        record = self.record()
        for group in self.source.groups:
            if group.target == record or group.retry_at is not None:
                continue
            at = next_tick(group.phase * self.ttl, self.ttl, now)
            group.retry_at = at
            self.cluster.loop.schedule(at, self._resolve, group, at)

    def _resolve(self, group: Group, at: float) -> None:
        if group.retry_at != at:
            return
        group.retry_at = None
        record = self.record()
        if record == group.target:
            return
        self.retarget(group, record, self.cluster.loop.now)


class HealthCheckDnsRouter(DnsRouter):
    """Route 53 failover routing: the record leaves the primary after `failures` failed checks."""

    def __init__(self, cluster: LeaderFollowerCluster, source: TrafficSource) -> None:
        super().__init__(cluster, source)
        t = cluster.timings
        self.interval = t.get("health_check_interval", 30.0)
        self.failures = int(t.get("health_check_failures", 3))
        self.phase = cluster.rng.uniform(0.0, self.interval)
        self.primary = cluster.initial_leader
        self.healthy = True
        self.pending: tuple[bool, float] | None = None

    def record(self) -> str | None:
        if self.healthy or self.cluster.leader is None:
            return self.primary
        return self.cluster.leader.name

    def _primary_passes(self) -> bool:
        cluster = self.cluster
        if self.primary is None:
            return False
        node = cluster.by_name[self.primary]
        # Route 53's checkers are outside every region: the node must be up and take writes.
        return cluster.network.up(node.loc) and cluster.accepting(node)

    def after_replan(self, now: float, changed: bool) -> None:
        passes = self._primary_passes()
        if passes == self.healthy:
            self.pending = None
        elif self.pending is None or self.pending[0] != passes:
            at = next_tick(self.phase, self.interval, now) + (self.failures - 1) * self.interval
            self.pending = (passes, at)
            self.cluster.loop.schedule(at, self._flip, passes, at)
        super().after_replan(now, changed)

    def _flip(self, state: bool, at: float) -> None:
        if self.pending != (state, at):
            return
        self.pending = None
        self.healthy = state
        cluster = self.cluster
        cluster.log(f"health check {'passes' if state else 'fails'} on {self.primary}: "
                    f"the DNS record answers {self.record()}")
        DnsRouter.after_replan(self, cluster.loop.now, True)


def router_for(cluster: LeaderFollowerCluster, source: TrafficSource) -> Router:
    routing = source.routing
    if routing == "proxy":
        return ProxyRouter(cluster, source)
    if routing == "dns":
        return DnsRouter(cluster, source)
    if routing == "health-check-dns":
        return HealthCheckDnsRouter(cluster, source)
    return DriverRouter(cluster, source)


def groups_for(routing: str) -> int:
    return DNS_GROUPS if routing in ("dns", "health-check-dns") else 1
