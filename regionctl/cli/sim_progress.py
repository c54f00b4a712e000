"""Running a simulation up to a moment from the command line: in slices, so that a long run shows
progress on a terminal (Rich, on stderr; never in --json) and Ctrl-C stops it cleanly with exit 5."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from regionctl.sim.simulator import Simulation

SLICES = 400  # progress updates over the whole run; each slice is a chance to handle Ctrl-C
SHOW_AFTER = 0.3  # wall seconds: quick runs draw no bar at all


def run_until_with_progress(sim: Simulation, until: float, *, show: bool, what: str = "simulating") -> None:
    """`sim.run_until(until)` in slices; `show` draws a Rich bar on stderr once the run takes a while.

    Ctrl-C prints one line naming the simulated moment reached and exits 5 (ExitCode.INTERRUPTED).
    """
    from regionctl.cli.common import fail
    from regionctl.exit_codes import ExitCode
    from regionctl.units import format_duration

    step = max(until / SLICES, 1.0)
    started = time.monotonic()
    progress: Any = None
    task: Any = None
    try:
        while sim.now < until - 1e-9:
            sim.run_until(min(until, sim.now + step))
            if progress is None and show and time.monotonic() - started > SHOW_AFTER:
                progress, task = _start(what, until)
            if progress is not None:
                progress.update(task, completed=sim.now, now=format_duration(sim.now))
    except KeyboardInterrupt:
        if progress is not None:
            progress.stop()
        fail(f"interrupted at t={format_duration(sim.now)} of {format_duration(until)} simulated; nothing was "
             "changed", ExitCode.INTERRUPTED)
    if progress is not None:
        progress.stop()


def _start(what: str, until: float) -> tuple[Any, Any]:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from regionctl.units import format_duration

    progress = Progress(TextColumn(f"{what} to t={format_duration(until)}"), BarColumn(),
                        TextColumn("t={task.fields[now]}"), TimeElapsedColumn(), TextColumn("(Ctrl-C stops)"),
                        console=Console(file=sys.stderr), transient=True)
    task = progress.add_task(what, total=until, now="0ms")
    progress.start()
    return progress, task


def stderr_is_a_terminal() -> bool:
    return sys.stderr.isatty()
