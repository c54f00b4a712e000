"""Prometheus metrics of a live topology, fed from the Snapshots of any backend.

    exporter = MetricsExporter()
    with start_metrics_server(exporter, 9464) as server:   # http://127.0.0.1:9464/metrics
        await backend.play(exporter.update)                 # every tick publishes a Snapshot
        exporter.runbook_step("failover", "promote", "running")

Importing this package imports prometheus_client: keep it off the `regionctl --help` path.
"""

from regionctl.exporter.exporter import MetricsExporter
from regionctl.exporter.families import RUNBOOK_STATUSES
from regionctl.exporter.server import MetricsServer, MetricsServerError, start_metrics_server

__all__ = ["RUNBOOK_STATUSES", "MetricsExporter", "MetricsServer", "MetricsServerError", "start_metrics_server"]
