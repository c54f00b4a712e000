"""What a check answers: a verdict, the anomalies with the operations that show them, the cost.

`CheckResult.to_json()` is the machine form (the `consistency` section of reports, `check
--json`); times are simulated (or wall) seconds of the history, and each anomaly says where it
falls against the run's faults ("3.2 s after region:us-east"). Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from regionctl.consistency.history import Fault, Operation

Verdict = Literal["ok", "violated", "unknown"]


def object_name(cluster: str, key: str) -> str:
    return f"{cluster}/{key}" if cluster else key


def relative_to_faults(at: float, faults: Sequence[Fault]) -> dict[str, Any] | None:
    """Where `at` falls against the faults: after the latest one that struck by then, else before the first."""
    if not faults:
        return None
    struck = [f for f in faults if f.at <= at]
    if struck:
        fault = max(struck, key=lambda f: (f.at, f.spec))
        healed = fault.healed is not None and fault.healed <= at
        return {"fault": fault.spec, "seconds": round(at - fault.at, 6), "healed": healed}
    fault = min(faults, key=lambda f: (f.at, f.spec))
    return {"fault": fault.spec, "seconds": round(at - fault.at, 6), "healed": False}


def describe_relative(rel: dict[str, Any] | None) -> str:
    if rel is None:
        return ""
    seconds = rel["seconds"]
    side = "after" if seconds >= 0 else "before"
    healed = ", healed by then" if rel["healed"] else ""
    return f"{abs(seconds):.3f}s {side} {rel['fault']}{healed}"


@dataclass(frozen=True)
class Anomaly:
    """One violation: its kind, the register (and session) it is on, and the fewest operations showing it."""

    kind: str
    cluster: str
    key: str | None
    session: str | None
    operations: tuple[Operation, ...]
    explanation: str

    @property
    def at(self) -> float:
        """When it became visible: the latest completion among its operations (the invocation if unknown)."""
        return max(op.start if op.end is None else op.end for op in self.operations)

    @property
    def since(self) -> float:
        return min(op.start for op in self.operations)

    def where(self) -> str:
        return "" if self.key is None else object_name(self.cluster, self.key)

    def to_json(self, faults: Sequence[Fault] = ()) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "cluster": self.cluster,
            "key": self.key,
            "session": self.session,
            "at": self.at,
            "since": self.since,
            "relative": relative_to_faults(self.at, faults),
            "explanation": self.explanation,
            "operations": [{"index": op.index, **op.to_record(),
                            "relative": relative_to_faults(op.start, faults)} for op in self.operations],
        }


@dataclass(frozen=True)
class CheckResult:
    model: str
    verdict: Verdict
    anomalies: tuple[Anomaly, ...]
    ops_checked: int
    objects: int  # registers (cluster, key) checked
    sessions: int
    budget: int | None  # search steps allowed per register (None: the model needs no search)
    budget_used: int  # the most steps one register's search took
    steps: int  # search steps in all, minimising witnesses included
    unknown: tuple[str, ...] = ()  # registers whose search ran out of budget
    faults: tuple[Fault, ...] = ()
    anomalies_found: int = 0  # may exceed len(anomalies) when capped
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"

    def summary(self) -> str:
        if self.verdict == "ok":
            keys = "key" if self.objects == 1 else "keys"
            return f"{self.model}: ok ({self.ops_checked:,} operations on {self.objects} {keys})"
        if self.verdict == "unknown":
            return (f"{self.model}: unknown — the search budget ({self.budget:,} steps per key) ran out on "
                    f"{', '.join(self.unknown)}; no violation found elsewhere")
        return f"{self.model}: violated — {self.anomalies_found:,} anomal{'y' if self.anomalies_found == 1 else 'ies'}"

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "verdict": self.verdict,
            "ops_checked": self.ops_checked,
            "objects": self.objects,
            "sessions": self.sessions,
            "budget": self.budget,
            "budget_used": self.budget_used,
            "steps": self.steps,
            "unknown": list(self.unknown),
            "anomalies_found": self.anomalies_found,
            "anomalies": [a.to_json(self.faults) for a in self.anomalies],
            "faults": [f.to_json() for f in self.faults],
            "notes": list(self.notes),
        }


def verdict_of(anomalies: int, unknown: int) -> Verdict:
    """A proven violation wins; otherwise an exhausted search leaves the answer unknown."""
    if anomalies:
        return "violated"
    return "unknown" if unknown else "ok"
