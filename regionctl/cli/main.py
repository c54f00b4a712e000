"""`regionctl`: the entry point. Commands are imported only when they run, so that
`regionctl --help` stays fast (no pydantic, Textual, asyncssh or simulator)."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from regionctl import __version__

# name -> (module, attribute, one-line help shown in `regionctl --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "tui": ("regionctl.cli.tui", "tui", "Open the live dashboard (faults, lag, leaders, blast radius, runbooks)."),
    "status": ("regionctl.cli.status", "status", "Show regions, clusters, leaders and lag of a topology."),
    "drill": ("regionctl.cli.drill", "drill", "Inject faults on a schedule in the simulator and report RTO/RPO."),
    "explore": ("regionctl.cli.explore", "explore", "Search fault schedules for the worst outcome, shrunk to a drill."),
    "blast": ("regionctl.cli.blast", "blast", "Predict what a fault would reach, before injecting it."),
    "run": ("regionctl.cli.run", "run", "Run a failover runbook (simulated or over SSH), with journal and rollback."),
    "replay": ("regionctl.cli.replay", "replay", "Replay a recorded dashboard session: any moment, event by event."),
    "recover": ("regionctl.cli.recover", "recover", "Heal what a killed run left injected, from its journal."),
    "lab": ("regionctl.cli.lab", "lab", "Step through a guided region-outage lab, or check one headless."),
    "check": ("regionctl.cli.check", "check", "Check a probe history for consistency anomalies (linearizable...)."),
    "exporter": ("regionctl.cli.exporter", "exporter", "Serve Prometheus metrics of a live topology."),
    "sandbox": ("regionctl.cli.sandbox", "sandbox", "Start or stop a real multi-region cluster on this machine."),
    "validate": ("regionctl.cli.validate", "validate", "Check topology, runbook and lab files; exit 0 or 2."),
    "schema": ("regionctl.cli.schema", "schema", "Print the JSON Schema of topology, runbook or lab files."),
}

EPILOG = """\b
Examples:
  regionctl                                   dashboard on the bundled active-passive topology
  regionctl my-topology.yaml                  dashboard on your topology (regionctl tui ...)
  regionctl validate topologies/*.yaml        check files; errors as FILE:LINE:COL
  regionctl status active-active --json       the topology's state as JSON
  regionctl schema topology > topology.json   JSON Schema for your editor

\b
Exit codes: 0 passed, 1 failed, 2 invalid input, 3 aborted, 4 step error,
5 interrupted, 6 rollback failed.
"""


class LazyGroup(click.Group):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # `regionctl my-topology.yaml`: what a newcomer types after `regionctl` alone opened the dashboard.
        if args and args[0] not in COMMANDS and args[0].endswith((".yaml", ".yml")):
            args = ["tui", *args]
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(entry[0])
        command: click.Command = getattr(module, entry[1])
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Use the registry's one-liners: importing every command just to list them is slow.
        rows = [(name, help_text) for name, (_, _, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, invoke_without_command=True, epilog=EPILOG,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="regionctl")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """regionctl: rehearse region outages and failovers, on a simulator or real hosts.

    Without a command it opens the dashboard on the bundled active-passive topology,
    running on the embedded simulator.
    """
    if ctx.invoked_subcommand is None:
        from regionctl.cli.tui import default_entry

        ctx.invoke(default_entry)


def main(argv: list[str] | None = None) -> Any:
    from regionctl.exit_codes import ExitCode

    try:
        return cli.main(args=argv, prog_name="regionctl")
    except KeyboardInterrupt:  # Ctrl-C where a command has no handler of its own: one line, no traceback
        click.echo("regionctl: interrupted", err=True)
        sys.exit(int(ExitCode.INTERRUPTED))
