"""`regionctl explore`'s output: the progress bar (stderr, a terminal only), the ranked findings, JUnit."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from regionctl.explore.objective import Objective
from regionctl.explore.search import Exploration


def _schedule_text(faults: list[dict[str, Any]]) -> str:
    from regionctl.explore.scenario import seconds

    return ", ".join(f"{f['fault']}@{seconds(f['at'])}" + (f"+{seconds(f['duration'])}" if f["duration"] is not None
                                                           else "") for f in faults)


@contextmanager
def progress(total: int | None, objective: Objective) -> Iterator[Callable[[Exploration], None] | None]:
    """A Rich progress bar with the best finding so far, on stderr when it is a terminal; else nothing."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("exploring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("{task.description}"), console=Console(file=sys.stderr), transient=True)
    task = bar.add_task("", total=total)

    def update(exploration: Exploration) -> None:
        best = exploration.best
        text = ""
        if best is not None and best.verdict.score > 0:
            faults = [{"fault": x.fault.spec, "at": x.at, "duration": x.duration} for x in best.job.schedule]
            text = f"best {best.verdict.score:g} {objective.unit}: {_schedule_text(faults)}"
        bar.update(task, completed=len(exploration.tried), description=text)

    with bar:
        yield update


def print_exploration(report: dict[str, Any]) -> None:
    from rich.table import Table

    from regionctl.report.console import report_console

    console = report_console()
    what = report["property"] or f"the worst {report['objective']}"
    cluster = f" (cluster {report['cluster']})" if report["cluster"] else ""
    tried = f"{report['tried']} schedules tried"
    if report["exhausted"]:
        tried += " (every schedule the space offers)"
    if report["property"] is not None and report["held"]:
        console.print(f" HELD   {what}{cluster} on {report['topology']}: no schedule broke it · {tried} · "
                      f"seed {report['seed']}")
        return
    if not report["findings"]:
        console.print(f" NONE   {what}{cluster} on {report['topology']}: every schedule scored 0 · {tried} · "
                      f"seed {report['seed']}")
        return
    label = "BROKEN" if report["property"] is not None else "FOUND "
    console.print(f" {label} {what}{cluster} on {report['topology']} · {tried}, "
                  f"{report['shrink_drills']} more shrinking · seed {report['seed']}")
    table = Table(title="findings, worst first (shrunk)", title_justify="left")
    for name in ("#", "score", "faults", "found as"):
        table.add_column(name, justify="right" if name in ("#", "score") else "left")
    for f in report["findings"]:
        table.add_row(str(f["rank"]), f"{f['score']:g} {f['unit']}", _schedule_text(f["faults"]),
                      f"{f['found']['score']:g}: {_schedule_text(f['found']['faults'])}")
    console.print(table)
    for f in report["findings"]:
        console.print(f"{f['rank']}. {f['command']}", soft_wrap=True)
        if "scenario" in f:
            console.print(f"   regionctl drill {report['topology']} --scenario {f['scenario']}", soft_wrap=True)
            console.print(f"   regionctl replay {f['session']}", soft_wrap=True)


def junit_xml(report: dict[str, Any]) -> str:
    """One test case, the property (or objective): it fails when a schedule broke it."""
    name = report["property"] or report["objective"]
    if report.get("cluster"):
        name = f"{name} (cluster {report['cluster']})"
    suite = ET.Element("testsuite", name=f"regionctl explore on {report['topology']}", tests="1")
    case = ET.SubElement(suite, "testcase", classname="explore", name=name)
    failures = 0
    if report["findings"]:
        failures = 1
        worst = report["findings"][0]
        failure = ET.SubElement(case, "failure", message=f"{worst['score']:g} {worst['unit']}: {worst['command']}")
        failure.text = "\n".join(f"{f['rank']}. {f['command']}" for f in report["findings"])
    ET.SubElement(case, "system-out").text = f"{report['tried']} schedules tried, seed {report['seed']}"
    suite.set("failures", str(failures))
    return ET.tostring(suite, encoding="unicode") + "\n"


def write_junit(report: dict[str, Any], path: str) -> None:
    from regionctl.cli.common import fail

    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write('<?xml version="1.0" encoding="utf-8"?>\n' + junit_xml(report))
    except OSError as exc:
        fail(f"--junit {path}: {exc.strerror or exc}")
