"""`--metrics-port` for any command (drill, run, tui): open the endpoint or exit 2 with one line."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from regionctl.exporter import MetricsExporter, MetricsServer

HZ = 4.0  # snapshots per wall second: finer than any sane scrape interval, cheap for the simulator
METRICS_PORT_HELP = "Serve Prometheus metrics on http://127.0.0.1:PORT/metrics while it runs (0: any free port)."


def serve_metrics_or_exit(exporter: MetricsExporter, port: int, host: str = "127.0.0.1") -> MetricsServer:
    """Start the /metrics endpoint; a port in use, an unknown host or a refused bind exits 2."""
    from regionctl.cli.common import fail
    from regionctl.exporter import MetricsServerError, start_metrics_server

    try:
        return start_metrics_server(exporter, port, host)
    except MetricsServerError as exc:
        fail(str(exc))
