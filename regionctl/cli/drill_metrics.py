"""`drill --metrics-port`: the drill paced in real time while /metrics serves it (messages on stderr,
so that `--json` output stays clean)."""

from __future__ import annotations

import click

from regionctl.contract.faults import ScheduledFault
from regionctl.drill.runner import DrillResult
from regionctl.exit_codes import ExitCode
from regionctl.model.topology import Topology


def paced_drill_or_exit(model: Topology, schedule: list[ScheduledFault], total: float, seed: int,
                        speed: float | None, port: int, host: str) -> DrillResult:
    from regionctl.cli.common import fail
    from regionctl.cli.metrics_option import HZ, serve_metrics_or_exit
    from regionctl.drill.paced import PacedDrill
    from regionctl.exporter import MetricsExporter
    from regionctl.units import format_duration

    factor = 1.0 if speed is None else speed
    exporter = MetricsExporter()
    drill = PacedDrill(model, schedule, total, seed, factor, exporter)
    with serve_metrics_or_exit(exporter, port, host) as server:
        click.echo(f"regionctl drill: {format_duration(total)} simulated at {factor:g}x "
                   f"(~{format_duration(total / factor)} wall), metrics at {server.url}", err=True)
        outcome = drill.run(hz=HZ)
    if outcome.result is None:
        fail(f"drill interrupted by {outcome.stopped_by} at t={format_duration(outcome.sim_seconds)} "
             f"of {format_duration(total)}; no report", ExitCode.INTERRUPTED)
    return outcome.result
