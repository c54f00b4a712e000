"""The runbook panel and its controller: the one executor (regionctl.runbook) runs the
runbook against the dashboard's backend; the panel shows its steps, and the
controller holds the step-by-step gate and the approval modal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Static

from regionctl.contract.commands import Backend
from regionctl.contract.steps import StepStatus
from regionctl.model.topology import Topology

if TYPE_CHECKING:  # the executor is imported when a runbook starts: the first frame does not wait for it
    from regionctl.runbook.outcome import RunEvent, RunOutcome, StepView
from regionctl.tui.model import dur
from regionctl.tui.widgets import KeyedTable

STATUS: dict[StepStatus, tuple[str, str, str]] = {
    StepStatus.PENDING: ("·", "pending", "dim"), StepStatus.RUNNING: ("▶", "running", "bold yellow"),
    StepStatus.OK: ("✔", "ok", "green"), StepStatus.FAILED: ("✘", "failed", "bold red")}
STEP_COLUMNS = (("status", 10), ("step", 20), ("took", 6), ("detail", 80))  # step: the bundled ids, whole


class RunbookRun:
    """One run of a runbook in the dashboard: step mode waits for `n` before each step."""

    def __init__(self, backend: Backend, topology: Topology, name: str, *, step_mode: bool,
                 on_change: Callable[[str], None],
                 ask: Callable[[str, str], Awaitable[bool]]) -> None:
        spec = next(rb for rb in topology.runbooks if rb.get("name") == name)
        self.name = name
        self.step_mode = step_mode
        self.waiting_step: str | None = None
        self.waiting_approval: str | None = None
        self.outcome: RunOutcome | None = None
        self._go = asyncio.Event()
        self._on_change = on_change
        self._ask = ask
        # As `regionctl run` does: a runbook heals the faults it injected when it ends (its undo
        # stack); faults the operator injected with `f` stay until the operator heals them.
        from regionctl.runbook.executor import RunbookExecutor

        self.executor = RunbookExecutor(backend, topology, spec, on_event=self._event, approver=self._approve,
                                        step_gate=self._gate, keep_faults=False)

    @property
    def steps(self) -> tuple[StepView, ...]:
        """The executor's published progress (frozen values, not its live step records)."""
        return self.executor.progress()

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    async def run(self) -> RunOutcome:
        try:
            self.outcome = await self.executor.run()
        finally:
            self.waiting_step = None
            self._on_change("")
        return self.outcome

    def _event(self, event: RunEvent) -> None:
        parts = [event.kind]
        if event.step:
            parts.append(event.step)
        if event.status:
            parts.append(event.status)
        text = " ".join(parts) + (f": {event.detail}" if event.detail else "")
        self._on_change(f"{self.name}: {text}")

    async def _gate(self, step_id: str) -> None:
        if not self.step_mode:
            return
        self.waiting_step = step_id
        self._go.clear()
        self._on_change("")
        await self._go.wait()
        self.waiting_step = None

    async def _approve(self, step_id: str, text: str) -> bool:
        self.waiting_approval = step_id
        self._on_change("")
        try:
            return await self._ask(step_id, text)
        finally:
            self.waiting_approval = None

    def next_step(self) -> bool:
        if self.waiting_step is None:
            return False
        self._go.set()
        return True

    def to_end(self) -> None:
        self.step_mode = False
        self._go.set()

    def cancel(self) -> None:
        self.executor.cancel()
        self._go.set()


class RunbookPanel(Vertical):
    """Steps with status, durations and the gate waiting for the operator."""

    def compose(self) -> Any:
        yield Static(id="runbook-status")
        yield KeyedTable(STEP_COLUMNS, id="runbook-steps", wrap=True, stretch="detail")

    def show(self, run: RunbookRun | None, runbooks: tuple[str, ...]) -> None:
        status = self.query_one("#runbook-status", Static)
        table = self.query_one("#runbook-steps", KeyedTable)
        if run is None:
            if runbooks:
                status.update(Text.assemble(("r", "bold cyan"), " choose a runbook: ", ", ".join(runbooks)))
            else:
                status.update(Text("this topology ships no runbooks", style="dim"))
            table.sync({})
            return
        line = Text.assemble(("▶ " if not run.finished else "■ ", "bold"), (run.name, "bold"), " · ")
        if run.waiting_approval:
            line.append(f"⚠ gate {run.waiting_approval} waits for your approval", "bold yellow reverse")
        elif run.waiting_step:
            line.append("next: ", "")
            line.append(run.waiting_step, "bold")
            line.append(" · press n to run it, c to run to the end, x to stop", "yellow")
        elif run.outcome is not None:
            outcome = run.outcome
            ok = int(outcome.exit_code) == 0
            line.append(f"{'✔' if ok else '✘'} {outcome.typed.result} (exit {int(outcome.exit_code)})",
                        "bold green" if ok else "bold red")
            reason = outcome.typed.reason
            if reason:
                line.append(f" {reason}", "dim")
        else:
            line.append("running" + (" to the end" if not run.step_mode else ""), "yellow")
        status.update(line)
        rows: dict[str, tuple[tuple[str, str], ...]] = {}
        for step in run.steps:
            sym, word, style = STATUS.get(step.status, ("?", step.status, ""))
            took = ""
            if step.started is not None:
                end = step.ended if step.ended is not None else None
                took = dur(end - step.started) if end is not None else "…"
            rows[step.id] = ((f"{sym} {word}", style), (step.id, "bold" if step.status == "running" else ""),
                             (took, ""), (step.detail or step.description, "dim"))
        table.sync(rows)
