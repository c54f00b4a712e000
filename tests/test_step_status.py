"""A runbook step's status: an enum with its transitions in one table (contract.steps), every status
one the executor sets, and frozen progress values for whoever follows a run."""

from __future__ import annotations

import dataclasses

import pytest

from regionctl.contract.steps import TRANSITIONS, StepStatus, StepTransitionError
from regionctl.runbook.outcome import StepState


def test_the_table_covers_every_status_and_ends_in_ok_or_failed() -> None:
    assert set(TRANSITIONS) == set(StepStatus)
    finals = {s for s, nexts in TRANSITIONS.items() if not nexts}
    assert finals == {StepStatus.OK, StepStatus.FAILED}
    reachable = {StepStatus.PENDING}.union(*TRANSITIONS.values())
    assert reachable == set(StepStatus)  # no status that nothing leads to (skipped, rolled-back were)


def test_a_step_moves_only_along_the_table() -> None:
    state = StepState("promote", "promote", "steps", "promote pg-3")
    state.move("running")
    state.move(StepStatus.OK)
    assert state.status == "ok" and state.to_json()["status"] == "ok"
    with pytest.raises(StepTransitionError, match="ok -> running"):
        state.move(StepStatus.RUNNING)
    with pytest.raises(ValueError):
        StepState("x", "wait", "steps", "").move("skipped")


def test_the_view_is_frozen_and_does_not_follow_the_step() -> None:
    state = StepState("fence", "fence", "steps", "fence pg-1")
    view = state.view()
    state.move(StepStatus.RUNNING)
    assert view.status == StepStatus.PENDING
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.status = StepStatus.OK  # type: ignore[misc]


async def test_the_executor_publishes_progress_and_leaves_steps_not_run_pending() -> None:
    from regionctl.backends.sim_backend import SimBackend
    from regionctl.runbook.executor import RunbookExecutor
    from tests.simhelpers import bundled

    topology = bundled("active-passive")
    backend = SimBackend(topology, seed=1)
    await backend.advance(30)
    raw = {"name": "stops", "steps": [
        {"id": "first", "kind": "note", "text": "fine"},
        {"id": "wrong", "kind": "check", "condition": 'leader(orders) == "pg-3"'},
        {"id": "never", "kind": "note", "text": "not reached"}]}
    seen: list[tuple[str, tuple[str, ...]]] = []
    executor: RunbookExecutor

    def follow(event: object) -> None:
        seen.append((getattr(event, "kind", ""), tuple(s.status for s in executor.progress())))

    executor = RunbookExecutor(backend, topology, raw, on_event=follow, seed=1)
    outcome = await executor.run()
    assert ("step-started", ("running", "pending", "pending")) in seen
    assert ("step-started", ("ok", "running", "pending")) in seen
    assert [s.status for s in executor.progress()] == ["ok", "failed", "pending"]
    assert [s["status"] for s in outcome.report["steps"]] == ["ok", "failed", "pending"]
