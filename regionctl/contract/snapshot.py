"""The immutable Snapshot every frontend reads (TUI, headless CLI, exporter, labs).

Plain frozen dataclasses: cheap to build, safe to share across tasks, trivially
turned into the `status --json` shape (contract.report.StatusReport; `regionctl schema report`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from regionctl.contract.faults import Fault


@dataclass(frozen=True, slots=True)
class NodeView:
    """A node as the backend sees it now: role, health, lag, position."""

    name: str
    cluster: str
    region: str
    zone: str
    role: str  # leader | follower | replica | candidate
    health: str  # up | down | isolated
    lag_seconds: float = 0.0
    lag_ops: int = 0
    term: int = 0
    position: int = 0
    accepting_writes: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "region": self.region, "zone": self.zone, "role": self.role,
                "health": self.health, "lag_seconds": round(self.lag_seconds, 6), "lag_ops": self.lag_ops}


@dataclass(frozen=True, slots=True)
class ClusterBooks:
    """A cluster's running totals since the run began: the dashboard's history differences two snapshots'
    to chart each interval (the availability and write latency of those seconds, not of the whole run)."""

    requests: int = 0  # reads and writes attempted
    requests_ok: int = 0  # reads answered and writes acknowledged
    writes_timed: int = 0  # acknowledged writes whose latency is summed below
    write_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class ClusterView:
    """A cluster now: its leader, nodes, whether it takes writes, its books."""

    name: str
    engine: str
    replication: str
    leader: str | None
    term: int
    nodes: tuple[NodeView, ...]
    writable: bool = True
    election: str = ""  # what the failover machinery is doing right now, if anything
    availability: float = 1.0
    books: ClusterBooks | None = None  # None: the backend counts no client requests (real hosts)
    # When the cause of the outage going on now happened (its RTO runs from there); None: no outage
    # now, or the backend keeps no outage clock (real hosts).
    outage_since: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "engine": self.engine, "replication": self.replication,
                "leader": self.leader, "term": self.term, "writable": self.writable,
                "election": self.election, "availability": round(self.availability, 6),
                "nodes": [n.to_json() for n in self.nodes]}


@dataclass(frozen=True, slots=True)
class RegionView:
    """A region and its state now."""

    name: str
    status: str  # up | down | degraded | isolated

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status}


@dataclass(frozen=True, slots=True)
class TenantView:
    """A tenant and its state now."""

    name: str
    model: str
    status: str  # ok | degraded | down

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "model": self.model, "status": self.status}


@dataclass(frozen=True, slots=True)
class ServiceView:
    """A service and its state now."""

    name: str
    status: str  # ok | degraded | down
    depends_on: tuple[str, ...] = ()
    reason: str = ""  # why it is not ok: the dependency or region that degrades it

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "depends_on": list(self.depends_on),
                "reason": self.reason}


@dataclass(frozen=True, slots=True)
class FaultView:
    """A fault injected so far: when, and when it was healed."""

    fault: Fault
    at: float
    healed_at: float | None = None

    @property
    def spec(self) -> str:
        return self.fault.spec

    def to_json(self) -> dict[str, Any]:
        return {"spec": self.spec, "at": self.at, "healed_at": self.healed_at}


@dataclass(frozen=True, slots=True)
class EventView:
    """One event of the backend's log."""

    at: float
    source: str  # the cluster it concerns, or "" for the estate (faults, traffic)
    message: str


@dataclass(frozen=True, slots=True)
class OperationView:
    """One probe operation an anomaly cites (regionctl.consistency.Operation, as plain figures)."""

    index: int
    session: str
    op: str  # write | read
    key: str
    value: int | None
    start: float
    end: float | None  # None: its completion is unknown (a timeout)
    outcome: str  # ok | fail | unknown
    node: str | None


@dataclass(frozen=True, slots=True)
class AnomalyView:
    """A consistency anomaly the live checks found (a cluster's promised model broken), with its operations."""

    model: str
    kind: str
    cluster: str
    key: str | None
    session: str | None
    at: float  # when it became visible: the latest completion among its operations
    explanation: str
    operations: tuple[OperationView, ...]

    @property
    def ident(self) -> tuple[object, ...]:
        """The same anomaly found again by a later check has the same identity (operation indexes are stable)."""
        return (self.cluster, self.model, self.kind, self.key, self.session, tuple(o.index for o in self.operations))


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The whole estate at one instant: what every frontend reads (immutable)."""

    topology: str
    kind: str
    backend: str
    time: float
    regions: tuple[RegionView, ...]
    clusters: tuple[ClusterView, ...]
    tenants: tuple[TenantView, ...]
    runbooks: tuple[str, ...]
    faults: tuple[FaultView, ...] = ()
    metrics: dict[str, Any] = field(default_factory=dict)
    events: tuple[EventView, ...] = ()  # the most recent events, oldest first (the dashboard's log)
    services: tuple[ServiceView, ...] = ()
    # What the faults have reached so far in this run (regions, nodes, tenants, traffic_fraction).
    observed_blast_radius: dict[str, Any] = field(default_factory=dict)
    # The anomalies of the clusters' consistency promises found so far (the simulator's probe checks).
    anomalies: tuple[AnomalyView, ...] = ()

    def cluster(self, name: str) -> ClusterView:
        return next(c for c in self.clusters if c.name == name)

    def node(self, name: str) -> NodeView:
        return next(n for c in self.clusters for n in c.nodes if n.name == name)

    def to_status_json(self) -> dict[str, Any]:
        return {
            "topology": self.topology,
            "kind": self.kind,
            "backend": self.backend,
            "time": round(self.time, 6),
            "regions": [r.to_json() for r in self.regions],
            "clusters": [c.to_json() for c in self.clusters],
            "tenants": [t.to_json() for t in self.tenants],
            "services": [s.to_json() for s in self.services],
            "runbooks": list(self.runbooks),
            "faults": [f.to_json() for f in self.faults if f.healed_at is None],
        }
