"""`regionctl status TOPOLOGY`"""

from __future__ import annotations

import click


@click.command()
@click.argument("topology", default="active-passive")
@click.option("--backend", type=click.Choice(["sim", "ssh"]), default="sim", show_default=True,
              help="sim: the embedded simulator; ssh: real hosts.")
@click.option("--at", "at", default="0s", show_default=True,
              help="Simulated time to run before taking the snapshot (sim backend).")
@click.option("--fault", "faults", multiple=True, metavar="SPEC[@T][+D]",
              help="Faults to inject before the snapshot, as in `drill`. Repeatable.")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON (DESIGN.md shape).")
def status(topology: str, backend: str, at: str, faults: tuple[str, ...], seed: int, as_json: bool) -> None:
    """Show regions, clusters, leaders, lag and tenants of TOPOLOGY.

    TOPOLOGY is a path to a YAML file or the name of a bundled topology
    (default: active-passive).

    \b
    With --at the simulator runs that long first (with any --fault), so the
    snapshot shows lag, leaders and health at that moment.

    \b
    Examples:
      $ regionctl status topologies/active-passive.yaml --json
      $ regionctl status active-passive --fault region:us-east@10s --at 60s
    """
    from regionctl.cli.common import duration_or_exit, fail, faults_or_exit, load_topology_or_exit, print_json

    if backend == "ssh":
        fail("status --backend ssh: the SSH backend is not built yet (issue 7); use --backend sim")
    model, _ = load_topology_or_exit(topology)
    until = duration_or_exit("--at", at)
    from regionctl.sim.simulator import Simulation

    sim = Simulation(model, seed=seed)
    for item in faults_or_exit(faults, model):
        sim.schedule_fault(item.fault, item.at, item.duration)
    sim.run_until(until)
    snapshot = sim.snapshot(backend="sim")
    if as_json:
        print_json(snapshot.to_status_json())
    else:
        from regionctl.report.status_view import print_status

        print_status(snapshot)
