"""`regionctl recover JOURNAL`: heal what a dead run left injected."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from regionctl.contract.commands import Command
    from regionctl.model.topology import Topology


@click.command()
@click.argument("journal", type=click.Path(dir_okay=False))
@click.option("--topology", "topology_value", default=None,
              help="The topology file of the run (default: the path the journal recorded).")
@click.option("--dry-run", is_flag=True, help="Say what would be healed; change nothing.")
def recover(journal: str, topology_value: str | None, dry_run: bool) -> None:
    """Roll back what a killed run (SIGKILL, power loss) left injected, from its JOURNAL.

    The journal lists every fault the run injected and every heal it already did; the
    heals still owed are applied last in first out, and each is journaled. A simulated
    run needs nothing: its faults died with its process.

    \b
    Exit codes: 0 nothing left injected, 2 not a journal, 4 the hosts cannot be
    reached, 6 a heal failed (the output says what is left degraded).
    """
    import asyncio

    from regionctl.cli.common import fail
    from regionctl.exit_codes import ExitCode
    from regionctl.runbook.journal import Journal, JournalError, describe_command, journal_state, read_journal

    try:
        state = journal_state(read_journal(journal))
    except JournalError as exc:
        fail(str(exc))
    start = state.start
    owed = list(reversed(state.undo))
    if state.ended is not None and state.ended.get("result") == "recovered":
        click.echo(f"{journal}: already recovered")
        return
    if not owed:
        click.echo(f"{journal}: nothing left injected by run {start.get('runbook')!r}")
        return
    if start.get("backend") == "sim":
        click.echo(f"{journal}: a simulated run; its {len(owed)} unhealed fault(s) ended with its process "
                   f"({', '.join(describe_command(c) for c in owed)}). Nothing to do on real hosts.")
        if not dry_run:
            writer = Journal(journal)
            for command in owed:
                from regionctl.runbook.journal import command_to_json

                writer.write("undo-applied", at=state.last_at, command=command_to_json(command), ok=True,
                             message="simulated run: gone with its process")
            writer.write("run-ended", at=state.last_at, result="recovered", exit_code=0,
                         reason="recovered from the journal by regionctl recover")
            writer.close()
        return
    if dry_run:
        for command in owed:
            click.echo(f"would apply {describe_command(command)}")
        return
    from regionctl.cli.common import load_topology_or_exit

    path = topology_value or start.get("topology_path")
    if not path:
        fail("the journal does not record the topology path; give it with --topology")
    topology, _ = load_topology_or_exit(str(path))
    code = asyncio.run(_heal(journal, topology, owed, state.last_at))
    raise SystemExit(int(code) if code else int(ExitCode.PASSED))


async def _heal(journal: str, topology: Topology, owed: list[Command], last_at: float) -> int:
    from regionctl.backends.factory import BackendUnavailable, close_backend, open_backend
    from regionctl.exit_codes import ExitCode
    from regionctl.runbook.journal import Journal, command_to_json, describe_command

    try:
        backend = await open_backend("ssh", topology)
    except BackendUnavailable as exc:
        click.echo(f"regionctl: {exc}", err=True)
        return int(ExitCode.STEP_ERROR)
    writer = Journal(journal)
    failed = []
    try:
        for command in owed:
            result = await backend.apply(command)
            writer.write("undo-applied", at=last_at, command=command_to_json(command),
                         ok=result.ok, message=result.message)
            click.echo(f"{'✔' if result.ok else '✘'} {describe_command(command)}: {result.message}")
            if not result.ok:
                failed.append(describe_command(command))
        if not failed:
            writer.write("run-ended", at=last_at, result="recovered", exit_code=0,
                         reason="recovered from the journal by regionctl recover")
    finally:
        writer.close()
        await close_backend(backend)
    if failed:
        click.echo(f"left degraded: {', '.join(failed)}", err=True)
        return int(ExitCode.ROLLBACK_FAILED)
    return 0
