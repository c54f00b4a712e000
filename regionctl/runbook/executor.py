"""The one runbook executor: headless runs, the dashboard and the labs all drive this.

Backend-agnostic (it speaks only the Backend protocol) and safe by construction:
- a failed precheck exits 3 before anything is touched;
- every injected fault pushes its heal on an undo stack, unwound last-in-first-out on
  success, failure, guard trip and interrupt (unless keep_faults), after the runbook's
  own `rollback` steps when the run did not succeed;
- a failed compensation exits 6 and the report lists what is left degraded;
- every mutating step is journaled before it starts and after it ends.
Frontends follow along through `on_event` and `steps`; `cancel()` interrupts (exit 5).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import Any

from regionctl.contract.commands import (
    Backend,
    Command,
    CommandResult,
    HealAll,
    HealFault,
    InjectFault,
    SettlingBackend,
)
from regionctl.contract.inline import Cancellable, cancellation, cancelled, spawn, within
from regionctl.contract.snapshot import Snapshot
from regionctl.contract.steps import StepStatus
from regionctl.exit_codes import ExitCode
from regionctl.model.topology import Topology
from regionctl.runbook import expr
from regionctl.runbook.journal import Journal, command_to_json, describe_command, redact
from regionctl.runbook.outcome import (
    RESULTS,
    Approver,
    RunEvent,
    RunOutcome,
    StepFailed,
    StepGate,
    StepState,
    StepView,
    Stop,
    exit_for,
    fmt_seconds,
    measure,
    severity,
)
from regionctl.runbook.plan import Plan, PlannedStep, build_plan, secret_params_of
from regionctl.runbook.report import build_report
from regionctl.runbook.state import SnapshotState, unmet_precheck

INTERRUPTED = "interrupted; rolling back"  # the reason journaled while it stops (`run-stopping`)

__all__ = ["Approver", "RunEvent", "RunOutcome", "RunbookExecutor", "StepGate", "StepState", "exit_for"]


class RunbookExecutor:
    def __init__(self, backend: Backend, topology: Topology, runbook: Plan | Mapping[str, Any], *,
                 params: Mapping[str, str] | None = None,
                 on_event: Callable[[RunEvent], None] | None = None,
                 approver: Approver | None = None,
                 step_gate: StepGate | None = None,
                 keep_faults: bool = False,
                 journal: Journal | None = None,
                 yes: bool = False,
                 approved: frozenset[str] = frozenset(),
                 completed: Mapping[str, str] | None = None,
                 undo: list[Command] | None = None,
                 seed: int | None = None,
                 resumed: bool = False,
                 topology_path: str | None = None,
                 stopping: tuple[ExitCode, str] | None = None,
                 rollback_done: frozenset[str] = frozenset(),
                 wall_clock: Callable[[], float] = time.perf_counter) -> None:
        self.backend = backend
        self.topology = topology
        self.plan = runbook if isinstance(runbook, Plan) else build_plan(runbook, topology, params or {})
        self.on_event = on_event
        self.approver = approver
        self.step_gate = step_gate
        self.keep_faults = keep_faults
        self.journal = journal
        if journal is not None:  # whoever opened the journal, the plan's secrets never reach it
            journal.secrets = tuple(set(journal.secrets) | self.plan.secrets)
            journal.secret_params = {**journal.secret_params, **secret_params_of(self.plan)}
        self.yes = yes
        self.approved = approved
        self.completed = dict(completed or {})
        self.undo: list[Command] = list(undo or [])
        self.seed = seed
        self.resumed = resumed
        self.topology_path = topology_path
        self.stopping = stopping or self._stopped_before_crash()  # resuming a run that died while stopping
        self.rollback_done = rollback_done
        self.guards_tripped: set[str] = set()
        self._guards_failing: set[str] = set()
        self._wall = wall_clock
        self.steps = [StepState(p.id, p.step.kind, "steps", p.describe()) for p in self.plan.steps]
        self.rollback_steps = [StepState(p.id, p.step.kind, "rollback", p.describe()) for p in self.plan.rollback]
        self.left_degraded: list[str] = []
        self.stop_reason = ""
        self._steps_task: Cancellable | None = None  # an asyncio task, or an inline one (contract/inline.py)
        self._cancelled = False
        self._started_at = 0.0

    # -- following along ------------------------------------------------------------------
    def _emit(self, kind: str, step: str | None = None, status: str | None = None, detail: str = "") -> None:
        if self.on_event is not None:
            self.on_event(RunEvent(kind, self._now(), step, status, self._redact(detail)))

    def _log(self, event: str, **fields: Any) -> None:
        if self.journal is not None:
            self.journal.write(event, at=round(self._now(), 6), **fields)

    def _now(self) -> float:
        return self.backend.snapshot().time

    def _state(self) -> SnapshotState:
        return SnapshotState(self.backend.snapshot(), self._started_at)

    def state_of(self, step_id: str) -> StepState:
        return next(s for s in self.steps + self.rollback_steps if s.id == step_id)

    def progress(self) -> tuple[StepView, ...]:
        """The steps as they stand now, frozen: what the dashboard and the labs read while the run goes on."""
        return tuple(s.view() for s in self.steps)

    def cancel(self) -> None:
        """Interrupt (SIGINT, SIGTERM, the dashboard's stop): roll back, exit 5."""
        self._cancelled = True
        if self._steps_task is not None and not self._steps_task.done():
            self._steps_task.cancel()

    # -- the run ---------------------------------------------------------------------------
    async def run(self) -> RunOutcome:
        wall_started = self._wall()
        first = self.backend.snapshot()
        self._started_at = first.time
        leaders_before = {c.name: c.leader for c in first.clusters}
        self._log("run-resumed" if self.resumed else "run-started", runbook=self.plan.name,
                  topology=self.topology.name, topology_path=self.topology_path, backend=self.backend.name,
                  seed=self.seed, params=self.plan.params,
                  steps=[{"id": p.id, "kind": p.step.kind, "mutating": p.mutating} for p in self.plan.steps])
        self._emit("run-started", detail=self.plan.runbook.title or self.plan.name)
        code = ExitCode.PASSED
        measured: Snapshot | None = None
        precheck_failed = "" if self.resumed else self._precheck()  # they held when the run began
        if precheck_failed:
            code = ExitCode.ABORTED
            self.stop_reason = precheck_failed
        else:
            if self.stopping is not None:
                # The run was already stopping when it died: only finish putting things back.
                code, self.stop_reason = self.stopping
                self._restore_from_journal()
            else:
                code = await self._steps_then_verdict()
            measured = self.backend.snapshot()
            if code != ExitCode.PASSED:
                self._log("run-stopping", exit_code=int(code), reason=self._redact(self.stop_reason))
                await self._rollback()
            await self._unwind()
            if self.left_degraded:
                code = ExitCode.ROLLBACK_FAILED
            if self.stop_reason == INTERRUPTED:  # the report says how it ended, not what it was doing
                self.stop_reason = "stopped before its steps ended; " + (
                    "putting back what it changed failed" if self.left_degraded
                    else "its faults stay (keep faults)" if self.keep_faults else "what it changed was put back")
        if isinstance(self.backend, SettlingBackend):
            await self.backend.settle()  # real hosts: the probe writes read back, once everything is put back
        final = self.backend.snapshot()
        report = build_report(self.plan, topology=self.topology.name, backend=self.backend.name, seed=self.seed,
                              started_at=self._started_at, steps=self.steps, rollback_steps=self.rollback_steps,
                              left_degraded=self.left_degraded, measured=measured or final, final=final,
                              leaders_before=leaders_before, wall_seconds=self._wall() - wall_started)
        if code == ExitCode.PASSED and not all(c.ok for c in report.slo):
            code = ExitCode.FAILED
            self.stop_reason = "an objective was not met: " + ", ".join(c.name for c in report.slo if not c.ok)
        self.stop_reason = self._redact(self.stop_reason)
        report = dataclasses.replace(report, result=RESULTS[code], exit_code=int(code), reason=self.stop_reason,
                                     guards_tripped=tuple(sorted(self.guards_tripped)))
        self._log("run-ended", result=report.result, exit_code=int(code), reason=self.stop_reason,
                  left_degraded=self.left_degraded)
        self._emit("run-ended", status=report.result, detail=self.stop_reason)
        return RunOutcome(code, report)

    async def _steps_then_verdict(self) -> ExitCode:
        """Run the steps; whatever stops them (a failure, a guard, a signal, a crashing backend)
        becomes an exit code, so that rollback and unwinding always follow."""
        code = ExitCode.PASSED
        self._steps_task = spawn(self._run_steps())
        try:
            await self._steps_task
        except cancellation():
            if not self._cancelled:
                raise
        except Stop as stop:
            code = stop.code
            self.stop_reason = stop.reason
        except Exception as exc:  # a backend or a bug: never leave without healing
            code = ExitCode.STEP_ERROR
            self.stop_reason = f"the run broke off: {type(exc).__name__}: {exc}"
            self._mark_running("failed", self.stop_reason)
        if self._cancelled and code == ExitCode.PASSED:
            code = ExitCode.INTERRUPTED
            self.stop_reason = INTERRUPTED
            self._mark_running("failed", "interrupted")
        return max(code, self._continued_failures(), key=severity)

    def _stopped_before_crash(self) -> tuple[ExitCode, str] | None:
        """A journaled step that failed (and was to abort the run) means the run was stopping,
        even if the process died before it could say so: resume must not go on with the steps."""
        for planned in self.plan.steps:
            status = self.completed.get(planned.id)
            if status == "failed" and planned.step.on_failure == "abort":
                code = ExitCode.STEP_ERROR if planned.mutating else ExitCode.FAILED
                return code, f"step {planned.id} had failed before the run was killed"
        return None

    def _restore_from_journal(self) -> None:
        for state in self.steps:
            if state.id in self.completed:
                state.move(self.completed[state.id])
                state.detail = "done before the resume (from the journal)"
        for state in self.rollback_steps:
            if state.id in self.rollback_done:
                state.move(StepStatus.OK)
                state.detail = "done before the resume (from the journal)"

    def _redact(self, text: str) -> str:
        return str(redact(text, self.plan.secrets))

    def _precheck(self) -> str:
        unmet = unmet_precheck(self.plan.prechecks, self._state())
        if unmet is None:
            return ""
        if unmet.error:
            return f"precheck {unmet.condition!r} could not be evaluated: {unmet.saw}"
        self._log("precheck-failed", condition=unmet.condition, values=unmet.saw)
        return f"precheck failed: {unmet.condition} ({unmet.saw}); nothing was touched"

    async def _run_steps(self) -> None:
        for planned, state in zip(self.plan.steps, self.steps, strict=True):
            if self._cancelled:
                raise cancelled()
            if planned.id in self.completed:
                state.move(self.completed[planned.id])
                state.detail = "done before the resume (from the journal)"
                continue
            if self.step_gate is not None:
                await self.step_gate(planned.id)
            await self._run_one(planned, state)
            await self._check_guards()
        if self.plan.runbook.observe > 0:
            await self._observe(self.plan.runbook.observe)

    async def _run_one(self, planned: PlannedStep, state: StepState) -> None:
        step = planned.step
        state.move(StepStatus.RUNNING)
        state.started = self._now()
        if planned.mutating:
            self._log("step-started", section=planned.section, step=planned.id, kind=step.kind,
                      command=command_to_json(planned.command) if planned.command else None)
        self._emit("step-started", planned.id, "running", planned.describe())
        failure: StepFailed | None = None
        for attempt in range(step.retries + 1):
            state.attempts = attempt + 1
            try:
                state.detail = await self._perform(planned, state)
                failure = None
                break
            except Stop as stop:  # a refused or unanswerable gate: the step did not pass
                self._finish(planned, state, "failed", stop.reason)
                raise
            except StepFailed as exc:
                failure = exc
                if attempt < step.retries:
                    pause = step.backoff * 2 ** attempt
                    self._emit("step-retry", planned.id, "running", f"{exc.detail}; retry in {pause:g}s")
                    await self.backend.advance(pause)
        if failure is None:
            self._finish(planned, state, "ok", state.detail)
        else:
            self._finish(planned, state, "failed", failure.detail)
        if failure is not None and step.on_failure == "abort":
            raise Stop(failure.code, f"step {planned.id} failed: {failure.detail}")

    def _finish(self, planned: PlannedStep, state: StepState, status: str, detail: str) -> None:
        state.ended = self._now()
        state.move(status)
        state.detail = detail
        if planned.mutating or status != "ok" or planned.section == "steps":
            self._log("step-ended", section=planned.section, step=planned.id, status=status, detail=detail)
        self._emit("step-ended", planned.id, status, detail)

    async def _perform(self, planned: PlannedStep, state: StepState) -> str:
        step = planned.step
        kind = step.kind
        if planned.command is not None:
            result = await self._apply(planned.command, step.timeout, planned)
            if not result.ok:
                raise StepFailed(ExitCode.STEP_ERROR, result.message)
            self._after_apply(planned.command)
            return result.message
        if kind == "check":
            assert planned.condition is not None
            return self._check(planned.condition, step.condition or "")
        if kind == "wait":
            assert planned.condition is not None
            return await self._wait(planned, step.condition or "")
        if kind == "measure":
            state.measured = measure(self.backend.snapshot())
            m = state.measured
            return (f"RTO {fmt_seconds(m.get('rto_seconds'))}, RPO {fmt_seconds(m.get('rpo_seconds'))}, "
                    f"writes lost {m.get('writes_lost', 'n/a')}, max lag {fmt_seconds(m.get('max_lag_seconds'))}")
        if kind == "approve":
            return await self._approve(planned.id, step.text or f"approve step {planned.id}?")
        return step.text or ""  # note

    async def _apply(self, command: Command, timeout: float | None, planned: PlannedStep) -> CommandResult:
        unknown = False
        try:
            result = await within(self.backend.apply(command), timeout)
        except TimeoutError:
            result, unknown = CommandResult(False, f"no answer within {timeout:g}s"), True
        except cancellation():
            unknown = True
            self._owe_heal_if_unknown(command, planned, "interrupted while it ran")
            raise
        except Exception as exc:  # a backend failing is a failed step, never a skipped rollback
            result, unknown = CommandResult(False, f"{type(exc).__name__}: {exc}"), True
        self._log("command-applied", section=planned.section, step=planned.id, command=command_to_json(command),
                  ok=result.ok, unknown=unknown, message=result.message)
        if unknown:
            self._owe_heal_if_unknown(command, planned, result.message)
        return result

    def _owe_heal_if_unknown(self, command: Command, planned: PlannedStep, why: str) -> None:
        """A fault whose injection may have happened is healed at the end all the same."""
        if isinstance(command, InjectFault) and HealFault(command.fault) not in self.undo:
            heal = HealFault(command.fault)
            self.undo.append(heal)
            self._log("undo-pushed", command=command_to_json(heal), step=planned.id, why=f"outcome unknown: {why}")

    def _after_apply(self, command: Command) -> None:
        """Keep the undo stack: a fault owes its heal; a heal step pays what it heals."""
        if isinstance(command, InjectFault):
            heal = HealFault(command.fault)
            if heal not in self.undo:
                self.undo.append(heal)
                self._log("undo-pushed", command=command_to_json(heal))
        elif isinstance(command, HealFault | HealAll):
            for owed in list(self.undo):
                if isinstance(owed, HealFault) and (isinstance(command, HealAll) or owed == command):
                    self.undo.remove(owed)
                    self._log("undo-dropped", command=command_to_json(owed))

    def _check(self, node: expr.Node, text: str) -> str:
        state = self._state()
        try:
            ok = state.holds(node)
        except expr.EvalError as exc:
            raise StepFailed(ExitCode.STEP_ERROR, f"{text}: {exc}") from None
        values = state.explain(node)
        if not ok:
            raise StepFailed(ExitCode.FAILED, f"{text} does not hold ({values})")
        return f"holds ({values})"

    async def _wait(self, planned: PlannedStep, text: str) -> str:
        assert planned.condition is not None
        deadline = self._now() + planned.wait_timeout()
        while True:
            state = self._state()
            try:
                if state.holds(planned.condition):
                    return f"held after {self._now() - (self.state_of(planned.id).started or 0):.1f}s " \
                           f"({state.explain(planned.condition)})"
            except expr.EvalError as exc:
                raise StepFailed(ExitCode.STEP_ERROR, f"{text}: {exc}") from None
            if self._now() >= deadline - 1e-9:
                raise StepFailed(ExitCode.FAILED, f"timed out after {planned.wait_timeout():g}s waiting for "
                                                  f"{text} ({state.explain(planned.condition)})")
            await self._check_guards()
            await self.backend.advance(min(planned.step.every, max(deadline - self._now(), 1e-3)))

    async def _observe(self, seconds: float) -> None:
        end = self._now() + seconds
        while self._now() < end - 1e-9:
            await self.backend.advance(min(1.0, end - self._now()))
            await self._check_guards()

    async def _approve(self, gate: str, text: str) -> str:
        if gate in self.approved:
            return "approved with --approve"
        if self.yes:
            return "approved with --yes"
        if self.approver is None:
            raise Stop(ExitCode.ABORTED, f"approval gate {gate!r} ({text}) needs --yes or --approve {gate}")
        self._emit("approval-needed", gate, "waiting", text)
        if await self.approver(gate, text):
            return "approved by the operator"
        raise Stop(ExitCode.ABORTED, f"approval gate {gate!r} was refused")

    async def _check_guards(self) -> None:
        if not self.plan.guards:
            return
        state = self._state()
        for guard, node in self.plan.guards:
            try:
                ok = state.holds(node)
            except expr.EvalError as exc:
                ok, why = False, str(exc)
            else:
                why = state.explain(node)
            if ok:
                self._guards_failing.discard(guard.name)
                continue
            if guard.name in self._guards_failing:
                continue  # already tripped and let through (pause): said once, not at every poll
            self._guards_failing.add(guard.name)
            self.guards_tripped.add(guard.name)
            detail = f"guard {guard.name} tripped: {guard.condition} ({why})"
            self._log("guard-tripped", guard=guard.name, action=guard.action, detail=self._redact(detail))
            self._emit("guard-tripped", None, guard.action, detail)
            if guard.action == "pause":
                if self.yes:
                    continue  # headless with --yes: noted (report: guards_tripped), and the run goes on
                if self.approver is not None:
                    self._emit("approval-needed", f"guard:{guard.name}", "waiting", detail + "; go on?")
                    if await self.approver(f"guard:{guard.name}", detail + "; go on?"):
                        continue
                    raise Stop(ExitCode.ABORTED, detail + "; the operator stopped the run")
            raise Stop(ExitCode.ABORTED, detail)

    def _mark_running(self, status: str, detail: str) -> None:
        for state in self.steps:
            if state.status == StepStatus.RUNNING:
                state.move(status)
                state.detail = detail
                state.ended = self._now()
                self._log("step-ended", section="steps", step=state.id, status=status, detail=detail)

    def _continued_failures(self) -> ExitCode:
        worst = ExitCode.PASSED
        for planned, state in zip(self.plan.steps, self.steps, strict=True):
            if state.status == "failed" and planned.step.on_failure == "continue":
                worst = max(worst, ExitCode.STEP_ERROR if planned.mutating else ExitCode.FAILED, key=severity)
        return worst

    # -- putting things back ------------------------------------------------------------------
    async def _rollback(self) -> None:
        todo = [(p, st) for p, st in zip(self.plan.rollback, self.rollback_steps, strict=True)
                if p.id not in self.rollback_done]
        if not todo:
            return
        self._emit("rollback-started", detail=f"{len(todo)} rollback step(s)")
        self._log("rollback-started")
        for planned, state in todo:
            try:
                await self._run_one(planned, state)
            except Stop as stop:
                self.left_degraded.append(f"rollback step {planned.id} failed: {self._redact(stop.reason)}")
                continue
            except Exception as exc:
                self.left_degraded.append(f"rollback step {planned.id} broke off: {type(exc).__name__}: {exc}")
                continue
            if state.status != "ok":  # on_failure: continue does not excuse a failed rollback
                self.left_degraded.append(f"rollback step {planned.id} failed: {self._redact(state.detail)}")

    async def _unwind(self) -> None:
        if self.keep_faults:
            if self.undo:
                self._log("undo-kept", commands=[command_to_json(c) for c in self.undo])
            return
        while self.undo:
            command = self.undo.pop()
            try:
                result = await self.backend.apply(command)
            except Exception as exc:
                result = CommandResult(False, f"{type(exc).__name__}: {exc}")
            self._log("undo-applied", command=command_to_json(command), ok=result.ok, message=result.message)
            self._emit("rollback-step", None, "ok" if result.ok else "failed",
                       describe_command(command) + ("" if result.ok else f": {result.message}"))
            if not result.ok:
                self.left_degraded.append(f"{describe_command(command)} failed: {result.message}")
