"""Leaderless quorums (Dynamo/Cassandra): stale reads follow R + W vs N, availability follows
the quorum, hinted handoff and read repair heal what a fault left behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from replicationhelpers import cluster_metrics, drill, topology

from regionctl.model.topology import Topology

# eu-west alone on one side: every node it could reach outside its region is gone.
ISOLATE_EU = [("partition:eu-west|us-east", 60.0, 120.0), ("partition:eu-west|ap-southeast", 60.0, 120.0)]


def ring(tmp_path: Path, nodes: int = 3, **replication: Any) -> Topology:
    regions = ["us-east", "eu-west", "ap-southeast"]
    cluster = {"name": "profiles", "engine": "cassandra",
               "replication": {"mode": "leaderless", "keyspace": {"keys": 10000, "zipf": 0.8}, **replication},
               "nodes": [{"name": f"cass-{i}", "region": regions[i % 3], "role": "replica"} for i in range(nodes)]}
    traffic = [{"from": r, "cluster": "profiles", "writes_per_s": 300, "reads_per_s": 1000} for r in regions]
    return topology(tmp_path, cluster, traffic)


@pytest.mark.parametrize("r, w", [(2, 2), (1, 3), (3, 1)])
def test_overlapping_quorums_never_read_stale_without_faults(tmp_path: Path, r: int, w: int) -> None:
    c = cluster_metrics(drill(ring(tmp_path, n=3, r=r, w=w), [], 120.0), "profiles")
    assert c["reads_attempted"] > 0 and c["stale_reads"] == 0
    assert c["availability"] == 1.0


def test_r_w_one_reads_stale_under_load(tmp_path: Path) -> None:
    c = cluster_metrics(drill(ring(tmp_path, n=3, r=1, w=1), [], 120.0), "profiles")
    assert c["stale_reads"] > 0
    assert c["stale_reads"] < c["reads_attempted"] / 2


def test_r_plus_w_equal_n_can_read_stale_too(tmp_path: Path) -> None:
    c = cluster_metrics(drill(ring(tmp_path, n=3, r=1, w=2), [], 120.0), "profiles")
    assert c["stale_reads"] > 0


def test_availability_under_partition_follows_the_quorum(tmp_path: Path) -> None:
    strict = drill(ring(tmp_path, n=3, r=2, w=2), ISOLATE_EU, 300.0)
    loose = drill(ring(tmp_path, n=3, r=1, w=1), ISOLATE_EU, 300.0)
    # eu-west's clients reach one replica of three: a quorum of two refuses them, one accepts.
    assert strict["metrics"]["regions"]["eu-west"] < 0.7
    assert strict["metrics"]["regions"]["us-east"] == 1.0
    assert loose["metrics"]["regions"]["eu-west"] == 1.0
    assert cluster_metrics(strict, "profiles")["writes_failed"] == pytest.approx(300 * 120, rel=0.01)
    assert cluster_metrics(loose, "profiles")["writes_failed"] == 0


def test_a_region_outage_keeps_a_majority_quorum_writable(tmp_path: Path) -> None:
    c = cluster_metrics(drill(ring(tmp_path, n=3, r=2, w=2), [("region:ap-southeast", 30.0, None)], 120.0),
                        "profiles")
    assert c["writes_failed"] == pytest.approx(300 * 90, rel=0.01)  # only the dead region's own clients
    assert c["stale_reads"] == 0


def test_sloppy_quorum_takes_writes_the_home_replicas_cannot(tmp_path: Path) -> None:
    # Four nodes, N = 3: a key range whose home replicas are down has a fourth node to stand in.
    faults = [("node:cass-1", 30.0, None), ("node:cass-2", 30.0, None)]
    strict = cluster_metrics(drill(ring(tmp_path, nodes=4, n=3, r=1, w=2), faults, 120.0), "profiles")
    sloppy = cluster_metrics(drill(ring(tmp_path, nodes=4, n=3, r=1, w=2, sloppy_quorum=True), faults, 120.0),
                             "profiles")
    assert sloppy["writes_failed"] < strict["writes_failed"]


def test_hinted_handoff_replays_missed_writes_when_the_partition_heals(tmp_path: Path) -> None:
    hinted = cluster_metrics(drill(ring(tmp_path, n=3, r=1, w=1, hinted_handoff=True), ISOLATE_EU, 400.0),
                             "profiles")
    lost = cluster_metrics(drill(ring(tmp_path, n=3, r=1, w=1, hinted_handoff=False, read_repair=False),
                                 ISOLATE_EU, 400.0), "profiles")
    assert hinted["replica_writes_missing"] == 0
    assert lost["replica_writes_missing"] > 0
    # Without hints, eu-west keeps serving the values it missed long after the partition healed.
    assert lost["stale_reads"] > 2 * hinted["stale_reads"]


def test_read_repair_fixes_replicas_that_reads_find_behind(tmp_path: Path) -> None:
    repaired = cluster_metrics(drill(ring(tmp_path, n=3, r=2, w=1, read_repair=True), ISOLATE_EU, 600.0),
                               "profiles")
    unrepaired = cluster_metrics(drill(ring(tmp_path, n=3, r=2, w=1, read_repair=False), ISOLATE_EU, 600.0),
                                 "profiles")
    assert repaired["read_repaired_writes"] > 0 and unrepaired["read_repaired_writes"] == 0
    assert repaired["replica_writes_missing"] < unrepaired["replica_writes_missing"] / 2


def test_same_seed_same_report(tmp_path: Path) -> None:
    topo = ring(tmp_path, n=3, r=1, w=1)
    first, second = drill(topo, ISOLATE_EU, 240.0, seed=3), drill(topo, ISOLATE_EU, 240.0, seed=3)
    first.pop("wall_seconds"), second.pop("wall_seconds")
    assert first == second


def test_a_cut_off_replica_shows_lag_until_its_hints_are_replayed(tmp_path: Path) -> None:
    from regionctl.contract.faults import parse_fault
    from regionctl.sim.simulator import Simulation

    sim = Simulation(ring(tmp_path, n=3, r=2, w=2, hinted_handoff=True), seed=1)
    sim.run_until(10.0)
    cut = [sim.inject(parse_fault(spec)) for spec in ("partition:eu-west|us-east", "partition:eu-west|ap-southeast")]
    sim.run_until(40.0)
    nodes = {n.name: n for c in sim.snapshot().clusters for n in c.nodes}
    assert nodes["cass-1"].lag_ops > 0 and nodes["cass-1"].lag_seconds == pytest.approx(30.0, abs=0.2)
    assert nodes["cass-0"].lag_ops == 0  # eu-west's writes were refused (W = 2), not half-written
    for fid in cut:
        sim.heal(fid)
    sim.run_until(41.0)
    nodes = {n.name: n for c in sim.snapshot().clusters for n in c.nodes}
    assert all(n.lag_ops == 0 for n in nodes.values())
    assert sim.metrics()["max_lag_seconds"] >= 29.8  # from the first tick after the cut
