"""The simulated estate: clusters, network, faults and clients, on one virtual clock.

`Simulation` is what the sim backend wraps: inject and heal faults, advance time,
take Snapshots, read the books. Pure: no asyncio, no I/O, no wall clock.
"""

from __future__ import annotations

import copy
import random
import types
from dataclasses import dataclass

from regionctl.backends.snapshot import (
    ClusterView,
    EventView,
    FaultView,
    NodeView,
    RegionView,
    ServiceView,
    Snapshot,
    TenantView,
)
from regionctl.faults import Fault, check_targets
from regionctl.model.resolved import preset, replication_mode
from regionctl.model.topology import Topology
from regionctl.sim.cluster_base import ClusterBase
from regionctl.sim.core import EventLoop
from regionctl.sim.failover import FailoverManager
from regionctl.sim.impact import SAMPLE_EVERY, Impact, worst
from regionctl.sim.leader_follower import LeaderFollowerCluster
from regionctl.sim.leaderless import LeaderlessCluster
from regionctl.sim.multi_leader import MultiLeaderCluster
from regionctl.sim.network import Network
from regionctl.sim.raft import RaftController
from regionctl.sim.workload import TrafficSource

MAX_EVENT_LOG = 2000
EVENTS_IN_SNAPSHOT = 100


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
        # The observed blast radius and the services' and tenants' states.
        self.impact = Impact(self)
        self._sampling = False

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
        self.impact.note_fault()
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

    def _catch_up(self) -> None:
        for cluster in self.clusters.values():
            cluster.catch_up(self.now)

    def _changed(self) -> None:
        for cluster in self.clusters.values():
            cluster.on_change(self.now)
        self.impact.note()
        if not self._sampling:
            self._sampling = True
            self.loop.schedule(self.now + SAMPLE_EVERY, self._sample)

    def _sample(self) -> None:
        # While anything is impaired, look every second: a fencing or a lost quorum comes later.
        self.impact.note()
        if self.impact.impaired():
            self.loop.schedule(self.now + SAMPLE_EVERY, self._sample)
        else:
            self._sampling = False

    def observed_blast_radius(self) -> dict[str, object]:
        """Everything the faults reached so far (the drill report's `blast_radius`)."""
        return self.impact.observed()

    def fork(self) -> Simulation:
        """An independent copy at this instant, to run a what-if forward (`blast`). The topology
        and its models are immutable and shared; everything else is copied."""
        shared: list[object] = [self.topology, *self.topology.clusters, *self.topology.traffic,
                                *self.topology.services, *self.topology.tenants, *self.topology.regions]
        shared += [n for c in self.topology.clusters for n in c.nodes]
        memo: dict[int, object] = {id(o): o for o in shared}
        forked = copy.deepcopy(self, memo)
        # deepcopy keeps plain functions as they are: a closure waiting in the queue (an operator's
        # delayed traffic shift) would act on the original. Rebuild it over the fork's objects.
        heap = forked.loop._heap
        for i, (at, seq, callback, args) in enumerate(heap):
            if isinstance(callback, types.FunctionType) and (callback.__closure__ or callback.__defaults__):
                heap[i] = (at, seq, _rebind(callback, memo), args)
        return forked

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
        """The worst state among these clusters: down (not writable), degraded (a node lost) or ok."""
        return worst([self.impact.cluster_state(self.clusters[name]) for name in tenant_clusters])

    def tenant_clusters(self, tenant_name: str) -> list[str]:
        """The clusters a tenant needs: its own and those of its services, transitively."""
        return list(self.impact.tenant_clusters[tenant_name])

    def snapshot(self, backend: str = "sim", serve_elapsed: bool = True) -> Snapshot:
        # Serve the part of the tick that has passed, so the leader's log is current: a replica's
        # lag then shows its streaming delay at any instant, not only just after a tick.
        # That splits the tick's batch, which shifts the books slightly: a run whose report must not
        # depend on when it was watched (a paced drill) passes serve_elapsed=False.
        if serve_elapsed:
            self._catch_up()
        clusters = self.impact.cluster_states()
        services = self.impact.service_states(clusters)
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
            faults=tuple(FaultView(f.fault.spec, f.at, f.healed_at) for f in self.faults),
            metrics=self.metrics(),
            events=tuple(EventView(*event) for event in self.events[-EVENTS_IN_SNAPSHOT:]),
            observed_blast_radius=self.observed_blast_radius(),
        )

    def metrics(self) -> dict[str, object]:
        from regionctl.sim.books import summarize

        out = summarize(self)
        out["services"] = self.impact.service_metrics()
        return out


def _rebind(function: types.FunctionType, memo: dict[int, object]) -> types.FunctionType:
    """The same function over the copies `memo` made of what it closes over and defaults to."""
    cells = None
    if function.__closure__:
        cells = tuple(types.CellType(copy.deepcopy(cell.cell_contents, memo)) for cell in function.__closure__)
    rebound = types.FunctionType(function.__code__, function.__globals__, function.__name__,
                                 copy.deepcopy(function.__defaults__, memo), cells)
    rebound.__kwdefaults__ = copy.deepcopy(function.__kwdefaults__, memo)
    return rebound
