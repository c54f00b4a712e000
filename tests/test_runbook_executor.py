"""The executor's safety semantics on the simulator: each exit code from a real scenario."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from regionctl.backends.sim_backend import SimBackend
from regionctl.exit_codes import ExitCode
from regionctl.model.topology import Topology
from regionctl.runbook.executor import RunbookExecutor, RunEvent, RunOutcome
from regionctl.runbook.journal import Journal, journal_state, read_journal
from regionctl.runbook.plan import PlanError, build_plan
from tests.modelhelpers import BUNDLED
from tests.simhelpers import bundled

AP = bundled("active-passive")


def runbook(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


async def execute(raw: dict[str, Any], topology: Topology = AP, journal: Path | None = None,
                  **options: Any) -> tuple[RunOutcome, SimBackend, list[RunEvent]]:
    backend = SimBackend(topology, seed=1)
    await backend.advance(30)
    events: list[RunEvent] = []
    writer = Journal(journal) if journal else None
    executor = RunbookExecutor(backend, topology, raw, on_event=events.append, journal=writer, seed=1, **options)
    outcome = await executor.run()
    if writer:
        writer.close()
    return outcome, backend, events


def active_faults(backend: SimBackend) -> list[str]:
    return [f.spec for f in backend.snapshot().faults if f.healed_at is None]


BUNDLED_RUNBOOKS = [(name, rb) for name in BUNDLED for rb in bundled(name).runbook_names()]


def test_every_topology_ships_a_runbook_and_at_least_seven_in_all() -> None:
    assert {name for name, _ in BUNDLED_RUNBOOKS} == set(BUNDLED)
    assert len(BUNDLED_RUNBOOKS) >= 7


@pytest.mark.parametrize(("topology", "name"), BUNDLED_RUNBOOKS)
async def test_bundled_runbooks_pass_headless(topology: str, name: str) -> None:
    model = bundled(topology)
    raw = next(r for r in model.runbooks if r["name"] == name)
    outcome, backend, _ = await execute(raw, model, yes=True)
    assert outcome.exit_code == ExitCode.PASSED, outcome.report["reason"]
    assert all(s["status"] == "ok" for s in outcome.report["steps"])
    assert all(check["ok"] for check in outcome.report["slo"])
    assert active_faults(backend) == []  # every injected fault was healed at the end


async def test_planned_switchover_loses_nothing_and_unplanned_failover_does() -> None:
    planned = next(r for r in AP.runbooks if r["name"] == "planned-switchover")
    unplanned = next(r for r in AP.runbooks if r["name"] == "failover-to-eu-west")
    ok, _, _ = await execute(planned, yes=True)
    lossy, _, _ = await execute(unplanned)
    assert ok.report["metrics"]["writes_lost"] == 0
    assert lossy.report["metrics"]["writes_lost"] > 0  # async replication: the writes in flight
    assert ok.report["leaders"]["orders"]["after"] == lossy.report["leaders"]["orders"]["after"] == "pg-3"


LOSSY_CHECK = runbook("""
name: expect-no-loss
steps:
  - {id: outage, kind: fault, fault: "region:us-east"}
  - {id: failover, kind: wait, condition: 'leader(orders) == "pg-3"', timeout: 2m}
  - {id: no-loss, kind: check, condition: "writes_lost == 0"}
""")


async def test_a_check_that_does_not_hold_fails_with_exit_1_and_heals() -> None:
    outcome, backend, _ = await execute(LOSSY_CHECK)
    assert outcome.exit_code == ExitCode.FAILED
    step = outcome.report["steps"][2]
    assert step["status"] == "failed" and "writes_lost = " in step["detail"]
    assert active_faults(backend) == []


async def test_a_failed_precheck_exits_3_and_touches_nothing(tmp_path: Path) -> None:
    raw = runbook("""
