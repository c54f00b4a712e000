"""`regionctl drill TOPOLOGY --fault SPEC[@T][+D]...`"""

from __future__ import annotations

import sys
from typing import Any

import click

from regionctl.cli.common import speed_callback
from regionctl.contract.faults import FAULT_HELP


@click.command(epilog="\b\nFault specs:\n" + FAULT_HELP)
@click.argument("topology")
@click.option("--fault", "faults", multiple=True, metavar="SPEC[@T][+D]",
              help="A fault, when it starts (@T, default 0) and how long it lasts (+D, default: to the end). "
                   "Repeatable.")
@click.option("--scenario", "scenario_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Replay a scenario file (faults with start and duration, the drill's length and seed), such "
                   "as `regionctl explore --out DIR` writes; it replaces --fault, --duration and --seed.")
@click.option("--duration", default="10m", show_default=True, help="Simulated time to run.")
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same report.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report (shape: docs/report.md).")
@click.option("--junit", type=click.Path(dir_okay=False), help="Also write a JUnit XML file (one case per SLO).")
@click.option("--metrics-port", type=click.IntRange(0, 65535), metavar="PORT",
              help="Serve Prometheus metrics on this port (0: any free one) while the drill runs in real time "
                   "at --speed.")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="Address for --metrics-port.")
@click.option("--speed", metavar="X", callback=speed_callback,
              help="With --metrics-port: simulated seconds per wall second, 10x, 10 or 0.5x (default 1x; 60x runs "
                   "10m in 10s).")
@click.option("--history", "history_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Record probe sessions (a few clients per region and cluster, one operation at a time) and "
                   "write their operations to FILE as JSONL (docs/history.md); `regionctl check FILE` checks "
                   "them. The report gains a consistency section.")
@click.pass_context
def drill(ctx: click.Context, topology: str, faults: tuple[str, ...], scenario_path: str | None, duration: str,
          seed: int, as_json: bool,
          junit: str | None, metrics_port: int | None, metrics_host: str, speed: float | None,
          history_path: str | None) -> None:
    """Run faults on a schedule against the simulated TOPOLOGY and judge the SLOs.

    TOPOLOGY is a path or a bundled name. The report gives writes acknowledged and
    lost, RPO, RTO (detection, promotion, client reroute), availability, lag,
    stale reads, split-brain seconds and the blast radius.

    With --metrics-port the drill runs in real time at --speed while
    http://127.0.0.1:PORT/metrics serves its live state (see `regionctl exporter`), then
    prints the same report as without it; the endpoint closes when the drill ends.

    \b
    Exit codes: 0 every SLO held, 1 an SLO was missed, 2 invalid input or the port is
    in use, 5 interrupted (SIGINT/SIGTERM during a paced drill: no report).

    \b
    Example: lose us-east a minute in, for ten simulated minutes:
      regionctl drill topologies/active-passive.yaml --fault region:us-east@60s

    \b
    Replay a finding of `regionctl explore` (docs/explore.md):
      regionctl drill active-passive --scenario findings/finding-1.yaml
    """

    from regionctl.cli.common import duration_or_exit, fail, faults_or_exit, load_topology_or_exit, print_json
    from regionctl.units import format_duration

    model, _ = load_topology_or_exit(topology)
    scenario_probes = False
    if scenario_path is not None:
        total, schedule, seed, scenario_probes = _scenario_or_exit(ctx, scenario_path, model, faults)
    else:
        total = duration_or_exit("--duration", duration)
        if total <= 0:
            fail(f"--duration: expected a drill longer than 0s, found {duration}")
        schedule = faults_or_exit(faults, model)
    for item in schedule:
        if item.at > total:
            fail(f"--fault {item.fault.spec}@{format_duration(item.at)} starts after the drill ends "
                 f"({format_duration(total)}); raise --duration")

    if history_path is not None and metrics_port is not None:
        fail("--history records a drill that runs at once; it cannot be combined with --metrics-port yet")
    if metrics_port is None:
        if speed is not None:
            fail("--speed paces a drill served with --metrics-port; without it the drill runs at once")
        result = _unpaced(model, schedule, total, seed, history_path is not None or scenario_probes)
    else:
        from regionctl.cli.drill_metrics import paced_drill_or_exit

        result = paced_drill_or_exit(model, schedule, total, seed, speed, metrics_port, metrics_host)
    if history_path is not None:
        from regionctl.cli.common import write_history

        if result.history is not None:
            write_history(history_path, result.history, topology=model.name, seed=seed)
    if junit:
        from regionctl.report.junit import write_junit

        write_junit(result.typed, junit)
    if as_json:
        print_json(result.report)
    else:
        from regionctl.report.drill_view import print_drill

        print_drill(result.typed)
    sys.exit(int(result.exit_code))


def _scenario_or_exit(ctx: click.Context, path: str, model: Any,
                      faults: tuple[str, ...]) -> tuple[float, Any, int, bool]:
    """A scenario's length, faults, seed and probes; what it sets may not also be given on the command line."""
    from click.core import ParameterSource

    from regionctl.cli.common import fail
    from regionctl.exit_codes import ExitCode
    from regionctl.explore.scenario import read_scenario
    from regionctl.model.diagnostics import InputError

    if faults:
        fail("--scenario: the scenario holds the faults; drop --fault")
    for option in ("duration", "seed"):
        if ctx.get_parameter_source(option) is ParameterSource.COMMANDLINE:
            fail(f"--scenario: the scenario sets the drill's {option}; drop --{option}")
    try:
        scenario = read_scenario(path, model)
    except InputError as exc:
        for diag in exc.diagnostics:
            click.echo(diag.format(), err=True)
        sys.exit(int(ExitCode.INVALID_INPUT))
    return scenario.duration, list(scenario.faults), scenario.seed, scenario.probes


def _unpaced(model: Any, schedule: Any, total: float, seed: int, probes: bool) -> Any:
    """The drill at once; Ctrl-C or SIGTERM is exit 5 (INTERRUPTED) with one line, not click's
    "Aborted!" and exit 1. A simulated drill changes nothing real: there is nothing to roll back."""
    import signal
    import time

    from regionctl.cli.common import fail
    from regionctl.drill.runner import run_drill
    from regionctl.exit_codes import ExitCode

    def on_term(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        return run_drill(model, schedule, total, seed=seed, wall_clock=time.perf_counter, probes=probes)
    except KeyboardInterrupt:
        fail("interrupted; no report (a simulated drill changes nothing real: nothing to roll back)",
             ExitCode.INTERRUPTED)
    finally:
        signal.signal(signal.SIGTERM, previous)
