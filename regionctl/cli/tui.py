"""`regionctl tui` (and bare `regionctl`): the live dashboard. Textual is imported only
here, inside the command, so `regionctl --help` never pays for it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from regionctl.cli.common import TOPOLOGY_ARG_HELP, fail, load_topology_or_exit, speed_callback
from regionctl.exit_codes import ExitCode

if TYPE_CHECKING:
    from regionctl.contract.commands import ClosableBackend
    from regionctl.contract.snapshot import Snapshot


def _interactive() -> bool:
    # Textual draws on stderr and reads stdin; stdout piped means a script wants text.
    return all(stream.isatty() for stream in (sys.stdin, sys.stdout, sys.stderr))


def _ssh_module() -> Any:
    import importlib

    try:
        return importlib.import_module("regionctl.backends.ssh")
    except ImportError as exc:  # asyncssh missing from a broken install
        fail(f"--backend ssh: cannot load the SSH backend ({exc}); reinstall regionctl")


def run_dashboard(topology_arg: str | None, *, seed: int, speed: float, backend: str,
                  metrics_port: int | None, record: Path | None = None) -> None:
    from regionctl.data import default_topology_path

    model, path = load_topology_or_exit(topology_arg or str(default_topology_path()))
    factor = speed
    ssh = _ssh_module() if backend == "ssh" else None
    if not _interactive():
        fail("the dashboard needs a terminal (stdin, stdout and stderr are not all a TTY); "
             "for scripts use `regionctl status` or `regionctl drill`")
    if record is not None and backend != "sim":
        fail("--record: only a session on the simulator can be replayed (real hosts are not deterministic)")
    topology_yaml = _topology_text(path)
    from regionctl.tui.app import Dashboard

    observers: list[Callable[[Snapshot], None]] = []
    step_observer: Callable[[str, str, str], None] | None = None
    notes: list[str] = []
    server = None
    if metrics_port is not None:  # bound after the checks above: a refused run leaves no port open
        from regionctl.cli.metrics_option import serve_metrics_or_exit
        from regionctl.exporter import MetricsExporter

        exporter = MetricsExporter()
        server = serve_metrics_or_exit(exporter, metrics_port)
        observers.append(exporter.update)
        step_observer = exporter.runbook_step
        notes.append(f"Prometheus metrics at {server.url}")

    async def dashboard() -> int | None:
        # The backend is opened in the app's own event loop (SSH connections belong to one loop).
        if ssh is not None:
            try:
                chosen: ClosableBackend = await ssh.open_ssh_backend(model, base_dir=path.parent, probe_writes=True)
            except Exception as exc:  # unreachable hosts, refused keys: one sentence, exit 4
                click.echo(f"regionctl: cannot reach the hosts over SSH: {exc}", err=True)
                return int(ExitCode.STEP_ERROR)
            try:
                return await Dashboard(chosen, model, seed=seed, observers=observers,
                                       step_observer=step_observer, notes=notes).run_async()
            finally:
                await chosen.close()
        from regionctl.analysis.reach import forked_predictor
        from regionctl.backends.sim_backend import SimBackend

        sim_backend = SimBackend(model, seed=seed, speed=factor)
        sim_backend.session.topology_yaml, sim_backend.session.topology_file = topology_yaml, str(path)
        recorder = _recorder(record, seed, topology_yaml, str(path)) if record is not None else None
        if recorder is not None:
            sim_backend.session.listeners.append(recorder)
            notes.append(f"recording this session to {record} (regionctl replay {record})")
        try:
            # The picker's preview forks the live simulation and runs the fault forward (regionctl.analysis).
            return await Dashboard(sim_backend, model, seed=seed, observers=observers, step_observer=step_observer,
                                   notes=notes, predictor=forked_predictor(sim_backend.sim.fork)).run_async()
        finally:
            if recorder is not None:
                recorder.close(sim_backend.sim.now)
                click.echo(f"regionctl: session recorded to {record}: regionctl replay {record}", err=True)

    import asyncio

    try:
        code = asyncio.run(dashboard())
    finally:
        if server is not None:
            server.close()
    sys.exit(code or 0)


def _topology_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _recorder(record: Path, seed: int, topology_yaml: str | None, topology_file: str) -> Any:
    from regionctl.replay.sessionfile import Recorder

    if topology_yaml is None:
        fail(f"--record: cannot read the topology's text from {topology_file}")
    try:
        return Recorder(record, seed, topology_yaml, topology_file)
    except OSError as exc:
        fail(f"--record: cannot write {record}: {exc.strerror or exc}")


@click.command(epilog=TOPOLOGY_ARG_HELP)
@click.argument("topology", required=False)
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the simulator's RNG.")
@click.option("--speed", default="1x", show_default=True, callback=speed_callback,
              help="Simulated seconds per wall second: 10x, 10 or 0.5x.")
@click.option("--backend", type=click.Choice(["sim", "ssh"]), default="sim", show_default=True,
              help="The embedded simulator, or real hosts over SSH.")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
              help="Also serve Prometheus metrics on http://127.0.0.1:PORT/metrics (0: any free port).")
@click.option("--record", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="FILE",
              help="Record the session (seed, topology, every command at its simulated time) to FILE, "
                   "for `regionctl replay FILE`.")
def tui(topology: str | None, seed: int, speed: float, backend: str, metrics_port: int | None,
        record: Path | None) -> None:
    """Open the live dashboard on TOPOLOGY: a YAML file, or a bundled topology by name (active-passive,
    the default; active-active, hybrid, single-region, tenancy-bridge, tenancy-pool, tenancy-silo).

    Keys: f inject a fault, h/H heal, space pause, +/- speed, r runbook (✔/✘: may it start from here),
    v switch view (small terminals), e/w filter the events by cluster/severity, l scroll them, b replay the
    session so far (a time scrubber), ? help, q quit.
    """
    run_dashboard(topology, seed=seed, speed=speed, backend=backend, metrics_port=metrics_port, record=record)


@click.command()
def default_entry() -> None:
    """What bare `regionctl` runs: the dashboard on the bundled default topology."""
    if not _interactive():
        # Piped or in CI: the simulated status after half a minute says the same in text.
        from regionctl.cli.common import FIRST_VIEW_AT
        from regionctl.data import default_topology_path
        from regionctl.report.status_view import print_status
        from regionctl.sim.simulator import Simulation
        from regionctl.units import parse_duration

        model, _ = load_topology_or_exit(str(default_topology_path()))
        sim = Simulation(model, seed=1)
        sim.run_until(parse_duration(FIRST_VIEW_AT))  # the moment `regionctl status` shows by default
        print_status(sim.snapshot(backend="sim"))
        click.echo(f"(not a terminal: this is the simulated status at t={FIRST_VIEW_AT}, as `regionctl status` "
                   "shows it; in a terminal, `regionctl` opens the live dashboard)", err=True)
        return
    run_dashboard(None, seed=1, speed=1.0, backend="sim", metrics_port=None)
