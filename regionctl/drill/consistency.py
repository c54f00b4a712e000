"""The report's consistency section: what the probe sessions saw, judged against each cluster's promise."""

from __future__ import annotations

from typing import Any

from regionctl.sim.simulator import Simulation

ANOMALIES_SHOWN = 5  # per cluster; the count says how many were found


def consistency_section(sim: Simulation) -> dict[str, Any] | None:
    """Per cluster: the model promised, the verdict, every model's count, and the first anomalies
    (of the promised model, or of any model when nothing is promised). None when probes are off."""
    checks = sim.probe_checks
    if checks is None:
        return None
    out: dict[str, Any] = {}
    for name in sim.clusters:
        checked = checks.checked(name, sim.now, final=True)
        promised = checks.promised.get(name)
        shown = [checked.results[promised]] if promised in checked.results else list(checked.results.values())
        anomalies = [a for result in shown for a in result.to_json()["anomalies"]][:ANOMALIES_SHOWN]
        out[name] = {
            "promised": promised,
            "verdict": checked.figures["verdict"],
            "operations": checked.figures["operations"],
            "models": {model: {"verdict": r.verdict, "anomalies": r.anomalies_found, "unknown": list(r.unknown)}
                       for model, r in checked.results.items()},
            "anomalies": anomalies,
        }
    if checks.recorder.dropped:
        out["note"] = checks.recorder.note()
    return out


def violated(section: dict[str, Any] | None) -> list[str]:
    """Clusters whose promised model the history violates."""
    if not section:
        return []
    return [name for name, c in section.items() if isinstance(c, dict) and c["promised"] and c["verdict"] == "violated"]
