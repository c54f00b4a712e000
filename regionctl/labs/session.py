"""A learner's walk through a lab, one snapshot at a time (what the dashboard's lab panel shows).

No Textual here: the panel only renders this state. A step's expectation is judged only
once the learner has done what the step asks (its `do` items, observed in the snapshot:
the fault is injected, the heal happened, the runbook passed, the wait came true); so
an expectation that already holds before the fault ("still writable") proves nothing
until the fault is there. Actions have no dashboard key: they never hold the check back,
and "show me" performs them. An expectation that held stays held (the check latches).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from regionctl.contract.commands import HealFault, InjectFault
from regionctl.contract.faults import FAULT_KINDS, Fault, FaultSpecError, parse_fault
from regionctl.contract.snapshot import Snapshot
from regionctl.labs.compile import CLUSTER_ACTIONS, NODE_ACTIONS, CompiledLab
from regionctl.labs.progress import load_progress, record_step
from regionctl.model.lab import LabStep
from regionctl.runbook import expr
from regionctl.runbook.plan import Plan, PlannedStep
from regionctl.runbook.state import SnapshotState

ACTIONS = (*NODE_ACTIONS, *CLUSTER_ACTIONS, "shift-traffic")


def same_fault(a: str, b: str) -> bool:
    """Two specs for one fault (a partition A|B is B|A)."""
    try:
        fa, fb = parse_fault(a), parse_fault(b)
    except FaultSpecError:
        return a.strip() == b.strip()
    return fa == fb  # canonical identity


def item_kind(text: str) -> str:
    head = text.split()[0] if text.split() else "auto"
    if head in ("auto", "heal", "wait", "runbook"):
        return head
    return "action" if head in ACTIONS else "fault"


@dataclass
class DoItem:
    """One thing the learner does, with the executor steps that perform it ("show me")."""

    text: str
    kind: str  # fault | heal | wait | runbook | action
    planned: tuple[PlannedStep, ...]
    done: bool = False
    shown: bool = False  # performed by "show me"

    @property
    def argument(self) -> str:
        return self.text.split(None, 1)[1] if " " in self.text else ""

    @property
    def fault(self) -> Fault | None:
        """The fault it injects or heals, as the lab's plan parsed it (the YAML edge)."""
        for planned in self.planned:
            if isinstance(planned.command, InjectFault | HealFault):
                return planned.command.fault
        return None

    @property
    def gates(self) -> bool:
        """Whether the expectation waits for it: an action cannot be seen in a snapshot."""
        return self.kind != "action"

    def label(self) -> str:
        if self.kind == "fault":
            return f"inject {self.text}"
        if self.kind == "heal":
            return "heal every fault" if self.argument in ("", "all") else f"heal {self.argument}"
        if self.kind == "wait":
            return f"wait until {self.argument}"
        if self.kind == "runbook":
            return f"run the runbook {self.argument}"
        return self.text

    def how(self) -> str:
        """Which keys do it: the hint a newcomer needs when the text is not enough."""
        if self.kind == "fault":
            kind, _, rest = self.text.partition(":")
            target, eq, value = rest.partition("=")
            nth = FAULT_KINDS.index(kind) + 1 if kind in FAULT_KINDS else 0
            where = f" (kind {nth} of the list)" if nth else ""
            edit = f"; edit the value after `=` to `{value}`" if eq else ""
            return (f"press `f`, choose the kind *{kind}*{where} with ↓ and Enter, then the target *{target}* "
                    f"with ↓ and Enter{edit}; read the predicted blast radius and press Enter to inject it.")
        if self.kind == "heal":
            if self.argument in ("", "all"):
                return "press `H` to heal every injected fault."
            return f"press `h` and choose *heal {self.argument}* (or `H` to heal everything)."
        if self.kind == "wait":
            return f"let simulated time pass until `{self.argument}` (`+` speeds the clock up)."
        if self.kind == "runbook":
            return (f"press `r`, choose *{self.argument}* (step by step: `n` runs each step; or to the end), "
                    "and approve its gates with `y`.")
        return f"the dashboard has no key for `{self.text}`: press `s` (show me) to have it performed."


@dataclass
class StepState:
    step: LabStep
    condition: expr.Node | None
    items: list[DoItem]
    entered_at: float | None = None
    held_at: float | None = None
    values: str = ""  # the condition's current values, or why it cannot be judged
    hints_shown: int = 0

    @property
    def held(self) -> bool:
        return self.held_at is not None

    @property
    def waiting_for(self) -> DoItem | None:
        """The first thing the learner still has to do before the expectation counts."""
        return next((i for i in self.items if i.gates and not i.done), None)

    def hints(self) -> list[str]:
        """The lab's hints, then the keys for each thing to do (so every step has at least one)."""
        generated = [f"To {item.label()}: {item.how()}" for item in self.items]
        if not self.items:
            generated = ["Nothing to do in this step but watch: `+` speeds the simulated clock up."]
        return [*self.step.hints, *generated]


