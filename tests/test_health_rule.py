"""One rule decides a cluster's, a service's and a tenant's state (contract.health); every snapshot
and every blast radius follows it."""

from __future__ import annotations

import pytest

from regionctl.analysis.blast import predict_blast
from regionctl.contract import health
from regionctl.contract.faults import parse_fault
from regionctl.contract.snapshot import Snapshot
from regionctl.sim.simulator import Simulation
from tests.simhelpers import bundled

CASES = [("active-passive", "region:us-east"), ("hybrid", "region:us-east"), ("tenancy-pool", "region:us-east"),
         ("tenancy-silo", "node:acme-1"), ("single-region", "zone:us-east/a"),
         ("active-active", "partition:us-east|eu-west")]


def _judged(snap: Snapshot, sim: Simulation) -> tuple[dict[str, str], dict[str, str]]:
    clusters = {c.name: health.cluster_state(c.writable, (n.health for n in c.nodes)) for c in snap.clusters}
    regions = {r.name: r.status for r in snap.regions}
    services = health.service_states(sim.topology, clusters, regions.__getitem__)
    tenants = {t.name: health.tenant_state(sim.topology, t.name, clusters, services) for t in sim.topology.tenants}
    return {n: s for n, (s, _) in services.items()}, tenants


@pytest.mark.parametrize(("name", "spec"), CASES)
def test_status_and_blast_judge_the_same_outage_the_same_way(name: str, spec: str) -> None:
    topology = bundled(name)
    sim = Simulation(topology, seed=1)
    sim.run_until(30.0)
    predicted = predict_blast(sim, [parse_fault(spec)], horizon=180.0)["blast_radius"]["detail"]
    sim.inject(parse_fault(spec))
    worst_services: dict[str, str] = {}
    worst_tenants: dict[str, str] = {}
    for step in range(1, 181):
        sim.run_until(30.0 + step)
        snap = sim.snapshot()
        services, tenants = _judged(snap, sim)
        # What status shows at this moment is the rule applied to what the snapshot shows.
        assert {s.name: s.status for s in snap.services} == services, f"t={snap.time}"
        assert {t.name: t.status for t in snap.tenants} == tenants, f"t={snap.time}"
        for table, now in ((worst_services, services), (worst_tenants, tenants)):
            for key, state in now.items():
                table[key] = health.worst([state, table.get(key, "ok")])
    # And the blast radius says the worst of those moments (sampled each second; it samples at every change).
    assert {n: s for n, s in predicted["services"].items()} == {n: s for n, s in worst_services.items() if s != "ok"}
    assert {n: t["status"] for n, t in predicted["tenants"].items()} == \
        {n: s for n, s in worst_tenants.items() if s != "ok"}
