"""`regionctl exporter TOPOLOGY [--port P] [--host H] [--speed X] [--seed N] [--backend sim|ssh] [--fault ...]`"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from regionctl.cli.common import speed_callback
from regionctl.contract.faults import FAULT_HELP
from regionctl.exit_codes import ExitCode

if TYPE_CHECKING:
    from pathlib import Path


def serve_real_hosts(model: Any, base_dir: Path, port: int, host: str) -> None:
    """The exporter on real hosts over SSH: each tick is a probe round; serves until SIGINT/SIGTERM."""
    import asyncio

    from regionctl.backends.ssh import open_ssh_backend
    from regionctl.backends.ssh.targets import TopologyNotReachable
    from regionctl.cli.common import fail
    from regionctl.cli.metrics_option import HZ, serve_metrics_or_exit
    from regionctl.exporter import MetricsExporter
    from regionctl.exporter.live import play_until_stopped

    async def serve() -> str | None:
        try:
            backend = await open_ssh_backend(model, base_dir)
        except TopologyNotReachable as exc:
            fail(f"exporter --backend ssh: {exc}")
        metrics = MetricsExporter(backend.snapshot())
        server = serve_metrics_or_exit(metrics, port, host)

        def announce() -> None:
            click.echo(f"regionctl exporter: {model.name} on real hosts over SSH, metrics at {server.url} "
                       "(Ctrl-C stops)")
            for node, error in backend.errors().items():
                click.echo(f"  {node}: {error}", err=True)

        try:
            return await play_until_stopped(backend, metrics, hz=HZ, on_ready=announce)
        finally:
            server.close()
            await backend.close()

    stopped_by = asyncio.run(serve())
    click.echo(f"regionctl exporter: {stopped_by or 'stopped'} received; metrics server closed")
    sys.exit(int(ExitCode.PASSED))


@click.command(epilog="\b\nFault specs:\n" + FAULT_HELP)
@click.argument("topology")
@click.option("--port", default=9464, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port of the /metrics endpoint (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; loopback unless told otherwise (0.0.0.0 for every interface).")
@click.option("--speed", default="1x", show_default=True, callback=speed_callback,
              help="Simulated seconds per wall second, 10x, 10 or 0.5x (10x: a minute of drill every 6 s).")
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same run.")
@click.option("--backend", default="sim", show_default=True, type=click.Choice(["sim", "ssh"]),
              help="sim: the embedded simulator, paced at --speed; ssh: the topology's real hosts, probed "
                   "over SSH every tick (--speed, --seed and --fault are for the simulator).")
@click.option("--fault", "faults", multiple=True, metavar="SPEC[@T][+D]",
              help="Inject a fault at simulated time T (default 0) for D (default: until stopped). Repeatable.")
def exporter(topology: str, port: int, host: str, speed: float, seed: int, backend: str,
             faults: tuple[str, ...]) -> None:
    """Run TOPOLOGY live and serve its Prometheus metrics on http://HOST:PORT/metrics.

    The simulator runs at --speed; every quarter of a wall second the latest snapshot
    (lag, leaders, terms, node and region health, faults, writes acknowledged and lost,
    availability, RPO, RTO, split brain) replaces the one served. With --backend ssh each
    tick is a probe round of the real hosts (no client traffic there: no RPO or writes lost).
    Serves until SIGINT or SIGTERM.

    \b
    Exit codes: 0 stopped on purpose (SIGINT/SIGTERM: the normal end of a server),
    2 invalid input, or the port is in use.

    \b
    Example: watch a region outage one minute in, at 10x:
      regionctl exporter topologies/active-passive.yaml --speed 10x --fault region:us-east@60s
      curl -s http://127.0.0.1:9464/metrics | grep regionctl_leader
    """
    from regionctl.cli.common import faults_or_exit, load_topology_or_exit
    from regionctl.cli.metrics_option import HZ, serve_metrics_or_exit
    from regionctl.units import format_duration

    model, path = load_topology_or_exit(topology)
    schedule = faults_or_exit(faults, model)
    if backend == "ssh":
        if schedule or speed != 1.0:
            from regionctl.cli.common import fail

            fail("exporter --backend ssh serves the real hosts as they are: --fault and --speed are for the simulator")
        serve_real_hosts(model, path.parent, port, host)

    import asyncio

    from regionctl.backends.sim_backend import SimBackend
    from regionctl.exporter import MetricsExporter
    from regionctl.exporter.live import play_until_stopped

    sim_backend = SimBackend(model, seed=seed, speed=speed)
    for item in schedule:
        # Scheduled on the simulator's own clock, so a fault lands at exactly T whatever the pacing.
        sim_backend.sim.schedule_fault(item.fault, item.at, item.duration)
    metrics = MetricsExporter(sim_backend.snapshot())  # served from the first scrape on, before the tick source runs
    server = serve_metrics_or_exit(metrics, port, host)
    def announce() -> None:
        click.echo(f"regionctl exporter: {model.name} on the simulator at {speed:g}x (seed {seed}), "
                   f"metrics at {server.url} (Ctrl-C stops)")
        for item in schedule:
            lasting = f" for {format_duration(item.duration)}" if item.duration is not None else ""
            click.echo(f"  fault {item.fault.spec} at t={format_duration(item.at)}{lasting}")

    try:
        stopped_by = asyncio.run(play_until_stopped(sim_backend, metrics, hz=HZ, on_ready=announce))
    finally:
        server.close()
    simulated = format_duration(sim_backend.sim.now)
    click.echo(f"regionctl exporter: {stopped_by or 'stopped'} received after {simulated} simulated; "
               "metrics server closed")
    sys.exit(int(ExitCode.PASSED))
