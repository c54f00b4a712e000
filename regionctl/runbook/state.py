"""Conditions answered from a Snapshot: what `leader(orders)`, `lag(pg-3)` or
`writes_lost` mean on whichever backend produced the snapshot."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from regionctl.contract.snapshot import NodeView, Snapshot
from regionctl.runbook import expr


def _lags(node: NodeView) -> tuple[float, float]:
    """(lag, lag_ops): infinite while the node is down; it is not caught up, whatever it last reported."""
    if node.health == "down":
        return math.inf, math.inf
    return node.lag_seconds, node.lag_ops


def _node_record(node: NodeView) -> expr.Record:
    lag, lag_ops = _lags(node)
    return expr.Record({"name": node.name, "region": node.region, "zone": node.zone, "role": node.role,
                        "health": node.health, "term": node.term, "lag": lag, "lag_ops": lag_ops,
                        "cluster": node.cluster})


class SnapshotState:
    """Resolves a condition's functions and figures against one snapshot."""

    def __init__(self, snapshot: Snapshot, started_at: float = 0.0) -> None:
        self.snapshot = snapshot
        self.started_at = started_at

    def call(self, func: str, arg: str) -> Any:
        snap = self.snapshot
        try:
            if func in ("node", "lag", "lag_ops", "role", "health"):
                node = snap.node(arg)
                lag, lag_ops = _lags(node)
                return {"node": _node_record(node), "lag": lag, "lag_ops": lag_ops,
                        "role": node.role, "health": node.health}[func]
            if func in ("region",):
                region = next(r for r in snap.regions if r.name == arg)
                return expr.Record({"name": region.name, "status": region.status})
            if func == "tenant":
                tenant = next(t for t in snap.tenants if t.name == arg)
                return expr.Record({"name": tenant.name, "status": tenant.status, "model": tenant.model})
            if func == "service":
                services = getattr(snap, "services", ())
                service = next(s for s in services if s.name == arg)
                return expr.Record({"name": service.name, "status": service.status})
            cluster = snap.cluster(arg)
        except StopIteration:
            raise expr.EvalError(f"{func}({arg}): {arg} is not in the {snap.backend} backend's state") from None
        if func == "leader":
            if cluster.leader is None:
                return None
            return _node_record(snap.node(cluster.leader))
        if func == "term":
            return cluster.term
        if func == "writable":
            return cluster.writable
        if func == "availability":
            return cluster.availability
        if func == "election":
            return cluster.election
        if func == "consistency":
            figures = snap.metrics.get("clusters", {}).get(arg, {}).get("consistency")
            if figures is None:
                raise expr.EvalError(f"consistency({arg}): no probe sessions record {arg}'s operations; give the "
                                     "cluster a `consistency:` promise in the topology")
            return expr.Record({"name": arg, **figures})
        if func == "metrics":
            figures = snap.metrics.get("clusters", {}).get(arg)
            if figures is None:
                raise expr.EvalError(f"the {snap.backend} backend reports no figures for {arg}")
            return expr.Record({"name": arg, **figures})
        raise expr.EvalError(f"unknown function {func}()")  # the plan check makes this unreachable

    def figure(self, name: str) -> Any:
        if name == "time":
            return self.snapshot.time
        if name == "elapsed":
            return self.snapshot.time - self.started_at
        if name == "faults":
            return sum(1 for f in self.snapshot.faults if f.healed_at is None)
        if name not in self.snapshot.metrics:
            raise expr.EvalError(f"the {self.snapshot.backend} backend does not report {name}")
        return self.snapshot.metrics[name]

    def holds(self, node: expr.Node) -> bool:
        return expr.truthy(expr.evaluate(node, self.call, self.figure))

    def explain(self, node: expr.Node) -> str:
        return expr.explain(node, self.call, self.figure)


@dataclass(frozen=True)
class Unmet:
    """The first precheck that does not hold: its text and what it saw (or why it could not be evaluated)."""

    condition: str
    saw: str
    error: bool = False  # the condition could not be evaluated against this state


def unmet_precheck(prechecks: Iterable[tuple[str, expr.Node]], state: SnapshotState) -> Unmet | None:
    """The rule a run starts by (the executor's precheck), on any state: None when every precheck holds.
    Pure and cheap, so the dashboard asks it for every runbook each time its picker opens."""
    for text, node in prechecks:
        try:
            ok = state.holds(node)
        except expr.EvalError as exc:
            return Unmet(text, str(exc), error=True)
        if not ok:
            return Unmet(text, state.explain(node))
    return None
