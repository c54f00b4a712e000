"""The reports, typed: drill, run (and lab --check), blast, status; one SLO judge; JSON from the types.

Each report is a frozen dataclass whose fields are its JSON keys, in order: `to_json()` is the
`--json` output, and `regionctl schema report` is generated from these types (contract/schema.py).
Metrics and the blast radius are produced by the simulator (or the SSH observer) as JSON objects;
their headline keys are typed below, the per-cluster detail is left open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar, NotRequired

from typing_extensions import TypedDict  # pydantic reads these for the schema, and needs this one on 3.11

from regionctl.contract.slo import SLO_FIGURES, SloCheck, judge_slo  # re-exported: one judge


# -- parts -----------------------------------------------------------------------------------------
class Metrics(TypedDict, total=False):
    """The run's figures (whole estate); `clusters` and `services` hold the same per cluster/service."""

    availability: float
    writes_attempted: int
    writes_acked: int
    writes_failed: int
    writes_unknown: int
    writes_lost: int
    rpo_seconds: float | None
    rto_seconds: float | None
    max_lag_seconds: float
    reads_attempted: int
    stale_reads: int
    split_brain_seconds: float
    conflicts: int
    lost_updates: int
    write_latency_p50: float | None
    write_latency_p99: float | None
    read_latency_p50: float | None
    read_latency_p99: float | None
    clusters: dict[str, dict[str, Any]]
    services: dict[str, dict[str, Any]]
    probe_writes: dict[str, dict[str, Any]]  # real hosts with probe writes: each cluster's figures


class BlastRadius(TypedDict, total=False):
    """What the faults reached (observed in a run, or predicted by `blast`)."""

    regions: list[str]
    zones: list[str]
    nodes: list[str]
    clusters: list[str]
    services: list[str]
    tenants: list[str]
    traffic_fraction: float
    data_at_risk: dict[str, dict[str, Any]]
    expected_rto_seconds: float | None
    detail: dict[str, Any]
    lag: dict[str, dict[str, float]]


@dataclass(frozen=True, slots=True)
class FaultRecord:
    """A fault of the run: its spec, when it began and when it was healed."""

    spec: str
    at: float
    healed_at: float | None

    def to_json(self) -> dict[str, Any]:
        return {"spec": self.spec, "at": self.at, "healed_at": self.healed_at}


@dataclass(frozen=True, slots=True)
class LeaderRecord:
    """A cluster's leader before and after the run, and its term at the end."""

    before: str | None
    after: str | None
    term: int

    def to_json(self) -> dict[str, Any]:
        return {"before": self.before, "after": self.after, "term": self.term}


@dataclass(frozen=True, slots=True)
class StepRecord:
    """A runbook step as it ended: status, times and what it said."""

    id: str
    kind: str
    status: str
    started: float | None
    ended: float | None
    detail: str
    measured: dict[str, Any] | None = None  # absent from the JSON when None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "status": self.status, "started": self.started,
                               "ended": self.ended, "detail": self.detail}
        if self.measured is not None:
            out["measured"] = self.measured
        return out


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One line of the simulator's event log."""

    t: float
    cluster: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"t": self.t, "cluster": self.cluster, "message": self.message}


@dataclass(frozen=True, slots=True)
class Expectation:
    """A lab step's expectation and whether it held."""

    step: str
    expect: str | None
    held: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "expect": self.expect, "held": self.held, "detail": self.detail}


def _json(value: Any) -> Any:
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if isinstance(value, dict) and value and all(hasattr(v, "to_json") for v in value.values()):
        return {k: v.to_json() for k, v in value.items()}
    return value


class _Report:
    """JSON from the fields, in order; fields declared OMIT_WHEN_NONE leave their key out when None."""

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None and f.name in self.OMIT_WHEN_NONE:
                continue
            out[f.name] = _json(value)
        return out


