"""What the simulator's snapshots carry for the dashboard's history chart, and the chart's store on real runs:
each cluster's running totals (ClusterView.books) are the report's own counters; the anomalies of a cluster's
consistency promise (Snapshot.anomalies) are the live checks' own, with their operations and times; and a
Timeline fed every tick marks each fault, heal and promotion exactly once, at its time, over any bundled
topology, seed and fault."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from regionctl.contract.faults import parse_fault
from regionctl.labs.compile import LABS_DIR, compile_lab
from regionctl.sim.simulator import Simulation
from regionctl.tui.model import DashboardModel
from regionctl.tui.timeline import ESTATE, Subject
from tests.labtuihelpers import load_lab
from tests.simhelpers import bundled

TOPOLOGIES = ["active-passive", "active-active", "hybrid", "single-region", "tenancy-silo", "tenancy-pool",
              "tenancy-bridge"]


def faults_of(name: str) -> list[str]:
    topology = bundled(name)
    regions = [r.name for r in topology.regions]
    out = [f"region:{regions[0]}", f"node:{topology.clusters[0].nodes[0].name}"]
    if len(regions) > 1:
        out.append(f"partition:{regions[0]}|{regions[1]}")
    return out


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(TOPOLOGIES), st.integers(1, 1000), st.data())
def test_the_books_are_the_reports_own_counters(name: str, seed: int, data: st.DataObject) -> None:
    sim = Simulation(bundled(name), seed=seed)
    sim.run_until(20)
    sim.inject(parse_fault(data.draw(st.sampled_from(faults_of(name)))))
    sim.run_until(50)
    snapshot = sim.snapshot()
    for cluster in snapshot.clusters:
        books, figures = cluster.books, snapshot.metrics["clusters"][cluster.name]
        assert books is not None
        assert books.requests == figures["writes_attempted"] + figures["reads_attempted"]
        assert books.writes_timed == figures["writes_acked"]
        if books.requests:
            assert round(books.requests_ok / books.requests, 6) == figures["availability"]
        if books.writes_timed:
            mean = books.write_seconds / books.writes_timed
            assert 0.0 < mean <= max(t.timeout for t in sim.topology.traffic)
    assert snapshot.anomalies == ()  # nothing promised: nothing checked live
    assert all("books" not in c for c in snapshot.to_status_json()["clusters"])  # status --json stays as it was


def test_the_snapshot_carries_the_anomalies_of_the_promise_with_their_operations() -> None:
    lab = load_lab("read-your-writes")
    compiled = compile_lab(lab, LABS_DIR / "read-your-writes.yaml")
    sim = Simulation(compiled.topology, seed=lab.seed)
    sim.run_until(30)
    assert sim.snapshot().anomalies == ()
    sim.inject(parse_fault("slow:pg-3=1000x"))
    sim.run_until(45)
    snapshot = sim.snapshot()
    assert sim.probe_checks is not None
    result = sim.probe_checks.memo["orders"].results["read-your-writes"]
    assert snapshot.metrics["clusters"]["orders"]["consistency"]["anomalies"] == len(snapshot.anomalies) > 0
    found = {(a.kind, a.key, a.session, tuple(op.index for op in a.operations)): a for a in result.anomalies}
    assert len(found) == len(snapshot.anomalies)
    for view in snapshot.anomalies:
        anomaly = found[(view.kind, view.key, view.session, tuple(op.index for op in view.operations))]
        assert (view.model, view.cluster, view.at, view.explanation) == ("read-your-writes", "orders", anomaly.at,
                                                                         anomaly.explanation)
        assert [(o.session, o.op, o.key, o.value, o.start, o.end, o.outcome, o.node) for o in view.operations] == \
            [(o.session, o.op, o.key, o.value, o.start, o.end, o.outcome, o.node) for o in anomaly.operations]
    assert [a.at for a in snapshot.anomalies] == sorted(a.at for a in snapshot.anomalies)
    assert sim.snapshot().anomalies is snapshot.anomalies  # no check ran since: the same views, not rebuilt


@settings(max_examples=10, deadline=None)
@given(st.sampled_from(TOPOLOGIES), st.integers(1, 1000), st.data())
def test_the_store_marks_every_fault_heal_and_promotion_of_a_run_once(name: str, seed: int,
                                                                      data: st.DataObject) -> None:
    topology = bundled(name)
    sim = Simulation(topology, seed=seed)
    model = DashboardModel(topology)
    fault = data.draw(st.sampled_from(faults_of(name)))
    inject_at, heal_at = data.draw(st.integers(4, 60)), data.draw(st.integers(70, 140))
    for tick in range(1, 4 * 160):
        sim.run_until(tick * 0.25)
        if tick == inject_at * 4:
            sim.inject(parse_fault(fault))
        if tick == heal_at * 4:
            sim.heal_all()
        model.update(sim.snapshot())
    timeline = model.timeline
    assert [(m.kind, m.at) for m in timeline.markers if m.kind in ("fault", "heal")] == \
        [("fault", float(inject_at)), ("heal", float(heal_at))]
    promotions = [(at, f"{cluster}: {message}" if cluster else message) for at, cluster, message in sim.events
                  if "promoted to leader" in message]
    assert [(m.at, m.label) for m in timeline.markers if m.kind == "failover"] == promotions
    lag = [timeline.bucket_values("lag", Subject("cluster", c.name)) for c in topology.clusters]
    assert timeline.bucket_values("lag", ESTATE) == [None if all(v is None for v in b) else max(v or 0.0 for v in b)
                                                     for b in zip(*lag, strict=True)]
