"""The one SLO judge (drill, run, lab, dashboard), apart from the reports: the dashboard judges every
tick without importing the report types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# -- the SLO judge -----------------------------------------------------------------------------------
# objective -> (the metric that measures it, higher is better)
SLO_FIGURES: dict[str, tuple[str, bool]] = {
    "availability": ("availability", True),
    "rpo": ("rpo_seconds", False),
    "rto": ("rto_seconds", False),
    "write_latency_p99": ("write_latency_p99", False),
    "read_latency_p99": ("read_latency_p99", False),
    "writes_lost": ("writes_lost", False),
}
TOLERANCE = 1e-9  # a figure equal to its target meets it, whatever the float rounding


@dataclass(frozen=True, slots=True)
class SloCheck:
    """One objective judged: its target, what was observed, and whether it was met."""

    name: str
    target: float
    observed: float | None
    ok: bool

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "target": self.target, "observed": self.observed, "ok": self.ok}


def judge_slo(targets: Mapping[str, float | None], metrics: Mapping[str, Any]) -> tuple[SloCheck, ...]:
    """The one SLO judge (drill, run, lab, dashboard): each objective with a target, in the order given.
    Lower is better except availability; an unknown figure (no recovery yet) fails."""
    out = []
    for name, target in targets.items():
        if target is None:
            continue
        key, higher_is_better = SLO_FIGURES[name]
        observed = metrics.get(key)
        if observed is None:
            ok = False
        elif higher_is_better:
            ok = observed >= target
        else:
            ok = observed <= target + TOLERANCE
        out.append(SloCheck(name, target, observed, ok))
    return tuple(out)
