"""`regionctl replay FILE`: a recorded dashboard session, replayed (the scrubber, or the status at a moment)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from regionctl.model.topology import Topology
    from regionctl.replay.sessionfile import SessionFile


def load_session_or_exit(path: Path) -> tuple[SessionFile, Topology]:
    """The session and its own topology; every problem as FILE:LINE:COL and exit 2 otherwise."""
    from regionctl.exit_codes import ExitCode
    from regionctl.model.diagnostics import InputError
    from regionctl.replay import sessionfile

    try:
        session = sessionfile.load(path)
        topology = session_topology(session)
    except InputError as exc:
        for diag in exc.diagnostics:
            click.echo(diag.format(), err=True)
        sys.exit(int(ExitCode.INVALID_INPUT))
    for warning in session.warnings:
        click.echo(warning.format(), err=True)
    return session, topology


def session_topology(session: SessionFile) -> Topology:
    """The session's own topology, checked as `validate` checks a file (its problems point into the
    embedded text: FILE[topology]:LINE:COL). Raises InputError."""
    from regionctl.loading import deep_check
    from regionctl.model import loader
    from regionctl.model.topology import Topology

    loaded = loader.load_bytes(f"{session.path}[topology]", session.topology_yaml.encode("utf-8"), "topology",
                               deep_check)
    assert isinstance(loaded.model, Topology)
    return loaded.model


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--at", "at", default=None, metavar="D",
              help="The moment to show: a simulated time from the start of the session (90s, 1.5m, 1h). "
                   "Default: the end of the session.")
@click.option("--status", "status", is_flag=True,
              help="Print the status at --at (as `regionctl status` does) instead of opening the scrubber.")
@click.option("--json", "as_json", is_flag=True, help="With --status: the status as JSON (docs/report.md).")
def replay(file: Path, at: str | None, status: bool, as_json: bool) -> None:
    """Replay a dashboard session recorded with `regionctl tui --record FILE` (or saved from the scrubber).

    Opens the dashboard as it was, with a time scrubber: ← → one second, PgUp PgDn ten, [ ] the previous
    or next event or command, Home End, g a typed time, space play/pause, s save, q quit. Every moment
    is re-simulated from the session's seed, topology and commands: it is the live run's, to the byte.

    \b
    Examples:
      $ regionctl tui active-passive --record drill.session.jsonl
      $ regionctl replay drill.session.jsonl
      $ regionctl replay drill.session.jsonl --at 1.5m --status
      $ regionctl replay drill.session.jsonl --at 90s --status --json
    """
    from regionctl.cli.common import duration_or_exit, fail

    if as_json and not status:
        fail("--json goes with --status (the scrubber is a screen, not JSON)")
    session, topology = load_session_or_exit(file)
    seconds = duration_or_exit("--at", at) if at is not None else session.end
    if seconds > session.end + 1e-9:
        from regionctl.units import format_duration

        fail(f"--at: expected a time within the session (0s to {format_duration(session.end)}), "
             f"found {format_duration(seconds)}")
    if status:
        _print_status(session, topology, seconds, as_json)
        return
    from regionctl.cli.tui import _interactive

    if not _interactive():
        fail("the replay needs a terminal (stdin, stdout and stderr are not all a TTY); "
             "for scripts use `regionctl replay FILE --at D --status`")
    from regionctl.tui.replay import replay_app

    sys.exit(replay_app(session, topology, start=seconds).run() or 0)


def _print_status(session: SessionFile, topology: Topology, seconds: float, as_json: bool) -> None:
    from regionctl.cli.common import print_json
    from regionctl.replay.replayer import Replayer
    from regionctl.units import format_duration

    replayer = Replayer(topology, session.seed, session.entries, session.end)
    position = replayer.at(seconds)
    snapshot = replayer.snapshot(position)
    for divergence in replayer.divergences.values():
        click.echo(f"regionctl: warning: {session.path}: command {divergence.index + 1} "
                   f"({divergence.entry.label()}) answered {divergence.found} in the replay, "
                   f"{divergence.entry.result!r} live", err=True)
    if as_json:
        print_json(snapshot.to_status_json())
        return
    from regionctl.report.status_view import print_status

    click.echo(f"replayed moment shown: t={format_duration(seconds)} of {format_duration(session.end)}, "
               f"{position.applied} of {len(session.entries)} command(s) performed, seed {session.seed}")
    print_status(snapshot)
