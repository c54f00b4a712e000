"""The simulated estate: clusters, network, faults and clients, on one virtual clock.

`Simulation` is what the sim backend wraps: inject and heal faults, advance time,
take Snapshots, read the books. Pure: no asyncio, no I/O, no wall clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from regionctl.backends.snapshot import ClusterView, FaultView, NodeView, RegionView, Snapshot, TenantView
from regionctl.faults import Fault, check_targets
from regionctl.model.resolved import preset, replication_mode
from regionctl.model.topology import Topology
from regionctl.sim.cluster_base import ClusterBase
from regionctl.sim.core import EventLoop
from regionctl.sim.failover import FailoverManager
from regionctl.sim.leader_follower import LeaderFollowerCluster
from regionctl.sim.leaderless import LeaderlessCluster
from regionctl.sim.multi_leader import MultiLeaderCluster
from regionctl.sim.network import Network
from regionctl.sim.raft import RaftController
from regionctl.sim.workload import TrafficSource

MAX_EVENT_LOG = 2000


@dataclass
class ActiveFault:
    fid: int
    fault: Fault
    at: float
    healed_at: float | None = None


class Simulation:
    def __init__(self, topology: Topology, seed: int = 1) -> None:
        self.topology = topology
        self.seed = seed
        self.rng = random.Random(seed)
        self.loop = EventLoop()
        self.network = Network(topology, random.Random(self.rng.getrandbits(64)))
        self.events: list[tuple[float, str, str]] = []
        self.faults: list[ActiveFault] = []
        self.clusters: dict[str, ClusterBase] = {}
        # The observed blast radius: everything a fault reached at some point of the run.
        self.reached_regions: set[str] = set()
        self.reached_nodes: set[str] = set()
        self.reached_tenants: set[str] = set()
        self.regions_down_seen: set[str] = set()
        for spec in topology.clusters:
            args = (spec, topology, self.network, self.loop, self._record)
            rng = random.Random(self.rng.getrandbits(64))
            mode = replication_mode(spec)
            cluster: ClusterBase
            if mode == "multi-leader":
                cluster = MultiLeaderCluster(*args)
            elif mode == "leaderless":
                cluster = LeaderlessCluster(*args)
            else:
                lf = LeaderFollowerCluster(*args)
                family = preset(spec).family
                if family == "raft":
                    jitter = preset(spec).extras.get("election_jitter", 1.0)
                    lf.controller = RaftController(lf, rng, jitter)
                else:
                    lf.controller = FailoverManager(lf, rng)
                cluster = lf
            self.clusters[spec.name] = cluster
        for traffic in topology.traffic:
            self.clusters[traffic.cluster].sources.append(TrafficSource(traffic))
        for cluster in self.clusters.values():
            cluster.start()

    # -- time ------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        return self.loop.now

    def run_until(self, t: float) -> None:
        self.loop.run_until(t)

    def _record(self, at: float, cluster: str, message: str) -> None:
        self.events.append((at, cluster, message))
        if len(self.events) > MAX_EVENT_LOG:
            del self.events[: len(self.events) - MAX_EVENT_LOG]

    # -- faults ----------------------------------------------------------------------------
    def inject(self, fault: Fault) -> int:
        check_targets(fault, self.topology)
        fid = len(self.faults) + 1
        self.faults.append(ActiveFault(fid, fault, self.now))
        self._catch_up()
        self.network.apply(fault, True)
        self._record(self.now, "", f"fault injected: {fault.spec}")
        self._changed()
        return fid

    def heal(self, fid: int) -> None:
        entry = self.faults[fid - 1]
        if entry.healed_at is not None:
            return
        entry.healed_at = self.now
        self._catch_up()
        self.network.apply(entry.fault, False)
        self._record(self.now, "", f"fault healed: {entry.fault.spec}")
        self._changed()

    def heal_all(self) -> None:
        for entry in self.faults:
            if entry.healed_at is None:
                self.heal(entry.fid)

    def schedule_fault(self, fault: Fault, at: float, duration: float | None) -> None:
        check_targets(fault, self.topology)
        holder: dict[str, int] = {}

        def start() -> None:
            holder["fid"] = self.inject(fault)

        def stop() -> None:
            if "fid" in holder:
                self.heal(holder["fid"])

        self.loop.schedule(at, start)
        if duration is not None:
            self.loop.schedule(at + duration, stop)

    def active_faults(self) -> list[ActiveFault]:
        return [f for f in self.faults if f.healed_at is None]

    def _catch_up(self) -> None:
        for cluster in self.clusters.values():
            cluster.catch_up(self.now)

    def _changed(self) -> None:
        for cluster in self.clusters.values():
            cluster.on_change(self.now)
        self._note_reach()

    def _note_reach(self) -> None:
        for region in self.topology.regions:
            status = self.region_status(region.name)
            if status != "up":
                self.reached_regions.add(region.name)
            if status == "down":
                self.regions_down_seen.add(region.name)
        for cluster in self.clusters.values():
            for node in getattr(cluster, "nodes", []):
                if self._health(node.loc, cluster) != "up" or self.network.slowness(node.name) != 1.0:
                    self.reached_nodes.add(node.name)
        for tenant in self.topology.tenants:
            if self.tenant_status(self.tenant_clusters(tenant.name)) != "ok":
                self.reached_tenants.add(tenant.name)

    def observed_blast_radius(self) -> dict[str, object]:
        total = hit = 0.0
        for cluster in self.clusters.values():
            for source in cluster.sources:
                rate = source.writes_per_s + source.reads_per_s
                total += rate
                if source.failed_any or source.region in self.regions_down_seen:
                    hit += rate
        return {
            "regions": sorted(self.reached_regions),
            "nodes": sorted(self.reached_nodes),
            "tenants": sorted(self.reached_tenants),
            "traffic_fraction": round(hit / total, 6) if total else 0.0,
        }

    # -- operator actions ------------------------------------------------------------------
    def promote(self, node_name: str) -> None:
        for cluster in self.clusters.values():
            if isinstance(cluster, LeaderFollowerCluster) and node_name in cluster.by_name:
                node = cluster.by_name[node_name]
                if not self.network.up(node.loc):
                    raise ValueError(f"cannot promote {node_name}: it is down")
                cluster.settle(self.now)
                old = cluster.leader if cluster.leader is not node else None
                if old is not None and self.network.up(old.loc):
                    old.fenced = True
                cluster.promote(node, self.now, "promoted by an operator")
                if old is not None and self.network.up(old.loc) and self.network.connected(old.loc, node.loc):
                    # A switchover (patronictl switchover, orchestrator graceful-master-takeover)
                    # demotes the old primary and makes it follow the new one.
                    cluster.demote(old, self.now, f"switched over to {node.name}")
                return
        raise ValueError(f"no leader-based cluster has a node named {node_name!r}")

    # -- reading the state -----------------------------------------------------------------
    def _health(self, node_loc: tuple[str, str, str], cluster: ClusterBase) -> str:
        if not self.network.up(node_loc):
            return "down"
        nodes = getattr(cluster, "nodes", [])
        # Isolated: a peer that is up cannot be reached (a partition, not a crash).
        for peer in nodes:
            if peer.loc != node_loc and self.network.up(peer.loc) and not self.network.connected(node_loc, peer.loc):
                return "isolated"
        return "up"

    def cluster_view(self, cluster: ClusterBase) -> ClusterView:
        now = self.now
        nodes = []
        leader = getattr(cluster, "leader", None)
        for node in getattr(cluster, "nodes", []):
            node.settle(now)
            nodes.append(NodeView(
                name=node.name, cluster=cluster.name, region=node.region, zone=node.zone,
                role="old-leader" if node.role == "leader" and leader is not None and node is not leader
                and cluster.mode not in ("multi-leader",) else node.role,
                health=self._health(node.loc, cluster),
                lag_seconds=round(cluster.lag_seconds(node, now), 6),  # type: ignore[attr-defined]
                lag_ops=cluster.lag_ops(node),  # type: ignore[attr-defined]
                term=node.term, position=node.pos,
                accepting_writes=node.role == "leader" and not node.fenced and self.network.up(node.loc)))
        return ClusterView(
            name=cluster.name, engine=cluster.spec.engine, replication=cluster.mode,
            leader=leader.name if leader is not None else None, term=cluster.term, nodes=tuple(nodes),
            writable=self.writable(cluster), election=cluster.election,
            availability=cluster.counters.availability())

    def writable(self, cluster: ClusterBase) -> bool:
        if cluster.read_only:
            return False
        if isinstance(cluster, LeaderFollowerCluster):
            leader = cluster.leader
            return leader is not None and cluster.accepting(leader) and cluster.commit_rule(leader, self.now)[0]
        return any(self.network.up(n.loc) for n in getattr(cluster, "nodes", []))

    def region_status(self, name: str) -> str:
        if name in self.network.down_regions:
            return "down"
        if any(z[0] == name for z in self.network.down_zones):
            return "degraded"
        if any(name in (a, b) for a, b, _ in self.network.partitions):
            return "isolated"
        return "up"

    def tenant_status(self, tenant_clusters: list[str]) -> str:
        states = []
        for name in tenant_clusters:
            cluster = self.clusters[name]
            if not self.writable(cluster):
                states.append("down")
            elif any(self._health(n.loc, cluster) != "up" for n in getattr(cluster, "nodes", [])):
                states.append("degraded")
            else:
                states.append("ok")
        if "down" in states:
            return "down"
        return "degraded" if "degraded" in states else "ok"

    def tenant_clusters(self, tenant_name: str) -> list[str]:
        tenant = next(t for t in self.topology.tenants if t.name == tenant_name)
        names = list(tenant.clusters)
        services = {s.name: s for s in self.topology.services}
        todo = list(tenant.services)
        seen: set[str] = set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in services:
                todo.extend(services[name].depends_on)
            elif name in self.clusters and name not in names:
                names.append(name)
        return names

    def snapshot(self, backend: str = "sim") -> Snapshot:
        # Serve the part of the tick that has passed, so the leader's log is current: a replica's
        # lag then shows its streaming delay at any instant, not only just after a tick.
        self._catch_up()
        return Snapshot(
            topology=self.topology.name,
            kind=str(self.topology.kind),
            backend=backend,
            time=round(self.now, 6),
            regions=tuple(RegionView(r.name, self.region_status(r.name)) for r in self.topology.regions),
            clusters=tuple(self.cluster_view(c) for c in self.clusters.values()),
            tenants=tuple(TenantView(t.name, t.model, self.tenant_status(self.tenant_clusters(t.name)))
                          for t in self.topology.tenants),
            runbooks=tuple(self.topology.runbook_names()),
            faults=tuple(FaultView(f.fault.spec, f.at, f.healed_at) for f in self.faults),
            metrics=self.metrics(),
            observed_blast_radius=self.observed_blast_radius(),
        )

    def metrics(self) -> dict[str, object]:
        from regionctl.sim.books import summarize

        return summarize(self)
