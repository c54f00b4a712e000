"""The report of a runbook run (contract.report.RunReport, shared with `lab --check`; docs/report.md)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from typing import Any

from regionctl.contract.report import BlastRadius, FaultRecord, LeaderRecord, RunReport, judge_slo, records
from regionctl.contract.snapshot import Snapshot
from regionctl.runbook.journal import redact
from regionctl.runbook.outcome import StepState
from regionctl.runbook.plan import Plan


def _nothing_reached() -> BlastRadius:
    return {"regions": [], "nodes": [], "tenants": [], "traffic_fraction": 0.0}


def _scrub(value: Any, secrets: Collection[str]) -> Any:
    """`value` with every secret replaced by ***, in every string of it (frozen records rebuilt)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: _scrub(getattr(value, f.name), secrets)
                                             for f in dataclasses.fields(value) if f.init})
    if isinstance(value, tuple):
        return tuple(_scrub(v, secrets) for v in value)
    if isinstance(value, dict | list | str):
        return redact(value, secrets)
    return value


PROBE_FIGURES = ("writes_attempted", "writes_acked", "writes_failed", "writes_unknown", "writes_lost", "rpo_seconds",
                 "probe_writes")


def build_report(plan: Plan, *, topology: str, backend: str, seed: int | None, started_at: float,
                 steps: Sequence[StepState], rollback_steps: Sequence[StepState], left_degraded: Sequence[str],
                 measured: Snapshot, final: Snapshot, leaders_before: dict[str, str | None],
                 wall_seconds: float) -> RunReport:
    """What the run did and measured; `started_at` is the backend time the run began at. The result,
    exit code, reason and guards are the executor's to fill in (dataclasses.replace) once it has judged."""
    metrics = dict(measured.metrics)
    if "probe_writes" in final.metrics:
        # Real hosts' probe writes are counted over the whole run and read back at its very end: the final
        # snapshot's figures, not those of the moment the steps ended.
        metrics.update({key: final.metrics[key] for key in PROBE_FIGURES if key in final.metrics})
    blast = final.observed_blast_radius or None
    report = RunReport(
        result="",
        exit_code=0,
        topology=topology,
        backend=backend,
        seed=seed,
        runbook=plan.name,
        params=plan.params,
        sim_seconds=round(final.time - started_at, 6),
        wall_seconds=round(wall_seconds, 3),
        faults=tuple(FaultRecord(f.spec, f.at, f.healed_at) for f in final.faults),
        steps=records(steps),
        rollback=records([s for s in rollback_steps if s.status != "pending"]),
        metrics=metrics,  # type: ignore[arg-type]  # the backend's figures have the Metrics keys
        leaders={c.name: LeaderRecord(leaders_before.get(c.name), c.leader, c.term) for c in final.clusters},
        blast_radius=blast if blast is not None else _nothing_reached(),  # type: ignore[arg-type]
        slo=judge_slo(plan.slo, metrics),
        left_degraded=tuple(left_degraded),
        faults_left=tuple(f.spec for f in final.faults if f.healed_at is None),
        reason="",
        guards_tripped=(),
    )
    scrubbed: RunReport = _scrub(report, plan.secrets) if plan.secrets else report
    return scrubbed
