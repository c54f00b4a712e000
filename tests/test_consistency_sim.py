"""The checker on real simulator histories: what the topologies teach shows up as anomalies."""

from __future__ import annotations

from regionctl.consistency import check, from_records
from regionctl.consistency.history import Fault, History
from tests.test_sim_history import history


def sim_history(name: str, faults: list[tuple[str, float]], until: float, **settings: object) -> History:
    records = history(name, faults, until, **settings)  # type: ignore[arg-type]
    return from_records(records, [Fault(spec, at) for spec, at in faults])


def test_an_async_region_failover_loses_an_acknowledged_write() -> None:
    h = sim_history("active-passive", [("region:us-east", 60.0)], 150.0, seed=3, interval=0.05)
    result = check(h, "linearizable")
    assert result.verdict == "violated"
    lost = [a for a in result.anomalies if a.cluster == "orders" and any(
        o.op == "read" and o.node == "pg-3" and o.start > 70.0 for o in a.operations) and any(
        o.op == "write" and o.outcome == "ok" and o.end is not None and o.end <= 60.0 for o in a.operations)]
    assert lost, [a.explanation for a in result.anomalies if a.at > 60]
    anomaly = lost[0]
    assert "missed an acknowledged write" in anomaly.explanation
    assert len(anomaly.operations) == 3  # the write read, the acknowledged write it missed, the read
    relative = anomaly.to_json(h.faults)["relative"]
    assert relative["fault"] == "region:us-east" and relative["seconds"] > 10


def test_a_sync_cluster_without_faults_is_linearizable() -> None:
    h = sim_history("single-region", [], 120.0, interval=0.1)
    assert {o.cluster for o in h.operations} == {"orders", "cache", "config"}
    for model in ("linearizable", "session", "causal"):
        result = check(h, model)
        assert result.verdict == "ok", (model, [a.explanation for a in result.anomalies[:3]])
    assert check(h, "linearizable").ops_checked == len(h.operations) > 5000


def test_a_slow_replica_breaks_read_your_writes_for_eu_west_sessions() -> None:
    h = sim_history("active-passive", [("slow:pg-3=1000x", 30.0)], 60.0, interval=0.2)
    result = check(h, "read-your-writes")
    assert result.verdict == "violated"
    assert {a.kind for a in result.anomalies} == {"read-your-writes"}
    assert all(a.session is not None and a.session.startswith("eu-west/orders/") for a in result.anomalies)
    assert all(a.at > 30.0 for a in result.anomalies)
    for anomaly in result.anomalies:
        *writes, read = anomaly.operations
        assert read.op == "read" and read.node == "pg-3" and read.session == anomaly.session
        assert any(w.session == read.session for w in writes)  # its own write, missed


def test_before_the_slow_down_the_same_sessions_read_their_writes() -> None:
    h = sim_history("active-passive", [], 30.0, interval=0.2)
    assert check(h, "read-your-writes").verdict == "ok"
