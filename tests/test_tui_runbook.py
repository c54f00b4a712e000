"""The runbook panel: choose a runbook, run it step by step or to the end, approve gates,
stop it; the one executor (regionctl.runbook) does the work through the Backend."""

from __future__ import annotations

from textual.widgets import OptionList

from regionctl.backends.sim_backend import SimBackend
from regionctl.contract.commands import InjectFault
from regionctl.contract.faults import parse_fault
from regionctl.tui.app import Dashboard
from regionctl.tui.screens import ChoiceScreen, ConfirmScreen
from tests.tuihelpers import SIZE, active_faults, advance, make_app, screen_text


def status(app: Dashboard) -> str:
    return str(app.query_one("#runbook-status").content)


def step(app: Dashboard, step_id: str) -> str:
    return str(app.query_one("#runbook-steps").get_cell(step_id, "status"))


async def finish(app: Dashboard, pilot: object) -> None:
    for _ in range(200):
        if app.run_ is not None and app.run_.finished:
            return
        await pilot.pause(0.02)  # type: ignore[attr-defined]
    raise AssertionError(f"the runbook did not finish: {status(app)}")


async def test_step_by_step_then_to_the_end() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert "r choose a runbook: failover-to-eu-west" in status(app)
        await pilot.press("r")
        assert isinstance(app.screen, ChoiceScreen)
        assert "planned-switchover" in screen_text(app) and "to the end" in screen_text(app)
        await pilot.press("enter")  # failover-to-eu-west, step by step
        await pilot.pause(0.1)
        assert "next: outage · press n to run it" in status(app)
        assert step(app, "outage") == "· pending" and active_faults(app) == []
        await pilot.press("n")
        await pilot.pause(0.1)
        assert step(app, "outage") == "✔ ok" and active_faults(app) == ["region:us-east"]
        assert "next: failover" in status(app)
        await pilot.press("c")
        await finish(app, pilot)
        assert "✔ pass (exit 0)" in status(app)
        for step_id in ("failover", "shift", "serving", "record"):
            assert step(app, step_id) == "✔ ok"
        assert app.backend.snapshot().cluster("orders").leader == "pg-3"
        assert active_faults(app) == []  # healed at the end of the run, as `regionctl run` does
        log = "\n".join(str(line.text) for line in app.query_one("#event-log").lines)
        assert "runbook    failover-to-eu-west: step-ended record ok" in log


async def test_an_approval_gate_waits_for_the_operator() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r", "down", "down", "down", "enter")  # planned-switchover, to the end
        for _ in range(50):
            if isinstance(app.screen, ConfirmScreen):
                break
            await pilot.pause(0.02)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Switch the orders primary from pg-1 (us-east) to pg-3 (eu-west)?" in screen_text(app)
        assert app.backend.snapshot().cluster("orders").leader == "pg-1"  # nothing before the approval
        await pilot.press("y")
        await finish(app, pilot)
        assert "✔ pass (exit 0)" in status(app)
        assert app.backend.snapshot().cluster("orders").leader == "pg-3"
        assert app.backend.snapshot().metrics["writes_lost"] == 0


async def test_refusing_the_gate_aborts_the_run() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r", "down", "down", "down", "enter")
        for _ in range(50):
            if isinstance(app.screen, ConfirmScreen):
                break
            await pilot.pause(0.02)
        await pilot.press("n")
        await finish(app, pilot)
        assert "(exit 3)" in status(app) and "refused" in status(app)
        assert app.backend.snapshot().cluster("orders").leader == "pg-1"


async def test_x_stops_a_run_and_rolls_back_what_it_injected() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r", "enter", "n")
        await pilot.pause(0.1)
        assert active_faults(app) == ["region:us-east"]
        await pilot.press("x")
        await finish(app, pilot)
        assert "(exit 5)" in status(app)  # interrupted: the runbook's rollback steps ran
        assert active_faults(app) == []  # as `regionctl run` does: the runbook heals what it injected
        await pilot.press("r")  # a new run can be chosen once this one ended
        assert isinstance(app.screen, ChoiceScreen)


async def test_keys_without_a_runbook_say_so() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "c", "x")
        await pilot.pause()
        assert app.run_ is None and active_faults(app) == []


