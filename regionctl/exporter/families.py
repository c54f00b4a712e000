"""Turn one Snapshot (plus the runbook steps seen so far) into Prometheus metric families.

Every family comes from the typed views of the Snapshot, which any backend fills; the
simulator's books (`Snapshot.metrics["clusters"]`) add the write counters, RPO, RTO and
split-brain time where a backend keeps them. A family with no sample still carries its
HELP, so a scrape always documents the whole set.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from regionctl.contract.faults import Fault
from regionctl.contract.snapshot import Snapshot
from regionctl.contract.steps import StepStatus

PREFIX = "regionctl_"

# The statuses a runbook step goes through; every step exports all of them (one is 1, the rest 0) so that
# `regionctl_runbook_step{status="failed"} == 1` finds the failed steps without a regex.
RUNBOOK_STATUSES: tuple[str, ...] = tuple(StepStatus)  # runbook/outcome.py's one table of a step's life

# Per-cluster counters read from the simulator's books: (metric name without _total, books key, help).
_BOOK_COUNTERS: tuple[tuple[str, str, str], ...] = (
    ("writes_attempted", "writes_attempted", "Client writes attempted against the cluster."),
    ("writes_acknowledged", "writes_acked", "Client writes acknowledged to the client."),
    ("writes_failed", "writes_failed", "Client writes that failed or were refused."),
    ("writes_lost", "writes_lost",
     "Acknowledged writes absent from the surviving history (falls only if a node holding them leads again)."),
    ("reads_attempted", "reads_attempted", "Client reads attempted against the cluster."),
    ("stale_reads", "stale_reads", "Reads answered by a replica behind the leader."),
    ("split_brain_seconds", "split_brain_seconds", "Seconds during which two nodes accepted writes at once."),
)


def _gauge(name: str, help_text: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(PREFIX + name, help_text, labels=labels)


def _counter(name: str, help_text: str, labels: list[str]) -> CounterMetricFamily:
    return CounterMetricFamily(PREFIX + name, help_text, labels=labels)


def fault_labels(fault: Fault) -> tuple[str, str]:
    """`latency:us-east|eu-west=300ms` -> ("latency", "us-east|eu-west=300ms"): the target keeps the value,
    so two latency faults of different size stay two series."""
    return str(fault.kind), fault.spec.removeprefix(f"{fault.kind}:")


def snapshot_families(snapshot: Snapshot | None) -> Iterator[Metric]:
    info = _gauge("info", "The topology being served, its kind and backend (always 1).",
                  ["topology", "kind", "backend"])
    clock = _gauge("backend_time_seconds",
                   "The backend's clock at the latest snapshot (simulated seconds since start on the simulator).",
                   [])
    region_up = _gauge("region_up", "1 if the region is fully up, 0 if it is down, degraded or isolated.",
                       ["region"])
    node_up = _gauge("node_up", "1 if the node is up and reachable, 0 if it is down or isolated.",
                     ["cluster", "node", "region", "zone"])
    lag_seconds = _gauge("replication_lag_seconds", "How far the node's data is behind its leader, in seconds.",
                         ["cluster", "node", "region"])
    lag_ops = _gauge("replication_lag_operations", "How many writes the node is behind its leader.",
                     ["cluster", "node", "region"])
    leader = _gauge("leader", "1 if the node currently leads (accepts writes for) its cluster, else 0.",
                    ["cluster", "node", "region"])
    term = _gauge("term", "The cluster's leadership term (epoch): it rises at every promotion.", ["cluster"])
    writable = _gauge("cluster_writable", "1 if the cluster can commit writes right now, else 0.", ["cluster"])
    availability = _gauge("availability_ratio",
                          "Share of client requests (reads and writes) that succeeded since start.", ["cluster"])
    rpo = _gauge("rpo_seconds", "Recovery point: newest lost acknowledged write minus the newest kept one.",
                 ["cluster"])
    rto = _gauge("rto_seconds",
                 "Recovery time: first fault to the first successful write after it. Absent until a fault "
                 "touched the cluster and while writes are still failing.", ["cluster"])
    faults = _gauge("fault_active", "Number of active faults of this kind and target (0 once healed).",
                    ["kind", "target"])
    counters = {name: _counter(name, help_text, ["cluster"]) for name, _, help_text in _BOOK_COUNTERS}

    if snapshot is not None:
        info.add_metric([snapshot.topology, snapshot.kind, snapshot.backend], 1.0)
        clock.add_metric([], snapshot.time)
        for region in snapshot.regions:
            region_up.add_metric([region.name], 1.0 if region.status == "up" else 0.0)
        for cluster in snapshot.clusters:
            term.add_metric([cluster.name], float(cluster.term))
            writable.add_metric([cluster.name], 1.0 if cluster.writable else 0.0)
            availability.add_metric([cluster.name], cluster.availability)
            for node in cluster.nodes:
                where = [cluster.name, node.name, node.region]
                node_up.add_metric([*where, node.zone], 1.0 if node.health == "up" else 0.0)
                lag_seconds.add_metric(where, node.lag_seconds)
                lag_ops.add_metric(where, float(node.lag_ops))
                leader.add_metric(where, 1.0 if node.role == "leader" else 0.0)
        books: Mapping[str, Any] = snapshot.metrics.get("clusters", {}) if snapshot.metrics else {}
        for name, figures in books.items():
            for metric, key, _ in _BOOK_COUNTERS:
                if figures.get(key) is not None:
                    counters[metric].add_metric([name], float(figures[key]))
            if figures.get("rpo_seconds") is not None:
                rpo.add_metric([name], float(figures["rpo_seconds"]))
            if figures.get("rto_seconds") is not None:
                rto.add_metric([name], float(figures["rto_seconds"]))
        active: dict[tuple[str, str], int] = {}
        for fault in snapshot.faults:
            labels = fault_labels(fault.fault)
            active[labels] = active.get(labels, 0) + (1 if fault.healed_at is None else 0)
        for (kind, target), count in active.items():
            faults.add_metric([kind, target], float(count))

    yield from (info, clock, region_up, node_up, lag_seconds, lag_ops, leader, term, writable, availability)
    yield from counters.values()
    yield from (rpo, rto, faults)


def runbook_family(steps: Mapping[tuple[str, str], str]) -> Metric:
    family = _gauge("runbook_step", "1 for the status each runbook step is in, 0 for the others "
                    f"({', '.join(RUNBOOK_STATUSES)}).", ["runbook", "step", "status"])
    for (runbook, step), current in steps.items():
        for status in RUNBOOK_STATUSES:
            family.add_metric([runbook, step, status], 1.0 if status == current else 0.0)
    return family
