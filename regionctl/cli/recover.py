"""`regionctl recover JOURNAL`: heal what a dead run left injected."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from regionctl.runbook.journal import Journal, JournalError

if TYPE_CHECKING:
    from regionctl.contract.commands import Command
    from regionctl.model.topology import Topology


@click.command()
@click.argument("journal", type=click.Path(dir_okay=False))
@click.option("--topology", "topology_value", default=None,
              help="The topology file of the run (default: the path the journal recorded).")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="The value of a secret parameter that an owed heal needs (the journal keeps only a digest "
                   "of it); by default it is read from the environment variable the run read.")
@click.option("--dry-run", is_flag=True, help="Say what would be healed; change nothing.")
def recover(journal: str, topology_value: str | None, variables: tuple[str, ...], dry_run: bool) -> None:
    """Roll back what a killed run (SIGKILL, power loss) left injected, from its JOURNAL.

    The journal lists every fault the run injected or started to inject and every heal it
    already did; the heals still owed are applied last in first out, and each is journaled.
    Heals are idempotent: healing a fault whose injection never took effect does no harm,
    and running recover again only does what is still owed. A simulated run needs nothing:
    its faults died with its process. Every line of the journal is checked first: a corrupt
    line is an error naming JOURNAL:LINE and nothing is touched (a torn last line, from a
    crash mid-write, is ignored and reported).

    \b
    Exit codes: 0 nothing left injected, 2 not a journal (or a secret value is missing),
    4 the hosts cannot be reached, 6 a heal failed (the output says what is left degraded).
    """
    import asyncio
    import os

    from regionctl.cli.common import fail
    from regionctl.cli.run_session import parse_vars
    from regionctl.exit_codes import ExitCode
    from regionctl.runbook.journal import (
        command_to_json,
        describe_command,
        journal_state,
        load_journal,
        redact,
        resolve_secrets,
    )

    try:
        loaded = load_journal(journal)
    except JournalError as exc:
        fail(str(exc))
    if loaded.torn_line is not None:
        click.echo(f"{journal}:{loaded.torn_line}: a torn last line (the run died while writing it) was ignored",
                   err=True)
    try:
        records, values = resolve_secrets(loaded.records, parse_vars(variables), os.environ)
        missing = ""
    except JournalError as exc:  # only healing on real hosts needs the values
        records, values, missing = loaded.records, {}, str(exc)
    try:
        state = journal_state(records)
    except JournalError as exc:
        fail(missing or str(exc))
    names = {value: name for name, value in values.items()}

    def show(command: Command) -> str:
        return str(redact(describe_command(command), (), names))

    start = state.start
    owed = list(reversed(state.undo))
    if state.ended is not None and state.ended.get("result") == "recovered" and not owed:
        click.echo(f"{journal}: already recovered")
        return
    if not owed:
        click.echo(f"{journal}: nothing left injected by run {start.get('runbook')!r}")
        return
    if start.get("backend") == "sim":
        click.echo(f"{journal}: a simulated run; its {len(owed)} unhealed fault(s) ended with its process "
                   f"({', '.join(show(c) for c in owed)}). Nothing to do on real hosts.")
        if not dry_run:
            writer = _append(journal, values)
            for command in owed:
                writer.write("undo-applied", at=state.last_at, command=command_to_json(command), ok=True,
                             message="simulated run: gone with its process")
            writer.write("run-ended", at=state.last_at, result="recovered", exit_code=0,
                         reason="recovered from the journal by regionctl recover")
            writer.close()
        return
    if dry_run:
        for command in owed:
            click.echo(f"would apply {show(command)}")
        if missing:
            click.echo(f"regionctl: to heal, {missing}", err=True)
        return
    if missing:
        fail(missing)
    from regionctl.cli.common import load_topology_or_exit

    path = topology_value or start.get("topology_path")
    if not path:
        fail("the journal does not record the topology path; give it with --topology")
    topology, _ = load_topology_or_exit(str(path))
    code = asyncio.run(_heal(journal, topology, owed, state.last_at, values))
    raise SystemExit(int(code) if code else int(ExitCode.PASSED))


def _append(journal: str, secrets: dict[str, str]) -> Journal:
    """The journal, to append to; the secret values put back are written by name again."""
    from regionctl.cli.common import fail

    try:
        writer = Journal(journal, resume=True)
    except JournalError as exc:
        fail(str(exc))
    writer.secret_params = {name: (value, None) for name, value in secrets.items()}
    return writer


async def _heal(journal: str, topology: Topology, owed: list[Command], last_at: float,
                secrets: dict[str, str]) -> int:
    """Apply each owed heal (secrets put back), journal it (secrets by name), say what happened (the same)."""
    from regionctl.backends.factory import BackendUnavailable, close_backend, open_backend
    from regionctl.exit_codes import ExitCode
    from regionctl.runbook.journal import command_to_json, describe_command, redact

    try:
        backend = await open_backend("ssh", topology)
    except BackendUnavailable as exc:
        click.echo(f"regionctl: {exc}", err=True)
        return int(ExitCode.STEP_ERROR)
    writer = _append(journal, secrets)
    names = {value: name for name, value in secrets.items()}
    failed = []
    try:
        for command in owed:
            result = await backend.apply(command)
            writer.write("undo-applied", at=last_at, command=command_to_json(command),
                         ok=result.ok, message=result.message)
            shown = str(redact(f"{describe_command(command)}: {result.message}", (), names))
            click.echo(f"{'✔' if result.ok else '✘'} {shown}")
            if not result.ok:
                failed.append(shown)
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
