"""The simulated estate: clusters, network, faults and clients, on one virtual clock.

`Simulation` is what the sim backend wraps: inject and heal faults, advance time,
take Snapshots, read the books. Pure: no asyncio, no I/O, no wall clock.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from regionctl.contract.faults import Fault, FaultKind, check_targets
from regionctl.contract.snapshot import (
    ClusterBooks,
    ClusterView,
    EventView,
    FaultView,
    NodeView,
    RegionView,
    ServiceView,
    Snapshot,
    TenantView,
)
from regionctl.model.resolved import preset, replication_mode
from regionctl.model.topology import Topology
from regionctl.sim.cluster_base import ClusterBase
from regionctl.sim.core import EventLoop
from regionctl.sim.failover import ClusterBus, ManagedControlPlane, Manager, OperatorOnly, Poller
from regionctl.sim.impact import Impact, LostWrites, worst
from regionctl.sim.leader_follower import LeaderFollowerCluster
from regionctl.sim.leaderless import LeaderlessCluster
from regionctl.sim.lossy import LossyLink
from regionctl.sim.multi_leader import MultiLeaderCluster
from regionctl.sim.network import Network, witness_loc
from regionctl.sim.node import SimNode
from regionctl.sim.patroni import Patroni
from regionctl.sim.raft import Raft
from regionctl.sim.routing import groups_for
from regionctl.sim.sentinel import Sentinel
from regionctl.sim.workload import TrafficSource

if TYPE_CHECKING:
    from regionctl.sim.history import ProbeRecorder, ProbeSettings
    from regionctl.sim.probe_checks import ProbeChecks

MAX_EVENT_LOG = 2000


class Replanned:
    """What a cluster tells after each replan: the blast radius samples, probe sessions re-check answers
    in flight. A plain object, not a closure, so that a fork's copy points at the fork."""

    __slots__ = ("name", "sim")

    def __init__(self, sim: Simulation, name: str) -> None:
        self.sim = sim
        self.name = name

    def __call__(self) -> None:
        sim = self.sim
        sim.impact.note()
        if sim.probes is not None:
            sim.probes.on_replan(self.name, sim.now)
EVENTS_IN_SNAPSHOT = 100


