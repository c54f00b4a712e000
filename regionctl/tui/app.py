"""The dashboard: one screen that tells an outage's story, driven by one tick source.

The app reads Snapshots and sends Commands through the Backend protocol only; every
snapshot is applied in one batch_update, tables by keyed diffs, the map on the line API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

from textual import events as textual_events
from textual.app import App, ComposeResult, ScreenStackError, SystemCommand
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget

from regionctl.analysis.reach import Predictor, Thunk, static_predictor
from regionctl.contract.commands import Backend, Command, HealAll, HealFault, InjectFault, PacedBackend, TickingBackend
from regionctl.contract.faults import Fault
from regionctl.contract.snapshot import EventView, Snapshot
from regionctl.model.topology import Topology
from regionctl.tui.eventspanel import EventsPanel
from regionctl.tui.incidents import from_note
from regionctl.tui.keys import EXPLAIN, PALETTE_TITLES, key_label, step_speed
from regionctl.tui.layout import COMPACT_CSS
from regionctl.tui.model import DashboardModel, dur
from regionctl.tui.panels import compose_panels, layout_for, paint_panels, set_titles
from regionctl.tui.readiness import PICKER_TITLE, RunbookPlans, runbook_choices
from regionctl.tui.render import (
    header_text,
)
from regionctl.tui.runbooks import RunbookPanel, RunbookRun
from regionctl.tui.screens import ChoiceScreen, ConfirmScreen, FaultPicker, HelpScreen
from regionctl.tui.styles import CSS
from regionctl.tui.widgets import KeysFooter, TextPanel

W = TypeVar("W", bound=Widget)
SPEEDS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)


class Dashboard(App[int]):
    CSS = CSS + COMPACT_CSS
    TITLE = "regionctl"
    BINDINGS: ClassVar[list[BindingType]] = [
        # The footer shows them in this order and cuts what does not fit: the ones needed first come first.
        Binding("f", "pick_fault", "fault"),
        Binding("h", "heal_one", "heal"),
        Binding("space", "toggle_pause", "pause"),
        Binding("v", "switch_view", "view"),
        Binding("g", "history", "history"),
        Binding("question_mark", "help", "help"),
        Binding("q", "request_quit", "quit"),
        Binding("r", "choose_runbook", "runbook"),
        Binding("H", "heal_all", "heal all"),
        Binding("plus,equals_sign", "faster", "faster"),
        Binding("minus,underscore", "slower", "slower"),
        Binding("n", "runbook_next", "next step"),
        Binding("c", "runbook_continue", "run to end"),
        Binding("x", "runbook_stop", "stop runbook"),
        # The events panel's keys: its bottom border names them (the footer keeps its room for the others).
        Binding("e", "filter_cluster", "cluster", show=False),
        Binding("w", "filter_severity", "warnings", show=False),
        Binding("l", "focus_log", "scroll log", show=False),
        Binding("b", "rewind", "rewind", show=False),
    ]
    # What each binding does, in words (the help screen and the command palette use these).
    EXPLAIN: ClassVar[dict[str, str]] = EXPLAIN

    def __init__(self, backend: Backend, topology: Topology, *, hz: float = 4.0, autoplay: bool = True,
                 predictor: Predictor = static_predictor, seed: int | None = None,
                 observers: Iterable[Callable[[Snapshot], None]] = (),
                 step_observer: Callable[[str, str, str], None] | None = None,
                 notes: Iterable[str] = ()) -> None:
        super().__init__()
        self.backend = backend
        self.topology = topology
        self.hz = hz
        self.autoplay = autoplay
        self.predictor = predictor
        self.seed = seed
        self.model = DashboardModel(topology)
        self.snapshot: Snapshot = backend.snapshot()
        self.frames = 0
        # Others fed from the same tick (the metrics exporter): every snapshot, every step status.
        self.observers = list(observers)
        self.step_observer = step_observer
        self.startup_notes = list(notes)
        self.run_: RunbookRun | None = None
        self.runbook_plans = RunbookPlans(topology)  # planned once, judged against each snapshot
        self.live_paused = False  # a live backend cannot stop time: pausing freezes the display
        self._playing = False
        self.main: Screen[Any] | None = None
        self.layout_ = layout_for(topology)

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield TextPanel(id="header")
        yield from self.compose_panels()
        yield KeysFooter()

    def compose_panels(self) -> ComposeResult:
        """Everything between the header and the footer (the lab dashboard adds its panel beside it)."""
        yield from compose_panels(RunbookPanel(id="runbook"))

    def on_mount(self) -> None:
        self.main = self.screen  # panels are looked up here even while a modal is on top
        self.install_screen(FaultPicker(self.topology, self.preview, self.node_roles), "fault-picker")
        set_titles(self.main)
        self.fit_layout(self.size.width, self.size.height)
        self.apply_snapshot(self.snapshot)
        seed = f", seed {self.seed}" if self.seed is not None else ""
        self.note(f"dashboard on {self.topology.name} ({self.backend.name}{seed}) · f injects a fault · "
                  "r runs a runbook · ? lists every key")
        for note in self.startup_notes:
            self.note(note)
        if self.autoplay:
            self.run_worker(self._tick(), name="tick", group="tick", exclusive=True)

    async def _tick(self) -> None:
        """The one tick source: the backend's play loop (the simulator paces itself; real hosts are probed)."""
        self._playing = True
        try:
            if isinstance(self.backend, TickingBackend):
                await self.backend.play(self.apply_snapshot, self.hz)
            else:  # a backend without a play loop: poll it
                while True:
                    await self.backend.advance(1.0 / self.hz)
                    self.apply_snapshot(self.backend.snapshot())
        finally:
            self._playing = False

    # -- the one update path -----------------------------------------------------------------
    @property
    def paused(self) -> bool:
        return (isinstance(self.backend, PacedBackend) and self.backend.paused) or self.live_paused

    @property
    def paced(self) -> bool:
        """A simulator paced by the play loop (pause, speed); anything else runs in real time."""
        return isinstance(self.backend, PacedBackend)

    def clock_text(self) -> str:
        if not isinstance(self.backend, PacedBackend):
            return "live"
        return f"t={dur(self.snapshot.time)} ×{self.backend.speed:g}"

    def apply_snapshot(self, snapshot: Snapshot) -> None:
        for observer in self.observers:
            observer(snapshot)
        if self.live_paused or self.main is None:
            return  # a frozen display, or a tick that arrives before mount
        try:
            self._apply(snapshot)
        except (NoMatches, ScreenStackError):  # the last tick met the screens being taken down at exit
            return

    def _apply(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        # A dialog leaves the dashboard in view behind it (dimmed): the panels follow every tick still.
        events = self.model.update(snapshot)
        with self.batch_update():
            self._paint(snapshot, events)
        self.frames += 1

    def _paint(self, snapshot: Snapshot, events: list[EventView]) -> None:
        assert self.main is not None
        paint_panels(self.main, self.layout_, self.model, self.topology, snapshot, clock=self.clock_text(),
                     paused=self.paused, size=self.size, runbook=self.refresh_runbook)
        self.w("#events", EventsPanel).add(events)  # the log takes every event, shown or not

    # -- sizes and views ---------------------------------------------------------------------
    def on_resize(self, event: textual_events.Resize) -> None:
        self.fit_layout(event.size.width, event.size.height)

    def fit_layout(self, width: int, height: int) -> None:
        """Show the panels this size has room for (regionctl.tui.layout decides which)."""
        if self.main is None:
            return
        self.layout_.fit(width, height)
        self._show_layout()

    def _show_layout(self) -> None:
        assert self.main is not None
        self.w("#events", EventsPanel).moved = True  # a log shown again opens at its latest lines
        with self.batch_update():
            self.layout_.apply(self.main)
            if self.main.is_attached:
                self._paint(self.snapshot, [])

    def action_switch_view(self) -> None:
        if self.layout_.mode == "wide":
            self.notify("every panel is on screen at this size (v switches views in a smaller terminal)")
            return
        self.layout_.next_view()
        self._show_layout()

    # -- the event log ---------------------------------------------------------------------
    def action_history(self) -> None:
        from regionctl.tui.historyview import HistoryScreen  # imported on first use: the first frame stays light

        if self.screen is self.main:  # not over a dialog (the history's own g closes it)
            self.push_screen(HistoryScreen(self))

    def action_filter_cluster(self) -> None:
        self.w("#events", EventsPanel).cycle_cluster([c.name for c in self.topology.clusters])

    def action_filter_severity(self) -> None:
        self.w("#events", EventsPanel).cycle_severity()

    def action_focus_log(self) -> None:
        self.w("#events", EventsPanel).log_.focus()

    def action_rewind(self) -> None:
        from regionctl.tui.replay import open_rewind

        open_rewind(self)

    def on_unmount(self) -> None:
        self.main = None

    def w(self, selector: str, kind: type[W]) -> W:
        assert self.main is not None
        return self.main.query_one(selector, kind)

    def note(self, message: str, style: str = "", source: str = "operator") -> None:
        if self.main is None:
            return
        self.w("#events", EventsPanel).note(from_note(self.snapshot.time, message, style, source))

    def refresh_runbook(self) -> None:
        if self.main is None:
            return
        self.w("#runbook", RunbookPanel).show(self.run_, self.snapshot.runbooks)

    async def send(self, command: Command) -> bool:
        result = await self.backend.apply(command)
        self.note(("✔ " if result.ok else "✘ ") + result.message, "green" if result.ok else "bold red")
        if not result.ok:
            self.notify(result.message, severity="error")
        self.apply_snapshot(self.backend.snapshot())
        return result.ok

    # -- faults ----------------------------------------------------------------------------
    def active_faults(self) -> list[Fault]:
        # The backend's word, not the last frame's: a runbook may have injected one since.
        return [f.fault for f in self.backend.snapshot().faults if f.healed_at is None]

    def node_roles(self) -> dict[str, str]:
        """Each node's role now, as the fault picker lists it (`leader · down` when it is not up)."""
        return {n.name: n.role if n.health == "up" else f"{n.role} · {n.health}"
                for c in self.snapshot.clusters for n in c.nodes}

    def preview(self, fault: Fault) -> Thunk:
        return self.predictor(self.topology, self.snapshot, fault)

    def action_pick_fault(self) -> None:
        def chosen(fault: Fault | None) -> None:
            if fault:
                self.run_worker(self.send(InjectFault(fault)), group="commands")

        self.push_screen("fault-picker", chosen)

    def action_heal_one(self) -> None:
        active = self.active_faults()
        if not active:
            self.notify("no fault is injected")
            return

        def chosen(index: str | None) -> None:
            if index == "*":
                self.run_worker(self.send(HealAll()), group="commands")
            elif index:
                self.run_worker(self.send(HealFault(active[int(index)])), group="commands")

        choices = [(str(i), f"heal {fault.spec}") for i, fault in enumerate(active)] + [("*", "heal all of them")]
        self.push_screen(ChoiceScreen("Heal which fault?", choices), chosen)

    async def action_heal_all(self) -> None:
        if not self.active_faults():
            self.notify("no fault is injected")
            return
        await self.send(HealAll())

    # -- time ------------------------------------------------------------------------------
    def action_toggle_pause(self) -> None:
        backend = self.backend
        if isinstance(backend, PacedBackend):
            if backend.paused:
                backend.resume()
                if self._playing:
                    backend.live = True  # resume() must not hand time back to advance() while we tick
            else:
                backend.pause()
        else:
            self.live_paused = not self.live_paused
        self.note("⏸ paused" if self.paused else "▶ resumed")
        self.apply_snapshot(self.backend.snapshot())
        if self.live_paused:  # the frozen display still shows the pause
            self.w("#header", TextPanel).show(
                header_text(self.snapshot, clock=self.clock_text(), paused=True, slo=self.model.slo()))

    def _set_speed(self, faster: bool) -> None:
        backend = self.backend
        if not isinstance(backend, PacedBackend):
            self.notify("a live backend runs in real time")
            return
        speed = step_speed(SPEEDS, backend.speed, faster)
        if speed is None:  # a note at each press would push the events out of the log
            self.notify(f"already at the {'fastest' if faster else 'slowest'} speed, ×{backend.speed:g}")
            return
        backend.speed = speed
        self.note(f"speed ×{backend.speed:g}")
        self.apply_snapshot(self.backend.snapshot())

    def action_faster(self) -> None:
        self._set_speed(True)

    def action_slower(self) -> None:
        self._set_speed(False)

    # -- runbooks --------------------------------------------------------------------------
    def action_choose_runbook(self) -> None:
        if self.run_ is not None and not self.run_.finished:
            self.notify(f"runbook {self.run_.name} is still running (x stops it)", severity="warning")
            return
        names = self.snapshot.runbooks
        if not names:
            self.notify("this topology ships no runbooks")
            return
        # From where the estate is now: whose prechecks hold, and why the others' do not.
        choices = runbook_choices(self.runbook_plans.readiness(self.backend.snapshot(), names))

        def chosen(key: str | None) -> None:
            if key:
                name, mode = key.split("\t")
                self.start_runbook(name, step_mode=mode == "step")

        self.push_screen(ChoiceScreen(PICKER_TITLE, choices), chosen)

    def start_runbook(self, name: str, *, step_mode: bool) -> RunbookRun:
        run = RunbookRun(self.backend, self.topology, name, step_mode=step_mode,
                         on_change=self._runbook_changed, ask=self._ask_approval)
        self.run_ = run
        self.note(f"runbook {name} started" + (" step by step" if step_mode else ""))
        self.run_worker(self._run_runbook(run), group="runbook")
        self.refresh_runbook()
        return run

    async def _run_runbook(self, run: RunbookRun) -> None:
        outcome = await run.run()
        self.note(f"{run.name}: {outcome.report.get('result')} (exit {int(outcome.exit_code)})",
                  "green" if int(outcome.exit_code) == 0 else "bold red", source="runbook")
        self.apply_snapshot(self.backend.snapshot())

    def _runbook_changed(self, message: str) -> None:
        if self.step_observer is not None and self.run_ is not None:
            for step in self.run_.steps:
                self.step_observer(self.run_.name, step.id, step.status)
        if message:
            self.note(message, "cyan", source="runbook")
        self.apply_snapshot(self.backend.snapshot())

    async def _ask_approval(self, step_id: str, text: str) -> bool:
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self.push_screen(ConfirmScreen(f"Approval gate [b]{step_id}[/b]\n{text}\n\nApprove?",
                                       {"y": "approve", "n": "refuse (the runbook aborts)"}),
                         future.set_result)
        return await future == "y"

    def action_runbook_next(self) -> None:
        if self.run_ is None or not self.run_.next_step():
            self.notify("no runbook step is waiting (r chooses a runbook)")

    def action_runbook_continue(self) -> None:
        if self.run_ is None or self.run_.finished:
            self.notify("no runbook is running (r chooses a runbook)")
            return
        self.run_.to_end()
        self.refresh_runbook()

    def action_runbook_stop(self) -> None:
        if self.run_ is None or self.run_.finished:
            self.notify("no runbook is running")
            return
        self.run_.cancel()
        self.note(f"runbook {self.run_.name} stopped by the operator", "yellow")

    # -- help, palette, quit ---------------------------------------------------------------
    def binding_rows(self) -> list[tuple[str, str]]:
        rows = []
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            keys = key_label(binding.key)
            if not self.paced and binding.action in ("faster", "slower"):
                continue  # real hosts run in real time
            rows.append((keys, self.EXPLAIN[binding.action]))
        rows.append(("ctrl+p", "command palette: every action above by name"))
        rows.append(("Esc", "close a dialog / step back in the fault picker"))
        return rows

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.binding_rows(), live=not self.paced, runbooks=self.snapshot.runbooks))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for action, title in PALETTE_TITLES.items():
            yield SystemCommand(title, self.EXPLAIN[action], getattr(self, f"action_{action}"))

    async def action_quit(self) -> None:
        """ctrl+q and the palette's Quit ask first too, like q."""
        self.action_request_quit()

    def action_request_quit(self) -> None:
        active = self.active_faults()
        running = self.run_ is not None and not self.run_.finished
        if not active and not running:
            self.exit(0)
            return
        where = ("they vanish with the simulation" if self.paced
                 else "they stay on the hosts until healed")
        lines = []
        if running and self.run_ is not None:
            lines.append(f"[b]runbook {self.run_.name} is still running[/b] (quitting stops it mid-step; "
                         "x stops it cleanly, with its rollback)")
        if active:
            lines.append(f"[b]{len(active)} fault(s) still injected[/b]: {', '.join(f.spec for f in active)} ({where})")
        question = "\n".join(lines) + "\nQuit anyway?"

        async def answered(key: str | None) -> None:
            if key == "y":
                self.exit(0)
            elif key == "h":
                await self.send(HealAll())
                self.exit(0)

        choices = {"y": "quit", "h": "heal all, then quit", "n": "stay"} if active else {"y": "quit", "n": "stay"}
        self.push_screen(ConfirmScreen(question, choices, danger=True), answered)
