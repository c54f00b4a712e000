"""The yardstick for bench/tui_bench.py: a bare Textual app doing what the dashboard does, no more.

It shows the same amount of changing text as the 100-node dashboard (a header, a 100-row table whose
cells change every tick, a log), refreshes at the same rate, answers the same keys the same way
(space rewrites the header, f pushes a modal with a list, escape pops it, q exits) and knows nothing
of regionctl. What the dashboard costs beyond this is regionctl's own.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, OptionList, RichLog, Static

ROWS = 100


class BarePicker(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "back")]

    def compose(self) -> ComposeResult:
        yield OptionList(*[f"choice {i}" for i in range(12)])


class BareApp(App[int]):
    CSS = "#table { height: 1fr; } #log { height: 8; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle", "pause"),
        Binding("f", "pick", "fault"),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, hz: float = 4.0) -> None:
        super().__init__()
        self.hz = hz
        self.paused = False
        self.frames = 0
        self.ticks = 0

    def compose(self) -> ComposeResult:
        yield Static(id="header")
        yield DataTable(id="table")
        yield RichLog(id="log", max_lines=500)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#table", DataTable)
        for column in ("node", "region", "role", "lag", "state"):
            table.add_column(column, key=column)
        for i in range(ROWS):
            table.add_row(f"db{i // 10}-{i % 10}", f"region-{i % 10:02d}", "follower", "0 ms", "ok", key=str(i))
        self.show_header()
        self.set_interval(1.0 / self.hz, self.tick)

    def show_header(self) -> None:
        state = "PAUSED" if self.paused else "running"
        self.query_one("#header", Static).update(f"t={self.ticks / self.hz:.1f}s  {state}  SLO ok  0 faults")

    def tick(self) -> None:
        if self.screen is not self.screen_stack[0]:
            return  # as the dashboard does: a dialog covers the panels
        self.ticks += 1
        table = self.query_one("#table", DataTable)
        with self.batch_update():
            self.show_header()
            for i in range(ROWS):
                table.update_cell(str(i), "lag", f"{(self.ticks * 7 + i) % 997} ms")
            self.query_one("#log", RichLog).write(f"t={self.ticks / self.hz:.1f}s tick {self.ticks}")
        self.frames += 1

    def action_toggle(self) -> None:
        self.paused = not self.paused
        self.show_header()

    def action_pick(self) -> None:
        self.push_screen(BarePicker())

    def header_content(self) -> Any:
        return self.query_one("#header", Static).content
