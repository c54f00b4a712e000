"""Human view of a blast-radius prediction: what the fault reaches, aligned, for a go/no-go."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from regionctl.contract.report import BlastReport
from regionctl.report.console import report_console
from regionctl.units import format_duration

STYLE = {"down": "red", "degraded": "yellow", "ok": "green"}


def _secs(value: float | None, missing: str) -> str:
    return missing if value is None else format_duration(value)


def _state(status: str) -> tuple[str, str]:
    return status.ljust(9), STYLE.get(status, "")


def _cluster_line(d: dict[str, Any], horizon: str) -> Text:
    before, after, lost = d["leader_before"], d["leader_after"], d["leaders_lost"]
    line = Text.assemble(_state(d["status"]))
    if before and after and before != after:
        line.append(f"{before} → {after} in {_secs(d['new_leader_after_seconds'], '?')}")
    elif before and (after is None or before in lost):
        line.append(f"leader {before} lost, none elected")
    elif before:
        line.append(f"{before} stays leader" + (" but refuses writes" if d["status"] == "down" else ""))
    elif lost:
        line.append(f"leader {', '.join(lost)} lost; the other leaders take its region's writes")
    else:
        line.append("quorum lost" if d["status"] == "down" else "no leader to lose")
    if d["rto_seconds"] is None:
        line.append(f"; writes NOT back within {horizon}", style="bold red")
    elif d["rto_seconds"] > 0:
        line.append(f"; writes back in {format_duration(d['rto_seconds'])}")
    if d["failover"] == "manual":
        line.append(" (manual failover: an operator must promote)")
    return line


def render_blast(result: BlastReport) -> Group:
    b: dict[str, Any] = dict(result.blast_radius)
    detail = b["detail"]
    horizon = format_duration(result.horizon_seconds)
    faults = ", ".join(result.faults)
    head = Text.assemble(("What ", "bold"), (faults, "bold red"), (f" would reach on {result.topology}", "bold"))
    how = Text(f"simulated: forked at t={format_duration(result.at)}, seed {result.seed}, fault run for "
               f"{horizon}; nothing injected\n"
               f"each state is the worst reached within {horizon} (`status` shows one moment)", style="dim")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    width = max((len(n) for n in [*detail["clusters"], *b["services"], *b["tenants"], *b["data_at_risk"]]),
                default=0)

    def row(label: str, value: str | Text) -> None:
        grid.add_row(label, value)

    def named(label: str, entries: list[tuple[str, Text]], empty: str) -> None:
        if not entries:
            row(label, Text(empty, style="green"))
            return
        inner = Table.grid(padding=(0, 2))
        inner.add_column(no_wrap=True, min_width=width)
        inner.add_column()
        for name, value in entries:
            inner.add_row(name, value)
        grid.add_row(label, inner)

    def listed(label: str, items: list[str]) -> None:
        row(label, ", ".join(items) if items else Text("none", style="green"))

    listed("regions", b["regions"])
    listed("zones", b["zones"])
    listed("nodes", b["nodes"])
    # Clusters that lost their leader or quorum, and those whose clients lost their way to a leader.
    named("clusters", [(n, _cluster_line(d, horizon)) for n, d in detail["clusters"].items()],
          "none loses its leader or quorum")
    named("services", [(n, Text.assemble(_state(detail["services"][n])))
                       for n in b["services"]], "none affected")
    tenants = []
    for name in b["tenants"]:
        t = detail["tenants"][name]
        share = "" if t["traffic_share"] is None else f" · {t['traffic_share'] * 100:.3g}% of traffic"
        served = f" · {t['availability'] * 100:.1f}% served"
        tenants.append((name, Text.assemble(_state(t["status"]), f"{t['model']}{share}{served}")))
    named("tenants", tenants, "none affected")
    fraction = b["traffic_fraction"]
    row("traffic", Text(f"{fraction * 100:.1f}% of requests see errors",
                        style="red" if fraction >= 0.5 else "yellow" if fraction > 0 else "green"))
    risky = {k: v for k, v in b["data_at_risk"].items() if v["writes"] or v["lost"]}
    named("data at risk", [(n, Text(f"{d['writes']:,} acked write{'s' if d['writes'] != 1 else ''} unreplicated (last "
                                    f"{format_duration(d['seconds'])}); {d['lost']:,} lost",
                                    style="red" if d["lost"] else "yellow")) for n, d in risky.items()],
          "none: every acknowledged write is on a surviving replica")
    named("replication lag", [(n, Text(f"up to {format_duration(v['max_lag_seconds'])} (steady: "
                                       f"{format_duration(v['before_seconds'])}): a region lost now would lose "
                                       "that much", style="yellow")) for n, v in b.get("lag", {}).items()],
          "unchanged")
    rto = b["expected_rto_seconds"]
    target = result.slo["rto"]
    verdict = ""
    if target is not None:
        verdict = f" (SLO {format_duration(target)}: " + ("met)" if rto is not None and rto <= target else "MISSED)")
    rto_text = f"writes not back within {horizon}" if rto is None else format_duration(rto)
    if rto == 0 and b["clusters"]:
        rto_text += " (no surviving client waits for a failover)"
    row("expected RTO", Text(rto_text + verdict, style="red" if rto is None or (target is not None and rto > target)
                             else "green"))
    return Group(head, how, Text(""), grid)


def print_blast(result: BlastReport, console: Console | None = None) -> None:
    (console or report_console()).print(render_blast(result))
