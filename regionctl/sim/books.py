"""The run's figures in the shape of DESIGN.md's report `metrics`, plus detail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from regionctl.sim.accounting import Counters, Histogram

if TYPE_CHECKING:
    from regionctl.sim.simulator import Simulation


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def _merge(target: Counters, source: Counters) -> None:
    for field in Counters.__slots__:
        setattr(target, field, getattr(target, field) + getattr(source, field))


def _merge_hist(target: Histogram, source: Histogram) -> None:
    for i, count in enumerate(source.counts):
        target.counts[i] += count
    target.total += source.total


def summarize(sim: Simulation) -> dict[str, Any]:
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
    for name, cluster in sim.clusters.items():
        _merge(total, cluster.counters)
        _merge_hist(writes, cluster.write_latency)
        _merge_hist(reads, cluster.read_latency)
        lost, cluster_rpo = cluster.lost_writes()
        lost_total += lost
        rpo = max(rpo, cluster_rpo)
        rto = cluster.clock.rto()
        if cluster.clock.fault_at is not None:
            rtos.append(rto)
        split_brain += cluster.split_brain_seconds
        max_lag = max(max_lag, cluster.max_lag_seconds)
        c = cluster.counters
        clusters[name] = {
            "replication": cluster.mode,
            "availability": _round(c.availability()),
            "writes_attempted": c.writes_attempted,
            "writes_acked": c.writes_acked,
            "writes_failed": c.writes_failed,
            "writes_lost": lost,
            "reads_attempted": c.reads_attempted,
            "stale_reads": c.stale_reads,
            "rpo_seconds": _round(cluster_rpo),
            "rto_seconds": _round(rto),
            "rto_breakdown": {k: _round(v) for k, v in cluster.clock.breakdown().items()},
            "split_brain_seconds": _round(cluster.split_brain_seconds),
            "max_lag_seconds": _round(cluster.max_lag_seconds),
            "write_latency_p50": _round(cluster.write_latency.percentile(0.5)),
            "write_latency_p99": _round(cluster.write_latency.percentile(0.99)),
            "writes_refused": c.writes_failed > 0 and cluster.mode in ("sync", "quorum"),
            "conflicts": 0,
            "lost_updates": 0,
        }
        # Replication-model figures (multi-leader conflicts, leaderless quorums), then CAP/PACELC.
        figures = getattr(cluster, "figures", None)
        if figures is not None:
            clusters[name].update(figures())
        conflicts += clusters[name]["conflicts"]
        lost_updates += clusters[name]["lost_updates"]
        clusters[name]["cap"] = cluster.cap.summary(
            lost, cluster.write_latency.percentile(0.5), cluster.write_latency.percentile(0.99),
            cluster.consistency_cost())
    regions: dict[str, Counters] = {}
    for cluster in sim.clusters.values():
        for source in cluster.sources:
            _merge(regions.setdefault(source.region, Counters()), source.counters)
    tenants = {}
    for tenant in sim.topology.tenants:
        books = Counters()
        for name in sim.tenant_clusters(tenant.name):
            _merge(books, sim.clusters[name].counters)
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
