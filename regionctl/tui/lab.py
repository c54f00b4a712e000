"""`regionctl lab LAB`: the dashboard on the lab's topology, with the lab panel beside it.

The learner acts with the dashboard's own keys (f, h/H, r, +, space ...); the lab panel
judges each step's expectation on every snapshot (regionctl.labs.session), reveals hints
on `t`, performs the step's scripted `do` through the one runbook executor on `s` (show
me), and moves on with `N`. Progress goes to the user's state directory as steps hold.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen

from regionctl.backends.sim_backend import SimBackend
from regionctl.contract.commands import Backend
from regionctl.contract.snapshot import Snapshot
from regionctl.labs.compile import CompiledLab, compile_lab
from regionctl.labs.session import LabSession
from regionctl.model.lab import Lab
from regionctl.replay.sessionfile import Recorder
from regionctl.runbook.executor import RunbookExecutor, RunEvent
from regionctl.tui.app import Dashboard
from regionctl.tui.labpanel import LabPanel
from regionctl.tui.runbooks import RunbookRun

LAB_CSS = """
#lab-body { height: 1fr; }
#dash { width: 1fr; }
/* Beside the lab panel (wide: the dashboard has 140 columns of its own) the leaders give the map the rest. */
#dash #map { width: 1fr; min-width: 38; }
#dash #leaders { width: 1fr; max-width: 66; }
#lab { width: 38%; min-width: 44; max-width: 58; height: 100%; border: round $success; padding: 0 1;
       scrollbar-size-vertical: 1; }
#lab > * { height: auto; margin-bottom: 1; }
#lab-head { margin-bottom: 0; }
#lab-keys { margin-bottom: 0; }
"""


QUIET = ("slower", "runbook_next", "runbook_continue", "runbook_stop")


def lab_panel_width(width: int) -> int:
    """The lab panel's columns at a terminal width (LAB_CSS: 38%, 44 to 58 columns)."""
    return min(58, max(44, width * 38 // 100))


class LabDashboard(Dashboard):
    CSS = Dashboard.CSS + LAB_CSS
    LAB_BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "lab_hint", "hint"),
        Binding("s", "lab_show_me", "show me"),
        Binding("N", "lab_next", "next lab step"),
    ]
    # The dashboard's keys stay; the runbook's step keys leave the footer (the runbook panel names them
    # when they apply) to make room for the lab's.
    BINDINGS: ClassVar[list[BindingType]] = [
        *LAB_BINDINGS,
        *(replace(b, show=False) if isinstance(b, Binding) and b.action in QUIET else b for b in Dashboard.BINDINGS),
    ]
    EXPLAIN: ClassVar[dict[str, str]] = {
        **Dashboard.EXPLAIN,
        "lab_hint": "lab: reveal the next hint for this step",
        "lab_show_me": "lab: show me: perform what this step asks (through the runbook executor)",
        "lab_next": "lab: go to the next step (once its check is green; pressed twice, it skips)",
    }

    def __init__(self, backend: Backend, compiled: CompiledLab, **kwargs: Any) -> None:
        # (Textual runs every class's on_mount: the dashboard's shows the first snapshot, which judges.)
        notes = [f"lab {compiled.lab.name}: {len(compiled.lab.steps)} steps · the lab panel on the right says what "
                 "to do · t hint · s show me · N next step", *kwargs.pop("notes", ())]
        super().__init__(backend, compiled.topology, seed=compiled.lab.seed, notes=notes, **kwargs)
        self.compiled = compiled
        self.session = LabSession(compiled)
        self.runbooks_passed: set[str] = set()
        self.showing: RunbookExecutor | None = None
        self.shown_steps: set[str] = set()
        self.title = f"regionctl lab · {compiled.lab.name}"

    def compose_panels(self) -> ComposeResult:
        with Horizontal(id="lab-body"):
            with Vertical(id="dash"):
                yield from super().compose_panels()
            panel = LabPanel(id="lab")
            panel.border_title = f"lab · {self.compiled.lab.name}"
            yield panel

    def fit_layout(self, width: int, height: int) -> None:
        """The dashboard's panels get the columns the lab panel leaves them: at 160 columns that is 102, so
        they stack (compact, `v` for the map) rather than squeeze the map to one cut column."""
        super().fit_layout(width - lab_panel_width(width), height)

    # -- judging every snapshot ---------------------------------------------------------------
    def _apply(self, snapshot: Snapshot) -> None:
        super()._apply(snapshot)
        self._judge(snapshot)

    def _judge(self, snapshot: Snapshot) -> None:
        session = self.session
        if session.observe(snapshot, self.runbooks_passed):
            step = session.current
            self.note(f"✔ step {session.index + 1} ({step.step.id}): {step.step.expect or 'done'}", "bold green",
                      source="lab")
            if session.last and session.complete:
                self.note("lab complete: progress saved (regionctl lab lists it)", "bold green", source="lab")
        self.refresh_lab()

    def refresh_lab(self) -> None:
        if self.main is None:
            return
        running = {s.id for s in self.showing.progress() if s.status == "running"} if self.showing else None
        self.w("#lab", LabPanel).show(self.session, running)

    async def _run_runbook(self, run: RunbookRun) -> None:
        await super()._run_runbook(run)
        if run.outcome is not None and int(run.outcome.exit_code) == 0:
            self.runbooks_passed.add(run.name)
            self._judge(self.backend.snapshot())

    # -- the lab's keys -----------------------------------------------------------------------
    def action_lab_hint(self) -> None:
        hint = self.session.hint()
        if hint is None:
            self.notify("no more hints for this step: s shows you how it is done")
        self.refresh_lab()

    def action_lab_next(self) -> None:
        session = self.session
        outcome = session.go_next()
        if outcome == "not-yet":
            self.notify("this step's check is not green yet (t hint, s show me); press N again to skip it",
                        severity="warning")
        elif outcome == "end":
            self.notify("that was the last step" + (": lab complete, q quits" if session.complete else
                                                    " (some checks never turned green)"))
        else:
            self.note(f"step {session.index + 1} of {len(session.steps)}: {session.current.step.id}", "bold",
                      source="lab")
            self.w("#lab", LabPanel).scroll_home(animate=False)
        self._judge(self.backend.snapshot())

    def action_lab_show_me(self) -> None:
        if self.showing is not None:
            self.notify("show me is already running")
            return
        plan = self.session.show_me_plan()
        if plan is None:
            self.notify("nothing left to do in this step: watch the check (+ speeds the clock up)")
            return
        executor = RunbookExecutor(self.backend, self.topology, plan, yes=True, keep_faults=True,
                                   on_event=self._shown, seed=self.seed)
        self.showing = executor
        self.note("show me: " + " · ".join(p.describe() for p in plan.steps), "cyan", source="lab")
        self.run_worker(self._show_me(executor, self.session.index), group="lab-show")

    async def _show_me(self, executor: RunbookExecutor, index: int) -> None:
        try:
            outcome = await executor.run()
        except Exception as exc:  # a backend that raised: say so in the log, keep the lab open
            self.note(f"show me failed: {exc}", "bold red", source="lab")
            outcome = None
        finally:
            self.showing = None
        self.session.performed({s.id for s in executor.progress() if s.status == "ok"}, index)
        if outcome is not None and int(outcome.exit_code) != 0:
            self.note(f"show me stopped: {outcome.typed.reason}", "bold red", source="lab")
        self.apply_snapshot(self.backend.snapshot())
        self._judge(self.backend.snapshot())

    def _shown(self, event: RunEvent) -> None:
        if event.kind == "step-ended" and event.step:
            self.note(f"show me: {event.step} {event.status}" + (f": {event.detail}" if event.detail else ""),
                      "cyan" if event.status == "ok" else "bold red", source="lab")
            if event.status == "ok":
                self.shown_steps.add(event.step)
                self.session.performed(self.shown_steps, self.session.index)
        self.refresh_lab()

    # -- help and palette ---------------------------------------------------------------------
    def get_system_commands(self, screen: Screen[Any]) -> Any:
        yield from super().get_system_commands(screen)
        for action, title in (("lab_hint", "Lab: hint"), ("lab_show_me", "Lab: show me"),
                              ("lab_next", "Lab: next step")):
            yield SystemCommand(title, self.EXPLAIN[action], getattr(self, f"action_{action}"))


