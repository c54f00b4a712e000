"""Human summary of a drill report (rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from regionctl.contract.report import DrillReport
from regionctl.report.console import report_console
from regionctl.report.slo_text import slo_value
from regionctl.units import format_duration


def _secs(value: float | None) -> str:
    return "not recovered" if value is None else format_duration(value)


def _rto(cluster: dict[str, Any]) -> str:
    """RTO counts live clients only: where every failed request came from a lost region, there is
    no live client to wait for, and `0ms` would read as a perfect failover."""
    rto = cluster["rto_seconds"]
    outage = cluster.get("outage")
    if outage == "none":
        return "-"
    if outage == "unobserved":
        return "unknown (no live client)"
    if rto == 0 and (cluster.get("availability") or 1.0) < 1.0 and cluster.get("writes_failed", 0) > 0:
        return "n/a (no live client)"
    return _secs(rto)


def render_drill(report: DrillReport) -> Group:
    m: dict[str, Any] = dict(report.metrics)
    verdict = Text(" PASS " if report.result == "pass" else " FAIL ",
                   style="bold black on green" if report.result == "pass" else "bold white on red")
    head = Text.assemble(verdict, f"  drill on {report.topology} · seed {report.seed} · "
                                  f"{format_duration(report.sim_seconds)} simulated in "
                                  f"{report.wall_seconds:.2f}s")
    faults = Table(title="faults", title_justify="left")
    faults.add_column("fault")
    faults.add_column("from", justify="right")
    faults.add_column("healed", justify="right")
    for f in report.faults:
        faults.add_row(f.spec, format_duration(f.at), "-" if f.healed_at is None else format_duration(f.healed_at))
    clusters = Table(title="clusters", title_justify="left")
    for col in ("cluster", "leader", "term", "avail.", "lost", "RPO", "RTO",
                "detect+promote+reroute", "split brain"):
        clusters.add_column(col, justify="left" if col.startswith(("cluster", "leader")) else "right")
    for name, c in m["clusters"].items():
        leaders = report.leaders[name]
        bd = c["rto_breakdown"]
        parts = "+".join("-" if bd[k] is None else format_duration(bd[k]) for k in ("detection", "promotion",
                                                                                      "reroute"))
        change = leaders.after or "-"
        if leaders.before != leaders.after:
            change = f"{leaders.before or '-'}→{change}"
        clusters.add_row(name, change, str(leaders.term), f"{c['availability'] * 100:.2f}%",
                         str(c["writes_lost"]), format_duration(c["rpo_seconds"] or 0.0), _rto(c),
                         parts, format_duration(c["split_brain_seconds"] or 0.0))
    totals = Text.assemble(
        "writes acked ", (f"{m['writes_acked']:,}", "bold"), " · failed ", f"{m['writes_failed']:,}",
        # Sent and never answered (a timeout, a one-way cut): neither acknowledged nor refused.
        *((" · unanswered ", f"{m['writes_unknown']:,}") if m.get("writes_unknown") else ()),
        " · lost ", (f"{m['writes_lost']:,}", "bold red" if m["writes_lost"] else "bold"),
        " · stale reads ", f"{m['stale_reads']:,}", " · max lag ", format_duration(m["max_lag_seconds"] or 0.0),
        " · write p99 ", format_duration(m["write_latency_p99"] or 0.0),
        " · conflicts ", f"{m.get('conflicts', 0):,}",
        " · lost updates ", (f"{m.get('lost_updates', 0):,}", "bold red" if m.get("lost_updates") else "bold"),
    )
    slo = Table(title="SLOs", title_justify="left")
    slo.add_column("SLO")
    slo.add_column("target", justify="right")
    slo.add_column("observed", justify="right")
    slo.add_column("", justify="left")
    for check in report.slo:
        name = check.name

        slo.add_row(name, slo_value(name, check.target),
                    slo_value(name, check.observed, "0.000%" if name == "availability" else "not recovered"),
                    Text("✔ ok", style="green") if check.ok else Text("✘ missed", style="red"))
    blast: dict[str, Any] = dict(report.blast_radius)
    reach = Text(f"blast radius: regions {', '.join(blast['regions']) or '-'} · nodes "
                 f"{', '.join(blast['nodes']) or '-'} · clusters {', '.join(blast.get('clusters', [])) or '-'} · "
                 f"services {', '.join(blast.get('services', [])) or '-'} · "
                 f"tenants {', '.join(blast['tenants']) or '-'} · traffic {blast['traffic_fraction'] * 100:.1f}%")
    events = Table(title="what happened", title_justify="left", show_header=False, box=None)
    events.add_column(justify="right")
    events.add_column()
    for e in report.events[-20:]:
        where = f"[{e.cluster}] " if e.cluster else ""
        events.add_row(f"t={e.t:.1f}s", where + e.message)
    sections: list[RenderableType] = [head, faults, events, clusters, totals, cap_table(m["clusters"]), reach, slo]
    if report.consistency:
        sections.append(consistency_table(report.consistency))
    return Group(*sections)


def consistency_table(section: dict[str, Any]) -> Group:
    """What the probe sessions saw, per cluster, and the first anomalies with their explanation."""
    table = Table(title="consistency (probe sessions)", title_justify="left")
    for col in ("cluster", "promised", "verdict", "operations", "anomalies by model"):
        table.add_column(col, justify="right" if col == "operations" else "left")
    shown: list[Text] = []
    for name, c in section.items():
        if not isinstance(c, dict):
            continue
        verdict = c["verdict"] if c["promised"] else "-"
        style = {"ok": "green", "violated": "bold red", "unknown": "yellow"}.get(verdict, "")
        counts = ", ".join(f"{model} {m['anomalies']:,}" for model, m in c["models"].items())
        table.add_row(name, c["promised"] or "-", Text(verdict, style=style), f"{c['operations']:,}", counts)
        for anomaly in c["anomalies"]:
            shown.append(Text(f" {name}: {anomaly['explanation']}"))
    if isinstance(section.get("note"), str):
        shown.append(Text(f" note: {section['note']}", style="yellow"))
    return Group(table, *shown)


_STYLE = {"consistency": "green", "availability": "yellow", "untested": "dim"}


def cap_table(clusters: dict[str, Any]) -> Table:
    """CAP (what each cluster chose while cut apart) and PACELC (what consistency costs otherwise)."""
    table = Table(title="CAP / PACELC (cost: what consistency adds to a write)", title_justify="left")
    for col in ("cluster", "in a partition", "write p50/p99", "cost"):
        table.add_column(col, justify="right" if col in ("write p50/p99", "cost") else "left")
    for name, c in clusters.items():
        cap = c.get("cap")
        if cap is None:
            continue
        behaviour = cap["partition_behaviour"]
        if behaviour == "availability":
            detail = f"availability ({cap['writes_diverged']:,} diverged"
            detail += f", {cap['writes_refused']:,} refused)" if cap["writes_refused"] else ")"
        elif behaviour == "consistency":
            detail = f"consistency ({cap['writes_refused']:,} refused)"
        else:
            detail = behaviour
        p50, p99 = cap["write_latency_p50"], cap["write_latency_p99"]
        latency = "-" if p50 is None else f"{format_duration(p50)} / {format_duration(p99)}"
        cost = cap["consistency_cost_seconds"]
        table.add_row(name, Text(detail, style=_STYLE.get(behaviour, "")), latency,
                      f"+{format_duration(cost)}" if cost else "none")
    return table


def print_drill(report: DrillReport, console: Console | None = None) -> None:
    (console or report_console()).print(render_drill(report))
