"""Multi-leader (active-active) replication: conflicts, lost updates, clock skew, home regions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from replicationhelpers import cluster_metrics, drill, topology
from simhelpers import bundled

from regionctl.model.diagnostics import InputError
from regionctl.model.topology import Topology

PARTITION = [("partition:us-east|eu-west", 60.0, 120.0)]


def carts(tmp_path: Path, **replication: Any) -> Topology:
    cluster = {"name": "carts", "engine": "dynamodb-global",
               "replication": {"mode": "multi-leader", **replication},
               "nodes": [{"name": "carts-use", "region": "us-east", "role": "leader"},
                         {"name": "carts-euw", "region": "eu-west", "role": "leader"},
                         {"name": "carts-apse", "region": "ap-southeast", "role": "leader"}]}
    traffic = [{"from": "us-east", "cluster": "carts", "writes_per_s": 400, "reads_per_s": 1000},
               {"from": "eu-west", "cluster": "carts", "writes_per_s": 300, "reads_per_s": 1000},
               {"from": "ap-southeast", "cluster": "carts", "writes_per_s": 200, "reads_per_s": 1000}]
    return topology(tmp_path, cluster, traffic)


def test_a_partition_under_write_load_makes_conflicts_and_lww_loses_updates(tmp_path: Path) -> None:
    topo = carts(tmp_path, conflict_resolution="lww")
    calm = cluster_metrics(drill(topo, [], 300.0), "carts")
    cut = drill(topo, PARTITION, 300.0)
    carts_cut = cluster_metrics(cut, "carts")
    assert carts_cut["conflicts"] > 0
    # Both sides kept taking writes for two minutes: far more conflicts than replication delay alone makes.
    assert carts_cut["conflicts"] > 10 * max(1, calm["conflicts"])
    assert carts_cut["lost_updates"] >= carts_cut["conflicts"]  # each conflict discards one acknowledged write
    assert carts_cut["writes_failed"] == 0  # every side stayed writable: availability chosen
    assert cut["metrics"]["conflicts"] == carts_cut["conflicts"]
    assert cut["metrics"]["lost_updates"] == carts_cut["lost_updates"]


def test_hot_keys_conflict_more_than_a_uniform_keyspace(tmp_path: Path) -> None:
    uniform = carts(tmp_path, conflict_resolution="lww", keyspace={"keys": 100000})
    skewed = carts(tmp_path, conflict_resolution="lww", keyspace={"keys": 100000, "zipf": 1.0})
    few = carts(tmp_path, conflict_resolution="lww", keyspace={"keys": 1000})
    base = cluster_metrics(drill(uniform, PARTITION, 300.0), "carts")["conflicts"]
    assert cluster_metrics(drill(skewed, PARTITION, 300.0), "carts")["conflicts"] > 2 * base
    assert cluster_metrics(drill(few, PARTITION, 300.0), "carts")["conflicts"] > 2 * base


def test_home_region_ownership_has_no_conflicts_and_the_cut_off_home_refuses(tmp_path: Path) -> None:
    topo = carts(tmp_path, conflict_resolution="home-region")
    calm = cluster_metrics(drill(topo, [], 300.0), "carts")
    assert calm["writes_failed"] == 0 and calm["conflicts"] == 0
    report = drill(topo, PARTITION, 300.0)
    c = cluster_metrics(report, "carts")
    assert c["conflicts"] == 0 and c["lost_updates"] == 0
    # us-east clients cannot reach eu-west's third of the keys, nor eu-west's clients us-east's third:
    # behind a partition those writes time out (their outcome is unknown to the client).
    expected = (400 + 300) * 120.0 / 3
    assert c["writes_failed"] == 0
    assert c["writes_unknown"] == pytest.approx(expected, rel=0.02)
    assert report["metrics"]["regions"]["ap-southeast"] == 1.0


def test_home_region_down_fails_exactly_its_key_range(tmp_path: Path) -> None:
    topo = carts(tmp_path, conflict_resolution="home-region",
                 home_regions={"us-east": "50%", "eu-west": "30%", "ap-southeast": "20%"})
    c = cluster_metrics(drill(topo, [("node:carts-euw", 0.0, None)], 100.0), "carts")
    assert c["writes_failed"] == pytest.approx((400 + 300 + 200) * 100.0 * 0.3, rel=0.02)
    assert c["conflicts"] == 0


def test_home_region_writes_pay_the_round_trip_to_the_home(tmp_path: Path) -> None:
    lww = cluster_metrics(drill(carts(tmp_path, conflict_resolution="lww"), [], 60.0), "carts")
    home = cluster_metrics(drill(carts(tmp_path, conflict_resolution="home-region"), [], 60.0), "carts")
    assert lww["write_latency_p99"] < 0.01  # the local leader commits
    assert home["write_latency_p99"] > 0.2  # some homes are across an ocean (230-239 ms round trips)
    assert home["cap"]["consistency_cost_seconds"] > 0.1 and lww["cap"]["consistency_cost_seconds"] == 0.0


def test_clock_skew_lets_the_skewed_node_overwrite_newer_writes(tmp_path: Path) -> None:
    topo = carts(tmp_path, conflict_resolution="lww", keyspace={"keys": 10000, "zipf": 0.8})
    plain = cluster_metrics(drill(topo, [], 120.0), "carts")
    skewed = cluster_metrics(drill(topo, [("clock:carts-euw=+2s", 0.0, None)], 120.0), "carts")
    assert plain["skew_overwrites"] == 0
    assert skewed["skew_overwrites"] > 0
    # Conflicts depend on what was seen, not on clocks; the losses are what skew adds.
    assert skewed["conflicts"] == plain["conflicts"]
    assert skewed["lost_updates"] > plain["lost_updates"]


def test_local_reads_are_stale_while_remote_writes_are_in_flight(tmp_path: Path) -> None:
    c = cluster_metrics(drill(carts(tmp_path, keyspace={"keys": 1000}), [], 60.0), "carts")
    assert 0 < c["stale_reads"] < c["reads_attempted"]


def test_same_seed_same_report_and_the_bundled_topology_shows_conflicts() -> None:
    topo = bundled("active-active")
    first = drill(topo, PARTITION, 300.0, seed=7)
    second = drill(topo, PARTITION, 300.0, seed=7)
    first.pop("wall_seconds"), second.pop("wall_seconds")
    assert first == second
    assert cluster_metrics(first, "carts")["conflicts"] > 0
    assert cluster_metrics(first, "carts")["cap"]["partition_behaviour"] == "availability"


@pytest.mark.parametrize("replication, message", [
    ({"conflict_resolution": "home-region", "home_regions": {"us-west": "50%"}}, "region with a leader"),
    ({"conflict_resolution": "lww", "home_regions": {"us-east": "50%"}}, "only with conflict_resolution"),
])
def test_home_regions_are_checked(tmp_path: Path, replication: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as err:
        carts(tmp_path, **replication)
    assert message in str(err.value)
