"""A runbook step's status and the one table of its allowed transitions (no I/O: the executor moves its
steps through it, the views, JUnit and the exporter read the statuses from here)."""

from __future__ import annotations

from enum import StrEnum


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"


# The one table of a step's life: where each status may go next. A step that never ran stays pending
# (the report, the views and JUnit say "not run"); a step done before a resume is restored from the
# journal straight to what it ended with.
TRANSITIONS: dict[StepStatus, frozenset[StepStatus]] = {
    StepStatus.PENDING: frozenset({StepStatus.RUNNING, StepStatus.OK, StepStatus.FAILED}),
    StepStatus.RUNNING: frozenset({StepStatus.OK, StepStatus.FAILED}),
    StepStatus.OK: frozenset(),
    StepStatus.FAILED: frozenset(),
}


class StepTransitionError(RuntimeError):
    """A step moved where TRANSITIONS does not allow: a bug in the executor."""


__all__ = ["TRANSITIONS", "StepStatus", "StepTransitionError"]
