"""Human output of `regionctl lab LAB --check`."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text

from regionctl.contract.report import RunReport
from regionctl.model.lab import Lab
from regionctl.report.console import report_console


def render_lab_check(lab: Lab, report: RunReport) -> Group:
    ok = report.result == "pass"
    verdict = Text(" TEACHES " if ok else " DOES NOT TEACH ", style="bold black on green" if ok
                   else "bold white on red")
    mode = " · control run (cause removed)" if report.control else ""
    parts: list[Any] = [Text.assemble(verdict, f"  {lab.title} ({lab.name}) · seed {report.seed}{mode} · "
                                               f"{report.sim_seconds:.0f}s simulated in "
                                               f"{report.wall_seconds:.2f}s")]
    for i, item in enumerate(report.expectations or (), 1):
        step = next(s for s in lab.steps if s.id == item.step)
        mark = ("✔", "green") if item.held else ("✘", "red")
        parts.append(Text.assemble(f"{i:>2}. ", mark, f" {step.id}: ", (step.expect or "(reading)", "bold")))
        if item.detail:
            parts.append(Text(f"     {item.detail}", style="dim"))
    if report.control and lab.control is not None:
        parts.append(Text(f"control: {lab.control.description}", style="yellow"))
    return Group(*parts)


def print_lab_check(lab: Lab, report: RunReport) -> None:
    report_console().print(render_lab_check(lab, report))