async def test_the_metrics_exporter_follows_the_dashboard_tick_and_its_runbook() -> None:
    from regionctl.exporter import MetricsExporter

    exporter = MetricsExporter()
    app = make_app(observers=[exporter.update], step_observer=exporter.runbook_step)
    async with app.run_test(size=SIZE) as pilot:
        assert exporter.snapshot is not None and exporter.snapshot.time == app.snapshot.time
        text = exporter.exposition()
        assert 'regionctl_leader{cluster="orders",node="pg-1",region="us-east"} 1.0' in text
        await pilot.press("r", "down", "enter")  # failover-to-eu-west, to the end
        await finish(app, pilot)
        text = exporter.exposition()
        assert 'regionctl_leader{cluster="orders",node="pg-3",region="eu-west"} 1.0' in text
        assert 'regionctl_runbook_step{runbook="failover-to-eu-west",status="ok",step="record"} 1.0' in text


async def test_q_asks_first_while_a_runbook_is_running() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r", "enter")  # step by step: waits before `outage`
        await pilot.pause(0.1)
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        assert "runbook failover-to-eu-west is still running" in screen_text(app)
        await pilot.press("n")
        assert app.is_running and app.run_ is not None and not app.run_.finished
        await pilot.press("q", "y")
        await pilot.pause()
    assert app.return_code == 0


async def test_the_runbook_picker_says_whose_prechecks_hold_now_and_why_the_others_do_not() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        before = screen_text(app)
        for name in ("failover-to-eu-west", "planned-switchover", "failback-to-us-east", "evacuate-us-east"):
            assert f"✔ ▶ {name}" in before, before  # pg-1 leads: every bundled runbook may start
        await pilot.press("escape")
        await app.backend.apply(InjectFault(parse_fault("region:us-east")))
        await advance(app, 60)  # Patroni has failed orders over to pg-3 in eu-west
        await pilot.press("r")
        after = screen_text(app)
        assert "✘ ▶ failback-to-us-east" in after, after
        # Which precheck fails, and what it saw, on the line under the runbook's name.
        assert 'precheck leader(orders) == "pg-1" fails: leader(orders) = pg-3' in after, after
        assert 'leader(orders).region == "us-east" fails: leader(orders).region = "eu-west"' in after
        await pilot.press("enter")  # the first one offered still starts: its executor aborts, touching nothing
        await finish(app, pilot)
        assert "exit 3" in status(app)


async def test_the_runbook_picker_puts_the_runbooks_that_may_start_first() -> None:
    # hybrid: with eu-west lost, the catalog no longer leads from eu-west; the control plane still leads.
    app = make_app("hybrid")
    async with app.run_test(size=SIZE) as pilot:
        await app.backend.apply(InjectFault(parse_fault("region:eu-west")))
        await advance(app, 90)
        assert app.backend.snapshot().cluster("catalog").leader == "mysql-3"
        await pilot.press("r")
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert prompts[0].startswith("✔ ▶ control-plane-leader-loss"), prompts
        assert prompts[2].startswith("✘ ▶ catalog-regional-failover"), prompts
        assert 'leader(catalog).region == "eu-west" fails' in prompts[2], prompts


def test_a_precheck_is_judged_by_the_executors_own_rule_against_any_snapshot() -> None:
    from regionctl.runbook.plan import build_plan
    from regionctl.runbook.state import SnapshotState, unmet_precheck
    from tests.simhelpers import bundled

    model = bundled("active-passive")
    backend = SimBackend(model, seed=1)
    plan = build_plan(next(rb for rb in model.runbooks if rb["name"] == "planned-switchover"), model)
    assert unmet_precheck(plan.prechecks, SnapshotState(backend.snapshot())) is None
    backend.sim.inject(parse_fault("node:pg-3"))
    backend.sim.run_until(5)
    unmet = unmet_precheck(plan.prechecks, SnapshotState(backend.snapshot()))
    # The first that fails, as a run would say it: a down node's lag is infinite.
    assert unmet is not None and unmet.condition == "lag(pg-3) < 2s" and not unmet.error
    assert unmet.saw == "lag(pg-3) = inf"
