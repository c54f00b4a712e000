"""Shared helpers for the lab dashboard tests: a lab opened as `regionctl lab LAB` opens it."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text

from regionctl.labs.compile import LABS_DIR
from regionctl.labs.progress import load_progress
from regionctl.loading import load_file
from regionctl.model.lab import Lab
from regionctl.tui.lab import LabDashboard, open_lab
from regionctl.tui.labpanel import MarkdownPanel
from regionctl.tui.widgets import TextPanel


def load_lab(name: str) -> Lab:
    model = load_file(LABS_DIR / f"{name}.yaml", "lab").model
    assert isinstance(model, Lab)
    return model


async def lab_app(name: str, **kwargs: Any) -> LabDashboard:
    """The lab's dashboard, warmed up; the clock stopped unless autoplay is asked for."""
    kwargs.setdefault("autoplay", False)
    return await open_lab(load_lab(name), LABS_DIR / f"{name}.yaml", **kwargs)


def lab_app_sync(name: str, **kwargs: Any) -> LabDashboard:
    return asyncio.run(lab_app(name, **kwargs))


def part(app: LabDashboard, widget_id: str) -> str:
    """What one part of the lab panel shows: the text, or the Markdown as written."""
    widget = app.query_one(f"#lab-{widget_id}")
    if isinstance(widget, MarkdownPanel):
        return widget.source or ""
    assert isinstance(widget, TextPanel)
    content = widget.content
    return content.plain if isinstance(content, Text) else str(content)


def completed(lab: str) -> list[str]:
    return list(load_progress().get(lab, {}).get("completed", []))


async def until(pilot: Any, predicate: Any, what: str, rounds: int = 600) -> None:
    """Let the app run until `predicate()` holds (bounded: a wait, not a timing assertion)."""
    for _ in range(rounds):
        if predicate():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"never saw {what}")
