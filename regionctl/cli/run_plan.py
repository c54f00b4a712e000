"""`regionctl run --dry-run --json`: the checked plan as one JSON document (shape in docs/report.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from regionctl.model.topology import Topology
    from regionctl.runbook.plan import Plan, PlannedStep


def plan_json(topology: Topology, plan: Plan, backend: str, source: str,
              blast: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What the text plan shows, as data: steps in the order they run, rollback, guards, objectives and
    the predicted blast radius of each fault. Secrets are redacted as in the journal."""
    from regionctl.report.run_view import _where
    from regionctl.runbook.journal import redact

    def step(planned: PlannedStep) -> dict[str, Any]:
        return {"id": planned.id, "kind": planned.step.kind, "does": str(redact(planned.describe(), plan.secrets)),
                "needs": list(planned.step.needs), "where": _where(topology, planned, backend) or None}

    runbook = plan.runbook
    return {
        "dry_run": True,
        "runbook": runbook.name,
        "title": runbook.title or runbook.name,
        "source": source,
        "topology": topology.name,
        "backend": backend,
        "params": {k: ("***" if v in plan.secrets else v) for k, v in plan.params.items()},
        "prechecks": [text for text, _ in plan.prechecks],
        "steps": [step(p) for p in plan.steps],
        "rollback": [step(p) for p in plan.rollback],
        "guards": [{"name": g.name, "condition": g.condition, "action": g.action} for g, _ in plan.guards],
        "objectives": dict(plan.slo),
        "predicted_blast_radius": blast,
    }
