"""`regionctl status TOPOLOGY`"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from regionctl.cli.common import FIRST_VIEW_AT
from regionctl.data import DEFAULT_TOPOLOGY

if TYPE_CHECKING:
    from regionctl.contract.snapshot import Snapshot
    from regionctl.model.topology import Topology


@click.command()
@click.argument("topology", default=DEFAULT_TOPOLOGY)
@click.option("--backend", type=click.Choice(["sim", "ssh"]), default="sim", show_default=True,
              help="sim: the embedded simulator; ssh: real hosts.")
@click.option("--at", "at", default=FIRST_VIEW_AT, show_default=True,
              help="The simulated moment shown: the simulator runs this long from a cold start first (sim "
                   "backend). The default is the moment the dashboard shows outside a terminal: leaders "
                   "elected, lag steady. 0s shows the cold start.")
@click.option("--fault", "faults", multiple=True, metavar="SPEC[@T][+D]",
              help="Faults to inject before the snapshot, as in `drill`. Repeatable.")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True,
              help="Print the status as JSON (its `time` is the moment shown; shape in docs/report.md).")
@click.pass_context
def status(ctx: click.Context, topology: str, backend: str, at: str, faults: tuple[str, ...], seed: int,
           as_json: bool) -> None:
    """Show regions, clusters, leaders, lag and tenants of TOPOLOGY.

    TOPOLOGY is a path to a YAML file or the name of a bundled topology
    (default: active-passive).

    \b
    The simulator runs from a cold start to --at (default 30s, with any --fault),
    and the snapshot shows lag, leaders and health at that moment; the first line
    says which moment it is. A long --at shows progress on a terminal; Ctrl-C stops it.

    \b
    Examples:
      $ regionctl status topologies/active-passive.yaml --json
      $ regionctl status active-passive --fault region:us-east@10s --at 60s
    """
    from regionctl.cli.common import duration_or_exit, fail, faults_or_exit, load_topology_or_exit, print_json

    model, path = load_topology_or_exit(topology)
    if backend == "ssh":
        explicit_at = ctx.get_parameter_source("at") is not click.core.ParameterSource.DEFAULT
        if faults or explicit_at:
            fail("status --backend ssh reads the real hosts as they are now; --fault and --at are for the simulator")
        snapshot = _ssh_snapshot(model, path.parent)
        if as_json:
            print_json(snapshot.to_status_json())
        else:
            from regionctl.report.status_view import print_status

            print_status(snapshot)
        return
    until = duration_or_exit("--at", at)
    from regionctl.cli.sim_progress import run_until_with_progress, stderr_is_a_terminal
    from regionctl.sim.simulator import Simulation

    sim = Simulation(model, seed=seed)
    for item in faults_or_exit(faults, model):
        sim.schedule_fault(item.fault, item.at, item.duration)
    run_until_with_progress(sim, until, show=not as_json and stderr_is_a_terminal())
    snapshot = sim.snapshot(backend="sim")
    if as_json:
        print_json(snapshot.to_status_json())
    else:
        from regionctl.report.status_view import print_status
        from regionctl.units import format_duration

        default = " (the default --at, as the dashboard outside a terminal)" if at == FIRST_VIEW_AT else ""
        click.echo(f"simulated moment shown: t={format_duration(until)} after a cold start, seed {seed}{default}")
        print_status(snapshot)


def _ssh_snapshot(model: Topology, base_dir: Path) -> Snapshot:
    """One probe round over SSH; hosts that do not answer show as down, with the reason on stderr."""
    import asyncio

    from regionctl.backends.ssh import open_ssh_backend
    from regionctl.backends.ssh.targets import TopologyNotReachable
    from regionctl.cli.common import fail

    async def probe() -> tuple[Snapshot, dict[str, str]]:
        backend = await open_ssh_backend(model, base_dir)
        try:
            return backend.snapshot(), backend.errors()
        finally:
            await backend.close()

    try:
        snapshot, errors = asyncio.run(probe())
    except TopologyNotReachable as exc:
        fail(f"status --backend ssh: {exc}")
    for node, error in errors.items():
        click.echo(f"regionctl: {node}: {error}", err=True)
    nodes = [n.name for c in snapshot.clusters for n in c.nodes]
    if nodes and all(n in errors and "unreachable" in errors[n] for n in nodes):
        from regionctl.exit_codes import ExitCode

        fail("status --backend ssh: no host answered (wrong address, port or key? see the reasons above)",
             ExitCode.STEP_ERROR)
    return snapshot
