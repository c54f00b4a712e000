"""Services depend on clusters and on other services: a cluster that is not writable takes
down what needs it, a lost node degrades it. Shown in the Snapshot, `status` and the metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from regionctl.contract.faults import parse_fault, parse_scheduled
from regionctl.drill.runner import run_drill
from regionctl.sim.simulator import Simulation
from tests.modelhelpers import invoke
from tests.simhelpers import bundled, variant


def services(sim: Simulation) -> dict[str, tuple[str, str]]:
    return {s.name: (s.status, s.reason) for s in sim.snapshot().services}


def test_hybrid_services_follow_their_dependencies_through_a_region_outage() -> None:
    sim = Simulation(bundled("hybrid"), seed=1)
    sim.run_until(30.0)
    assert {name: state for name, (state, _) in services(sim).items()} == {
        "scheduler": "ok", "payments": "ok", "browse": "ok"}
    sim.inject(parse_fault("region:us-east"))
    sim.run_until(30.5)  # etcd has not elected a new leader yet
    now = services(sim)
    assert now["scheduler"] == ("down", "cluster control not writable")
    assert now["payments"][0] == "down"
    assert "cluster ledger not writable" in now["payments"][1] and "service scheduler down" in now["payments"][1]
    assert now["browse"] == ("degraded", "cluster catalog lost a node")
    sim.run_until(120.0)
    later = services(sim)
    assert later["scheduler"] == ("degraded", "cluster control lost a node")  # a new etcd leader, 2 of 3
    # ledger-3 was promoted, but ledger's only synchronous standby (ledger-2) died with us-east.
    assert later["payments"] == ("down", "cluster ledger not writable")
    assert later["browse"][0] == "degraded"


def test_a_service_inherits_the_outage_of_a_service_it_needs() -> None:
    sim = Simulation(bundled("hybrid"), seed=1)
    sim.run_until(30.0)
    for node in ("cp-use", "cp-usw"):  # etcd loses its quorum; the ledger is untouched
        sim.inject(parse_fault(f"node:{node}"))
    sim.run_until(60.0)
    now = services(sim)
    assert now["scheduler"][0] == "down"
    assert now["payments"] == ("down", "service scheduler down")
    assert now["browse"] == ("ok", "")
    assert {t.name: t.status for t in sim.snapshot().tenants} == {"retail": "down"}


def test_a_service_is_down_when_every_region_it_runs_in_is(tmp_path: Path) -> None:
    def pin(data: dict[str, Any]) -> None:
        data["services"][0]["regions"] = ["us-west"]  # the scheduler runs in us-west only

    sim = Simulation(variant("hybrid", pin, tmp_path), seed=1)
    sim.run_until(30.0)
    sim.inject(parse_fault("region:us-west"))
    sim.run_until(60.0)
    now = services(sim)
    assert now["scheduler"][0] == "down" and "every region it runs in is down (us-west)" in now["scheduler"][1]
    assert sim.snapshot().cluster("control").writable  # etcd itself kept its quorum


def test_per_service_availability_in_the_metrics() -> None:
    # etcd without quorum for 30 s out of 600: the scheduler and payments (which needs it) are down that long.
    schedule = [parse_scheduled("node:cp-use@60s+30s"), parse_scheduled("node:cp-usw@60s+30s")]
    report = run_drill(bundled("hybrid"), schedule, 600.0).report
    books = report["metrics"]["services"]
    for name in ("scheduler", "payments"):
        assert 29.0 <= books[name]["down_seconds"] <= 33.0
        assert books[name]["availability"] == round(1 - books[name]["down_seconds"] / 600.0, 6)
    assert books["browse"] == {"availability": 1.0, "down_seconds": 0.0, "status": "ok"}
    assert report["blast_radius"]["services"] == ["scheduler", "payments"]


def test_status_shows_services() -> None:
    result = invoke("status", "hybrid", "--fault", "node:cp-use", "--fault", "node:cp-usw", "--at", "20s",
                    "--json")
    assert result.exit_code == 0, result.output
    listed = {s["name"]: s for s in json.loads(result.stdout)["services"]}
    assert listed["payments"] == {"name": "payments", "status": "down", "depends_on": ["ledger", "scheduler"],
                                  "reason": "service scheduler down"}
    human = invoke("status", "hybrid", "--fault", "node:cp-use", "--fault", "node:cp-usw", "--at", "20s")
    assert "services" in human.stdout and "service scheduler down" in human.stdout
