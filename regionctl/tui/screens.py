"""Modal screens: the fault picker (kind -> target -> blast preview -> confirm), the
heal chooser, yes/no confirmations (quit, runbook gates), the runbook chooser and help."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from itertools import permutations
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from regionctl.analysis.reach import Reach, Thunk
from regionctl.contract.faults import (
    FAULT_KINDS,
    KINDS,
    Fault,
    FaultKind,
    FaultSpecError,
    check_targets,
    parse_fault,
)
from regionctl.model.topology import Topology
from regionctl.tui.render import reach_text

# The value a fault kind starts with in the picker (edited in the spec field before confirming): its example's.
DEFAULT_VALUE = {str(k): "=" + info.example.split("=", 1)[1] for k, info in KINDS.items() if info.value}
KIND_HELP = {str(k): info.help for k, info in KINDS.items()}


def fault_targets(topology: Topology, kind: str,
                  now: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(target text, description) for each thing a fault of `kind` can hit; `now`: each node's role
    (and health, when not up) as the backend sees it now, not as the topology file started it."""
    info = KINDS[FaultKind(kind)]
    regions = [r.name for r in topology.regions]
    if info.targets == "region":
        return [(r, f"every node and client in {r}") for r in regions]
    if info.targets == "zone":
        return [(f"{r.name}/{z}", f"zone {z} of {r.name}") for r in topology.regions for z in r.zones]
    if info.targets == "node":
        return [(n.name, f"{c.name} · {n.region}/{n.zone or ''} · {(now or {}).get(n.name, n.role)}")
                for c in topology.clusters for n in c.nodes]
    cut = info.effect == "cut"
    pairs = [(f"{a}|{b}", f"{a} and {b} cut both ways" if cut else f"between {a} and {b}")
             for i, a in enumerate(regions) for b in regions[i + 1:]]
    if info.one_way:
        pairs += [(f"{a}>{b}", f"packets from {a} to {b} dropped") for a, b in permutations(regions, 2)]
    return pairs


