"""`regionctl run TOPOLOGY RUNBOOK`: execute a failover runbook, headless."""

from __future__ import annotations

import click

from regionctl.cli.common import speed_callback
from regionctl.cli.run_help import RUN_EPILOG


@click.command(epilog=RUN_EPILOG)
@click.argument("topology")
@click.argument("runbook")
@click.option("--backend", type=click.Choice(["sim", "ssh"]), default="sim", show_default=True,
              help="The embedded simulator, or the topology's real hosts over SSH.")
@click.option("--seed", default=1, show_default=True, type=int, help="Simulator seed: same seed, same report.")
@click.option("--warmup", default="30s", show_default=True,
              help="Simulator only: traffic runs this long before the first step (leaders elected, lag steady).")
@click.option("--speed", default=None, metavar="X", callback=speed_callback,
              help="Simulator only: pace the run at X simulated seconds per second, 10x, 10 or 0.5x (default: "
                   "as fast as it computes). Useful with --metrics-port, or to watch and interrupt a run.")
@click.option("--compare", is_flag=True,
              help="Run the runbook on the simulator, then on the topology's hosts over SSH, and print RTO, RPO, "
                   "lag and step times side by side: how well the simulator predicts your estate. The exit "
                   "code is the real hosts' result.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE", help="Set a runbook parameter.")
@click.option("--dry-run", is_flag=True, help="Check and print the plan; connect to nothing, change nothing.")
@click.option("--yes", is_flag=True, help="Approve every approval gate (and go on past `pause` guards).")
@click.option("--approve", "approvals", multiple=True, metavar="STEP", help="Approve this gate only. Repeatable.")
@click.option("--keep-faults", is_flag=True, help="Leave injected faults in place at the end (no automatic heal).")
@click.option("--journal", "journal_path", type=click.Path(dir_okay=False),
              help="Write the journal here (default: a new file in ~/.local/state/regionctl/journals).")
@click.option("--resume", "resume_path", type=click.Path(dir_okay=False),
              help="Continue a run that was killed, from its journal; completed steps are not run again.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the JSON report on stdout (shape: docs/report.md); with --dry-run, the plan.")
@click.option("--junit", type=click.Path(dir_okay=False), help="Also write JUnit XML: one case per step and SLO.")
@click.option("--metrics-port", type=int, default=None,
              help="Serve Prometheus metrics on 127.0.0.1:PORT while running.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines on stderr.")
@click.option("--history", "history_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the run's probe operations to FILE as JSONL (docs/history.md): the simulator's probe "
                   "sessions, or on real hosts the probe writes and their read-back; `regionctl check FILE` "
                   "checks them.")
@click.option("--keep-probes", is_flag=True,
              help="--backend ssh: leave the probe writes' records in place after the run (removed by default).")
def run(topology: str, runbook: str, backend: str, seed: int, warmup: str, speed: float | None, compare: bool,
        variables: tuple[str, ...], dry_run: bool, yes: bool, approvals: tuple[str, ...], keep_faults: bool,
        journal_path: str | None,
        resume_path: str | None, as_json: bool, junit: str | None, metrics_port: int | None, quiet: bool,
        history_path: str | None, keep_probes: bool) -> None:
    """Run RUNBOOK of TOPOLOGY: prechecks, steps in dependency order, guards, rollback.

    TOPOLOGY is a path or a bundled name; RUNBOOK is the name of one of its runbooks
    (`regionctl status TOPOLOGY` lists them) or a path to a runbook file.

    \b
    Safe by construction:
      - a precheck that does not hold exits 3 and touches nothing;
      - each injected fault is healed at the end, last in first out (unless --keep-faults),
        also after a failure, a tripped guard, Ctrl-C or SIGTERM;
      - the journal is written (fsynced, mode 0600, secrets redacted) before and after
        each step that changes something; `--resume JOURNAL` continues a killed run and
        `regionctl recover JOURNAL` heals what a dead run left injected;
      - approval gates need --yes or --approve STEP when nobody is at the keyboard.
    """
    from regionctl.cli.run_session import RunRequest, execute

    request = RunRequest(topology=topology, runbook=runbook, backend=backend, seed=seed, warmup=warmup, speed=speed,
                         compare=compare,
                         variables=variables, dry_run=dry_run, yes=yes, approvals=approvals,
                         keep_faults=keep_faults, journal_path=journal_path, resume_path=resume_path,
                         as_json=as_json, junit=junit, metrics_port=metrics_port, quiet=quiet,
                         history_path=history_path, keep_probes=keep_probes)
    execute(request)
