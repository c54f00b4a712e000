"""Snapshot + derived model -> the rows and texts the panels show. No Textual here:
cells are (text, style) pairs, so the keyed tables diff them cheaply."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from regionctl.analysis.reach import Reach
from regionctl.contract.snapshot import ClusterView, NodeView, Snapshot
from regionctl.tui.model import HEALTH, DashboardModel, SloState, countdown, dur, lag_level

Cell = tuple[str, str]

REPLICATION_COLUMNS = (("node", 12), ("cluster · mode", 22), ("status", 12), ("lag", 7), ("ops", 8),
                       ("last minute", 20), ("catch-up", 12))
LEADER_COLUMNS = (("cluster", 10), ("leader", 14), ("term", 4), ("writes", 10), ("failover", 30))
SLO_LEVEL = {"ok": ("✔ SLO ok", "green"), "at risk": ("▲ SLO at risk", "yellow"),
             "breached": ("✘ SLO breached", "bold red")}


def header_text(snapshot: Snapshot, *, clock: str, paused: bool, slo: SloState, width: int | None = None) -> Text:
    """The key figures first (clock, speed, pause, SLO verdict, fault count), then which topology on which
    backend: those give way, whole, when the terminal is too narrow for them."""
    faults = sum(1 for f in snapshot.faults if f.healed_at is None)
    slo_label, slo_style = SLO_LEVEL[slo.level]
    key = Text.assemble(
        (" regionctl ", "bold reverse"), " ", clock, " · ",
        ("⏸ PAUSED", "bold yellow reverse") if paused else ("▶ running", "green"), " · ",
        (slo_label, slo_style), " · ",
        (f"⚡ {faults} fault(s) injected", "bold red") if faults else ("no faults", "dim"),
    )
    extras = [Text.assemble(" · ", (snapshot.topology, "bold")), Text(f" ({snapshot.kind})"),
              Text.assemble(" · backend ", (snapshot.backend, "bold"))]
    while width is not None and extras and key.cell_len + sum(e.cell_len for e in extras) > width:
        extras.pop()
    for extra in extras:
        key.append_text(extra)
    return key


MORE = "+more"  # the key of the summary row of the followers left out (no node has a + in its name)


def replication_rows(snapshot: Snapshot, model: DashboardModel,
                     limit: int | None = None) -> dict[str, tuple[Cell, ...]]:
    """A row per follower; with `limit` and more followers than that, the worst ones (down first, then the
    furthest behind) and one row that sums up the others, so a small screen never hides a failing one."""
    followers = [(cluster, node) for cluster in snapshot.clusters for node in cluster.nodes
                 if not (node.role == "leader" and cluster.replication != "leaderless")]
    if limit is None or len(followers) <= limit:
        return _follower_rows(followers, model)
    ranked = sorted(followers, key=lambda cn: (cn[1].health == "up", -cn[1].lag_seconds))
    shown, rest = {id(node) for _, node in ranked[: limit - 1]}, ranked[limit - 1:]
    rows = _follower_rows([cn for cn in followers if id(cn[1]) in shown], model)  # in the estate's order
    worst = max(node.lag_seconds for _, node in rest)
    down = sum(1 for _, node in rest if node.health != "up")
    sym, word, style = lag_level(worst)
    status = (f"✘ {down} down", "bold red") if down else (f"{sym} {word}", style)
    rows[MORE] = ((f"+ {len(rest)} more", "bold"), ("the others, at most", "dim"), status, (dur(worst), style),
                  (f"{max(node.lag_ops for _, node in rest):,}", style), ("", ""), ("", ""))
    return rows


def _follower_rows(followers: list[tuple[ClusterView, NodeView]],
                   model: DashboardModel) -> dict[str, tuple[Cell, ...]]:
    rows: dict[str, tuple[Cell, ...]] = {}
    for cluster, node in followers:
        sym, word, style = lag_level(node.lag_seconds)
        if node.health != "up":
            sym, word, style = HEALTH.get(node.health, ("?", node.health, ""))
        rows[node.name] = (
            (f"☆ {node.name}" if node.role == "old-leader" else node.name, ""),
            (f"{cluster.name} · {cluster.replication}", "dim"),
            (f"{sym} {word}", style),
            (dur(node.lag_seconds), style),
            (f"{node.lag_ops:,}", style),
            (model.spark(node.name, 20), style),
            (model.catch_up(node), "dim"),
        )
    return rows


def leader_rows(snapshot: Snapshot, limit: int | None = None) -> dict[str, tuple[Cell, ...]]:
    """A row per cluster; with `limit` and more clusters than that, the ones in trouble first (no leader,
    writes refused, an election under way) and one row that sums up the others."""
    clusters = list(snapshot.clusters)
    if limit is not None and len(clusters) > limit:
        ranked = sorted(clusters, key=lambda c: (c.writable and not c.election, c.leader is not None))
        shown = {c.name for c in ranked[: limit - 1]}
        rest = [c for c in ranked[limit - 1:]]
        rows = _cluster_rows([c for c in clusters if c.name in shown], snapshot.time)
        refused = sum(1 for c in rest if not c.writable)
        writes = (f"✘ {refused} refused", "bold red") if refused else ("✔ writable", "green")
        rows[MORE] = ((f"+ {len(rest)} more", "bold"), ("", ""), ("", ""), writes, ("", "dim"))
        return rows
    return _cluster_rows(clusters, snapshot.time)


def wrapped_lines(snapshot: Snapshot, column: int) -> int:
    """The lines the failover countdowns take beyond one each, wrapped in a column this wide."""
    width = max(10, column)
    return sum(-(-len(countdown(c.election, snapshot.time)) // width) - 1 for c in snapshot.clusters if c.election)


def _cluster_rows(clusters: list[ClusterView], now: float) -> dict[str, tuple[Cell, ...]]:
    rows: dict[str, tuple[Cell, ...]] = {}
    for cluster in clusters:
        if cluster.replication in ("leaderless", "multi-leader"):
            leader: Cell = (f"({cluster.replication})", "dim")
        elif cluster.leader is None:
            leader = ("✘ none", "bold red")
        else:
            node = next((n for n in cluster.nodes if n.name == cluster.leader), None)
            health = node.health if node is not None else "up"
            # A leader that is down or cut off is still the leader (nothing took over yet): its mark says
            # so (✘ down, ⚠ isolated: the legend's), within the column (a name is never cut).
            symbol, _, style = HEALTH.get(health, ("?", health, "yellow"))
            leader = (f"★ {cluster.leader}", "bold") if health == "up" else \
                (f"★ {cluster.leader} {symbol}", f"bold {style}")
        writes = ("✔ writable", "green") if cluster.writable else ("✘ refused", "bold red")
        election = countdown(cluster.election, now) if cluster.election else "—"
        rows[cluster.name] = ((cluster.name, ""), leader, (str(cluster.term), ""), writes,
                              (election, "yellow" if cluster.election else "dim"))
    return rows


def _pct(value: float) -> str:
    return f"{value * 100:.3f}%"


def slo_text(slo: SloState) -> Text:
    out = Text()
    ok = "availability" not in slo.breaches
    target = f" (SLO {_pct(slo.availability_target)})" if slo.availability_target is not None else ""
    out.append("availability  ")
    out.append(f"{'✔' if ok else '✘'} {_pct(slo.availability)}", "green" if ok else "bold red")
    out.append(target + "\n", "dim")
    if slo.burn is not None:
        out.append("error budget  ")
        if slo.burn < 1:
            out.append(f"✔ {slo.burn * 100:.0f}% burned", "green")
        else:
            out.append(f"✘ {slo.burn:,.0f}× the budget", "bold red")
        out.append(" (so far)\n", "dim")
    out.append("RTO           ")
    target_rto = f" (SLO {dur(slo.rto_target)})" if slo.rto_target is not None else ""
    out.append(*rto_cell(slo))
    out.append(target_rto + "\n", "dim")
    if not slo.clients:
        out.append("RPO           n/a\nwrites lost   n/a", "dim")
        out.append(f"  ({slo.probes})" if slo.probes else
                   "  (no client traffic on real hosts: RTO and availability come from probing writability)", "dim")
        return out
    rpo_bad = "rpo" in slo.breaches
    out.append("RPO           ")
    out.append(f"{'✘' if rpo_bad else '✔'} {dur(slo.rpo)}", "bold red" if rpo_bad else "green")
    out.append((f" (SLO {dur(slo.rpo_target)})" if slo.rpo_target is not None else "") + "\n", "dim")
    out.append("writes lost   ")
    out.append(f"{slo.writes_lost:,}", "bold red" if slo.writes_lost else "green")
    out.append(f"  acked {slo.writes_acked:,} · failed {slo.writes_failed:,}\n", "dim")
    out.append(f"stale reads   {slo.stale_reads:,}", "dim")
    if slo.stranded_clients:
        out.append(f"\n✘ clients in {', '.join(slo.stranded_clients)}: their region is down, their requests fail "
                   "until traffic is shifted (a runbook's shift-traffic step)", "bold yellow")
    return out


def _so_far(observed: dict[str, Any]) -> Text:
    """The simulator's books: what the faults reached at some point of this run, healed or not."""
    if not observed.get("regions") and not observed.get("nodes"):
        return Text()
    fraction = float(observed.get("traffic_fraction") or 0.0)
    reached = ", ".join(observed.get("regions") or observed.get("nodes") or [])
    return Text(f"\n{'this run':<9}{fraction * 100:.1f}% of traffic was hit at some point · {reached}", "dim")