# -- the reports -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DrillReport(_Report):
    """The report of `regionctl drill` (docs/report.md)."""

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"consistency"})

    result: str  # pass | fail
    exit_code: int
    topology: str
    backend: str
    seed: int
    sim_seconds: float
    wall_seconds: float
    faults: tuple[FaultRecord, ...]
    steps: tuple[StepRecord, ...]
    metrics: Metrics
    leaders: dict[str, LeaderRecord]
    blast_radius: BlastRadius
    slo: tuple[SloCheck, ...]
    events: tuple[EventRecord, ...]
    sim_events: int
    # Probe sessions' histories checked per cluster (drill --history, or a cluster's consistency promise).
    consistency: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class RunReport(_Report):
    """`run` (and, with the lab fields, `lab --check`)."""

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"journal", "lab", "title", "control", "expectations"})

    result: str  # pass | fail | aborted | error | interrupted | rollback-failed
    exit_code: int
    topology: str
    backend: str
    seed: int | None
    runbook: str
    params: dict[str, Any]
    sim_seconds: float
    wall_seconds: float
    faults: tuple[FaultRecord, ...]
    steps: tuple[StepRecord, ...]
    rollback: tuple[StepRecord, ...]
    metrics: Metrics
    leaders: dict[str, LeaderRecord]
    blast_radius: BlastRadius
    slo: tuple[SloCheck, ...]
    left_degraded: tuple[str, ...]
    faults_left: tuple[str, ...]
    reason: str
    guards_tripped: tuple[str, ...]
    journal: str | None = None
    lab: str | None = None
    title: str | None = None
    control: bool | None = None
    expectations: tuple[Expectation, ...] | None = None


class SloTargets(TypedDict):
    rto: float | None
    rpo: float | None


@dataclass(frozen=True, slots=True)
class BlastReport(_Report):
    """The report of `regionctl blast`: what faults are predicted to reach (docs/report.md)."""

    topology: str
    faults: tuple[str, ...]
    at: float
    seed: int
    horizon_seconds: float
    slo: SloTargets
    blast_radius: BlastRadius


# -- status: the Snapshot's JSON (contract.snapshot builds it) -------------------------------------
class StatusNode(TypedDict):
    name: str
    region: str
    zone: str
    role: str
    health: str
    lag_seconds: float
    lag_ops: int


class StatusCluster(TypedDict):
    name: str
    engine: str
    replication: str
    leader: str | None
    term: int
    writable: bool
    election: str
    availability: float
    nodes: list[StatusNode]


class StatusRegion(TypedDict):
    name: str
    status: str


class StatusTenant(TypedDict):
    name: str
    model: str
    status: str


class StatusService(TypedDict):
    name: str
    status: str
    depends_on: list[str]
    reason: str


class StatusFault(TypedDict):
    spec: str
    at: float
    healed_at: float | None


class StatusReport(TypedDict):
    topology: str
    kind: str
    backend: str
    time: float
    regions: list[StatusRegion]
    clusters: list[StatusCluster]
    tenants: list[StatusTenant]
    services: list[StatusService]
    runbooks: list[str]
    faults: list[StatusFault]


def records(steps: Sequence[Any]) -> tuple[StepRecord, ...]:
    """StepRecords of anything with the StepRecord fields (the executor's step states)."""
    return tuple(StepRecord(s.id, s.kind, s.status, None if s.started is None else round(s.started, 6),
                            None if s.ended is None else round(s.ended, 6), s.detail, s.measured) for s in steps)


__all__ = ["SLO_FIGURES", "BlastRadius", "BlastReport", "DrillReport", "EventRecord", "Expectation", "FaultRecord",
           "LeaderRecord", "Metrics", "RunReport", "SloCheck", "StatusReport", "StepRecord", "judge_slo", "records"]


# -- explore: a search of fault schedules (regionctl/explore/findings.py builds it) ------------------
class ExploreFault(TypedDict):
    fault: str
    at: float
    duration: float | None  # None: to the end


class ExploreBest(TypedDict):
    score: float
    faults: list[ExploreFault]


class ExploreFound(TypedDict):
    index: int  # the order the search drew it in
    score: float
    faults: list[ExploreFault]


class ExploreFinding(TypedDict):
    rank: int
    score: float
    unit: str
    violated: bool
    figures: dict[str, float | None]
    seed: int  # the drill's
    faults: list[ExploreFault]  # shrunk
    found: ExploreFound  # as first found
    shrink_drills: int
    command: str
    scenario: NotRequired[str]  # with --out
    session: NotRequired[str]


@dataclass(frozen=True, slots=True)
class ExploreReport(_Report):
    """The report of `regionctl explore`: the worst schedules found (docs/explore.md)."""

    topology: str
    seed: int
    objective: str
    property: str | None
    cluster: str | None
    held: bool | None  # for a property; None when maximising a figure
    sim_seconds: float
    faults: tuple[str, ...]  # the kinds drawn
    max_faults: int
    max_regions_down: int
    budget: int | None  # None: the search ran for --time, with no budget
    tried: int
    exhausted: bool
    stopped: bool
    shrink_drills: int
    best: ExploreBest | None
    findings: tuple[ExploreFinding, ...]
    wall_seconds: float
