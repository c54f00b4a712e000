"""What a runbook run is made of and ends with: step states, events, outcomes, exit codes.

Shared by the executor and everything that follows a run (the CLI, the dashboard, the labs).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from regionctl.contract.report import RunReport
from regionctl.contract.snapshot import Snapshot
from regionctl.contract.steps import TRANSITIONS, StepStatus, StepTransitionError
from regionctl.exit_codes import ExitCode

Approver = Callable[[str, str], Awaitable[bool]]  # (gate id, text) -> approved?
StepGate = Callable[[str], Awaitable[None]]  # awaited before each step (step-by-step mode)


@dataclass(frozen=True, slots=True)
class StepView:
    """A step's progress at one moment: what the executor publishes to whoever follows the run."""

    id: str
    kind: str
    section: str
    description: str
    status: StepStatus
    started: float | None
    ended: float | None
    detail: str
    attempts: int


@dataclass
class StepState:
    """The executor's own record of a step (mutable, private to the run); others read `view()`."""

    id: str
    kind: str
    section: str
    description: str
    status: StepStatus = StepStatus.PENDING
    started: float | None = None
    ended: float | None = None
    detail: str = ""
    attempts: int = 0
    measured: dict[str, Any] | None = None

    def move(self, to: StepStatus | str) -> None:
        target = StepStatus(to)
        if target not in TRANSITIONS[self.status]:
            raise StepTransitionError(f"step {self.id}: {self.status} -> {target} is not a transition")
        self.status = target

    def view(self) -> StepView:
        return StepView(self.id, self.kind, self.section, self.description, self.status, self.started, self.ended,
                        self.detail, self.attempts)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "status": self.status,
                               "started": None if self.started is None else round(self.started, 6),
                               "ended": None if self.ended is None else round(self.ended, 6),
                               "detail": self.detail}
        if self.measured is not None:
            out["measured"] = self.measured
        return out


@dataclass(frozen=True)
class RunEvent:
    """Something the executor did, as the frontends follow it."""

    kind: str  # run-started step-started step-ended guard-tripped approval-needed rollback-started
    #            rollback-step run-ended
    at: float
    step: str | None = None
    status: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended: its exit code and its report."""

    exit_code: ExitCode
    typed: RunReport

    @property
    def report(self) -> dict[str, Any]:
        """The JSON form (`--json`), which the views and JUnit read."""
        return self.typed.to_json()

    @property
    def result(self) -> str:
        return self.typed.result


class StepFailed(Exception):
    def __init__(self, code: ExitCode, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class Stop(Exception):
    """The run stops here: a guard, a refused gate, or a failed step with on_failure abort."""

    def __init__(self, code: ExitCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


RESULTS = {ExitCode.PASSED: "pass", ExitCode.FAILED: "fail", ExitCode.ABORTED: "aborted",
           ExitCode.STEP_ERROR: "error", ExitCode.INTERRUPTED: "interrupted",
           ExitCode.ROLLBACK_FAILED: "rollback-failed"}


def severity(code: ExitCode) -> int:
    """Which outcome wins when several happen: a failed rollback, then interruption, ..."""
    return [ExitCode.PASSED, ExitCode.FAILED, ExitCode.STEP_ERROR, ExitCode.ABORTED, ExitCode.INTERRUPTED,
            ExitCode.ROLLBACK_FAILED, ExitCode.INVALID_INPUT].index(code)


def fmt_seconds(value: Any) -> str:
    from regionctl.units import format_duration

    return "n/a" if value is None else format_duration(value)


def measure(snapshot: Snapshot) -> dict[str, Any]:
    m = snapshot.metrics
    keys = ("rto_seconds", "rpo_seconds", "writes_lost", "max_lag_seconds", "availability")
    out: dict[str, Any] = {k: m[k] for k in keys if k in m}
    out["time"] = snapshot.time
    out["lag_seconds"] = {n.name: n.lag_seconds for c in snapshot.clusters for n in c.nodes}
    out["leaders"] = {c.name: c.leader for c in snapshot.clusters}
    return out


def exit_for(codes: list[ExitCode]) -> ExitCode:
    return max(codes, key=severity) if codes else ExitCode.PASSED