def reach_text(reach: Reach, active: list[str], observed: dict[str, Any] | None = None) -> Text:
    out = Text()
    if active:
        out.append("faults  ", "bold")
        out.append(", ".join(active) + "\n", "bold red")
    if reach.empty and not active:
        out.append("✔ nothing reached: no fault injected", "green")
        so_far = _so_far(observed or {})
        out.append_text(so_far if so_far.plain else Text("\npress f to pick a fault", "dim"))
        return out

    def line(label: str, items: tuple[str, ...]) -> None:
        out.append(f"{label:<9}")
        out.append(", ".join(items) if items else "—", "yellow" if items else "dim")
        out.append("\n")

    line("regions", reach.regions)
    line("nodes", reach.nodes)
    line("clusters", reach.clusters)
    line("services", reach.services)
    line("tenants", reach.tenants)
    out.append(f"{'traffic':<9}")
    out.append(f"{reach.traffic_fraction * 100:.1f}% of requests", "yellow" if reach.traffic_fraction else "dim")
    if reach.data_at_risk:
        out.append(f"\n{'data':<9}")
        out.append(reach.data_at_risk, "bold red")
    for note in reach.notes:
        out.append(f"\n• {note}", "dim")
    if observed:
        out.append_text(_so_far(observed))
    return out


