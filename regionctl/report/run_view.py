"""Human output of `regionctl run`: the plan (--dry-run), progress lines, the summary."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from regionctl.contract.report import RunReport
from regionctl.contract.steps import StepStatus
from regionctl.report.console import report_console
from regionctl.report.slo_text import slo_value
from regionctl.units import format_duration

if TYPE_CHECKING:
    from regionctl.model.topology import Topology
    from regionctl.runbook.executor import RunEvent
    from regionctl.runbook.plan import Plan

SYMBOLS: dict[str, tuple[str, str]] = {StepStatus.OK: ("✔", "green"), StepStatus.FAILED: ("✘", "red"),
                                       StepStatus.PENDING: ("·", "dim"), StepStatus.RUNNING: ("▶", "yellow")}
VERDICTS = {"pass": ("PASS", "bold black on green"), "fail": ("FAIL", "bold white on red"),
            "aborted": ("ABORTED", "bold black on yellow"), "error": ("STEP ERROR", "bold white on red"),
            "interrupted": ("INTERRUPTED", "bold black on yellow"),
            "rollback-failed": ("ROLLBACK FAILED", "bold white on red")}


def _where(topology: Topology, plan_step: Any, backend: str) -> str:
    """Where a step acts: the simulator, or the host behind its target on real hosts."""
    step = plan_step.step
    if step.kind not in ("fault", "heal", "action"):
        return ""
    if backend == "sim":
        return "simulator"
    target = step.target or ""
    for cluster in topology.clusters:
        for node in cluster.nodes:
            if node.name == target:
                host = getattr(node, "host", None)
                return f"{target} ({host})" if host else target
    return "hosts of " + (step.fault or target or "every fault")


def render_plan(topology: Topology, plan: Plan, backend: str, source: str,
                blast: dict[str, dict[str, Any]] | None = None) -> Group:
    rb = plan.runbook
    head = Text.assemble(("plan ", "bold"), f"{rb.title or rb.name} · {source} · backend {backend} · "
                         "dry run: nothing is connected to or changed")
    parts: list[Any] = [head]
    if rb.description:
        parts.append(Text(rb.description, style="dim"))
    if plan.prechecks:
        parts.append(Text("prechecks (must hold first, else exit 3): " + "; ".join(t for t, _ in plan.prechecks)))
    table = Table(title="steps, in the order they run", title_justify="left")
    for col in ("#", "step", "kind", "does", "needs", "where"):
        table.add_column(col)
    from regionctl.runbook.journal import redact

    for i, p in enumerate(plan.steps, 1):
        table.add_row(str(i), p.id, p.step.kind, str(redact(p.describe(), plan.secrets)),
                      ", ".join(p.step.needs) or "-", _where(topology, p, backend))
    parts.append(table)
    if plan.rollback:
        parts.append(Text("rollback on failure: " + "; ".join(
            f"{p.id}: {redact(p.describe(), plan.secrets)}" for p in plan.rollback)))
    parts.append(Text("then: every injected fault is healed, last in first out"))
    if plan.guards:
        parts.append(Text("guards: " + "; ".join(f"{g.name} ({g.condition}, {g.action})" for g, _ in plan.guards)))
    if plan.slo:
        parts.append(Text("objectives: " + ", ".join(
            f"{k} {_fmt_target(k, v)}" for k, v in plan.slo.items())))
    for spec, reach in (blast or {}).items():
        rto = reach.get("expected_rto_seconds")
        # Simulated without the runbook's own steps: "never" means nothing recovers by itself.
        expected = "never, unaided" if rto is None else format_duration(rto)
        parts.append(Text(f"predicted blast radius of {spec} (simulated alone from a steady state): "
                          f"expected RTO {expected}", style="bold"))
        parts.append(Text(f"  regions {', '.join(reach.get('regions', [])) or '-'}"
                          f" · nodes {', '.join(reach.get('nodes', [])) or '-'} · clusters "
                          f"{', '.join(reach.get('clusters', [])) or '-'} · tenants "
                          f"{', '.join(reach.get('tenants', [])) or '-'} · traffic "
                          f"{reach.get('traffic_fraction', 0.0) * 100:.1f}%"))
    return Group(*parts)


def _fmt_target(name: str, value: float) -> str:
    if name == "availability":
        return f">= {value * 100:g}%"
    return f"<= {slo_value(name, value)}"


def print_plan(topology: Topology, plan: Plan, backend: str, source: str,
               blast: dict[str, dict[str, Any]] | None = None) -> None:
    report_console().print(render_plan(topology, plan, backend, source, blast))


def progress_printer() -> Callable[[RunEvent], None]:
    """One line on stderr per step as it ends (and for guards and rollbacks)."""
    err = report_console(sys.stderr, highlight=False)

    def on_event(event: RunEvent) -> None:
        at = f"[{event.at:8.1f}s]"
        if event.kind == "step-ended":
            symbol, style = SYMBOLS.get(event.status or "", ("?", ""))
            err.print(Text.assemble(at, " ", (symbol, style), f" {event.step}  ", (event.detail, "dim")))
        elif event.kind in ("guard-tripped", "rollback-started", "approval-needed"):
            err.print(Text.assemble(at, " ", (f"{event.kind}: ", "yellow"), event.detail))
        elif event.kind == "rollback-step":
            symbol, style = SYMBOLS.get(event.status or "", ("?", ""))
            err.print(Text.assemble(at, " ", ("↺", "cyan"), " ", (symbol, style), f" {event.detail}"))

    return on_event


def render_run(report: RunReport) -> Group:
    label, style = VERDICTS.get(report.result, (report.result.upper(), "bold"))
    head = Text.assemble((f" {label} ", style), f"  {report.runbook} on {report.topology} · backend "
                         f"{report.backend}" + (f" · seed {report.seed}" if report.seed is not None else "")
                         + f" · {format_duration(report.sim_seconds)} in {report.wall_seconds:.2f}s"
                         + f" · exit {report.exit_code}")
    parts: list[Any] = [head]
    if report.reason:
        parts.append(Text(report.reason, style="yellow" if report.result != "pass" else ""))
    steps = Table(title="steps", title_justify="left")
    for col in ("", "step", "kind", "at", "took", "detail"):
        steps.add_column(col)
    for s in (*report.steps, *report.rollback):
        symbol, sstyle = SYMBOLS.get(s.status, ("?", ""))
        took = "-" if s.started is None or s.ended is None else format_duration(s.ended - s.started)
        at = "-" if s.started is None else f"{s.started:.1f}s"
        steps.add_row(Text(symbol, style=sstyle), s.id, s.kind, at, took, s.detail)
    parts.append(steps)
    m: dict[str, Any] = dict(report.metrics)
    figures = []
    for key, label_ in (("rto_seconds", "RTO"), ("rpo_seconds", "RPO"), ("max_lag_seconds", "max lag")):
        if key in m:
            figures.append(f"{label_} {'not recovered' if m[key] is None else format_duration(m[key])}")
    for key, label_ in (("writes_acked", "writes acked"), ("writes_lost", "lost"), ("availability", "availability")):
        if key in m and m[key] is not None:
            figures.append(f"{label_} {m[key] * 100:.3f}%" if key == "availability" else f"{label_} {m[key]:,}")
    if figures:
        parts.append(Text(" · ".join(figures)))
    changed = [f"{name} {v.before or '-'}→{v.after or '-'} (term {v.term})"
               for name, v in report.leaders.items() if v.before != v.after]
    if changed:
        parts.append(Text("leaders: " + ", ".join(changed)))
    judged = report.result in ("pass", "fail")  # an aborted run's figures judge nothing
    if report.slo and not judged:
        parts.append(Text("objectives not judged: the run did not complete", style="dim"))
    for check in report.slo if judged else ():
        shown = slo_value(check.name, check.observed)
        parts.append(Text.assemble(("✔ " if check.ok else "✘ ", "green" if check.ok else "red"),
                                   f"{check.name}: {shown} (target {_fmt_target(check.name, check.target)})"))
    if report.faults_left:
        parts.append(Text("still injected (--keep-faults or a failed heal): " + ", ".join(report.faults_left),
                          style="yellow"))
    for item in report.left_degraded:
        parts.append(Text(f"left degraded: {item}", style="bold red"))
    if report.journal:
        parts.append(Text(f"journal: {report.journal}", style="dim"))
    return Group(*parts)


def print_run(report: RunReport) -> None:
    report_console().print(render_run(report))
