"""Moved to `regionctl.contract.commands` (issue 15: the shared contract sits at the bottom of the layers).

Kept only so that branches written before the move still import; new code imports `regionctl.contract.commands`.
Remove once those branches have merged.
"""

from regionctl.contract.commands import (
    Backend,
    Command,
    CommandResult,
    Demote,
    Fence,
    HealAll,
    HealFault,
    InjectFault,
    Promote,
    Repoint,
    RunCommand,
    SetReadOnly,
    ShiftTraffic,
    Unfence,
)

__all__ = [
    "Backend", "Command", "CommandResult", "Demote", "Fence", "HealAll", "HealFault", "InjectFault",
    "Promote", "Repoint", "RunCommand", "SetReadOnly", "ShiftTraffic", "Unfence",
]
