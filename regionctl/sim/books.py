"""The run's figures: the report's `metrics` (docs/report.md), plus detail per cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from regionctl.sim.accounting import Counters, Histogram

if TYPE_CHECKING:
    from regionctl.sim.impact import LostWrites
    from regionctl.sim.simulator import Simulation


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def summarize(sim: Simulation, lost_writes: LostWrites) -> dict[str, Any]:
    """`lost_writes`: each cluster's (writes lost, RPO) now (Simulation.lost_writes)."""
    total = Counters()
    writes = Histogram()
    reads = Histogram()
    clusters: dict[str, Any] = {}
    lost_total = 0
    rpo = 0.0
    rtos: list[float | None] = []
    split_brain = 0.0
    max_lag = 0.0
    conflicts = lost_updates = 0
    now = sim.now
    per_source: dict[str, list[Counters]] = {}
    for name, cluster in sim.clusters.items():
        c, sources, cluster_writes, cluster_reads = cluster.view_books(now)
        per_source[name] = sources
        total.merge(c)
        writes.merge(cluster_writes)
        reads.merge(cluster_reads)
        lost, cluster_rpo = lost_writes[name]
        lost_total += lost
        rpo = max(rpo, cluster_rpo)
        rto = cluster.clock.rto()
        if cluster.clock.fault_at is not None:
            rtos.append(rto)
        tally = cluster.tally_at(now)
        split_brain += tally.get("split_brain_seconds")
        max_lag = max(max_lag, tally.get("max_lag_seconds"))
        clusters[name] = {
            "replication": cluster.mode,
            "availability": _round(c.availability()),
            "writes_attempted": c.writes_attempted,
            "writes_acked": c.writes_acked,
            "writes_failed": c.writes_failed,
            "writes_unknown": c.writes_unknown,
            "writes_lost": lost,
            "reads_attempted": c.reads_attempted,
            "stale_reads": c.stale_reads,
            "rpo_seconds": _round(cluster_rpo),
            "rto_seconds": _round(rto),
            "outage": cluster.clock.state(),
            "rto_breakdown": {k: _round(v) for k, v in cluster.clock.breakdown().items()},
            "split_brain_seconds": _round(tally.get("split_brain_seconds")),
            "max_lag_seconds": _round(tally.get("max_lag_seconds")),
            "write_latency_p50": _round(cluster_writes.percentile(0.5)),
            "write_latency_p99": _round(cluster_writes.percentile(0.99)),
            "writes_refused": c.writes_failed > 0 and cluster.mode in ("sync", "quorum"),
            "conflicts": 0,
            "lost_updates": 0,
        }
        # Replication-model figures (multi-leader conflicts, leaderless quorums), then CAP/PACELC.
        clusters[name].update(cluster.figures(tally))
        conflicts += clusters[name]["conflicts"]
        lost_updates += clusters[name]["lost_updates"]
        clusters[name]["cap"] = cluster.cap.summary(
            lost, cluster_writes.percentile(0.5), cluster_writes.percentile(0.99),
            cluster.consistency_cost())
        clusters[name]["timings"] = {k: round(v, 6) for k, v in sorted(cluster.timings.items())}
        if sim.probe_checks is not None:
            figures = sim.probe_checks.figures(name, now)
            if figures is not None:
                clusters[name]["consistency"] = figures
    regions: dict[str, Counters] = {}
    for name, cluster in sim.clusters.items():
        for source in cluster.sources:
            regions.setdefault(source.region, Counters()).merge(per_source[name][source.index])
    tenants = {}
    for tenant in sim.topology.tenants:
        books = Counters()
        for name in sim.tenant_clusters(tenant.name):
            books.merge(sim.clusters[name].view_books(now)[0])
        tenants[tenant.name] = _round(books.availability())
    if any(r is None for r in rtos):
        overall_rto: float | None = None
    else:
        overall_rto = max((r for r in rtos if r is not None), default=0.0) if rtos else 0.0
    return {
        "availability": _round(total.availability()),
        "writes_attempted": total.writes_attempted,
        "writes_acked": total.writes_acked,
        "writes_failed": total.writes_failed,
        "writes_unknown": total.writes_unknown,
        "writes_lost": lost_total,
        "rpo_seconds": _round(rpo),
        "rto_seconds": _round(overall_rto),
        "max_lag_seconds": _round(max_lag),
        "reads_attempted": total.reads_attempted,
        "stale_reads": total.stale_reads,
        "split_brain_seconds": _round(split_brain),
        "conflicts": conflicts,
        "lost_updates": lost_updates,
        "write_latency_p50": _round(writes.percentile(0.5)),
        "write_latency_p99": _round(writes.percentile(0.99)),
        "read_latency_p50": _round(reads.percentile(0.5)),
        "read_latency_p99": _round(reads.percentile(0.99)),
        "clusters": clusters,
        "regions": {name: _round(c.availability()) for name, c in regions.items()},
        "tenants": tenants,
    }
