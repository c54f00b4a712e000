"""`run --compare`: the simulator's figures beside the real hosts' for the same runbook."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from regionctl.report.console import report_console
from regionctl.units import format_duration

FIGURES = (("rto_seconds", "RTO", "seconds"), ("rpo_seconds", "RPO", "seconds"),
           ("writes_lost", "writes lost", "count"), ("max_lag_seconds", "max lag", "seconds"),
           ("availability", "availability", "ratio"))


def comparison(sim: dict[str, Any], real: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of {figure, sim, ssh}: the run's figures, then each step's duration."""
    rows: list[dict[str, Any]] = [{"figure": "result", "sim": sim["result"], "ssh": real["result"]}]
    for key, label, _ in FIGURES:
        rows.append({"figure": label, "key": key, "sim": sim["metrics"].get(key), "ssh": real["metrics"].get(key)})
        if key == "rto_seconds":
            rows += _breakdown(sim["metrics"], real["metrics"])
    real_steps = {s["id"]: s for s in real["steps"]}
    for step in sim["steps"]:
        other = real_steps.get(step["id"], {})
        rows.append({"figure": f"step {step['id']}", "key": "step_seconds", "sim": _took(step), "ssh": _took(other)})
    return rows


def _breakdown(sim: dict[str, Any], real: dict[str, Any]) -> list[dict[str, Any]]:
    """The RTO of the slowest cluster, in its parts (the simulator's books; real hosts show the steps instead)."""
    clusters = sim.get("clusters") or {}
    slowest = max(clusters, key=lambda name: clusters[name].get("rto_seconds") or -1.0, default=None)
    if slowest is None or clusters[slowest].get("rto_seconds") is None:
        return []
    parts = clusters[slowest].get("rto_breakdown") or {}
    theirs = ((real.get("clusters") or {}).get(slowest) or {}).get("rto_breakdown") or {}
    return [{"figure": f"  {part} ({slowest})", "key": "rto_seconds", "sim": parts.get(part), "ssh": theirs.get(part)}
            for part in ("detection", "promotion", "reroute")]


def _took(step: dict[str, Any]) -> float | None:
    if step.get("started") is None or step.get("ended") is None:
        return None
    return round(float(step["ended"]) - float(step["started"]), 6)


def _show(key: str | None, value: Any) -> str:
    if value is None:
        return "n/a"
    if key == "availability":
        return f"{value * 100:.3f}%"
    if key in ("rto_seconds", "rpo_seconds", "max_lag_seconds", "step_seconds"):
        return format_duration(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def print_comparison(runbook: str, rows: list[dict[str, Any]], sim: dict[str, Any], real: dict[str, Any]) -> None:
    table = Table(title=f"{runbook}: simulator vs real hosts", title_justify="left")
    table.add_column("")
    table.add_column("simulator", justify="right")
    table.add_column("real hosts", justify="right")
    for row in rows:
        table.add_row(row["figure"], _show(row.get("key"), row["sim"]), _show(row.get("key"), row["ssh"]))
    out = report_console()
    out.print(table)
    for name, report in (("simulator", sim), ("real hosts", real)):
        if report.get("reason"):
            out.print(f"{name}: {report['reason']}")
    if "precheck" in str(sim.get("reason", "")) and "precheck" not in str(real.get("reason", "")):
        out.print("The simulator starts from the topology file's state; this runbook expects the state an "
                      "earlier runbook leaves (the exit code is the real hosts' result).", style="dim")
    if real.get("metrics", {}).get("writes_lost") is None:
        out.print("n/a: the backend does not measure it (real hosts carry no client traffic: RPO and writes lost "
                  "need the topology's ssh.probe_writes)", style="dim")
    else:
        out.print("real hosts: writes and RPO from the probe writes, read back from the leader after the run",
                  style="dim")
