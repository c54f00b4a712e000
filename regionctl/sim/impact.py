"""What the faults reach, read from the simulator: clusters, services, tenants, traffic.

`Impact` answers "what state is this service / tenant in now" (for Snapshots) and keeps
the observed blast radius: everything a fault reached at some moment of the run. It
samples at every change of state: each fault change, and each replan of a cluster (a
leader fenced or a quorum lost seconds after the fault is a replan too), so nothing
between two samples changes. Reading never changes the simulation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from regionctl.contract import health
from regionctl.contract.health import RANK, worst
from regionctl.sim.leader_follower import LeaderFollowerCluster

if TYPE_CHECKING:
    from regionctl.sim.cluster_base import ClusterBase
    from regionctl.sim.simulator import Simulation

__all__ = ["RANK", "Impact", "LostWrites", "worst"]

LostWrites = dict[str, tuple[int, float]]  # cluster -> (acknowledged writes lost, RPO seconds), as of now


class Impact:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        topology = sim.topology
        self.services = {s.name: s for s in topology.services}
        # Each tenant's and service's clusters, through the services they need (resolved once).
        self.service_clusters = {name: topology.clusters_needed([name]) for name in self.services}
        self.tenant_clusters = {t.name: topology.clusters_needed(list(t.services) + list(t.clusters))
                                for t in topology.tenants}
        self.reset()

    def reset(self) -> None:
        """Forget what was reached (a forked simulation keeps its own record from the fork on)."""
        self.regions: set[str] = set()
        self.zones: set[str] = set()
        self.nodes: set[str] = set()
        self.worst_cluster: dict[str, str] = {}
        self.worst_service: dict[str, str] = {}
        self.worst_tenant: dict[str, str] = {}
        self.regions_down: set[str] = set()
        self.terms = {name: c.term for name, c in self.sim.clusters.items()}
        self.leaders = {name: c.leader for name, c in self.sim.clusters.items()}
        self.at_risk: dict[str, dict[str, Any]] = {}
        self.leaders_lost: dict[str, set[str]] = {}
        self.lost_before = {name: c.lost_writes()[0] for name, c in self.sim.clusters.items()}
        self.since = self.sim.now
        self.books_before = {}
        for name, c in self.sim.clusters.items():
            books = c.view_books(self.sim.now)[0]
            self.books_before[name] = (books.writes_attempted + books.reads_attempted,
                                       books.writes_acked + books.reads_ok)
        self.service_down_seconds = {name: 0.0 for name in self.services}
        self._last_sample = self.sim.now
        self._down_now: set[str] = set()
        self._last_states: dict[str, str] = {}
        self._scanned_version = -1

    # -- states, now -----------------------------------------------------------------------
    def writable(self, cluster: ClusterBase) -> bool:
        return self.sim.writable(cluster)

    def cluster_state(self, cluster: ClusterBase) -> str:
        sim = self.sim
        return health.cluster_state(self.writable(cluster),
                                    (sim._health(n.loc, cluster) for n in cluster.nodes))

    def cluster_states(self) -> dict[str, str]:
        return {name: self.cluster_state(c) for name, c in self.sim.clusters.items()}

    def service_states(self, clusters: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
        """Each service's (status, why): contract.health's rule, on the simulator's states now."""
        clusters = self.cluster_states() if clusters is None else clusters
        return health.service_states(self.sim.topology, clusters, self.sim.region_status)

    def tenant_state(self, tenant: str, services: dict[str, tuple[str, str]] | None = None,
                     clusters: dict[str, str] | None = None) -> str:
        clusters = self.cluster_states() if clusters is None else clusters
        services = self.service_states(clusters) if services is None else services
        return health.tenant_state(self.sim.topology, tenant, clusters, services)

    # -- the observed blast radius -----------------------------------------------------------
    def note(self) -> None:
        """One sample of what is impaired now."""
        sim = self.sim
        now = sim.now
        for name in self._down_now:
            self.service_down_seconds[name] += now - self._last_sample
        self._last_sample = now
        network = sim.network
        for region in sim.topology.regions:
            status = sim.region_status(region.name)
            if status != "up":
                self.regions.add(region.name)
            if status == "down":
                self.regions_down.add(region.name)
                self.zones.update(f"{region.name}/{z}" for z in region.zones)
        self.zones.update(f"{r}/{z}" for r, z in network.down_zones)
        clusters = self.cluster_states()
        self._last_states = clusters
        scan_nodes = network.version != self._scanned_version  # a node's health changes only with the faults
        self._scanned_version = network.version
        # An added latency reaches the nodes at either end of the slowed link (their replication
        # and their clients wait longer), and their regions.
        slowed_ends = [end for key in network.extra_latency for end in key]
        for end in slowed_ends:
            if end in {r.name for r in sim.topology.regions}:
                self.regions.add(end)
        for name, cluster in sim.clusters.items():
            if scan_nodes and (clusters[name] != "ok" or network.slow or slowed_ends):
                for node in cluster.nodes:
                    health = sim._health(node.loc, cluster)
                    on_slow_link = any(network._matches(end, node.loc) for end in slowed_ends)
                    if health != "up" or network.slowness(node.name) != 1.0 or on_slow_link:
                        self.nodes.add(node.name)
                        if on_slow_link:
                            self.regions.add(node.region)
                    if health == "down" and node.role == "leader":
                        # The leader (or, multi-leader, one of the leaders) is down; a cut-off one
                        # that keeps taking writes is not lost (fencing or a new term says when it is).
                        self.leaders_lost.setdefault(name, set()).add(node.name)
            self.worst_cluster[name] = worst([clusters[name], self.worst_cluster.get(name, "ok")])
        services = self.service_states(clusters)
        self._down_now = {name for name, (state, _) in services.items() if state == "down"}
        for name, (state, _) in services.items():
            self.worst_service[name] = worst([state, self.worst_service.get(name, "ok")])
        for tenant in sim.topology.tenants:
            state = self.tenant_state(tenant.name, services, clusters)
            self.worst_tenant[tenant.name] = worst([state, self.worst_tenant.get(tenant.name, "ok")])

    def impaired(self) -> bool:
        """Anything still to watch, as of the last sample."""
        sim = self.sim
        return bool(sim.active_faults()) or any(state != "ok" for state in self._last_states.values()) \
            or any(c.election for c in sim.clusters.values())

    def note_fault(self) -> None:
        """At a fault: per leader-based cluster whose leader it cut off, the acknowledged writes
        no surviving replica holds yet (what a failover now would lose) and how old the oldest is."""
        sim = self.sim
        now = sim.now
        for name, cluster in sim.clusters.items():
            if not isinstance(cluster, LeaderFollowerCluster) or cluster.leader is None:
                continue
            leader = cluster.leader
            survivors = [n for n in cluster.nodes if n is not leader and sim.network.up(n.loc)]
            if sim._health(leader.loc, cluster) == "up" or not survivors:
                continue
            timeline = leader.timeline
            best = max(survivors, key=lambda n: n.received(now) if timeline.holds(n.timeline, n.received(now))
                       or n.timeline is timeline else -1.0)
            have = best.received(now) if best.timeline is timeline else timeline.fork_pos
            top = leader.received(now)
            writes = timeline.acked_in(have, top)
            first = timeline.commit_time(have) if writes >= 0.5 else None
            seconds = max(0.0, now - first) if first is not None else 0.0
            entry = self.at_risk.setdefault(name, {"writes": 0, "seconds": 0.0})
            entry["writes"] += round(writes)
            entry["seconds"] = max(entry["seconds"], round(seconds, 6))

    def clusters_reached(self) -> list[str]:
        """Clusters that lost their leader or their quorum: not writable, a new leader or term, or a
        leader down or cut off (for multi-leader: one of its leaders)."""
        out = []
        for name, cluster in self.sim.clusters.items():
            if self.worst_cluster.get(name) == "down" or cluster.term != self.terms[name] \
                    or cluster.leader is not self.leaders[name] or name in self.leaders_lost:
                out.append(name)
        return out

    def _new_leader_after(self, name: str) -> float | None:
        """Seconds from the first fault to the first leader elected or promoted after it."""
        cluster = self.sim.clusters[name]
        fault_at = cluster.clock.fault_at
        history = cluster.history
        if fault_at is None:
            return None
        after = [t for t, _, _ in history if t >= fault_at and t >= self.since]
        return round(after[0] - fault_at, 6) if after else None

    def traffic_share(self, tenant: str) -> float | None:
        """The tenant's share of all traffic: as declared, or, for a tenant alone on its clusters
        (a silo), their share of the traffic."""
        spec = next(t for t in self.sim.topology.tenants if t.name == tenant)
        if spec.traffic_share is not None:
            return spec.traffic_share
        mine = set(self.tenant_clusters[tenant])
        if not mine or any(mine & set(c) for other, c in self.tenant_clusters.items() if other != tenant):
            return None
        rates = {name: sum(s.writes_per_s + s.reads_per_s for s in c.sources) for name, c in self.sim.clusters.items()}
        total = sum(rates.values())
        return round(sum(rates[c] for c in mine) / total, 6) if total else None

    def tenant_availability(self, tenant: str) -> float:
        """Requests served over requests made, on the tenant's clusters, since the record began."""
        made = served = 0
        for name in self.tenant_clusters[tenant]:
            c = self.sim.clusters[name].view_books(self.sim.now)[0]
            made_before, served_before = self.books_before[name]
            made += c.writes_attempted + c.reads_attempted - made_before
            served += c.writes_acked + c.reads_ok - served_before
        return round(served / made, 6) if made else 1.0

    def traffic_fraction(self) -> float:
        total = hit = 0.0
        for cluster in self.sim.clusters.values():
            for source in cluster.sources:
                rate = source.writes_per_s + source.reads_per_s
                total += rate
                if source.failed_any or source.region in self.regions_down:
                    hit += rate
        return round(hit / total, 6) if total else 0.0

    def observed(self, lost_writes: LostWrites) -> dict[str, Any]:
        """The blast radius in the shape `blast` predicts (the report's `blast_radius`, docs/report.md)."""
        sim = self.sim
        # Read-only: reading the books must not change them, or a watched run (the dashboard, a
        # paced drill) would report other figures than an unwatched one. The samples taken at each
        # change of state are what counts.
        clusters = self.clusters_reached()
        rtos: dict[str, float | None] = {}
        data: dict[str, dict[str, Any]] = {}
        for name, cluster in sim.clusters.items():
            lost, rpo = lost_writes[name]
            lost -= self.lost_before[name]
            risk = self.at_risk.get(name)
            if risk or lost > 0:
                data[name] = {"writes": risk["writes"] if risk else 0, "seconds": risk["seconds"] if risk else 0.0,
                              "lost": max(0, lost), "rpo_seconds": round(rpo, 6) if lost > 0 else 0.0}
            if cluster.clock.fault_at is not None and cluster.clock.fault_at >= self.since:
                # Every cluster counts: a partition can cut clients off a leader that stays put.
                rto = cluster.clock.rto()
                rtos[name] = None if rto is None else round(rto, 6)
        if any(v is None for v in rtos.values()):
            rto_all: float | None = None
        else:
            rto_all = max((v for v in rtos.values() if v is not None), default=0.0)
        tenants = {t.name: t for t in sim.topology.tenants}
        return {
            "regions": sorted(self.regions),
            "zones": sorted(self.zones),
            "nodes": sorted(self.nodes),
            "clusters": clusters,
            "services": [n for n in self.services if self.worst_service.get(n, "ok") != "ok"],
            "tenants": sorted(n for n in tenants if self.worst_tenant.get(n, "ok") != "ok"),
            "traffic_fraction": self.traffic_fraction(),
            "data_at_risk": data,
            "expected_rto_seconds": rto_all,
            "detail": {
                "clusters": {n: {"status": self.worst_cluster.get(n, "ok"), "rto_seconds": rtos.get(n),
                                 "failover": sim.clusters[n].spec.failover.policy,
                                 "leader_before": _name(self.leaders[n]),
                                 "leader_after": _name(sim.clusters[n].leader),
                                 "new_leader_after_seconds": self._new_leader_after(n),
                                 "leaders_lost": sorted(self.leaders_lost.get(n, ()))}
                             for n in sim.clusters if n in clusters or rtos.get(n, 0.0) != 0.0},
                "services": {n: self.worst_service[n] for n in self.services
                             if self.worst_service.get(n, "ok") != "ok"},
                "tenants": {n: {"status": self.worst_tenant[n], "model": tenants[n].model,
                                "traffic_share": self.traffic_share(n), "availability": self.tenant_availability(n)}
                            for n in sorted(tenants) if self.worst_tenant.get(n, "ok") != "ok"},
                "since": round(self.since, 6),
                "until": round(sim.now, 6),
            },
        }

    def service_metrics(self, states: dict[str, tuple[str, str]] | None = None) -> dict[str, dict[str, Any]]:
        """Per service: the share of time it was not down (sampled), and its status now (`states`: the
        services' states now, when the caller has them). Read-only: the time since the last sample
        counts in the state that sample saw."""
        now = self.sim.now
        elapsed = now - self.since
        states = self.service_states() if states is None else states
        out = {}
        for name, stored in self.service_down_seconds.items():
            down = stored + (now - self._last_sample if name in self._down_now else 0.0)
            out[name] = {"availability": round(1.0 - down / elapsed, 6) if elapsed > 0 else 1.0,
                         "down_seconds": round(down, 6), "status": states[name][0]}
        return out


def _name(node: object) -> str | None:
    return getattr(node, "name", None)
