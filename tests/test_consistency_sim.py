"""The checker on real simulator histories: what the topologies teach shows up as anomalies."""

from __future__ import annotations

import pytest

from regionctl.consistency import check, from_records
from regionctl.consistency.history import Fault, History
from regionctl.consistency.linearizable import check_linearizable
from tests.test_sim_history import history


def sim_history(name: str, faults: list[tuple[str, float]], until: float, **settings: object) -> History:
    records = history(name, faults, until, **settings)  # type: ignore[arg-type]
    return from_records(records, [Fault(spec, at) for spec, at in faults])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_async_region_failover_loses_an_acknowledged_write(seed: int) -> None:
    # Six us-east sessions on four keys: a few acknowledged writes fall in the last 40 ms before the outage.
    h = sim_history("active-passive", [("region:us-east", 60.0)], 130.0, seed=seed, interval=0.05, sessions=6,
                    keys=4)
    orders = h.only("orders")
    # eu-west reads its local replica, 40 ms behind, all along: keep every anomaly, not the earliest few.
    result = check_linearizable(orders, cap=1_000_000)
    assert result.verdict == "violated"
    read_after = {(o.key, o.value) for o in orders.operations if o.op == "read" and o.start > 60.0}
    lost = []
    for anomaly in result.anomalies:
        *writes, read = anomaly.operations
        missed = max(writes, key=lambda o: o.value or 0)
        if (read.op == "read" and read.node == "pg-3" and read.start > 65.0 and missed.outcome == "ok"
                and missed.end is not None and missed.end <= 60.0 and (missed.key, missed.value) not in read_after):
            lost.append(anomaly)
    assert lost, [a.explanation for a in result.anomalies if a.at > 60]
    anomaly = lost[0]
    assert "missed an acknowledged write" in anomaly.explanation
    assert len(anomaly.operations) == 3  # the write read, the acknowledged write it missed, the read
    relative = anomaly.to_json(h.faults)["relative"]
    assert relative["fault"] == "region:us-east" and relative["seconds"] > 5


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


def test_each_cluster_checked_against_its_own_promise() -> None:
    # single-region: orders is synchronous and linearizable; so is each of the others on their own.
    h = sim_history("single-region", [], 60.0, interval=0.1)
    parts = {name: check(h.only(name), "linearizable") for name in ("orders", "cache", "config")}
    assert all(r.verdict == "ok" for r in parts.values())
    assert sum(r.ops_checked for r in parts.values()) == len(h.operations)


def test_quorum_and_raft_clusters_are_linearizable_multi_leader_is_not() -> None:
    h = sim_history("active-active", [], 120.0, seed=2, interval=0.1)
    assert check(h.only("profiles"), "linearizable").verdict == "ok"  # leaderless, r + w > n
    assert check(h.only("control"), "linearizable").verdict == "ok"  # Raft
    carts = h.only("carts")  # multi-leader, last writer wins: each region reads its own leader
    assert check(carts, "linearizable").verdict == "violated"
    assert check(carts, "session").verdict == "ok" and check(carts, "causal").verdict == "ok"
