"""`regionctl validate PATH...`"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from regionctl.cli.common import is_dir
from regionctl.exit_codes import ExitCode

if TYPE_CHECKING:
    from regionctl.model.check_cache import Verdict
    from regionctl.model.loader import Loaded


def _expand(paths: tuple[str, ...]) -> list[Path]:
    """Files to check; a directory stands for its YAML files. A directory without any
    stays in the list, so that it is reported: checking nothing is not a pass."""
    out: list[Path] = []
    for value in paths:
        path = Path(value)
        if is_dir(path):
            found = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
            out.extend(found or [path])
        else:
            out.append(path)
    return out


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every file's result.")
@click.option("--kind", type=click.Choice(["topology", "runbook", "lab"]),
              help="Treat every file as this kind (default: guessed from its top-level fields).")
@click.option("--topology", "topology", metavar="TOPOLOGY",
              help="Check runbook and lab files against this topology (a path or a bundled name): node, "
                   "cluster and region names, fault targets and conditions, as `run` would.")
def validate(paths: tuple[str, ...], as_json: bool, kind: str | None, topology: str | None) -> None:
    """Check topology, runbook and lab files without running anything.

    Every problem is printed as FILE:LINE:COL: field.path: message, all problems
    of a file at once. Warnings (risky but valid settings) do not fail the check.
    A directory stands for the YAML files in it. A standalone runbook names nodes
    and clusters of a topology: give it with --topology to check those names too.

    \b
    Exit codes: 0 every file is valid, 2 at least one file is not.

    \b
    Examples:
      $ regionctl validate topologies/
      ok  topologies/active-active.yaml (topology)
      ...
      $ regionctl validate failover.yaml --topology active-passive
    """
    from regionctl.cli.common import load_topology_or_exit, print_json
    from regionctl.loading import check_against, check_file, load_file
    from regionctl.model.diagnostics import Diagnostic, InputError

    against = load_topology_or_exit(topology)[1] if topology is not None else None

    results = []
    failed = False
    for path in _expand(paths):
        try:
            if is_dir(path):
                raise InputError([Diagnostic(str(path), 1, 1, "(file)",
                                             "expected .yaml or .yml files in this directory, found none")])
            if against is None:
                loaded: Loaded | Verdict = check_file(path, kind)  # type: ignore[arg-type]
            else:
                loaded = full = load_file(path, kind)  # type: ignore[arg-type]
                if problems := check_against(full, against):
                    raise InputError(problems)
        except InputError as exc:
            failed = True
            results.append({"file": str(path), "valid": False, "kind": kind,
                            "errors": [d.to_json() for d in exc.diagnostics], "warnings": []})
            if not as_json:
                for diag in exc.diagnostics:
                    click.echo(diag.format(), err=True)
            continue
        results.append({"file": str(path), "valid": True, "kind": loaded.kind, "errors": [],
                        "warnings": [w.to_json() for w in loaded.warnings]})
        if not as_json:
            for warning in loaded.warnings:
                click.echo(warning.format(), err=True)
            note = f", {len(loaded.warnings)} warning(s)" if loaded.warnings else ""
            if loaded.kind == "runbook":
                note += f", checked against {topology}" if against else "; names not checked: add --topology TOPOLOGY"
            click.echo(f"ok  {path} ({loaded.kind}{note})")
    if as_json:
        print_json({"valid": not failed, "files": results})
    sys.exit(int(ExitCode.INVALID_INPUT if failed else ExitCode.PASSED))
