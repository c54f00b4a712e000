"""`regionctl status TOPOLOGY`"""

from __future__ import annotations

import click


@click.command()
@click.argument("topology", default="active-passive")
@click.option("--backend", type=click.Choice(["sim", "ssh"]), default="sim", show_default=True,
              help="sim: the embedded simulator; ssh: real hosts.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON (DESIGN.md shape).")
def status(topology: str, backend: str, as_json: bool) -> None:
    """Show regions, clusters, leaders, lag and tenants of TOPOLOGY.

    TOPOLOGY is a path to a YAML file or the name of a bundled topology
    (default: active-passive).

    \b
    Example:
      $ regionctl status topologies/active-passive.yaml --json
    """
    from regionctl.cli.common import fail, load_topology_or_exit, print_json

    if backend == "ssh":
        fail("status --backend ssh: the SSH backend is not built yet (issue 7); use --backend sim")
    model, _ = load_topology_or_exit(topology)
    from regionctl.backends.static import static_snapshot

    snapshot = static_snapshot(model, backend="sim")
    if as_json:
        print_json(snapshot.to_status_json())
    else:
        from regionctl.report.status_view import print_status

        print_status(snapshot)