name: wrong-start
precheck: ['leader(orders).region == "eu-west"']
steps: [{id: outage, kind: fault, fault: "region:us-east"}]
""")
    outcome, backend, _ = await execute(raw, journal=tmp_path / "j.jsonl")
    assert outcome.exit_code == ExitCode.ABORTED
    assert "precheck failed" in outcome.report["reason"] and 'leader(orders).region = "us-east"' in \
        outcome.report["reason"]
    assert backend.snapshot().faults == ()
    events = [r["event"] for r in read_journal(tmp_path / "j.jsonl")]
    assert "command-applied" not in events and events[-1] == "run-ended"


async def test_an_approval_gate_without_yes_exits_3_naming_the_gate() -> None:
    raw = runbook("""
name: gated
steps:
  - {id: outage, kind: fault, fault: "node:pg-2"}
  - {id: go-ahead, kind: approve, text: "Promote pg-3?"}
  - {id: promote, kind: action, action: promote, target: pg-3}
slo: {rpo: 5s}
""")
    outcome, backend, _ = await execute(raw)
    assert outcome.exit_code == ExitCode.ABORTED
    assert "go-ahead" in outcome.report["reason"] and "--approve go-ahead" in outcome.report["reason"]
    assert [s["status"] for s in outcome.report["steps"]] == ["ok", "failed", "pending"]
    assert active_faults(backend) == []
    approved, _, _ = await execute(raw, approved=frozenset({"go-ahead"}))
    assert approved.exit_code == ExitCode.PASSED

    async def refuse(gate: str, text: str) -> bool:
        return False

    refused, _, _ = await execute(raw, approver=refuse)
    assert refused.exit_code == ExitCode.ABORTED and "refused" in refused.report["reason"]


async def test_a_tripped_guard_aborts_runs_the_rollback_and_heals() -> None:
    raw = runbook("""
name: guarded
guards: [{name: orders-writable, condition: "writable(orders)", action: abort}]
steps:
  - {id: outage, kind: fault, fault: "region:us-east"}
  - {id: failover, kind: wait, condition: 'leader(orders) == "pg-3"', timeout: 2m}
rollback:
  - {id: note-it, kind: note, text: rolled back}
""")
    outcome, backend, events = await execute(raw)
    assert outcome.exit_code == ExitCode.ABORTED
    assert "guard orders-writable tripped" in outcome.report["reason"]
    assert [s["status"] for s in outcome.report["rollback"]] == ["ok"]
    assert any(e.kind == "guard-tripped" for e in events)
    assert active_faults(backend) == []


async def test_an_action_that_cannot_be_done_exits_4() -> None:
    raw = runbook("""
name: promote-the-dead
steps:
  - {id: outage, kind: fault, fault: "region:us-east"}
  - {id: promote, kind: action, action: promote, target: pg-2}
""")
    outcome, backend, _ = await execute(raw)
    assert outcome.exit_code == ExitCode.STEP_ERROR
    assert "pg-2" in outcome.report["steps"][1]["detail"] and "down" in outcome.report["steps"][1]["detail"]
    assert active_faults(backend) == []


async def test_a_failing_rollback_exits_6_and_says_what_is_left() -> None:
    raw = runbook("""
name: rollback-fails
steps:
  - {id: outage, kind: fault, fault: "region:us-east"}
  - {id: impossible, kind: check, condition: 'leader(orders) == "pg-2"'}
rollback:
  - {id: back-to-pg-1, kind: action, action: promote, target: pg-1}
""")
    outcome, _, _ = await execute(raw)
    assert outcome.exit_code == ExitCode.ROLLBACK_FAILED
    assert any("back-to-pg-1" in item for item in outcome.report["left_degraded"])
    assert outcome.report["faults_left"] == []  # the fault itself was healed all the same
    kept, _, _ = await execute(raw, keep_faults=True)
    assert kept.exit_code == ExitCode.ROLLBACK_FAILED and kept.report["faults_left"] == ["region:us-east"]


async def test_keep_faults_leaves_them_injected() -> None:
    raw = runbook("""
name: keep
steps: [{id: outage, kind: fault, fault: "node:pg-2"}]
""")
    outcome, backend, _ = await execute(raw, keep_faults=True)
    assert outcome.exit_code == ExitCode.PASSED
    assert active_faults(backend) == ["node:pg-2"]


async def test_on_failure_continue_goes_on_but_the_run_fails() -> None:
    raw = runbook("""