def rto_cell(slo: SloState) -> Cell:
    """The RTO as one figure: running (✘ once past its SLO), recovered, or no incident."""
    over = "rto" in slo.breaches
    if slo.rto_running is not None:
        return f"{'✘ ' if over else ''}⏱ {dur(slo.rto_running)} running", "bold red" if over else "bold yellow"
    if slo.rto == 0.0 and slo.incident:  # faults reached clusters, and no live client's writes stopped
        return "✔ no outage", "green"
    if slo.rto is not None and slo.incident:
        return f"{'✘' if over else '✔'} {dur(slo.rto)} recovered", "bold red" if over else "green"
    if slo.incident and slo.rto is None and slo.rto_unobserved:
        return "? unknown: no live client saw the outage", "yellow"
    return "— no incident", "dim"


def slo_compact(slo: SloState) -> Text:
    """The SLO panel in three or four lines for a small terminal: every figure, fewer words.
    Items are joined by ' · ' so a narrow panel wraps between figures, never inside one."""
    out = Text()
    ok = "availability" not in slo.breaches
    out.append("availability ")
    out.append(f"{'✔' if ok else '✘'} {_pct(slo.availability)}", "green" if ok else "bold red")
    if slo.availability_target is not None:
        out.append(f" (SLO {_pct(slo.availability_target)})", "dim")
    if slo.burn is not None:
        out.append(" · budget ")
        out.append(f"✔ {slo.burn * 100:.0f}%" if slo.burn < 1 else f"✘ {slo.burn:,.0f}×",
                   "green" if slo.burn < 1 else "bold red")
    out.append("\nRTO ")
    out.append(*rto_cell(slo))
    if slo.rto_target is not None:
        out.append(f" (SLO {dur(slo.rto_target)})", "dim")
    if not slo.clients:
        out.append(f" · RPO n/a · writes lost n/a ({slo.probes})" if slo.probes else
                   " · RPO n/a · writes lost n/a (no client traffic on real hosts)", "dim")
        return out
    rpo_bad = "rpo" in slo.breaches
    out.append(" · RPO ")
    out.append(f"{'✘' if rpo_bad else '✔'} {dur(slo.rpo)}", "bold red" if rpo_bad else "green")
    if slo.rpo_target is not None:
        out.append(f" (SLO {dur(slo.rpo_target)})", "dim")
    out.append("\nwrites lost ")
    out.append(f"{slo.writes_lost:,}", "bold red" if slo.writes_lost else "green")
    out.append(f" · acked {slo.writes_acked:,} · failed {slo.writes_failed:,} · stale reads {slo.stale_reads:,}",
               "dim")
    if slo.stranded_clients:
        out.append(f"\n✘ clients in {', '.join(slo.stranded_clients)} fail until traffic is shifted", "bold yellow")
    return out
