"""MetricsExporter: the latest Snapshot and the runbook steps, served as a Prometheus collector.

Frontends call `update(snapshot)` on every tick and `runbook_step(...)` on every executor
event; the HTTP thread calls `collect()` on every scrape. The Snapshot is immutable and
swapped by one reference assignment, so a scrape sees one whole tick, never half of one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric

from regionctl.contract.snapshot import Snapshot
from regionctl.exporter.families import RUNBOOK_STATUSES, runbook_family, snapshot_families


class MetricsExporter:
    """A custom Collector registered in its own CollectorRegistry (never the process-global one, so
    two exporters in one process, or tests, do not collide and no process/GC metrics leak in)."""

    def __init__(self, snapshot: Snapshot | None = None) -> None:
        self._snapshot = snapshot
        self._steps: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    @property
    def snapshot(self) -> Snapshot | None:
        return self._snapshot

    def update(self, snapshot: Snapshot) -> None:
        """Serve this Snapshot from now on (call it from the tick source, e.g. SimBackend.play)."""
        self._snapshot = snapshot

    def runbook_step(self, runbook: str, step: str, status: str) -> None:
        """Record a runbook step's status (contract.steps.StepStatus: pending, running, ok, failed)."""
        if status not in RUNBOOK_STATUSES:
            raise ValueError(f"unknown runbook step status {status!r}; expected one of {', '.join(RUNBOOK_STATUSES)}")
        with self._lock:
            self._steps[(runbook, step)] = status

    def runbook_steps(self, runbook: str, steps: Iterable[str]) -> None:
        """Announce a runbook's plan: every step pending, replacing what an earlier run of it left."""
        with self._lock:
            for key in [k for k in self._steps if k[0] == runbook]:
                del self._steps[key]
            for step in steps:
                self._steps[(runbook, step)] = "pending"

    def reset_runbook(self, runbook: str) -> None:
        """Forget a runbook's steps (before running it again, so old steps do not linger)."""
        with self._lock:
            for key in [k for k in self._steps if k[0] == runbook]:
                del self._steps[key]

    def collect(self) -> Iterable[Metric]:
        snapshot = self._snapshot  # one read: the whole scrape describes the same tick
        with self._lock:
            steps = dict(self._steps)
        yield from snapshot_families(snapshot)
        yield runbook_family(steps)

    def exposition(self) -> str:
        """The text a scrape of /metrics returns (Prometheus text format 0.0.4)."""
        return generate_latest(self.registry).decode("utf-8")
