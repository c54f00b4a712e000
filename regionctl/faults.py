"""Moved to `regionctl.contract.faults` (issue 15: the shared contract sits at the bottom of the layers).

Kept only so that branches written before the move still import; new code imports `regionctl.contract.faults`.
Remove once those branches have merged.
"""

from regionctl.contract.faults import (
    FAULT_HELP,
    FAULT_KINDS,
    OUTAGES,
    SYMMETRIC,
    Fault,
    FaultKind,
    FaultSpecError,
    ScheduledFault,
    check_targets,
    parse_fault,
    parse_scheduled,
)

__all__ = [
    "FAULT_HELP",
    "FAULT_KINDS",
    "OUTAGES",
    "SYMMETRIC",
    "Fault",
    "FaultKind",
    "FaultSpecError",
    "ScheduledFault",
    "check_targets",
    "parse_fault",
    "parse_scheduled",
]
