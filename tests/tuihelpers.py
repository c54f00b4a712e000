"""Shared helpers for the dashboard tests: a deterministic app on the simulator."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.text import Text

from regionctl.backends.sim_backend import SimBackend
from regionctl.tui.app import Dashboard
from regionctl.tui.widgets import KeyedTable, LineTable, TextPanel
from tests.simhelpers import bundled

SIZE = (160, 48)


def make_app(topology: str = "active-passive", *, at: float = 30.05, seed: int = 1, **kwargs: Any) -> Dashboard:
    """The dashboard with its clock stopped (autoplay off): tests move time themselves."""
    model = bundled(topology)
    backend = SimBackend(model, seed=seed)
    backend.sim.run_until(at)
    kwargs.setdefault("autoplay", False)
    return Dashboard(backend, model, seed=seed, **kwargs)


def sim(app: Dashboard) -> SimBackend:
    assert isinstance(app.backend, SimBackend)
    return app.backend


async def advance(app: Dashboard, seconds: float) -> None:
    """Let simulated time pass and show it, as one tick of the play loop would."""
    await app.backend.advance(seconds)
    app.apply_snapshot(app.backend.snapshot())


def panel(app: Dashboard, widget_id: str) -> str:
    widget = app.query_one(f"#{widget_id}", TextPanel)
    return str(widget.content)


def cell(app: Dashboard, table_id: str, row: str, column: str) -> str:
    table = app.query_one(f"#{table_id}")
    assert isinstance(table, KeyedTable | LineTable)
    return str(table.get_cell(row, column))


def active_faults(app: Dashboard) -> list[str]:
    return [f.spec for f in app.backend.snapshot().faults if f.healed_at is None]


def screen_text(app: Dashboard) -> str:
    """Everything the active screen's Static widgets show (modal contents)."""
    from textual.widgets import OptionList, Static

    parts = [_plain(w.content) for w in app.screen.query(Static)]
    for options in app.screen.query(OptionList):
        parts.extend(str(options.get_option_at_index(i).prompt) for i in range(options.option_count))
    return "\n".join(parts)


def _plain(content: Any) -> str:
    """A Static's content as text: strings and Text as they are, other renderables (grids) rendered wide."""
    if isinstance(content, str | Text):
        return str(content)
    console = Console(width=400, record=True, file=io.StringIO())
    console.print(content)
    return console.export_text()


async def preview_shown(app: Dashboard, pilot: Any) -> str:
    """Wait for the fault picker's preview (it is predicted on a worker thread); return the screen text."""
    for _ in range(500):
        text = screen_text(app)
        if "What it would reach" in text or "✘" in text:
            return text
        await pilot.pause(0.01)
    raise AssertionError(f"no preview appeared: {screen_text(app)}")


def forked(app: Dashboard) -> Dashboard:
    """Use the simulator's forked prediction in the picker, as `regionctl tui` does."""
    from regionctl.analysis.reach import forked_predictor

    app.predictor = forked_predictor(sim(app).sim.fork)
    return app


def rendered(app: Dashboard) -> list[str]:
    """The terminal as the user sees it, one string per row (what the compositor draws, cut or not)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def flowed(lines: list[str]) -> str:
    """The screen's words in reading order, with line breaks and runs of spaces folded to one space
    (a wrapped event line reads as one line again)."""
    return " ".join(" ".join(line.replace("│", " ").split()) for line in lines)


def rendered_in(app: Dashboard, widget_id: str) -> list[str]:
    """The rows of the screen a widget covers, cut to its columns (what that panel shows)."""
    region = app.screen.query_one(f"#{widget_id}").region
    strips = app.screen._compositor.render_strips()
    return [strip.crop(region.x, region.right).text for strip in strips[region.y:region.bottom]]


async def runbook_two_steps(app: Dashboard, pilot: Any) -> None:
    """failover-to-eu-west step by step: the outage and the failover wait run; `shift` is next."""
    await pilot.press("r", "enter")
    for _ in range(2):
        await pilot.pause(0.1)
        await pilot.press("n")
    for _ in range(100):
        if app.run_ is not None and app.run_.waiting_step == "shift":
            break
        await pilot.pause(0.02)
    await pilot.pause()


def seen(app: Dashboard) -> list[str]:
    """The terminal as the user sees it with a dialog open: the dialog and, through its translucent
    background, the dashboard behind it (what `rendered` leaves out: the screens below the top one)."""
    from textual._context import visible_screen_stack

    visible_screen_stack.set(list(app._background_screens))  # the top screen's background draws them
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def failed_over(app: Dashboard) -> None:
    """us-east lost at t=40s and healed at t=100s, orders and sessions failed over in between, ticked at 4 Hz
    as the play loop does (every snapshot through the one update path)."""
    from regionctl.contract.commands import HealAll, InjectFault
    from regionctl.contract.faults import parse_fault

    for _ in range(40):
        await advance(app, 0.25)
    await app.backend.apply(InjectFault(parse_fault("region:us-east")))
    for _ in range(240):
        await advance(app, 0.25)
    await app.backend.apply(HealAll())
    for _ in range(80):
        await advance(app, 0.25)


async def latest_event_shown(app: Dashboard, pilot: Any, tries: int = 100) -> None:
    """Wait (a bounded number of frames, not a time) until the latest event is on screen: the log scrolls
    to it after a refresh, which a loaded machine may take a few frames to get to."""
    latest = " ".join(app.backend.snapshot().events[-1].message.split())
    for _ in range(tries):
        await pilot.pause()
        if latest in flowed(rendered(app)):
            return
