"""`blast`: the predicted blast radius is what a drill then observes, computed by forking
the simulator (not by a separate estimate), and the command answers without injecting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from regionctl.analysis.blast import predict_blast
from regionctl.contract.faults import FaultSpecError, parse_fault, parse_scheduled
from regionctl.drill.runner import run_drill
from regionctl.sim.simulator import Simulation
from tests.modelhelpers import BUNDLED, invoke
from tests.simhelpers import bundled, variant

REGION_OUTAGES = [(name, region.name) for name in BUNDLED for region in bundled(name).regions]
KEYS = ("regions", "zones", "nodes", "clusters", "services", "tenants", "traffic_fraction", "data_at_risk",
        "expected_rto_seconds")


def observed(name: str, spec: str, at: float = 60.0, duration: float = 420.0) -> dict[str, Any]:
    topology = bundled(name)
    report = run_drill(topology, [parse_scheduled(f"{spec}@{at}s")], duration, seed=1).report
    radius: dict[str, Any] = report["blast_radius"]
    return radius


@pytest.mark.parametrize(("name", "region"), REGION_OUTAGES, ids=[f"{n}-{r}" for n, r in REGION_OUTAGES])
def test_predicted_and_observed_agree_for_every_region_outage(name: str, region: str) -> None:
    # Predicted from a fork at 30 s; observed in a drill that loses the region at 60 s, a different moment.
    predicted = predict_blast(bundled(name), [parse_fault(f"region:{region}")])["blast_radius"]
    seen = observed(name, f"region:{region}")
    for key in ("regions", "nodes", "tenants", "zones", "clusters", "services"):
        assert predicted[key] == seen[key], key
    assert set(KEYS) <= set(predicted) and set(KEYS) <= set(seen)
    assert predicted["regions"] == [region]
    assert 0.0 <= predicted["traffic_fraction"] <= 1.0
    expected_nodes = sorted(n.name for c in bundled(name).clusters for n in c.nodes if n.region == region)
    assert predicted["nodes"] == expected_nodes


def test_the_prediction_is_the_drill_from_the_same_moment() -> None:
    # Forked at 30 s and run 5 minutes: the same run as a drill whose fault starts at 30 s.
    predicted = predict_blast(bundled("active-passive"), [parse_fault("region:us-east")], at=30.0, horizon=300.0)
    seen = observed("active-passive", "region:us-east", at=30.0, duration=330.0)
    assert predicted["blast_radius"].pop("lag") == {}  # a prediction's extra: lag the fault would cause
    for radius in (predicted["blast_radius"], seen):
        del radius["detail"]["since"]  # the record starts at the fork, the drill's at zero
        for tenant in radius["detail"]["tenants"].values():
            del tenant["availability"]  # over the record: from 30 s on, or from zero
    assert predicted["blast_radius"] == seen


def test_a_fork_runs_exactly_like_the_original() -> None:
    topology = bundled("hybrid")
    sim = Simulation(topology, seed=3)
    sim.run_until(30.0)
    fork = sim.fork()
    for run in (sim, fork):
        run.inject(parse_fault("node:ledger-1"))
        run.run_until(200.0)
    assert fork.metrics() == sim.metrics()
    assert fork.events == sim.events
    assert fork.clusters["ledger"] is not sim.clusters["ledger"]


def test_scheduled_faults_in_a_fork_strike_the_fork() -> None:
    sim = Simulation(bundled("active-passive"), seed=1)
    sim.schedule_fault(parse_fault("region:us-east"), 60.0, None)
    sim.run_until(30.0)
    fork = sim.fork()
    fork.run_until(90.0)
    assert [f.fault.spec for f in fork.faults] == ["region:us-east"]
    assert sim.faults == [] and sim.now == 30.0


def test_blast_on_a_live_simulation_injects_nothing_into_it() -> None:
    sim = Simulation(bundled("active-passive"), seed=2)
    sim.run_until(45.0)
    before = sim.metrics()
    result = predict_blast(sim, [parse_fault("region:us-east")])
    assert result["at"] == 45.0 and result["seed"] == 2
    assert sim.faults == [] and sim.now == 45.0 and sim.metrics() == before
    assert result["blast_radius"]["tenants"] == ["acme", "globex"]
    # And the live run, continued with the fault, sees what was predicted.
    sim.inject(parse_fault("region:us-east"))
    sim.run_until(45.0 + 300.0)
    seen = sim.observed_blast_radius()
    for key in ("regions", "nodes", "tenants", "clusters", "services"):
        assert seen[key] == result["blast_radius"][key]


def test_data_at_risk_is_what_async_replication_had_not_shipped() -> None:
    radius = predict_blast(bundled("active-passive"), [parse_fault("region:us-east")])["blast_radius"]
    orders = radius["data_at_risk"]["orders"]
    assert orders["writes"] > 0 and 0 < orders["seconds"] < 1.0
    assert orders["lost"] == orders["writes"]  # the region never comes back: all of it is lost
    assert radius["expected_rto_seconds"] is not None and 0 < radius["expected_rto_seconds"] < 60


def test_a_synchronous_standby_leaves_nothing_at_risk_in_a_zone_outage() -> None:
    radius = predict_blast(bundled("hybrid"), [parse_fault("zone:us-east/a")])["blast_radius"]
    assert radius["zones"] == ["us-east/a"]
    assert "ledger" in radius["clusters"]
    assert radius["data_at_risk"]["ledger"]["writes"] == 0
    assert radius["data_at_risk"]["ledger"]["lost"] == 0


def test_manual_failover_never_recovers_within_the_horizon(tmp_path: Path) -> None:
    def manual(data: dict[str, Any]) -> None:
        for cluster in data["clusters"]:
            cluster["failover"]["policy"] = "manual"

    topology = variant("active-passive", manual, tmp_path)
    radius = predict_blast(topology, [parse_fault("node:pg-1")], horizon=120.0)["blast_radius"]
    assert radius["clusters"] == ["orders"]
    assert radius["expected_rto_seconds"] is None
    assert radius["detail"]["clusters"]["orders"]["leader_after"] == "pg-1"  # nobody promoted


def test_a_replica_lost_reaches_no_tenant_traffic() -> None:
    radius = predict_blast(bundled("active-passive"), [parse_fault("node:pg-2")])["blast_radius"]
    assert radius["nodes"] == ["pg-2"] and radius["clusters"] == []
    assert radius["traffic_fraction"] == 0.0 and radius["data_at_risk"] == {}
    assert radius["expected_rto_seconds"] == 0.0


def test_several_faults_are_assessed_together() -> None:
    faults = [parse_fault("node:acme-1"), parse_fault("node:globex-1")]
    radius = predict_blast(bundled("tenancy-silo"), faults)["blast_radius"]
    assert radius["clusters"] == ["db-acme", "db-globex"]
    assert radius["tenants"] == ["acme", "globex"]


def test_bad_faults_raise() -> None:
    with pytest.raises(FaultSpecError, match="did you mean 'us-east'"):
        predict_blast(bundled("active-passive"), [parse_fault("region:us-eats")])


# -- the command ------------------------------------------------------------------------------
def test_cli_json_has_the_blast_radius_shape() -> None:
    result = invoke("blast", "active-passive", "--fault", "region:us-east", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    radius = data["blast_radius"]
    assert set(KEYS) <= set(radius)
    assert radius["regions"] == ["us-east"] and radius["tenants"] == ["acme", "globex"]
    assert data["faults"] == ["region:us-east"] and data["at"] == 30.0


def test_cli_human_output_says_what_would_break() -> None:
    result = invoke("blast", "hybrid", "--fault", "region:us-east")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "What region:us-east would reach on hybrid" in out
    assert "nothing injected" in out
    for line in ("regions", "nodes", "clusters", "services", "tenants", "traffic", "data at risk",
                 "expected RTO"):
        assert any(row.startswith(line) for row in out.splitlines()), line
    assert "payments" in out and "retail" in out
    assert "MISSED" in out  # ledger's only synchronous standby is in us-east too: writes never come back


@pytest.mark.parametrize(("args", "says"), [
    (["--fault", "region:mars"], "no region named 'mars'"),
    (["--fault", "region:us-east@60s"], "drop the @T/+D part"),
    (["--fault", "region:us-east", "--at", "soon"], "--at"),
    (["--fault", "region:us-east", "--horizon", "0s"], "--horizon"),
])
def test_cli_bad_input_is_one_line_and_exit_2(args: list[str], says: str) -> None:
    result = invoke("blast", "active-passive", *args)
    assert result.exit_code == 2
    assert says in result.stderr
    assert "Traceback" not in result.output


def test_cli_needs_a_fault() -> None:
    result = invoke("blast", "active-passive")
    assert result.exit_code == 2
    assert "--fault" in result.stderr


def test_a_fork_owns_the_operators_delayed_actions_too() -> None:
    from regionctl.sim import operator

    sim = Simulation(bundled("active-passive"), seed=1)
    sim.run_until(30.0)
    operator.shift_traffic(sim, "eu-west", "us-east", "orders")  # DNS clients move after their 5 s TTL
    fork = sim.fork()
    fork.run_until(40.0)
    moved = [s.loc[0] for s in fork.clusters["orders"].sources]
    assert moved == ["eu-west", "eu-west"]
    assert [s.loc[0] for s in sim.clusters["orders"].sources] == ["us-east", "eu-west"]  # untouched
    sim.run_until(40.0)
    assert [s.loc[0] for s in sim.clusters["orders"].sources] == moved


def test_multi_leader_losing_one_leader_is_reached_but_keeps_taking_writes() -> None:
    radius = predict_blast(bundled("active-active"), [parse_fault("region:us-east")])["blast_radius"]
    carts = radius["detail"]["clusters"]["carts"]
    assert carts["leaders_lost"] == ["carts-use"] and carts["status"] == "degraded"
    assert "control" in radius["clusters"]  # etcd lost its leader (and re-elected one)


def test_cli_a_fault_without_a_kind_is_refused_on_one_line() -> None:
    result = invoke("blast", "active-passive", "--fault", "us-east")
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "expected KIND:TARGET" in line and "kinds: node, region, zone" in line


def test_a_partition_that_keeps_the_leader_still_shows_the_clients_it_cuts_off() -> None:
    predicted = predict_blast(bundled("active-passive"), [parse_fault("partition:us-east|eu-west")])["blast_radius"]
    # pg-1 keeps the failover manager's majority (us-east + the us-west witness): no cluster loses its
    # leader, but eu-west's clients cannot reach it for as long as the partition lasts.
    assert predicted["clusters"] == []
    assert predicted["detail"]["clusters"]["orders"]["rto_seconds"] is None
    assert predicted["expected_rto_seconds"] is None
    assert 0.0 < predicted["traffic_fraction"] < 0.5
    seen = observed("active-passive", "partition:us-east|eu-west")
    for key in ("regions", "nodes", "tenants", "clusters", "services"):
        assert predicted[key] == seen[key], key


def test_an_added_latency_reaches_both_ends_and_shows_the_lag_it_causes() -> None:
    predicted = predict_blast(bundled("active-passive"), [parse_fault("latency:us-east|eu-west=5s")])["blast_radius"]
    assert predicted["regions"] == ["eu-west", "us-east"]
    assert {"pg-1", "pg-3"} <= set(predicted["nodes"])
    assert predicted["lag"]["orders"]["max_lag_seconds"] >= 5.0 > predicted["lag"]["orders"]["before_seconds"]
    # 5 s each way puts eu-west's writes to pg-1 (10 s round trip) past their 5 s timeout.
    assert predicted["clusters"] == [] and 0.0 < predicted["traffic_fraction"] < 0.5
