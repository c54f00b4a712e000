"""Dialogs over the live dashboard: the fault, heal and runbook pickers and the help screen leave the
dashboard in view behind them (dimmed), and it goes on updating while they are open."""

from __future__ import annotations

import re

import pytest

from regionctl.contract.commands import InjectFault
from regionctl.contract.faults import parse_fault
from regionctl.tui.screens import ChoiceScreen, FaultPicker, HelpScreen
from tests.tuihelpers import advance, make_app, seen

DIALOGS = {"f": FaultPicker, "h": ChoiceScreen, "r": ChoiceScreen, "question_mark": HelpScreen}


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("key", list(DIALOGS))
async def test_a_dialog_leaves_the_live_dashboard_in_view(key: str, size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await advance(app, 1)
        await pilot.pause()
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, DIALOGS[key])
        header = seen(app)[0]
        # The header line stays readable above the dialog, even at 80x24: the clock and the fault count.
        assert "t=31.1s ×1" in header and "⚡ 1 fault(s) injected" in header, "\n".join(seen(app))
        # The clock ticks on behind the dialog, and the panels behind it follow.
        await advance(app, 30)
        await pilot.pause()
        assert isinstance(app.screen, DIALOGS[key])
        assert "t=1m01s ×1" in seen(app)[0], "\n".join(seen(app))
        if size == (160, 48):
            behind = "\n".join(seen(app))
            promoted = next(e.at for e in app.backend.snapshot().events if e.message.startswith("pg-3 promoted"))
            # pg-3's promotion, at the log's left edge
            assert re.search(rf"t=\s+{promoted:.1f}s orders", behind), behind