class FaultPicker(ModalScreen[Fault | None]):
    """Kind, then target, then the predicted blast radius, then confirm. Esc steps back."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "back / close")]

    def __init__(self, topology: Topology, predict: Callable[[Fault], Thunk],
                 roles: Callable[[], Mapping[str, str]] | None = None) -> None:
        super().__init__()
        self.topology = topology
        self.predict = predict
        self.roles = roles  # each node's role now (the live snapshot's), for the node targets
        self.kind: str | None = None
        self.stage = "kind"
        self._spec = ""  # the spec the preview is (or will be) about
        self._cache: dict[str, Reach] = {}
        self._debounce: Timer | None = None
        self._shown: tuple[str, str | None] | None = None  # the stage (and kind) the widgets show now

    def compose(self) -> ComposeResult:
        with Vertical(id="picker", classes="modal"):
            yield Label("Inject a fault · 1/3 kind", id="picker-title")
            yield OptionList(*(Option(Text.assemble((f"{k:<10}", "bold"), KIND_HELP.get(k, "")), id=k)
                               for k in FAULT_KINDS), id="kinds")
            yield OptionList(id="targets")
            with Vertical(id="confirm"):
                yield Input(id="spec")
                yield Static(id="preview")
            yield Label("↑↓ choose · Enter next · Esc back", id="picker-hint", classes="hint")

    def on_screen_resume(self) -> None:
        # The picker is installed once and reused (composing a screen per key press is slow):
        # every opening starts again from the kind.
        self.query_one("#kinds", OptionList).highlighted = 0
        self._cache.clear()  # the estate moved on since the last opening
        self._show("kind")

    def _show(self, stage: str) -> None:
        self.stage = stage
        focus = {"kind": "#kinds", "target": "#targets", "confirm": "#spec"}[stage]
        if self._shown == (stage, self.kind):  # opened again where it was closed: nothing to lay out again
            self.query_one(focus).focus()
            return
        self._shown = (stage, self.kind)
        title = {"kind": "1/3 kind", "target": f"2/3 target of {self.kind}",
                 "confirm": "3/3 predicted blast radius · confirm"}[stage]
        self.query_one("#picker-title", Label).update(f"Inject a fault · {title}")
        hint = ("Enter inject · edit the spec to change the value · Esc back" if stage == "confirm"
                else "↑↓ choose · Enter next · Esc back")
        self.query_one("#picker-hint", Label).update(hint)
        for widget_id, name in (("#kinds", "kind"), ("#targets", "target"), ("#confirm", "confirm")):
            self.query_one(widget_id).display = stage == name
        self.query_one(focus).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_list.id == "kinds":
            self.kind = event.option.id
            targets = self.query_one("#targets", OptionList)
            targets.clear_options()
            targets.add_options(Option(Text.assemble((f"{t:<22}", "bold"), d), id=t)
                                for t, d in fault_targets(self.topology, self.kind or "",
                                                          self.roles() if self.roles else None))
            targets.highlighted = 0
            self._show("target")
        else:
            spec = f"{self.kind}:{event.option.id}{DEFAULT_VALUE.get(self.kind or '', '')}"
            spec_input = self.query_one("#spec", Input)
            spec_input.value = spec
            self._update_preview(spec)
            self._show("confirm")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.value == self._spec:
            return  # set by choosing a target: already being predicted
        if self._debounce is not None:
            self._debounce.stop()
        # Predict once typing pauses: a forked simulation per keystroke would be wasted work.
        self._debounce = self.set_timer(0.3, lambda: self._update_preview(event.value))

    def _preview_widget(self) -> Static | None:
        """The preview pane, or None once the picker is being taken down (dismissed, or at exit):
        a debounce timer or a prediction worker may still land after that."""
        try:
            return self.query_one("#preview", Static)
        except NoMatches:
            return None

    def _update_preview(self, spec: str) -> None:
        self._spec = spec
        widget = self._preview_widget()
        if widget is None:
            return
        try:
            fault = parse_fault(spec)  # the edge: what was typed, parsed and checked once
            check_targets(fault, self.topology)
            thunk = self.predict(fault)  # cheap, on this thread: forks the estate
        except FaultSpecError as exc:
            widget.update(Text(f"✘ {str(exc).splitlines()[0]}", style="bold red"))
            return
        if spec in self._cache:
            self._show_reach(self._cache[spec], widget)
            return
        widget.update(Text("predicting what it would reach…", style="dim italic"))
        self.run_worker(partial(self._predict, spec, thunk), thread=True, exclusive=True, group="preview",
                        exit_on_error=False)

    @staticmethod
    def _predict(spec: str, thunk: Thunk) -> tuple[str, Reach]:
        return spec, thunk()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "preview":
            return
        widget = self._preview_widget()
        if widget is None:
            return
        if event.state == WorkerState.ERROR:
            widget.update(Text(f"✘ prediction failed: {worker.error}", style="red"))
        elif event.state == WorkerState.SUCCESS and worker.result is not None:
            spec, reach = worker.result
            self._cache[spec] = reach
            if spec == self._spec:
                self._show_reach(reach, widget)

    def _show_reach(self, reach: Reach, widget: Static) -> None:
        out = Text("What it would reach", style="bold underline")
        out.append(f"  ({reach.source})\n", "dim")
        out.append_text(reach_text(reach, []))
        widget.update(out)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            fault = parse_fault(event.value)  # the edge: parsed and checked once, carried typed from here
            check_targets(fault, self.topology)
        except FaultSpecError as exc:
            self.notify(str(exc).splitlines()[0], severity="error")
            return
        self.dismiss(fault)

    def action_back(self) -> None:
        if self.stage == "confirm":
            self._show("target")
        elif self.stage == "target":
            self._show("kind")
        else:
            self.dismiss(None)


class ChoiceScreen(ModalScreen[str | None]):
    """Pick one of a list (heal which fault, run which runbook); Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(self, title: str, choices: Sequence[tuple[str, str | Text]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Label(self.title_text, classes="modal-title")
            yield OptionList(*(Option(label, id=key) for key, label in self.choices))
            yield Label("↑↓ choose · Enter select · Esc cancel", classes="hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[str]):
    """A question answered by one key; `choices` maps key -> meaning (first is the default for Enter)."""

    def __init__(self, question: str, choices: dict[str, str], danger: bool = False) -> None:
        super().__init__()
        self.question = question
        self.choices = choices
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal confirm" + (" danger" if self.danger else "")):
            yield Static(self.question, classes="modal-title")
            yield Static("   ".join(f"[b]{key}[/b] {text}" for key, text in self.choices.items()), classes="hint")

    def on_key(self, event: object) -> None:
        key = getattr(event, "key", "")
        if key == "escape":
            key = list(self.choices)[-1]
        if key in self.choices:
            getattr(event, "stop")()  # noqa: B009 - the Key event, typed loosely to keep imports light
            self.dismiss(key)


class HelpScreen(ModalScreen[None]):
    """Every binding with what it does, and the fault kinds the picker offers."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "close", "close")]

    def __init__(self, bindings: list[tuple[str, str]], live: bool = False, runbooks: Sequence[str] = ()) -> None:
        super().__init__()
        self.rows = bindings
        self.live = live  # real hosts: no simulated clock, some fault kinds refused, runbooks change the estate
        self.runbooks = tuple(runbooks)  # the topology's: the tour starts with the first

    def compose(self) -> ComposeResult:
        # Two-column grids: a description that wraps stays in its column, under itself.
        keys = _grid(12, "bold cyan", self.rows)
        faults = _grid(19, "", [(info.form, info.help) for info in KINDS.values()])
        tail = Text("\nStatus is shown by symbol as well as colour: ✔ ok · ▲ behind/degraded · ✘ down/far behind ·"
                    " ⚠ isolated · ★ leader · ☆ old leader · · follower · ? candidate (an election) ·"
                    " ⏱ RTO running\n", "dim")
        tail.append(LIVE_HELP if self.live else tour_help(self.runbooks), "dim")
        body = Group(Text("Keys", style="bold underline"), keys,
                     Text("\nFaults (f opens the picker: kind → target → predicted blast radius → Enter)",
                          style="bold underline"), faults, tail)
        with VerticalScroll(classes="modal help"):
            yield Static(body, id="help-text")
            yield Label("Esc / ? close", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)


def _grid(width: int, style: str, rows: list[tuple[str, str]]) -> Table:
    grid = Table.grid(padding=(0, 1, 0, 2))
    grid.add_column(style=style, no_wrap=True, min_width=width)
    grid.add_column(ratio=1)
    for left, right in rows:
        grid.add_row(left, right)
    return grid


LIVE_HELP = ("Real hosts: the screen polls them several times a second (live); there is no simulated "
             "clock to speed up. slow: and clock: faults, and latency: without the topology's "
             "ssh.latency command, are refused with a reason. Faults and runbooks change the real "
             "estate: H heals what was injected here, `regionctl recover JOURNAL` what a run left; each "
             "runbook's precheck says the state it needs.\n")
def tour_help(runbooks: Sequence[str]) -> str:
    """A newcomer's tour of this topology: its first runbook (if it has one), then faults by hand."""
    faults = ("inject faults yourself: f, ↓ Enter (region), Enter, read the prediction, Enter; H heals "
              "everything.")
    if not runbooks:
        return f"A newcomer's tour: {faults} Watch the leaders, the lag, the blast radius and the RTO timer.\n"
    return (f"A newcomer's tour: first r, {runbooks[0]}, then n step by step: the runbook makes its own "
            "faults; press + to speed up and watch the lag, the new leader (its term goes up), the blast radius "
            f"and the RTO timer; it heals what it broke at the end. Then {faults} A runbook's precheck says "
            "the state it starts from (the picker marks those that hold now); restart regionctl for a fresh "
            "estate.\n")
