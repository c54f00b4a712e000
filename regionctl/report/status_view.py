"""Render a Snapshot for people: one table per cluster, patronictl-style."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from regionctl.contract.snapshot import Snapshot
from regionctl.report.console import report_console
from regionctl.units import format_duration

ROLE_MARK = {"old-leader": "☆ old leader",
             "leader": "★ leader", "follower": "· follower", "replica": "· replica", "candidate": "? candidate"}
HEALTH_MARK = {"up": ("✔ up", "green"), "down": ("✘ down", "red"), "isolated": ("⚠ isolated", "yellow")}


def lag_style(seconds: float) -> str:
    if seconds >= 10:
        return "red"
    if seconds >= 1:
        return "yellow"
    return "green"


def render_status(snapshot: Snapshot) -> Group:
    title = Text.assemble(
        (snapshot.topology, "bold"), f" ({snapshot.kind}) · backend {snapshot.backend} · ",
        f"t={format_duration(snapshot.time)}",
    )
    regions = Text("regions: ")
    for i, region in enumerate(snapshot.regions):
        style = "green" if region.status == "up" else "red" if region.status == "down" else "yellow"
        regions.append("" if i == 0 else ", ")
        regions.append(f"{region.name} {region.status}", style=style)
    parts: list[object] = [title, regions]
    if snapshot.faults:
        active = [f.spec for f in snapshot.faults if f.healed_at is None]
        if active:
            parts.append(Text("faults: " + ", ".join(active), style="red"))
    for cluster in snapshot.clusters:
        leader = cluster.leader or ("none" if cluster.replication not in ("leaderless", "multi-leader") else "-")
        caption = f"{cluster.engine} · {cluster.replication} · leader {leader} · term {cluster.term}"
        if cluster.election:
            caption += f" · {cluster.election}"
        if not cluster.writable:
            caption += " · NOT WRITABLE"
        table = Table(title=f"cluster {cluster.name}", caption=caption, title_justify="left",
                      caption_justify="left", expand=False)
        for column in ("node", "region/zone", "role", "health", "lag", "lag ops"):
            table.add_column(column, justify="right" if column.startswith("lag") else "left")
        for node in cluster.nodes:
            health, style = HEALTH_MARK.get(node.health, (node.health, ""))
            lag = Text(format_duration(node.lag_seconds) if node.role != "leader" else "-",
                       style=lag_style(node.lag_seconds) if node.role != "leader" else "")
            table.add_row(node.name, f"{node.region}/{node.zone}", ROLE_MARK.get(node.role, node.role),
                          Text(health, style=style), lag, str(node.lag_ops) if node.role != "leader" else "-")
        parts.append(table)
    if snapshot.services:
        services = Table(title="services", title_justify="left")
        for column in ("service", "depends on", "status", "why"):
            services.add_column(column)
        for service in snapshot.services:
            style = {"ok": "green", "degraded": "yellow", "down": "red"}.get(service.status, "")
            services.add_row(service.name, ", ".join(service.depends_on) or "-",
                             Text(service.status, style=style), service.reason or "-")
        parts.append(services)
    if snapshot.tenants:
        tenants = Table(title="tenants", title_justify="left")
        tenants.add_column("tenant")
        tenants.add_column("model")
        tenants.add_column("status")
        for tenant in snapshot.tenants:
            style = {"ok": "green", "degraded": "yellow", "down": "red"}.get(tenant.status, "")
            tenants.add_row(tenant.name, tenant.model, Text(tenant.status, style=style))
        parts.append(tenants)
    if snapshot.runbooks:
        parts.append(Text("runbooks: " + ", ".join(snapshot.runbooks)))
    return Group(*parts)  # type: ignore[arg-type]


def print_status(snapshot: Snapshot, console: Console | None = None) -> None:
    (console or report_console()).print(render_status(snapshot))