def _items_of(compiled: CompiledLab, step_id: str) -> list[DoItem]:
    pattern = re.compile(rf"^{re.escape(step_id)}-do(\d+)(?:-.+)?$")
    by_index: dict[int, list[PlannedStep]] = {}
    for planned in compiled.plan.steps:
        match = pattern.match(planned.id)
        if match and compiled.lab_step_of.get(planned.id) == step_id:
            by_index.setdefault(int(match.group(1)), []).append(planned)
    items = []
    for n, text in enumerate(compiled.do_items.get(step_id, []), 1):
        if item_kind(text) != "auto":
            items.append(DoItem(text, item_kind(text), tuple(by_index.get(n, ()))))
    return items


def _expectation(compiled: CompiledLab, step_id: str) -> expr.Node | None:
    return next((p.condition for p in compiled.plan.steps if p.id == step_id and p.step.kind == "wait"), None)


@dataclass
class LabSession:
    compiled: CompiledLab
    record: Callable[[str, str, bool], None] = record_step
    steps: list[StepState] = field(default_factory=list)
    index: int = 0
    skip_armed: bool = False  # `next` pressed once before the check held: pressed again, it skips

    def __post_init__(self) -> None:
        self.steps = [StepState(s, _expectation(self.compiled, s.id), _items_of(self.compiled, s.id))
                      for s in self.compiled.lab.steps]

    @property
    def name(self) -> str:
        return self.compiled.lab.name

    @property
    def current(self) -> StepState:
        return self.steps[self.index]

    @property
    def last(self) -> bool:
        return self.index == len(self.steps) - 1

    @property
    def complete(self) -> bool:
        """Every step's expectation held in this walk-through."""
        return all(s.held for s in self.steps)

    def observe(self, snapshot: Snapshot, runbooks_passed: Collection[str] = ()) -> bool:
        """Judge the current step on a snapshot; True when its expectation has just held."""
        state = self.current
        if state.entered_at is None:
            state.entered_at = snapshot.time
        if state.held:
            return False
        view = SnapshotState(snapshot, state.entered_at)
        for item in state.items:
            if not item.done:
                item.done = _observed(item, snapshot, view, runbooks_passed)
                if not item.done and item.gates:
                    break
        waiting = state.waiting_for
        if waiting is not None:
            state.values = f"first {waiting.label()}"
            return False
        if state.condition is None:  # a step with nothing to prove: reading it is the point
            state.held_at = snapshot.time
        else:
            try:
                holds = view.holds(state.condition)
                state.values = view.explain(state.condition)
            except expr.EvalError as exc:
                state.values = f"cannot be judged: {exc}"
                return False
            if not holds:
                return False
            state.held_at = snapshot.time
        finished = self.last and all(s.held or s.step.id in self._completed_before() for s in self.steps)
        self.record(self.name, state.step.id, finished)
        return True

    def _completed_before(self) -> set[str]:
        return set(load_progress().get(self.name, {}).get("completed", []))

    def hint(self) -> str | None:
        """Reveal the next hint; None when every hint is out."""
        state = self.current
        hints = state.hints()
        if state.hints_shown >= len(hints):
            return None
        state.hints_shown += 1
        return hints[state.hints_shown - 1]

    def go_next(self) -> str:
        """moved | not-yet (pressed again, it skips) | end."""
        if not self.current.held and not self.skip_armed:
            self.skip_armed = True
            return "not-yet"
        self.skip_armed = False
        if self.last:
            return "end"
        self.index += 1
        return "moved"

    def show_me_plan(self) -> Plan | None:
        """The executor plan that performs what is left of this step's `do`; None if nothing is left."""
        todo = [p for item in self.current.items if not item.done for p in item.planned]
        if not todo:
            return None
        plan = self.compiled.plan
        return dataclasses.replace(plan, steps=tuple(todo), rollback=(), prechecks=(), guards=(), slo={},
                                   runbook=plan.runbook.model_copy(update={"observe": 0.0}))

    def performed(self, step_ids: Collection[str], index: int) -> None:
        """The executor finished these steps of step `index`: items whose every step ran are done."""
        for item in self.steps[index].items:
            if item.planned and all(p.id in step_ids for p in item.planned):
                item.done = item.shown = True


def _observed(item: DoItem, snapshot: Snapshot, view: SnapshotState, runbooks_passed: Collection[str]) -> bool:
    active = [f.fault for f in snapshot.faults if f.healed_at is None]
    if item.kind == "fault":
        if item.fault is not None:
            return item.fault in active  # canonical: partition:A|B is partition:B|A
        return any(same_fault(f.spec, item.text) for f in active)
    if item.kind == "heal":
        if item.argument in ("", "all"):
            return not active
        if item.fault is not None:
            return item.fault not in active
        return not any(same_fault(f.spec, item.argument) for f in active)
    if item.kind == "wait":
        condition = next((p.condition for p in item.planned if p.condition is not None), None)
        try:
            return condition is not None and view.holds(condition)
        except expr.EvalError:
            return False
    if item.kind == "runbook":
        return item.argument in runbooks_passed
    return False  # an action: only "show me" performs it