name: continue
steps:
  - {id: wrong, kind: check, condition: 'leader(orders) == "pg-3"', on_failure: continue}
  - {id: after, kind: note, text: still here}
""")
    outcome, _, _ = await execute(raw)
    assert [s["status"] for s in outcome.report["steps"]] == ["failed", "ok"]
    assert outcome.exit_code == ExitCode.FAILED


async def test_retries_back_off_in_the_backends_time() -> None:
    raw = runbook("""
name: retry
steps:
  - {id: outage, kind: fault, fault: "region:us-east"}
  - {id: promoted, kind: check, condition: 'leader(orders) == "pg-3"', retries: 6, backoff: 2s}
""")
    outcome, backend, events = await execute(raw)
    retries = sum(1 for e in events if e.kind == "step-retry")
    started, ended = outcome.report["steps"][1]["started"], outcome.report["steps"][1]["ended"]
    # Attempts at 0, 2, 2+4, 2+4+8, ... s of the backend's clock: it passed on the first one after
    # Patroni promoted pg-3 (20-40 s after the fault), and the one before it had failed.
    waited = sum(2.0 * 2**i for i in range(retries))
    assert ended - started == pytest.approx(waited)
    promoted = backend.sim.clusters["orders"].history[-1][0] - started
    assert outcome.exit_code == ExitCode.PASSED or outcome.report["reason"].endswith("rto")
    assert 3 <= retries <= 5
    assert waited - 2.0 * 2 ** (retries - 1) < promoted <= waited


async def test_heal_steps_pay_their_debt_on_the_undo_stack(tmp_path: Path) -> None:
    raw = runbook("""
name: heal-early
steps:
  - {id: cut, kind: fault, fault: "partition:us-east|eu-west"}
  - {id: crash, kind: fault, fault: "node:pg-2"}
  - {id: mend, kind: heal, fault: "partition:us-east|eu-west"}
""")
    outcome, backend, _ = await execute(raw, journal=tmp_path / "j.jsonl")
    assert outcome.exit_code == ExitCode.PASSED
    records = read_journal(tmp_path / "j.jsonl")
    undone = [r["command"]["spec"] for r in records if r["event"] == "undo-applied"]
    assert undone == ["node:pg-2"]  # the partition was healed by its step, not twice
    assert active_faults(backend) == []


async def test_the_journal_is_private_redacted_and_the_same_for_the_same_seed(tmp_path: Path) -> None:
    raw = runbook("""
name: secretive
params:
  token: {env: DRILL_TOKEN}
  who: {default: pg-3}
steps:
  - {id: say, kind: note, text: "token ${token} for ${who}"}
  - {id: outage, kind: fault, fault: "region:us-east"}
  - {id: failover, kind: wait, condition: 'leader(orders) == "${who}"', timeout: 2m}
slo: {rpo: 5s}
""")
    plan = build_plan(raw, AP, {}, env={"DRILL_TOKEN": "hunter2-s3cret"})
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for path in (first, second):
        outcome, _, _ = await execute(plan, journal=path)  # type: ignore[arg-type]
        assert outcome.exit_code == ExitCode.PASSED
        assert "hunter2-s3cret" not in json.dumps(outcome.report)
    for path in (first, second):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        text = path.read_text()
        # A secret parameter is journaled by name; the digest lets recover check a value given back.
        assert "hunter2" not in text and "token ${token} for pg-3" in text
        assert set(read_journal(path)[0]["secret_params"]["token"]) == {"env", "salt", "digest"}
    # The same but for the wall clock and the digests' random salt.
    strip = [[{k: v for k, v in r.items() if k not in ("wall", "secret_params")} for r in read_journal(p)]
             for p in (first, second)]
    assert strip[0] == strip[1]
    state = journal_state(read_journal(first))
    assert state.ended is not None and state.undo == []


def test_plan_problems_come_all_at_once() -> None:
    raw = runbook("""
name: broken
steps:
  - {id: a, kind: fault, fault: "region:mars"}
  - {id: b, kind: action, action: promote, target: pg-9, needs: [c]}
  - {id: c, kind: wait, condition: "lag(pg-3) <", needs: [b]}
  - {id: a, kind: note}
