"""`regionctl sandbox up|down|status [--dir D]`: a real three-region estate on this machine."""

from __future__ import annotations

from pathlib import Path

import click

from regionctl.exit_codes import ExitCode

DEFAULT_DIR = "/var/tmp/regionctl-sandbox"  # other users must reach it: the engines run as a dedicated user

_DIR = click.option("--dir", "directory", default=DEFAULT_DIR, show_default=True, type=click.Path(path_type=Path),
                    help="Where the sandbox keeps keys, data, logs and its topology file.")


@click.group()
def sandbox() -> None:
    """Start or stop a real multi-region cluster on this machine.

    \b
    Three regions (us-east, eu-west, ap-south), each a network namespace with its own
    address (10.77.0.1-3) and its own sshd (user rcsandbox, generated keys, known_hosts).
    PostgreSQL: pg-1 primary, pg-2/pg-3 streaming standbys. Redis: cache-1 master,
    cache-2/cache-3 replicas. etcd: one member per region. Needs root and the packages
    (it prints the apt command when they are missing).

    \b
    Examples:
      $ regionctl sandbox up
      $ regionctl status /var/tmp/regionctl-sandbox/sandbox.yaml --backend ssh
      $ regionctl sandbox down
    """


def _run(action: str, directory: Path) -> object:
    from regionctl.cli.common import fail
    from regionctl.sandbox import manager

    try:
        if action == "up":
            return manager.up(directory, log=lambda m: click.echo(m, err=True))
        return manager.down(directory, log=lambda m: click.echo(m, err=True))
    except manager.SandboxError as exc:
        fail(f"sandbox {action}: {exc}")
    except (RuntimeError, OSError) as exc:
        fail(f"sandbox {action} failed: {exc} (clean up with `regionctl sandbox down --dir {directory}`)",
             ExitCode.STEP_ERROR)


@sandbox.command()
@_DIR
def up(directory: Path) -> None:
    """Build the sandbox (idempotent) and print its topology file's path."""
    click.echo(str(_run("up", directory)))


@sandbox.command()
@_DIR
def down(directory: Path) -> None:
    """Stop every process the sandbox started, by PID; delete its namespaces and files."""
    _run("down", directory)


@sandbox.command()
@_DIR
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(directory: Path, as_json: bool) -> None:
    """Show whether the sandbox is up: namespaces and processes. Exit 0 when all run, 1 otherwise."""
    import sys

    from regionctl.cli.common import print_json
    from regionctl.sandbox import manager

    current = manager.status(directory.resolve())
    # Namespaces of ours while the sandbox is not up: an earlier run died or was half built.
    leftovers = [] if current.up else current.namespaces
    remove = f"`regionctl sandbox down --dir {directory}` removes them (as root)"
    if as_json:
        print_json({**current.to_json(), "leftover_namespaces": leftovers})
    else:
        click.echo(f"sandbox {'up' if current.up else 'down'} ({current.dir})")
        if leftovers:
            click.echo(f"  namespaces: {', '.join(leftovers)}: leftovers of an earlier run; {remove}")
        else:
            click.echo(f"  namespaces: {', '.join(current.namespaces) or 'none'}")
        for name, pid in current.processes.items():
            click.echo(f"  {name:<16} {'pid ' + str(pid) if pid else 'not running'}")
        if current.up:
            click.echo(f"  topology:   {current.dir / 'sandbox.yaml'}")
    sys.exit(0 if current.up else int(ExitCode.FAILED))
