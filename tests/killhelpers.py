"""Killing a run at each journal boundary: after record N reached the disk, or after the backend carried
out command K but before the journal could say so. In process, with a simulated world that survives the
"kill" (it stands in for real hosts, which keep their state when regionctl dies): `Killed` is a
BaseException, which nothing in the executor catches, so no rollback, no heal and no further record
happens, as with SIGKILL. tests/test_kill_boundaries.py loops over every boundary of every bundled runbook
on the simulator; the sandbox version (real sshd, real SIGKILL) runs under `make fuzz`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from regionctl.backends.sim_backend import SimBackend
from regionctl.contract.commands import Command, CommandResult, HealFault, InjectFault
from regionctl.model.topology import Topology
from regionctl.runbook.executor import RunbookExecutor
from regionctl.runbook.journal import Journal, journal_state, read_journal


class Killed(BaseException):
    pass


class KillingJournal(Journal):
    def __init__(self, path: Path, after_record: int | None) -> None:
        super().__init__(path)
        self.after_record = after_record

    def write(self, event: str, **fields: Any) -> None:
        super().write(event, **fields)
        if self.seq == self.after_record:
            raise Killed(f"after record {self.seq} ({event})")


class KillingBackend(SimBackend):
    """Dies right after it carried out its `after_command`-th command, before the caller heard back."""

    def __init__(self, topology: Topology, after_command: int | None) -> None:
        super().__init__(topology, seed=1)
        self.after_command = after_command
        self.commands = 0

    async def apply(self, command: Command) -> CommandResult:
        result = await super().apply(command)
        self.commands += 1
        if self.commands == self.after_command:
            raise Killed(f"inside command {self.commands} ({command})")
        return result


def active_faults(backend: SimBackend) -> list[str]:
    return [f.spec for f in backend.snapshot().faults if f.healed_at is None]


async def run_until_killed(topology: Topology, raw: Mapping[str, Any], journal: Path, *,
                           after_record: int | None = None, after_command: int | None = None,
                           keep_faults: bool = False) -> tuple[KillingBackend, bool]:
    """Run `raw`; returns the world as the kill left it and whether the kill happened."""
    backend = KillingBackend(topology, after_command)
    await backend.advance(30)
    writer = KillingJournal(journal, after_record)
    try:
        await RunbookExecutor(backend, topology, raw, journal=writer, yes=True, seed=1,
                              keep_faults=keep_faults).run()
    except Killed:
        return backend, True
    finally:
        writer.close()
    return backend, False


async def recover_on(backend: SimBackend, journal: Path) -> list[str]:
    """What `regionctl recover` does, against the surviving world: each owed heal, last in first out.
    Returns the heals that were owed."""
    state = journal_state(read_journal(journal))
    owed = list(reversed(state.undo))
    backend.after_command = None  # type: ignore[attr-defined]
    for command in owed:
        assert isinstance(command, HealFault), command
        await backend.apply(command)  # a heal of a fault that never took effect: no harm (idempotent)
    return [c.fault.spec for c in owed if isinstance(c, HealFault | InjectFault)]