@dataclass
class ActiveFault:
    """A fault injected into the simulation, and when it was healed."""

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
        self.events_logged = 0  # every event ever logged (the list keeps the last MAX_EVENT_LOG): a replay indexes them
        self._event_views: tuple[int, tuple[EventView, ...]] = (0, ())  # the snapshots' last events, as of a count
        self.faults: list[ActiveFault] = []
        self.lossy: dict[int, LossyLink] = {}  # fid -> the runs of lost messages of an active loss fault
        self.clusters: dict[str, ClusterBase] = {}
        for spec in topology.clusters:
            rng = random.Random(self.rng.getrandbits(64))
            args = (spec, topology, self.network, self.loop, self._record, rng)
            mode = replication_mode(spec)
            cluster: ClusterBase
            if mode == "multi-leader":
                cluster = MultiLeaderCluster(*args)
            elif mode == "leaderless":
                cluster = LeaderlessCluster(*args)
            else:
                lf = LeaderFollowerCluster(*args)
                lf.controller = controller_for(lf, random.Random(rng.getrandbits(64)))
                cluster = lf
            self.clusters[spec.name] = cluster
        for _index, traffic in enumerate(topology.traffic):
            cluster = self.clusters[traffic.cluster]
            groups = groups_for(traffic.routing)
            offset = self.rng.random()
            phases = [(i + offset) / groups for i in range(groups)]
            cluster.sources.append(TrafficSource(traffic, len(cluster.sources), groups, phases))
        for cluster in self.clusters.values():
            cluster.start()
        self._signatures = {name: self._signature(c) for name, c in self.clusters.items()}
        self._health_version = -1
        self._health_memo: dict[tuple[str, tuple[str, str, str]], str] = {}
        # The observed blast radius and the services' and tenants' states.
        self.impact = Impact(self)
        for cluster in self.clusters.values():
            cluster.observer = Replanned(self, cluster.name)
        self.probes: ProbeRecorder | None = None
        self.probe_checks: ProbeChecks | None = None
        if any(c.consistency for c in topology.clusters):
            self.enable_probes()

    def enable_probes(self, settings: ProbeSettings | None = None) -> ProbeRecorder:
        """Record what a few client sessions per traffic source see, operation by operation (docs/history.md)."""
        from regionctl.sim.history import ProbeRecorder, ProbeSettings
        from regionctl.sim.probe_checks import ProbeChecks

        if self.probes is None:
            # Its own random stream: turning probes on changes none of the run's other figures.
            spec = self.topology.probes
            settings = settings or ProbeSettings(sessions=spec.sessions, keys=spec.keys, interval=spec.interval,
                                                 pattern=spec.pattern)
            self.probes = ProbeRecorder(self, settings, self.seed * 1_000_003 + 7)
            self.probe_checks = ProbeChecks(self.probes, {c.name: c.consistency for c in self.topology.clusters})
        return self.probes

    # -- time ------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        return self.loop.now

    def run_until(self, t: float) -> None:
        self.loop.run_until(t)

    def _record(self, at: float, cluster: str, message: str) -> None:
        self.events.append((at, cluster, message))
        self.events_logged += 1
        if len(self.events) > MAX_EVENT_LOG:
            del self.events[: len(self.events) - MAX_EVENT_LOG]

    # -- faults ----------------------------------------------------------------------------
    def inject(self, fault: Fault) -> int:
        check_targets(fault, self.topology)
        fid = len(self.faults) + 1
        self.faults.append(ActiveFault(fid, fault, self.now))
        self._record(self.now, "", f"fault injected: {fault.spec}")
        if fault.kind == FaultKind.LOSS:
            link = self.lossy[fid] = LossyLink(self, fault, fid)
            cut = link.start(self.now)
            if cut:  # the first slot's messages are lost: the cut is part of the injection
                self._react(f"fault {fault.spec}", lambda: self._drop(cut, True))
        else:
            self._apply(fault, True, f"fault {fault.spec}")
        self.impact.note_fault()
        return fid

    def heal(self, fid: int) -> None:
        entry = self.faults[fid - 1]
        if entry.healed_at is not None:
            return
        entry.healed_at = self.now
        self._record(self.now, "", f"fault healed: {entry.fault.spec}")
        link = self.lossy.pop(fid, None)
        if link is not None:
            cut = link.stop()
            if cut:
                self._react(f"heal of {entry.fault.spec}", lambda: self._drop(cut, False))
        else:
            self._apply(entry.fault, False, f"heal of {entry.fault.spec}")

    def _drop(self, directions: list[tuple[str, str]], active: bool) -> None:
        for a, b in directions:
            self.network.drop(a, b, active)

    def _apply(self, fault: Fault, active: bool, what: str) -> None:
        self._react(what, lambda: self.network.apply(fault, active))

    def _react(self, what: str, change: Callable[[], object]) -> None:
        """Change the network under every cluster: settle each at the old state first, then let each
        react; a cluster whose nodes, clients or witnesses saw the change records it as the cause of
        any outage that follows."""
        now = self.now
        for cluster in self.clusters.values():
            cluster.settle(now)
        change()
        for name, cluster in self.clusters.items():
            signature = self._signature(cluster)
            if signature != self._signatures[name]:
                self._signatures[name] = signature
                cluster.clock.touch(now, what)
            cluster.on_network(now)
        if self.probes is not None:
            self.probes.on_network(now)
        self.impact.note()

    def _signature(self, cluster: ClusterBase) -> tuple[object, ...]:
        """What of the network this cluster can tell apart: its nodes', clients' and witnesses' health,
        reachability, delays, speed and clocks."""
        network = self.network
        locs = [n.loc for n in cluster.nodes] + [s.loc for s in cluster.sources]
        witnesses = cluster.spec.failover.witnesses or []
        locs += [witness_loc(w) for w in witnesses]
        return (tuple(network.up(loc) for loc in locs),
                tuple(network.connected(a, b) and network.hears(a, b) and network.hears(b, a)
                      for i, a in enumerate(locs) for b in locs[i + 1:]),
                tuple(round(network.rtt(a, b), 9) for i, a in enumerate(locs) for b in locs[i + 1:]),
                tuple(network.slowness(n.name) for n in cluster.nodes),
                tuple(network.skew.get(n.name, 0.0) for n in cluster.nodes))

    def heal_all(self) -> None:
        for entry in self.faults:
            if entry.healed_at is None:
                self.heal(entry.fid)

    def schedule_fault(self, fault: Fault, at: float, duration: float | None) -> None:
        check_targets(fault, self.topology)
        # Bound methods and plain data, not closures: a fork (deepcopy) must call its own copy.
        holder: dict[str, int] = {}
        self.loop.schedule(at, self._start_scheduled, fault, holder)
        if duration is not None:
            self.loop.schedule(at + duration, self._stop_scheduled, holder)

    def _start_scheduled(self, fault: Fault, holder: dict[str, int]) -> None:
        holder["fid"] = self.inject(fault)

    def _stop_scheduled(self, holder: dict[str, int]) -> None:
        if "fid" in holder:
            self.heal(holder["fid"])

    def active_faults(self) -> list[ActiveFault]:
        return [f for f in self.faults if f.healed_at is None]

    def settle_all(self) -> None:
        for cluster in self.clusters.values():
            cluster.settle(self.now)

    def observed_blast_radius(self, lost: LostWrites | None = None) -> dict[str, object]:
        """Everything the faults reached so far (the drill report's `blast_radius`)."""
        return self.impact.observed(self.lost_writes() if lost is None else lost)

    def lost_writes(self) -> LostWrites:
        """Each cluster's (writes lost, RPO) now: read once by whatever reports both the figures and the
        blast radius (a snapshot, a drill's report)."""
        return {name: cluster.lost_writes() for name, cluster in self.clusters.items()}

    def fork(self) -> Simulation:
        """An independent copy at this instant, to run a what-if forward (`blast`). The topology
        and its models are immutable and shared; everything else is plain data and bound methods,
        which a deep copy rebinds to the copies."""
        shared: list[object] = [self.topology, *self.topology.clusters, *self.topology.traffic,
                                *self.topology.services, *self.topology.tenants, *self.topology.regions]
        shared += [n for c in self.topology.clusters for n in c.nodes]
        memo: dict[int, object] = {id(o): o for o in shared}
        return copy.deepcopy(self, memo)

    def start_forecast(self) -> dict[str, float]:
        """From now on, keep a fresh record (a forecast from a fork counts only what happens after it):
        the outage clocks, the worst lag and what the faults reached start afresh. Returns each cluster's
        worst lag before (its steady state)."""
        steady = {name: c.restart_books(self.now) for name, c in self.clusters.items()}
        self.impact.reset()
        return steady

    # -- operator actions ------------------------------------------------------------------
    def already_leads(self, node_name: str) -> bool:
        """The node is up, its cluster's leader, and takes writes: promoting it does nothing (Patroni refuses a
        switchover to the leader, REPLICAOF NO ONE on a master is a no-op, pg_ctl promote says it is not a
        standby)."""
        for cluster in self.clusters.values():
            if isinstance(cluster, LeaderFollowerCluster) and node_name in cluster.by_name:
                node = cluster.by_name[node_name]
                return (cluster.leader is node and node.role == "leader" and not node.fenced and node.writing
                        and self.network.up(node.loc))  # a leader that is down is not promoted: it is refused
        return False

    def promote(self, node_name: str) -> None:
        """An operator's promotion (patronictl failover/switchover, REPLICAOF NO ONE, pg_ctl promote):
        a reachable old primary is demoted and follows; replicas that can reach the new leader are
        repointed to it. The leader itself: nothing happens."""
        if self.already_leads(node_name):
            return
        for cluster in self.clusters.values():
            if isinstance(cluster, LeaderFollowerCluster) and node_name in cluster.by_name:
                node = cluster.by_name[node_name]
                if not self.network.up(node.loc):
                    raise ValueError(f"cannot promote {node_name}: it is down")
                now = self.now
                cluster.settle(now)
                old = cluster.leader if cluster.leader is not node else None
                cluster.promoting.discard(node_name)
                cluster.clock.note_decided(now)
                cluster.promote(node, now, "promoted by an operator")
                if old is not None and self.network.up(old.loc):
                    if self.network.connected(old.loc, node.loc):
                        # A switchover demotes the old primary and makes it follow the new one.
                        cluster.demote(old, now, f"switched over to {node.name}")
                        cluster.repoint(old, node, now)
                    else:
                        old.fenced = True  # cut off: fenced (STONITH) so it cannot split the brain
                        cluster.log(f"{old.name} fenced: cut off from {node.name}")
                for other in cluster.nodes:
                    if other is not node and other.role != "leader" and self.network.up(other.loc):
                        cluster.repoint(other, node, now)
                controller = cluster.controller
                if isinstance(controller, Patroni):
                    controller.holder, controller.expiry = node.name, now + controller.ttl
                cluster.changed(now)
                return
        raise ValueError(f"no leader-based cluster has a node named {node_name!r}")

    # -- reading the state -----------------------------------------------------------------
    def _health(self, node_loc: tuple[str, str, str], cluster: ClusterBase) -> str:
        # A node's health changes only with the faults: cached per fault-set version.
        version = self.network.version
        if self._health_version != version:
            self._health_version = version
            self._health_memo = {}
        key = (cluster.name, node_loc)
        found = self._health_memo.get(key)
        if found is None:
            found = self._health_memo[key] = node_health(self.network, node_loc, cluster.nodes)
        return found

    def cluster_view(self, cluster: ClusterBase) -> ClusterView:
        now = self.now
        nodes = []
        leader = cluster.leader
        multi = cluster.mode == "multi-leader"
        for node in cluster.nodes:
            role = node.role
            if role == "precandidate":
                role = "candidate"
            elif role == "leader" and not multi and node is not leader:
                role = "fenced" if node.fenced else "old-leader"
            nodes.append(NodeView(
                name=node.name, cluster=cluster.name, region=node.region, zone=node.zone, role=role,
                health=self._health(node.loc, cluster),
                lag_seconds=round(cluster.lag_seconds(node, now), 6),
                lag_ops=cluster.lag_ops(node, now),
                term=node.term, position=round(node.received(now)),
                accepting_writes=node.role == "leader" and not node.fenced and self.network.up(node.loc)))
        total, _, writes, _ = cluster.view_books(now)
        books = ClusterBooks(total.writes_attempted + total.reads_attempted, total.writes_acked + total.reads_ok,
                             writes.total, writes.seconds)
        return ClusterView(
            name=cluster.name, engine=cluster.spec.engine, replication=cluster.mode,
            leader=leader.name if leader is not None else None, term=cluster.term, nodes=tuple(nodes),
            writable=self.writable(cluster), election=cluster.describe(now),
            availability=total.availability(), books=books,
            outage_since=None if cluster.clock.current is None else cluster.clock.current.cause_at)

    def writable(self, cluster: ClusterBase) -> bool:
        return cluster.writable()

    def region_status(self, name: str) -> str:
        """down; degraded (a zone down); isolated (it reaches no majority of the live regions, itself
        included); or up."""
        network = self.network
        if name in network.down_regions:
            return "down"
        if any(z[0] == name for z in network.down_zones):
            return "degraded"
        if network.partitions or network.dropped:
            live = [r.name for r in self.topology.regions if r.name not in network.down_regions]
            here = (name, "", "")
            reach = sum(1 for r in live if r == name or network.connected(here, (r, "", "")))
            if len(live) > 1 and reach * 2 <= len(live):
                return "isolated"
        return "up"

    def tenant_status(self, tenant_clusters: list[str]) -> str:
        """The worst state among these clusters: down (not writable), degraded (a node lost) or ok."""
        return worst([self.impact.cluster_state(self.clusters[name]) for name in tenant_clusters])

    def tenant_clusters(self, tenant_name: str) -> list[str]:
        """The clusters a tenant needs: its own and those of its services, transitively."""
        return list(self.impact.tenant_clusters[tenant_name])

    def snapshot(self, backend: str = "sim", serve_elapsed: bool = True) -> Snapshot:
        """The state now. Reading never changes the books (`serve_elapsed` is kept for callers)."""
        clusters = self.impact.cluster_states()
        services = self.impact.service_states(clusters)
        lost = self.lost_writes()
        return Snapshot(
            topology=self.topology.name,
            kind=str(self.topology.kind),
            backend=backend,
            time=round(self.now, 6),
            regions=tuple(RegionView(r.name, self.region_status(r.name)) for r in self.topology.regions),
            clusters=tuple(self.cluster_view(c) for c in self.clusters.values()),
            tenants=tuple(TenantView(t.name, t.model, self.impact.tenant_state(t.name, services, clusters))
                          for t in self.topology.tenants),
            services=tuple(ServiceView(s.name, services[s.name][0], tuple(s.depends_on), services[s.name][1])
                           for s in self.topology.services),
            runbooks=tuple(self.topology.runbook_names()),
            faults=tuple(FaultView(f.fault, f.at, f.healed_at) for f in self.faults),
            metrics=self.metrics(lost, services),
            events=self.event_views(),
            observed_blast_radius=self.observed_blast_radius(lost),
            anomalies=self.probe_checks.anomalies() if self.probe_checks is not None else (),
        )

    def event_views(self) -> tuple[EventView, ...]:
        """The last events, as a snapshot shows them: made again only when one was logged (a runbook
        polls a snapshot every second, and most seconds log nothing)."""
        logged, views = self._event_views
        if logged != self.events_logged:
            views = tuple(EventView(*event) for event in self.events[-EVENTS_IN_SNAPSHOT:])
            self._event_views = (self.events_logged, views)
        return views

    def metrics(self, lost: LostWrites | None = None,
                services: dict[str, tuple[str, str]] | None = None) -> dict[str, object]:
        """The report's figures now (`lost`, `services`: already read for the same instant)."""
        from regionctl.sim.books import summarize

        out = summarize(self, self.lost_writes() if lost is None else lost)
        out["services"] = self.impact.service_metrics(services)
        return out


def node_health(network: Network, loc: tuple[str, str, str], peers: list[SimNode]) -> str:
    """down; isolated (a peer that is up cannot be reached: a partition, not a crash); or up."""
    if not network.up(loc):
        return "down"
    for peer in peers:
        if peer.loc != loc and network.up(peer.loc) and not network.connected(loc, peer.loc):
            return "isolated"
    return "up"


def controller_for(cluster: LeaderFollowerCluster, rng: random.Random) -> Manager:
    family = preset(cluster.spec).family
    if family == "raft":
        extras = preset(cluster.spec).extras
        return Raft(cluster, rng, extras.get("election_jitter", 1.0), bool(extras.get("liveness_step_down")))
    if family == "lock-ttl":
        return Patroni(cluster, rng)
    if family == "sentinel":
        return Sentinel(cluster, rng)
    if family == "poll":
        return Poller(cluster, rng)
    if family == "cluster-bus":
        return ClusterBus(cluster, rng)
    if family == "managed":
        return ManagedControlPlane(cluster, rng)
    return OperatorOnly(cluster, rng)
