"""Screenshots of the lab dashboard compared with the approved ones (pytest-textual-snapshot).

Deterministic: the lab's seed, the clock stopped (no play loop; the test moves time), a
fixed terminal size. After an intended change: `pytest tests/test_tui_lab_snapshots.py
--snapshot-update`, then look at the new SVGs under tests/__snapshots__/ before committing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from regionctl.contract.commands import InjectFault
from regionctl.contract.faults import parse_fault
from tests.labtuihelpers import lab_app_sync
from tests.tuihelpers import SIZE, advance


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    return tmp_path


def test_lab_panel_waiting_for_the_learner_with_a_hint(snap_compare: Any) -> None:
    app = lab_app_sync("async-rpo")

    async def step_two(pilot: Pilot[Any]) -> None:
        await advance(app, 0.5)
        await pilot.press("N", "t", "t")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=step_two)


def test_lab_panel_green_with_the_explanation(snap_compare: Any) -> None:
    app = lab_app_sync("async-rpo")

    async def failover(pilot: Pilot[Any]) -> None:
        await advance(app, 0.5)
        await pilot.press("N")
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await advance(app, 90)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=failover)
