"""The replay: the dashboard's own panels, fed the replayed snapshot of any moment, with a time scrubber.

`regionctl replay FILE` opens it on a saved session (ReplayApp); `b` in the live dashboard opens it on
the session so far, over the live one (which it pauses). Seeking re-simulates from the nearest
checkpoint (regionctl.replay.replayer); an index pass runs in a thread to place the event marks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import events as textual_events
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from regionctl.contract.snapshot import Snapshot
from regionctl.model.topology import Topology
from regionctl.replay import sessionfile
from regionctl.replay.ops import SessionLog
from regionctl.replay.replayer import Position, Replayer
from regionctl.tui.eventspanel import EventsPanel
from regionctl.tui.incidents import from_event, from_note
from regionctl.tui.keys import key_label, step_speed
from regionctl.tui.layout import COMPACT_CSS
from regionctl.tui.model import HISTORY_SECONDS, DashboardModel, FollowerStats
from regionctl.tui.panels import compose_panels, layout_for, paint_panels, set_titles
from regionctl.tui.scrubber import scrubber_text, session_lines
from regionctl.tui.styles import CSS
from regionctl.tui.widgets import KeysFooter, TextPanel
from regionctl.units import UnitError, format_duration, parse_duration

SPEEDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
LIVE_KEYS = "f,h,H,r,n,c,x,t,N"  # the live dashboard's (and the lab's) commands: a replay changes nothing


class ScrubberPanel(TextPanel):
    DEFAULT_CSS = "ScrubberPanel { height: 3; background: $boost; padding: 0 1; }"


class AskScreen(ModalScreen[str | None]):
    """One line of input (a time to go to, a file to save to)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(self, title: str, value: str, hint: str) -> None:
        super().__init__()
        self.title_text, self.value, self.hint = title, value, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Static(self.title_text, classes="modal-title")
            yield Input(self.value, id="ask")
            yield Static(self.hint, classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReplayScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "seek(-1)", "-1s"),
        Binding("right", "seek(1)", "+1s"),
        Binding("shift+left,pageup", "seek(-10)", "-10s", show=False),
        Binding("shift+right,pagedown", "seek(10)", "+10s", show=False),
        Binding("left_square_bracket", "step(-1)", "prev event"),
        Binding("right_square_bracket", "step(1)", "next event"),
        Binding("home", "jump(0)", "start", show=False),
        Binding("end", "jump(1)", "end", show=False),
        Binding("g", "go_to", "go to t"),
        Binding("space", "toggle_play", "play"),
        Binding("plus,equals_sign", "faster", "faster", show=False),
        Binding("minus,underscore", "slower", "slower", show=False),
        Binding("s", "save", "save"),
        Binding("v", "switch_view", "view", show=False),
        Binding("e", "filter_cluster", "cluster", show=False),
        Binding("w", "filter_severity", "warnings", show=False),
        Binding("question_mark", "help", "help"),
        Binding("q,escape", "close", "close"),
        Binding(LIVE_KEYS, "live_only", show=False),
    ]
    EXPLAIN: ClassVar[dict[str, str]] = {
        "seek(-1)": "replay: 1 s back (re-simulated from the nearest checkpoint)",
        "seek(1)": "replay: 1 s forward",
        "seek(-10)": "replay: 10 s back", "seek(10)": "replay: 10 s forward",
        "step(-1)": "replay: the previous event or command",
        "step(1)": "replay: the next event or command (one by one, even at the same instant)",
        "jump(0)": "replay: the start of the session", "jump(1)": "replay: the end of the session",
        "go_to": "replay: go to a typed time (90s, 1.5m, 12m)",
        "toggle_play": "replay: play / pause (at ×1 … ×60 simulated seconds per second)",
        "faster": "replay: play faster", "slower": "replay: play slower",
        "save": "replay: save the session to a file (regionctl replay FILE opens it again)",
        "switch_view": "small terminal: switch view (overview → topology → blast radius → session)",
        "filter_cluster": "events: one cluster's lines, each in turn, then all",
        "filter_severity": "events: every severity → warnings and errors → errors only",
        "help": "this help", "close": "close the replay",
        "live_only": "",
    }

    def __init__(self, replayer: Replayer, topology: Topology, *, topology_yaml: str | None = None,
                 topology_file: str = "", start: float | None = None, background_index: bool = True,
                 hz: float = 4.0) -> None:
        super().__init__()
        self.replayer = replayer
        self.topology = topology
        self.topology_yaml = topology_yaml
        self.topology_file = topology_file
        self.position = replayer.at(replayer.end if start is None else start)
        self.background_index = background_index
        self.hz = hz
        self.model = DashboardModel(topology)
        self.layout_ = layout_for(topology)
        self.playing = False
        self.speed = 10.0
        self.snapshot: Snapshot | None = None
        self._timer: Any = None
        self._unsampled = False
        self._pending: Position | None = None  # a jump waiting for the index to get there
        self._index_running = False

    def compose(self) -> ComposeResult:
        yield TextPanel(id="header")
        yield from compose_panels(TextPanel(id="runbook"))
        yield ScrubberPanel(id="scrubber")
        yield KeysFooter()

    def on_mount(self) -> None:
        set_titles(self, runbook="session")
        self.layout_.fit(self.app.size.width, self.app.size.height)
        self.layout_.apply(self)
        target = self.position
        if self.background_index and not self.replayer.indexed:
            self._index_running = True
            self._index()
            if target.t > self.replayer.every:  # the start at once, the moment asked for once indexed
                self.show(self.replayer.at(0.0))
        self.show(target, opening=True)

    @work(thread=True, exclusive=True, group="replay-index")
    def _index(self) -> None:
        worker = get_current_worker()
        while not self.replayer.index(budget=0.25):
            if worker.is_cancelled:  # the replay closed: stop within a slice, not at the end of the session
                return
            self.app.call_from_thread(self._indexed)
        self.app.call_from_thread(self._indexed)

    def _indexed(self) -> None:
        """The index moved on: its marks on the bar; the moment on screen again once its lag history is known."""
        self._index_running = not self.replayer.indexed
        pending = self._pending
        if pending is not None and (self.replayer.indexed_until >= pending.t or self.replayer.indexed):
            self.show(pending)
        elif self._unsampled and self.replayer.indexed_until >= self.position.t and not self.playing:
            self.show(self.position)
        self.show_scrubber()

    # -- showing a moment --------------------------------------------------------------------
    def show(self, position: Position, *, continuous: bool = False, opening: bool = False) -> None:
        """The panels as they were at `position`. Continuous (playing, small steps forward): the model and
        the log go on from the last frame, as live; otherwise they are rebuilt for that moment. A jump past
        what the index has reached waits for it (it runs in a thread; the screen stays responsive)."""
        replayer = self.replayer
        self._pending = None
        if not continuous and self._index_running and position.t > replayer.indexed_until + replayer.every:
            self._pending = position
            if opening:  # (the start is on screen meanwhile: say so, or it reads as the moment asked for)
                self.notify(f"re-simulating the session up to t={format_duration(position.t)}: the start is "
                            "shown until it gets there", timeout=3)
            else:
                self.notify(f"t={format_duration(position.t)} is not simulated yet (the index is at "
                            f"t={format_duration(replayer.indexed_until)}): shown once it gets there")
            self.show_scrubber()
            return
        before = self.position
        snapshot = replayer.snapshot(position)
        self.position = position
        self._unsampled = replayer.indexed_until < position.t  # shown before the index sampled its lag
        self.snapshot = snapshot
        events = self.query_one("#events", EventsPanel)
        if continuous and self.model.snapshot is not None and position.t >= before.t:
            new = self.model.update(snapshot)
            lines = [from_event(e) for e in new] + self._notes(before, position)
            events.add_lines(sorted(lines, key=lambda line: line.at))
        else:
            self.model = DashboardModel(self.topology)
            for name, history in self._lag_history(position).items():
                self.model.followers[name] = history
            self.model.update(snapshot)
            oldest = snapshot.events[0].at if snapshot.events else 0.0
            lines = [from_event(e) for e in snapshot.events]
            lines += self._notes(Position(oldest, sum(1 for e in replayer.entries if e.t < oldest)), position)
            events.reset(sorted(lines, key=lambda line: line.at))
        with self.app.batch_update():
            self._paint(snapshot)

    def _notes(self, after: Position, upto: Position) -> list[Any]:
        """The answers the live dashboard wrote in its log for the commands performed in (after, upto]."""
        out = []
        for entry in self.replayer.entries[after.applied:upto.applied]:
            style = "green" if entry.ok else "bold red"
            out.append(from_note(entry.t, ("✔ " if entry.ok else "✘ ") + (entry.result or entry.label()), style,
                                 "operator"))
        return out

    def _lag_history(self, position: Position) -> dict[str, FollowerStats]:
        out = {}
        for name in self.replayer.lag_samples:
            stats = FollowerStats()
            stats.history.extend(self.replayer.lag_history(name, position, HISTORY_SECONDS))
            out[name] = stats
        return out

    def _paint(self, snapshot: Snapshot) -> None:
        paint_panels(self, self.layout_, self.model, self.topology, snapshot,
                     clock=f"t={format_duration(snapshot.time)} replayed", paused=not self.playing,
                     size=self.app.size, runbook=self._paint_session)
        self.show_scrubber()

    def _paint_session(self) -> None:
        panel = self.query_one("#runbook", TextPanel)
        panel.show(session_lines(self.replayer, self.position, max(1, panel.content_region.height or 8)))

    def show_scrubber(self) -> None:
        if not self.is_attached:
            return
        width = max(20, self.app.size.width - 2)
        self.query_one("#scrubber", TextPanel).show(scrubber_text(self.replayer, self.position, width,
                                                                  playing=self.playing, speed=self.speed))

    def on_resize(self, event: textual_events.Resize) -> None:
        self.layout_.fit(event.size.width, event.size.height)
        self.layout_.apply(self)
        if self.snapshot is not None:
            self._paint(self.snapshot)

    # -- the keys ------------------------------------------------------------------------------
    def action_seek(self, seconds: float) -> None:
        self.pause()
        target = self.replayer.at(self.position.t + seconds)
        self.show(target, continuous=0 < seconds <= 10)

    def action_step(self, direction: int) -> None:
        self.pause()
        replayer = self.replayer
        mark = replayer.next_mark(self.position) if direction > 0 else replayer.previous_mark(self.position)
        if mark is None:
            more = " (the index is still running: more may come)" if direction > 0 and not replayer.indexed else ""
            self.notify(("no later event" if direction > 0 else "no earlier event") + more)
            return
        self.show(mark.at)

    def action_jump(self, where: int) -> None:
        self.pause()
        self.show(self.replayer.at(self.replayer.end if where else 0.0))

    def action_go_to(self) -> None:
        self.pause()

        def chosen(value: str | None) -> None:
            if value is None:
                return
            try:
                seconds = parse_duration(value)
            except UnitError as exc:
                self.notify(f"{value!r}: {exc}", severity="error")
                return
            if seconds > self.replayer.end:
                self.notify(f"the session ends at t={format_duration(self.replayer.end)}", severity="warning")
            self.show(self.replayer.at(seconds))

        self.app.push_screen(AskScreen("Go to which simulated time?", format_duration(self.position.t),
                                       f"a duration from the start: 90s, 1.5m, 12m (the session ends at "
                                       f"t={format_duration(self.replayer.end)}) · Enter goes · Esc cancels"), chosen)

    def action_toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            if self.position.t >= self.replayer.end:
                self.show(self.replayer.at(0.0))
            self.playing = True
            self._timer = self.set_interval(1.0 / self.hz, self.tick)
        self.show_scrubber()

    def pause(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.playing = False

    def tick(self) -> None:
        """One frame of play: the replayed clock moves speed / hz simulated seconds."""
        target = self.replayer.at(self.position.t + self.speed / self.hz)
        if target.t >= self.replayer.end:
            self.pause()
        self.show(target, continuous=True)

    def _set_speed(self, faster: bool) -> None:
        speed = step_speed(SPEEDS, self.speed, faster)
        if speed is None:
            self.notify(f"already at the {'fastest' if faster else 'slowest'} speed, ×{self.speed:g}")
            return
        self.speed = speed
        self.show_scrubber()

    def action_faster(self) -> None:
        self._set_speed(True)

    def action_slower(self) -> None:
        self._set_speed(False)

    def action_save(self) -> None:
        if self.topology_yaml is None:
            self.notify("this session's topology has no YAML text to save with it", severity="error")
            return
        default = f"{self.topology.name}-seed{self.replayer.seed}.session.jsonl"

        def chosen(value: str | None) -> None:
            if value is None or self.topology_yaml is None:
                return
            path = Path(value).expanduser()
            try:
                sessionfile.save(path, self.replayer.seed, self.topology_yaml, self.topology_file,
                                 self.replayer.entries, self.replayer.end)
            except OSError as exc:
                self.notify(f"cannot save to {path}: {exc.strerror or exc}", severity="error")
                return
            self.notify(f"saved {len(self.replayer.entries)} command(s) to {path} · regionctl replay {path}")

        self.app.push_screen(AskScreen("Save this session to which file?", default,
                                       "JSON Lines, a few hundred bytes per command plus the topology (docs/replay.md)"
                                       " · Enter saves · Esc cancels"), chosen)

    def action_switch_view(self) -> None:
        if self.layout_.wide:
            self.notify("every panel is on screen at this size (v switches views in a smaller terminal)")
            return
        self.layout_.next_view()
        self.layout_.apply(self)
        if self.snapshot is not None:
            self._paint(self.snapshot)

    def action_filter_cluster(self) -> None:
        self.query_one("#events", EventsPanel).cycle_cluster([c.name for c in self.topology.clusters])

    def action_filter_severity(self) -> None:
        self.query_one("#events", EventsPanel).cycle_severity()

    def action_help(self) -> None:
        from regionctl.tui.screens import HelpScreen

        rows = []
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.action == "live_only":
                continue
            rows.append((key_label(binding.key), self.EXPLAIN[binding.action]))
        self.app.push_screen(HelpScreen(rows))

    def action_live_only(self) -> None:
        self.notify("a replay changes nothing: q closes it" + (" (back to the live dashboard)"
                                                               if not isinstance(self.app, ReplayApp) else ""))

    def action_close(self) -> None:
        self.pause()
        self.workers.cancel_group(self, "replay-index")
        if isinstance(self.app, ReplayApp):
            self.app.exit(0)
        else:
            self.dismiss(None)


class ReplayApp(App[int]):
    """`regionctl replay FILE`: the replay screen on its own."""

    CSS = CSS + COMPACT_CSS
    TITLE = "regionctl replay"

    def __init__(self, screen: ReplayScreen) -> None:
        super().__init__()
        self.replay_screen = screen

    def on_mount(self) -> None:
        self.push_screen(self.replay_screen)


def replay_app(session: sessionfile.SessionFile, topology: Topology, *, start: float | None = None,
               background_index: bool = True) -> ReplayApp:
    replayer = Replayer(topology, session.seed, session.entries, session.end)
    return ReplayApp(ReplayScreen(replayer, topology, topology_yaml=session.topology_yaml,
                                  topology_file=session.topology_file, start=start,
                                  background_index=background_index))


def open_rewind(app: Any) -> None:
    """`b` in the live dashboard: the replay of the session so far, over it; the live clock pauses meanwhile."""
    backend = app.backend
    session = getattr(backend, "session", None)
    if not isinstance(session, SessionLog):
        app.notify("only a session on the simulator can be replayed (real hosts are not deterministic)")
        return
    was_paused = bool(getattr(backend, "paused", True))
    if not was_paused:
        app.action_toggle_pause()
    replayer = Replayer(app.topology, session.seed, tuple(session.entries), backend.sim.now)

    def closed(_: None) -> None:
        if not was_paused and getattr(backend, "paused", False):
            app.action_toggle_pause()

    app.push_screen(ReplayScreen(replayer, app.topology, topology_yaml=session.topology_yaml,
                                 topology_file=session.topology_file), closed)
