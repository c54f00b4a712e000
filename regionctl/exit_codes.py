"""Exit codes are API (docs/exit-codes.md): scripts branch on them."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    PASSED = 0  # every check, expectation and SLO held
    FAILED = 1  # a check, expectation or SLO did not hold
    INVALID_INPUT = 2  # invalid input or usage; nothing was run
    ABORTED = 3  # a guard or stop condition tripped, or a precondition did not hold
    STEP_ERROR = 4  # an action could not be carried out
    INTERRUPTED = 5  # SIGINT/SIGTERM; rollbacks were run
    ROLLBACK_FAILED = 6  # the system may still be degraded
