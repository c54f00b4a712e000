"""`regionctl lab [LAB] [--check] [--json]`: guided region-outage labs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from regionctl.exit_codes import ExitCode


@click.command()
@click.argument("lab_name", metavar="[LAB]", required=False)
@click.option("--check", is_flag=True, help="Headless: perform each step's scripted solution and verify every "
                                            "expectation (exit 0 when the lab teaches what it says, 1 otherwise).")
@click.option("--control", is_flag=True, help="With --check: run the lab with its cause removed; its "
                                              "expectations should then fail (exit 1).")
@click.option("--json", "as_json", is_flag=True, help="With --check: the JSON report (shape: docs/report.md).")
@click.option("--record", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="FILE",
              help="Record the lab session (seed, the lab's topology, every command at its simulated time) "
                   "to FILE, for `regionctl replay FILE`.")
def lab(lab_name: str | None, check: bool, control: bool, as_json: bool, record: Path | None) -> None:
    """Step through a guided region-outage lab, or list the labs with your progress.

    LAB is a bundled lab's name (see the list) or a path to a lab file. Without
    --check the lab opens in the dashboard: the lab panel shows each step's text,
    a check that turns green when the expectation holds, hints on request and
    the explanation.

    \b
    Examples:
      regionctl lab                         the labs, with your progress
      regionctl lab async-rpo               open the lab in the dashboard
      regionctl lab async-rpo --record my.session.jsonl   ... and record it for `regionctl replay`
      regionctl lab async-rpo --check       verify it headless (CI)
      regionctl lab async-rpo --check --control   the same with the cause removed
    """
    from regionctl.cli.common import fail

    if lab_name == "list":  # `regionctl lab list` reads naturally; no lab is named list
        lab_name = None
    if lab_name is None:
        if check or control or as_json or record is not None:
            fail("--check, --control, --json and --record need a LAB (run `regionctl lab` to list them)")
        _list_labs()
        return
    if control and not check:
        fail("--control goes with --check")
    if record is not None and check:
        fail("--record records a lab opened in the dashboard; --check runs it headless (nothing to replay)")
    loaded, path = _load(lab_name)
    if not check:
        _open_in_dashboard(loaded, path, record)
        return
    import asyncio

    from regionctl.labs.check import check_lab

    compiled = compile_or_exit(loaded, path, control)
    code, report = asyncio.run(check_lab(compiled, control=control))
    if as_json:
        from regionctl.cli.common import print_json

        print_json(report.to_json())
    else:
        from regionctl.report.lab_view import print_lab_check

        print_lab_check(loaded, report)
    sys.exit(int(code))


def compile_or_exit(lab: Any, path: Path, control: bool = False) -> Any:
    """The compiled lab; its problems as FILE:LINE:COL (of the lab, or of its topology file), exit 2."""
    from regionctl.labs.compile import LabError, compile_lab
    from regionctl.model.diagnostics import InputError
    from regionctl.model.yaml_source import read_yaml_file
    from regionctl.runbook.diagnostics import plan_diagnostics

    try:
        return compile_lab(lab, path, control=control)
    except InputError as exc:
        diagnostics = exc.diagnostics
    except LabError as exc:
        diagnostics = plan_diagnostics(read_yaml_file(path), ("control", "patch") if control and not
                                       exc.problems[0].loc else (), exc.problems)
    for diag in diagnostics:
        click.echo(diag.format(), err=True)
    sys.exit(int(ExitCode.INVALID_INPUT))


def _load(value: str) -> tuple[Any, Path]:
    from regionctl.cli.common import fail
    from regionctl.labs.compile import bundled_labs, resolve_lab_path
    from regionctl.loading import load_file
    from regionctl.model.diagnostics import InputError
    from regionctl.model.lab import Lab

    path = resolve_lab_path(value)
    if not path.exists():
        from regionctl.model.suggest import did_you_mean

        names = [p.stem for p in bundled_labs()]
        fail(f"no lab {value!r}{did_you_mean(value, names)} (bundled labs: {', '.join(names)})")
    try:
        loaded = load_file(path, "lab").model
    except InputError as exc:
        for diag in exc.diagnostics:
            click.echo(diag.format(), err=True)
        sys.exit(int(ExitCode.INVALID_INPUT))
    assert isinstance(loaded, Lab)
    return loaded, path


def _list_labs() -> None:
    from regionctl.labs.compile import bundled_labs
    from regionctl.labs.progress import load_progress, progress_path
    from regionctl.loading import load_file
    from regionctl.model.lab import Lab

    progress = load_progress()
    rows = []
    for path in bundled_labs():
        model = load_file(path, "lab").model
        assert isinstance(model, Lab)
        done = progress.get(model.name, {})
        count = len([s for s in model.steps if s.id in done.get("completed", [])])
        state = "✔ done" if done.get("finished") else f"{count}/{len(model.steps)} steps" if count else "new"
        rows.append((model.order, model.name, model.level, state, model.title))
    rows.sort()
    width = max(len(r[1]) for r in rows)
    click.echo(f"{'#':>2}  {'lab':<{width}}  {'level':<12}  {'progress':<10}  title")
    for i, (_, name, level, state, title) in enumerate(rows, 1):
        click.echo(f"{i:>2}  {name:<{width}}  {level:<12}  {state:<10}  {title}")
    click.echo(f"\nOpen one with `regionctl lab NAME`; progress is kept in {progress_path()}.")


def _open_in_dashboard(loaded: Any, path: Path, record: Path | None) -> None:
    """Refuse what cannot run (a bad lab, no terminal), then open the dashboard."""
    from regionctl.cli.common import fail
    from regionctl.cli.tui import _interactive

    compile_or_exit(loaded, path)  # a lab that cannot compile: FILE:LINE:COL, exit 2, before the screen opens
    if not _interactive():
        fail(f"the lab dashboard needs a terminal (stdin, stdout and stderr are not all a TTY); "
             f"`regionctl lab {loaded.name} --check` verifies the lab headless")
    from regionctl.tui.lab import run_lab_app  # Textual, imported only when a lab opens

    try:
        code = run_lab_app(loaded, path, record)
    except OSError as exc:  # the recording's file cannot be written
        fail(f"--record: cannot write {record}: {exc.strerror or exc}")
    if record is not None:
        click.echo(f"regionctl: lab session recorded to {record}: regionctl replay {record}", err=True)
    sys.exit(code)
