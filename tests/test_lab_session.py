"""The lab panel's judge, without the dashboard: what counts as the learner having done a step,
when the check holds, what "show me" performs, and the progress it records."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from regionctl.backends.sim_backend import SimBackend
from regionctl.contract.commands import HealAll, InjectFault
from regionctl.contract.faults import parse_fault
from regionctl.labs.compile import LABS_DIR, compile_lab
from regionctl.labs.progress import load_progress
from regionctl.labs.session import LabSession, same_fault
from tests.labtuihelpers import load_lab


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    return tmp_path


async def session_on(name: str) -> tuple[LabSession, SimBackend]:
    lab = load_lab(name)
    compiled = compile_lab(lab, LABS_DIR / f"{name}.yaml")
    backend = SimBackend(compiled.topology, seed=lab.seed)
    await backend.advance(lab.warmup)
    return LabSession(compiled), backend


def test_the_same_fault_written_two_ways() -> None:
    assert same_fault("partition:us-east|eu-west", "partition:eu-west|us-east")
    assert same_fault("latency:a|b=300ms", "latency:b|a=0.3s")
    assert not same_fault("partition:us-east>eu-west", "partition:eu-west>us-east")  # one way is one way
    assert not same_fault("region:us-east", "region:eu-west")
    assert same_fault("clock:carts-euw=+2s", "clock:carts-euw=+2000ms")


async def test_items_are_done_in_order_and_a_heal_before_an_injection_counts() -> None:
    # active-active-conflicts, step 2: "heal all", then "clock:carts-euw=+2s".
    session, backend = await session_on("active-active-conflicts")
    session.index = 1
    await backend.apply(InjectFault(parse_fault("partition:us-east|eu-west")))
    session.observe(backend.snapshot())
    heal, skew = session.current.items
    assert (heal.kind, skew.kind) == ("heal", "fault") and not heal.done and not skew.done
    assert session.current.values == "first heal every fault"
    await backend.apply(InjectFault(parse_fault("clock:carts-euw=+2s")))  # out of order: the heal still comes first
    session.observe(backend.snapshot())
    assert not heal.done
    await backend.apply(HealAll())
    session.observe(backend.snapshot())
    assert heal.done and not skew.done
    await backend.apply(InjectFault(parse_fault("clock:carts-euw=+2s")))
    for _ in range(60):
        await backend.advance(1)
        if session.observe(backend.snapshot()):
            break
    assert skew.done and session.current.held
    assert load_progress()["active-active-conflicts"] == {"completed": ["skew"], "finished": False,
                                                         "updated": load_progress()["active-active-conflicts"]
                                                         ["updated"]}


async def test_a_wait_item_counts_from_when_the_step_began() -> None:
    session, backend = await session_on("failback")
    session.index = 1  # run-away: "wait elapsed >= 90s"
    session.observe(backend.snapshot())
    (wait,) = session.current.items
    assert wait.kind == "wait" and not wait.done
    await backend.advance(60)
    session.observe(backend.snapshot())
    assert not wait.done and session.current.values == "first wait until elapsed >= 90s"
    await backend.advance(31)
    session.observe(backend.snapshot())
    assert wait.done


async def test_show_me_plans_only_what_is_left_and_actions_never_hold_the_check_back() -> None:
    session, _ = await session_on("failback")
    plan = session.show_me_plan()
    assert plan is not None
    assert [p.id for p in plan.steps][:3] == ["away-do1-go", "away-do1-freeze", "away-do1-drain"]
    assert all(not p.id.startswith("away-do1") or p.id != "away" for p in plan.steps)  # not the expectation
    session.index = 2  # back: read-only, wait, promote, read-write
    items = session.current.items
    assert [i.kind for i in items] == ["action", "wait", "action", "action"]
    assert [i.gates for i in items] == [False, True, False, False]
    assert "no key for `promote pg-1`" in items[2].how() and "press `s`" in items[2].how()
    session.performed({"back-do1"}, 2)
    plan = session.show_me_plan()
    assert plan is not None and [p.id for p in plan.steps] == ["back-do2", "back-do3", "back-do4"]
    assert plan.rollback == () and plan.guards == () and plan.prechecks == ()


async def test_finished_only_when_every_step_held_and_next_needs_the_check_or_a_second_press() -> None:
    session, backend = await session_on("replication-lag")
    assert session.go_next() == "not-yet" and session.index == 0
    assert session.go_next() == "moved" and session.index == 1  # skipped: nothing recorded
    for _ in range(40):
        await backend.advance(0.5)
        if session.observe(backend.snapshot()):
            break
    assert load_progress()["replication-lag"]["completed"] == ["stale"]
    assert load_progress()["replication-lag"]["finished"] is False  # the first step never held
    assert session.go_next() == "end"


async def test_every_step_of_every_lab_has_a_hint() -> None:
    for path in sorted(LABS_DIR.glob("*.yaml")):
        lab = load_lab(path.stem)
        session = LabSession(compile_lab(lab, path))
        for state in session.steps:
            assert state.hints(), f"{lab.name}/{state.step.id}"
            for item in state.items:
                assert item.planned, f"{lab.name}/{state.step.id}: {item.text} has nothing to show"


@pytest.mark.parametrize("path", sorted(LABS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
async def test_every_lab_walks_through_with_show_me_and_every_check_turns_green(path: Path) -> None:
    """What the panel asks is always observable: no step's check waits for something that never shows."""
    from regionctl.runbook.executor import RunbookExecutor

    session, backend = await session_on(path.stem)
    for index, state in enumerate(session.steps):
        session.observe(backend.snapshot())
        plan = session.show_me_plan()
        if plan is not None:
            executor = RunbookExecutor(backend, session.compiled.topology, plan, yes=True, keep_faults=True)
            outcome = await executor.run()
            assert int(outcome.exit_code) == 0, outcome.report.get("reason")
            session.performed({s.id for s in executor.steps if s.status == "ok"}, index)
        for _ in range(int(state.step.within / 0.5) + 1):
            if session.observe(backend.snapshot()):
                break
            await backend.advance(0.5)
        assert state.held, f"{path.stem}/{state.step.id}: {state.values}"
        assert session.go_next() in ("moved", "end")
    assert session.complete
    assert load_progress()[path.stem]["finished"] is True


def test_a_lab_item_carries_the_fault_its_plan_parsed() -> None:
    from regionctl.contract.commands import InjectFault
    from regionctl.labs.session import DoItem
    from regionctl.runbook.plan import PlannedStep

    class Planned:
        command = InjectFault(parse_fault("partition:us-east|eu-west"))

    item = DoItem("partition:us-east|eu-west", "fault", (cast(PlannedStep, Planned()),))
    assert item.fault == parse_fault("partition:eu-west|us-east")
    assert DoItem("wait 10s", "wait", ()).fault is None
