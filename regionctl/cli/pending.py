"""Commands whose issues have not landed yet: each says so plainly and exits 2."""

from __future__ import annotations

import sys

import click

from regionctl.exit_codes import ExitCode


def _not_yet(command: str, issue: int, what: str, instead: str) -> None:
    click.echo(f"regionctl {command}: {what} is not built yet (issue {issue}); {instead}", err=True)
    sys.exit(int(ExitCode.INVALID_INPUT))


_ANY = {"ignore_unknown_options": True, "allow_extra_args": True}


@click.command(context_settings=_ANY)
def drill() -> None:
    """Run faults on a schedule in the simulator (not built yet)."""
    _not_yet("drill", 3, "the simulator", "try `regionctl status` for the static view")
