"""Tenancy: the blast radius follows the mapping of tenants to stacks.

Silo: one tenant's stack failing reaches that tenant only. Pool: losing the shared
leader's region reaches every tenant. Bridge: in between, as its mapping says. Each
is checked predicted (`blast`) and observed (a drill), and in the per-tenant books.
"""

from __future__ import annotations

import pytest

from regionctl.analysis.blast import predict_blast
from regionctl.contract.faults import parse_fault, parse_scheduled
from regionctl.drill.runner import run_drill
from regionctl.sim.simulator import Simulation
from tests.simhelpers import bundled


def reached(name: str, faults: list[str]) -> tuple[list[str], list[str]]:
    """(tenants predicted, tenants observed in a drill with the faults at 60 s)."""
    topology = bundled(name)
    predicted = predict_blast(topology, [parse_fault(f) for f in faults])["blast_radius"]["tenants"]
    report = run_drill(topology, [parse_scheduled(f"{f}@60s") for f in faults], 360.0).report
    return predicted, report["blast_radius"]["tenants"]


@pytest.mark.parametrize("tenant", ["acme", "globex", "initech"])
def test_silo_one_stack_failing_reaches_exactly_its_tenant(tenant: str) -> None:
    stack = bundled("tenancy-silo").cluster(f"db-{tenant}")
    whole_stack = [f"node:{n.name}" for n in stack.nodes]
    leader_only = [f"node:{stack.nodes[0].name}"]
    for faults in (whole_stack, leader_only):
        predicted, seen = reached("tenancy-silo", faults)
        assert predicted == seen == [tenant]


def test_silo_books_charge_the_outage_to_its_tenant_only() -> None:
    report = run_drill(bundled("tenancy-silo"), [parse_scheduled("node:acme-1@60s")], 360.0).report
    tenants = report["metrics"]["tenants"]
    assert tenants["acme"] < 1.0
    assert tenants["globex"] == tenants["initech"] == 1.0


def test_pool_losing_the_shared_leaders_region_reaches_every_tenant() -> None:
    topology = bundled("tenancy-pool")
    leader = next(n for n in topology.cluster("shared-db").nodes if n.role == "leader")
    predicted, seen = reached("tenancy-pool", [f"region:{leader.region}"])
    everyone = sorted(t.name for t in topology.tenants)
    assert predicted == seen == everyone
    report = run_drill(topology, [parse_scheduled(f"region:{leader.region}@60s")], 360.0).report
    assert all(a < 1.0 for a in report["metrics"]["tenants"].values())


def test_pool_even_one_node_reaches_every_tenant() -> None:
    predicted, seen = reached("tenancy-pool", ["node:pool-1"])
    assert predicted == seen == ["acme", "globex", "initech", "umbrella"]


@pytest.mark.parametrize(("faults", "tenants"), [
    (["node:pooled-1"], ["acme", "globex"]),  # the pooled database: its two tenants
    (["node:premium-1"], ["megacorp"]),  # the dedicated database: its one tenant
    (["node:app-1"], ["acme", "globex", "megacorp"]),  # the shared tier: everyone
])
def test_bridge_reaches_what_its_mapping_says(faults: list[str], tenants: list[str]) -> None:
    predicted, seen = reached("tenancy-bridge", faults)
    assert predicted == seen == tenants


def test_tenant_status_in_the_snapshot_follows_its_stack() -> None:
    sim = Simulation(bundled("tenancy-bridge"), seed=1)
    sim.run_until(30.0)
    sim.inject(parse_fault("node:premium-1"))
    sim.run_until(31.0)
    status = {t.name: t.status for t in sim.snapshot().tenants}
    assert status == {"acme": "ok", "globex": "ok", "megacorp": "down"}
    sim.run_until(120.0)  # premium-2 (synchronous, other zone) promoted: back, one node short
    status = {t.name: t.status for t in sim.snapshot().tenants}
    assert status == {"acme": "ok", "globex": "ok", "megacorp": "degraded"}


def test_tenant_traffic_share_shows_in_the_prediction() -> None:
    detail = predict_blast(bundled("tenancy-pool"), [parse_fault("region:us-east")])["blast_radius"]["detail"]
    shares = {name: t["traffic_share"] for name, t in detail["tenants"].items()}
    assert shares == {"acme": 0.4, "globex": 0.3, "initech": 0.2, "umbrella": 0.1}
    assert {t["model"] for t in detail["tenants"].values()} == {"pool"}


def test_a_silo_tenants_share_is_its_stacks_share_of_the_traffic() -> None:
    sim = Simulation(bundled("tenancy-silo"), seed=1)
    assert {t.name: sim.impact.traffic_share(t.name) for t in sim.topology.tenants} == {
        "acme": 0.5, "globex": 0.333333, "initech": 0.166667}  # 720, 480 and 240 of 1,440 req/s
    detail = predict_blast(bundled("tenancy-silo"), [parse_fault("node:acme-1")])["blast_radius"]["detail"]
    assert list(detail["tenants"]) == ["acme"]
    assert 0.5 < detail["tenants"]["acme"]["availability"] < 1.0  # ~45 s of a 5 min window without writes