""")
    with pytest.raises(PlanError) as info:
        build_plan(raw, AP, {})
    messages = " | ".join(p.message for p in info.value.problems)
    for fragment in ("mars", "pg-9", "expected a value", "a cycle", "unique step ids"):
        assert fragment in messages


def test_an_argument_that_is_not_a_name_is_a_problem_not_a_crash() -> None:
    raw = runbook("""
name: odd-args
steps:
  - {id: drain, kind: action, action: shift-traffic, target: eu-west, args: {from: []}}
  - {id: follow, kind: action, action: repoint, target: pg-3, args: {to: {node: pg-2}}}
""")
    with pytest.raises(PlanError) as info:
        build_plan(raw, AP, {})
    assert [(p.loc[-2:], p.message) for p in info.value.problems] == [
        (("args", "from"), "expected a name, found []"), (("args", "to"), "expected a name, found {'node': 'pg-2'}")]


def test_steps_run_in_dependency_order() -> None:
    raw = runbook("""
name: ordered
steps:
  - {id: last, kind: note, needs: [middle]}
  - {id: first, kind: note}
  - {id: middle, kind: note, needs: [first]}
""")
    assert [p.id for p in build_plan(raw, AP, {}).steps] == ["first", "middle", "last"]


def test_a_crash_right_after_a_command_neither_repeats_it_nor_forgets_its_heal(tmp_path: Path) -> None:
    path = tmp_path / "torn.jsonl"
    path.write_text(
        '{"seq": 1, "event": "run-started", "at": 30.0, "runbook": "x", "topology": "t", "backend": "sim"}\n'
        '{"seq": 2, "event": "step-started", "at": 30.0, "section": "steps", "step": "outage", "kind": "fault"}\n'
        '{"seq": 3, "event": "command-applied", "at": 30.0, "section": "steps", "step": "outage", "ok": true, '
        '"command": {"type": "InjectFault", "spec": "region:us-east"}}\n'
        '{"seq": 4, "event": "undo-pu')  # SIGKILL mid-write
    state = journal_state(read_journal(path))
    assert state.completed == {"outage": "ok"}
    assert [c.spec for c in state.undo] == ["region:us-east"]  # type: ignore[union-attr]
    assert state.ended is None and len(state.applied) == 1


async def test_the_example_in_run_help_is_a_runbook_that_runs() -> None:
    from regionctl.cli.run_help import RUN_EPILOG

    lines = RUN_EPILOG.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("- name:"))
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())
    text = "\n".join(line[2:] for line in lines[start:end])
    raw = yaml.safe_load(text)[0]
    outcome, backend, _ = await execute(raw)
    assert outcome.exit_code == ExitCode.PASSED, outcome.report["reason"]
    assert active_faults(backend) == []


class BrokenBackend(SimBackend):
    """A backend whose promote raises (a dropped connection): the run must still heal."""

    async def apply(self, command: Any) -> Any:
        from regionctl.contract.commands import Promote

        if isinstance(command, Promote):
            raise ConnectionResetError("connection reset by peer")
        return await super().apply(command)


async def test_a_backend_that_raises_is_a_step_error_and_everything_is_healed(tmp_path: Path) -> None:
    raw = runbook("""
name: fragile
steps:
  - {id: outage, kind: fault, fault: "region:us-east"}
  - {id: promote, kind: action, action: promote, target: pg-3}
""")
    backend = BrokenBackend(AP, seed=1)
    await backend.advance(30)
    writer = Journal(tmp_path / "j.jsonl")
    outcome = await RunbookExecutor(backend, AP, raw, journal=writer).run()
    writer.close()
    assert outcome.exit_code == ExitCode.STEP_ERROR
    assert "ConnectionResetError" in outcome.report["steps"][1]["detail"]
    assert active_faults(backend) == []
    assert read_journal(tmp_path / "j.jsonl")[-1]["event"] == "run-ended"


async def test_resuming_a_run_that_was_stopping_only_finishes_the_rollback(tmp_path: Path) -> None:
    raw = runbook("""
