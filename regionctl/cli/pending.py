"""Commands whose issues have not landed yet: each says so plainly and exits 2."""

from __future__ import annotations

import sys

import click

from regionctl.exit_codes import ExitCode


def _not_yet(command: str, issue: int, what: str, instead: str) -> None:
    click.echo(f"regionctl {command}: {what} is not built yet (issue {issue}); {instead}", err=True)
    sys.exit(int(ExitCode.INVALID_INPUT))


_ANY = {"ignore_unknown_options": True, "allow_extra_args": True}


@click.command(context_settings=_ANY)
def tui() -> None:
    """Open the live dashboard (not built yet)."""
    _not_yet("tui", 6, "the dashboard", "try `regionctl status active-passive`")


@click.command(context_settings=_ANY)
def drill() -> None:
    """Run faults on a schedule in the simulator (not built yet)."""
    _not_yet("drill", 3, "the simulator", "try `regionctl status` for the static view")


@click.command(context_settings=_ANY)
def blast() -> None:
    """Predict a fault's blast radius (not built yet)."""
    _not_yet("blast", 4, "blast-radius prediction", "try `regionctl status` for the static view")


@click.command(context_settings=_ANY)
def exporter() -> None:
    """Serve Prometheus metrics (not built yet)."""
    _not_yet("exporter", 9, "the metrics exporter", "nothing else serves metrics yet")


@click.command()
def default_entry() -> None:
    """What bare `regionctl` runs: the dashboard once it lands, the simulated status view until then."""
    from regionctl.cli.common import load_topology_or_exit
    from regionctl.data import default_topology_path
    from regionctl.report.status_view import print_status
    from regionctl.sim.simulator import Simulation

    model, _ = load_topology_or_exit(str(default_topology_path()))
    sim = Simulation(model, seed=1)
    sim.run_until(30.05)  # half a minute of traffic (mid-tick: replicas show their streaming lag)
    print_status(sim.snapshot(backend="sim"))
    click.echo("(the live dashboard is not built yet: this is the simulated status after 30s.\n"
               " Try an outage: regionctl drill active-passive --fault region:us-east@60s)", err=True)
