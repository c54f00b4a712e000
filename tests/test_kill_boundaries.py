"""A kill at every journal boundary of every bundled runbook leaves nothing injected once `recover` ran,
and `--resume` finishes the run with nothing left injected either (the simulator rebuilt from the journal).
The same loop on the real sandbox (SIGKILL, then `regionctl recover`) runs under `make fuzz`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from regionctl.backends.sim_backend import SimBackend
from regionctl.data import bundled_topologies
from regionctl.exit_codes import ExitCode
from regionctl.model.loader import load_topology
from regionctl.model.topology import Topology
from regionctl.runbook.executor import RunbookExecutor
from regionctl.runbook.journal import Journal, journal_state, read_journal
from regionctl.runbook.resume import replay, sim_owed
from tests.killhelpers import active_faults, recover_on, run_until_killed


def sandbox_topology(tmp: Path) -> Topology:
    import yaml

    from regionctl.sandbox.layout import Paths, topology

    path = tmp / "sandbox.yaml"
    path.write_text(yaml.safe_dump(topology(Paths(tmp), "/usr/lib/postgresql/bin"), sort_keys=False))
    return load_topology(path)


def cases() -> list[tuple[str, str]]:
    out = [("sandbox", name) for name in ("orders-failover", "cache-failover", "config-move-leader",
                                          "config-leader-loss")]
    for path in bundled_topologies():
        out += [(str(path), str(raw["name"])) for raw in load_topology(path).runbooks]
    return out


def topology_of(where: str, tmp: Path) -> Topology:
    return sandbox_topology(tmp) if where == "sandbox" else load_topology(where)


async def resume_on_fresh_sim(topology: Topology, raw: Any, journal: Path) -> tuple[ExitCode, list[str]]:
    state = journal_state(read_journal(journal))
    if state.ended is not None:
        return ExitCode.PASSED, []
    backend = SimBackend(topology, seed=1)
    await backend.advance(30)
    await replay(backend, state)
    writer = Journal(journal, resume=True)
    try:
        outcome = await RunbookExecutor(
            backend, topology, raw, journal=writer, yes=True, seed=1, completed=state.completed,
            undo=sim_owed(state), resumed=True,
            stopping=(ExitCode(state.stopping[0]), state.stopping[1]) if state.stopping else None,
            rollback_done=state.rollback_done).run()
    finally:
        writer.close()
    return outcome.exit_code, active_faults(backend)


@pytest.mark.parametrize(("where", "name"), cases(), ids=lambda v: Path(v).stem)
async def test_a_kill_at_every_boundary_then_recover_leaves_nothing_injected(tmp_path: Path, where: str,
                                                                             name: str) -> None:
    topology = topology_of(where, tmp_path)
    raw = next(r for r in topology.runbooks if r["name"] == name)
    whole = tmp_path / "whole.jsonl"
    _, killed = await run_until_killed(topology, raw, whole)
    assert not killed
    records = len(read_journal(whole))
    boundaries = [("record", n) for n in range(1, records)]
    commands = sum(1 for r in read_journal(whole) if r["event"] in ("command-applied", "undo-applied"))
    boundaries += [("command", k) for k in range(1, commands + 1)]
    assert records > 2 and boundaries
    for kind, at in boundaries:
        journal = tmp_path / f"{kind}-{at}.jsonl"
        world, killed = await run_until_killed(topology, raw, journal, **{f"after_{kind}": at})
        assert killed, (kind, at)
        injected = active_faults(world)
        owed = await recover_on(world, journal)
        assert active_faults(world) == [], f"killed {kind} {at}: {injected} injected, recover owed {owed}"
        code, left = await resume_on_fresh_sim(topology, raw, journal)
        assert left == [] and code != ExitCode.ROLLBACK_FAILED, f"resumed after a kill at {kind} {at}: {code}"