name: abort-then-more
steps:
  - {id: outage, kind: fault, fault: "region:us-east"}
  - {id: wrong, kind: check, condition: 'leader(orders) == "pg-2"'}
  - {id: more, kind: fault, fault: "region:eu-west"}
rollback:
  - {id: note-it, kind: note, text: rolling back}
""")
    path = tmp_path / "j.jsonl"
    outcome, _, _ = await execute(raw, journal=path)
    assert outcome.exit_code == ExitCode.FAILED
    records = read_journal(path)
    # Cut the journal where the check had failed: the process died before anything else was written.
    cut = next(i for i, r in enumerate(records) if r["event"] == "step-ended" and r["step"] == "wrong")
    torn = tmp_path / "torn.jsonl"
    torn.write_text("".join(json.dumps(r) + "\n" for r in records[:cut + 1]))
    state = journal_state(read_journal(torn))
    backend = SimBackend(AP, seed=1)
    await backend.advance(30)
    from regionctl.runbook.resume import replay

    await replay(backend, state)
    writer = Journal(torn, resume=True)
    resumed = await RunbookExecutor(backend, AP, raw, journal=writer, completed=state.completed, undo=state.undo,
                                    resumed=True, seed=1).run()
    writer.close()
    assert resumed.exit_code == ExitCode.FAILED
    assert [s["status"] for s in resumed.report["steps"]] == ["ok", "failed", "pending"]
    injected = [r["command"]["spec"] for r in read_journal(torn) if r["event"] == "command-applied"]
    assert "region:eu-west" not in injected
    assert active_faults(backend) == []


async def test_a_pause_guard_asks_once_and_goes_on_when_allowed(tmp_path: Path) -> None:
    raw = runbook("""
name: paused
guards: [{name: writable, condition: "writable(orders)", action: pause}]
steps:
  - {id: outage, kind: fault, fault: "region:us-east"}
  - {id: failover, kind: wait, condition: 'leader(orders) == "pg-3"', timeout: 2m, every: 100ms}
slo: {rpo: 5s}
""")
    asked: list[str] = []

    async def allow(gate: str, text: str) -> bool:
        asked.append(gate)
        return True

    outcome, _, _ = await execute(raw, journal=tmp_path / "j.jsonl", approver=allow)
    assert outcome.exit_code == ExitCode.PASSED
    assert asked == ["guard:writable"] and outcome.report["guards_tripped"] == ["writable"]
    trips = [r for r in read_journal(tmp_path / "j.jsonl") if r["event"] == "guard-tripped"]
    assert len(trips) == 1  # not once per poll

    async def refuse(gate: str, text: str) -> bool:
        return False

    stopped, backend, _ = await execute(raw, approver=refuse)
    assert stopped.exit_code == ExitCode.ABORTED and active_faults(backend) == []


def test_parameters_are_checked_against_their_type() -> None:
    raw = runbook("""
name: typed
params:
  target: {type: node}
  wait: {type: duration, default: 30s}
steps:
  - {id: promote, kind: action, action: promote, target: "${target}"}
""")
    with pytest.raises(PlanError, match=r"--var target: expected a node of the topology .*found 'pg-9'"):
        build_plan(raw, AP, {"target": "pg-9"})
    with pytest.raises(PlanError, match=r"--var wait: expected a duration"):
        build_plan(raw, AP, {"target": "pg-3", "wait": "soon"})
    assert build_plan(raw, AP, {"target": "pg-3"}).steps[0].command is not None


async def test_secrets_reach_neither_the_report_nor_the_progress_lines() -> None:
    raw = runbook("""
name: secretive
params:
  token: {secret: true, default: sekrit-value}
steps:
  - {id: say, kind: note, text: "using ${token}"}
  - {id: bad, kind: check, condition: 'leader(orders) == "${token}"'}
""")
    outcome, _, events = await execute(raw)
    assert outcome.exit_code == ExitCode.FAILED
    assert "sekrit-value" not in json.dumps(outcome.report)
    assert all("sekrit-value" not in e.detail for e in events)