async def open_lab(lab: Lab, path: Path, *, speed: float = 1.0, autoplay: bool = True,
                   clock: Callable[[], float] | None = None, sleep: Callable[[float], Awaitable[None]] | None = None,
                   **kwargs: Any) -> LabDashboard:
    """The lab's dashboard on a warmed-up simulator (leaders elected before the first step).
    `clock` and `sleep` pace the simulator (tests drive them)."""
    from regionctl.analysis.reach import forked_predictor

    compiled = compile_lab(lab, path)
    pacing: dict[str, Any] = {"clock": clock} if clock else {}
    if sleep:
        pacing["sleep"] = sleep
    backend = SimBackend(compiled.topology, seed=lab.seed, speed=speed, **pacing)
    # What a replay (b, or --record's file) needs to re-simulate the lab: its topology as patched.
    backend.session.topology_yaml, backend.session.topology_file = compiled.topology_yaml, str(path)
    await backend.advance(lab.warmup)
    kwargs.setdefault("predictor", forked_predictor(backend.sim.fork))
    return LabDashboard(backend, compiled, autoplay=autoplay, **kwargs)


def run_lab_app(lab: Lab, path: Path, record: Path | None = None) -> int:
    """Open the lab dashboard (the CLI has checked the lab compiles and that there is a terminal);
    returns the exit code. `record`: the session is written there as it happens (`regionctl replay`)."""
    import asyncio

    async def main() -> int | None:
        app = await open_lab(lab, path)
        backend = app.backend
        assert isinstance(backend, SimBackend)
        recorder = None
        if record is not None:  # the warmup performed nothing: every command the learner sends is recorded
            recorder = Recorder(record, lab.seed, app.compiled.topology_yaml, str(path))
            backend.session.listeners.append(recorder)
            app.startup_notes.append(f"recording this lab to {record} (regionctl replay {record})")
        try:
            return await app.run_async()
        finally:
            if recorder is not None:
                recorder.close(backend.sim.now)

    return asyncio.run(main()) or 0
