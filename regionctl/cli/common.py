"""Helpers shared by the commands: loading input with clean errors, JSON output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from regionctl.exit_codes import ExitCode

if TYPE_CHECKING:
    from regionctl.contract.faults import ScheduledFault
    from regionctl.model.topology import Topology


def fail(message: str, code: ExitCode = ExitCode.INVALID_INPUT) -> NoReturn:
    click.echo(f"regionctl: {message}", err=True)
    sys.exit(int(code))


def load_topology_or_exit(value: str) -> tuple[Topology, Path]:
    """Load a topology path (or bundled name); on any problem print them all and exit 2."""
    from regionctl.data import resolve_topology_path
    from regionctl.loading import load_topology
    from regionctl.model.diagnostics import InputError

    path = resolve_topology_path(value)
    try:
        return load_topology(path), path
    except InputError as exc:
        for diag in exc.diagnostics:
            click.echo(diag.format(), err=True)
        sys.exit(int(ExitCode.INVALID_INPUT))


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))


TOPOLOGY_ARG_HELP = "TOPOLOGY is a path to a YAML file, or the name of a bundled topology (active-passive)."


def duration_or_exit(option: str, value: str) -> float:
    """A duration option (`--duration 10m`); a clear error and exit 2 otherwise."""
    from regionctl.units import UnitError, parse_duration

    try:
        return parse_duration(value)
    except UnitError as exc:
        fail(f"{option}: {exc}")


def faults_or_exit(texts: tuple[str, ...], topology: Topology) -> list[ScheduledFault]:
    """Parse `--fault SPEC[@T][+D]` options and check their targets against the topology."""
    from regionctl.contract.faults import FaultSpecError, check_targets, parse_scheduled

    schedule = []
    for text in texts:
        try:
            item = parse_scheduled(text)
            check_targets(item.fault, topology)
        except FaultSpecError as exc:
            fail(f"--fault {exc}")
        schedule.append(item)
    return schedule
