"""The report of a runbook run, in DESIGN.md's shape (shared with `drill` and `lab --check`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from regionctl.contract.snapshot import Snapshot
from regionctl.runbook.journal import redact
from regionctl.runbook.outcome import StepState
from regionctl.runbook.plan import Plan


def slo_results(targets: dict[str, float], metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Lower is better except availability; an unknown figure (no recovery yet) fails."""
    observed_key = {"rto": "rto_seconds", "rpo": "rpo_seconds", "availability": "availability",
                    "writes_lost": "writes_lost"}
    out = []
    for name, target in targets.items():
        observed = metrics.get(observed_key[name])
        if observed is None:
            ok = False
        elif name == "availability":
            ok = observed >= target
        else:
            ok = observed <= target + 1e-9
        out.append({"name": name, "target": target, "observed": observed, "ok": ok})
    return out


def build_report(plan: Plan, *, topology: str, backend: str, seed: int | None, started_at: float,
                 steps: Sequence[StepState], rollback_steps: Sequence[StepState], left_degraded: Sequence[str],
                 measured: Snapshot, final: Snapshot, leaders_before: dict[str, str | None],
                 wall_seconds: float) -> dict[str, Any]:
    """What the run did and measured; `started_at` is the backend time the run began at."""
    metrics = dict(measured.metrics)
    blast = final.observed_blast_radius or None
    report: dict[str, Any] = {
        "result": "",  # filled in by the executor once the objectives are known
        "exit_code": 0,
        "topology": topology,
        "backend": backend,
        "seed": seed,
        "runbook": plan.name,
        "params": redact(plan.params, plan.secrets),
        "sim_seconds": round(final.time - started_at, 6),
        "wall_seconds": round(wall_seconds, 3),
        "faults": [f.to_json() for f in final.faults],
        "steps": [s.to_json() for s in steps],
        "rollback": [s.to_json() for s in rollback_steps if s.status != "pending"],
        "metrics": metrics,
        "leaders": {c.name: {"before": leaders_before.get(c.name), "after": c.leader, "term": c.term}
                    for c in final.clusters},
        "blast_radius": blast if blast is not None else {"regions": [], "nodes": [], "tenants": [],
                                                          "traffic_fraction": 0.0},
        "slo": slo_results(plan.slo, metrics),
        "left_degraded": list(left_degraded),
        "faults_left": [f.spec for f in final.faults if f.healed_at is None],
    }
    return redact(report, plan.secrets)  # type: ignore[no-any-return]
