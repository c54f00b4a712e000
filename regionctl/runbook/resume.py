"""Resuming a run from its journal after a crash (even SIGKILL).

Real hosts keep their state: completed mutating steps are simply not run again. The
simulator died with the process, so its state is rebuilt by replaying, on a fresh
simulation with the same seed, every command the journal says was applied, at the
simulated time it was applied: the same seed and the same commands give the same
world, and the run goes on from the first step that had not finished.
"""

from __future__ import annotations

from typing import Any

from regionctl.contract.commands import Backend, Command, HealFault, InjectFault
from regionctl.runbook.journal import JournalError, JournalState


def check_matches(state: JournalState, runbook: str, topology: str, backend: str, seed: int | None,
                  params: dict[str, Any] | None = None) -> None:
    start = state.start
    wanted: dict[str, Any] = {"runbook": runbook, "topology": topology, "backend": backend}
    if params is not None:
        wanted["params"] = params  # as journaled (secrets redacted on both sides)
    if backend == "sim":
        wanted["seed"] = seed
    for key, value in wanted.items():
        if start.get(key) != value:
            raise JournalError(f"the journal is of a run with {key} {start.get(key)!r}, not {value!r}")
    if state.ended is not None:
        raise JournalError(f"the journaled run already ended ({state.ended.get('result')}); nothing to resume")


async def replay(backend: Backend, state: JournalState) -> int:
    """Rebuild a simulated world from the journal; returns how many commands were replayed."""
    count = 0
    for at, command in state.applied:
        now = backend.snapshot().time
        if at > now:
            await backend.advance(at - now)
        result = await backend.apply(command)
        if not result.ok:
            raise JournalError(f"replaying the journal failed at {at:g}s: {result.message}")
        count += 1
    now = backend.snapshot().time
    if state.last_at > now:
        await backend.advance(state.last_at - now)
    return count


def sim_owed(state: JournalState) -> list[Command]:
    """The heals a resumed simulated run owes: only those of faults the replay put back. A fault whose
    command was started but never applied is owed on real hosts (it may have taken effect there), but
    the simulation that might have applied it died with its process."""
    replayed = {c.fault for _, c in state.applied if isinstance(c, InjectFault)}
    return [c for c in state.undo if not isinstance(c, HealFault) or c.fault in replayed]
