"""Helpers shared by the commands: loading input with clean errors, JSON output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from regionctl.exit_codes import ExitCode

if TYPE_CHECKING:
    from regionctl.consistency import History
    from regionctl.contract.faults import ScheduledFault
    from regionctl.model.topology import Topology


def fail(message: str, code: ExitCode = ExitCode.INVALID_INPUT) -> NoReturn:
    click.echo(f"regionctl: {message}", err=True)
    sys.exit(int(code))


def is_dir(path: Path) -> bool:
    """Path.is_dir, False for a name the file system cannot even look up (too long: ENAMETOOLONG)."""
    try:
        return path.is_dir()
    except OSError:
        return False


def exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return False


def load_topology_or_exit(value: str) -> tuple[Topology, Path]:
    """Load a topology path (or bundled name); on any problem print them all and exit 2."""
    from regionctl.data import resolve_topology_path
    from regionctl.loading import load_topology
    from regionctl.model.diagnostics import InputError

    path = resolve_topology_path(value)
    if not exists(path) and "/" not in value and path.suffix not in (".yaml", ".yml"):
        fail(unknown_bundled_name(value))
    try:
        return load_topology(path), path
    except InputError as exc:
        for diag in exc.diagnostics:
            click.echo(diag.format(), err=True)
        sys.exit(int(ExitCode.INVALID_INPUT))


def unknown_bundled_name(value: str) -> str:
    """`activ-passive`: neither a file nor a bundled name; suggest the closest bundled one."""
    from regionctl.data import bundled_topologies
    from regionctl.model.suggest import closest

    names = [p.stem for p in bundled_topologies()]
    near = closest(value, names)
    hint = f"; did you mean {near!r}?" if near else ""
    return f"{value}: no such file, and no bundled topology of that name{hint} (bundled: {', '.join(names)})"


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))


TOPOLOGY_ARG_HELP = "TOPOLOGY is a path to a YAML file, or the name of a bundled topology (active-passive)."
# The simulated moment `status` shows by default, and the dashboard outside a terminal: leaders elected, lag steady.
FIRST_VIEW_AT = "30s"


MAX_RUN_SECONDS = 365 * 86400.0


def duration_or_exit(option: str, value: str) -> float:
    """A duration option (`--duration 10m`); a clear error and exit 2 otherwise."""
    from regionctl.units import UnitError, parse_duration

    try:
        seconds = parse_duration(value)
    except UnitError as exc:
        fail(f"{option}: {exc}")
    if seconds > MAX_RUN_SECONDS:
        fail(f"{option}: expected at most 365d of simulated time, found {value} (longer is a typo; a year of a "
             "quiet estate simulates in about a second, a year of changes would never end)")
    return seconds


def speed_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """`--speed` on every command: the same forms (units.parse_speed), the same error, exit 2."""
    from regionctl.units import UnitError, parse_speed

    if value is None:
        return None
    try:
        return parse_speed(value)
    except UnitError as exc:
        fail(f"--speed: {exc}")


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


def write_history(path: str, history: History, **meta: Any) -> None:
    """Write a probe history as JSONL (docs/history.md); an unwritable path is a clear error."""
    from dataclasses import replace

    from regionctl.consistency.history import format_lines

    try:
        with open(path, "w", encoding="utf-8") as out:
            for line in format_lines(replace(history, meta={**history.meta, **meta})):
                out.write(line + "\n")
    except OSError as exc:
        fail(f"--history {path}: {exc.strerror or exc}")
