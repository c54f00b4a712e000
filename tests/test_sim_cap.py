"""CAP and PACELC in the report: what each cluster chose while cut apart, and what its
consistency costs when nothing is wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from replicationhelpers import cluster_metrics, drill
from simhelpers import TOPOLOGIES, bundled, variant

ROOT = Path(__file__).resolve().parent.parent
CUT = [("partition:us-east|eu-west", 60.0, 120.0)]


def cap(report: dict[str, Any], cluster: str) -> dict[str, Any]:
    return cluster_metrics(report, cluster)["cap"]  # type: ignore[no-any-return]


def test_without_faults_nothing_was_tested_and_pacelc_is_still_reported() -> None:
    report = drill(bundled("active-active"), [], 120.0)
    for name in ("carts", "profiles", "control"):
        assert cap(report, name)["partition_behaviour"] == "untested"
        assert cap(report, name)["write_latency_p50"] is not None
    # etcd waits for the nearest other voter (80 ms away), Cassandra QUORUM for the second replica.
    assert cap(report, "control")["consistency_cost_seconds"] == pytest.approx(0.08)
    assert cap(report, "profiles")["consistency_cost_seconds"] > 0.07
    assert cap(report, "carts")["consistency_cost_seconds"] == 0.0


def test_active_active_under_partition_multi_leader_chooses_availability_consensus_consistency() -> None:
    report = drill(bundled("active-active"), CUT, 300.0)
    carts = cap(report, "carts")
    assert carts["partition_behaviour"] == "availability"
    assert carts["writes_diverged"] == pytest.approx((400 + 300) * 120, rel=0.01)
    assert carts["writes_refused"] == 0
    assert cap(report, "control")["partition_behaviour"] == "consistency"
    assert cap(report, "control")["writes_diverged"] == 0


def test_home_region_ownership_chooses_consistency(tmp_path: Path) -> None:
    def home(data: dict[str, Any]) -> None:
        data["clusters"][0]["replication"]["conflict_resolution"] = "home-region"

    c = cap(drill(variant("active-active", home, tmp_path), CUT, 300.0), "carts")
    assert c["partition_behaviour"] == "consistency"
    assert c["writes_refused"] > 0 and c["writes_diverged"] == 0
    assert c["consistency_cost_seconds"] > 0.05  # writes travel to their key's home


@pytest.mark.parametrize("w, behaviour", [(1, "availability"), (2, "consistency")])
def test_leaderless_partition_behaviour_follows_w(tmp_path: Path, w: int, behaviour: str) -> None:
    def quorum(data: dict[str, Any]) -> None:
        data["clusters"][1]["replication"].update({"r": 1, "w": w})

    isolate = [("partition:eu-west|us-east", 60.0, 120.0), ("partition:eu-west|ap-southeast", 60.0, 120.0)]
    c = cap(drill(variant("active-active", quorum, tmp_path), isolate, 300.0), "profiles")
    assert c["partition_behaviour"] == behaviour
    assert (c["writes_refused"] > 0) == (w == 2)


def test_async_accepts_what_a_cut_off_replica_misses_sync_refuses_and_pays_the_round_trip(tmp_path: Path) -> None:
    def sync(data: dict[str, Any]) -> None:
        data["clusters"][0]["replication"] = {"mode": "sync", "sync_replicas": ["pg-3"]}

    calm_async = cap(drill(bundled("active-passive"), [], 60.0), "orders")
    calm_sync = cap(drill(variant("active-passive", sync, tmp_path), [], 60.0), "orders")
    assert calm_async["consistency_cost_seconds"] == 0.0
    assert calm_sync["consistency_cost_seconds"] == pytest.approx(0.08)  # the us-east|eu-west round trip
    assert calm_sync["write_latency_p50"] > calm_async["write_latency_p50"] + 0.06

    cut_async = cap(drill(bundled("active-passive"), CUT, 300.0), "orders")
    cut_sync = cap(drill(variant("active-passive", sync, tmp_path), CUT, 300.0), "orders")
    assert cut_async["partition_behaviour"] == "availability" and cut_async["writes_diverged"] > 0
    assert cut_sync["partition_behaviour"] == "consistency" and cut_sync["writes_refused"] > 0


def test_the_drill_prints_the_cap_table() -> None:
    proc = subprocess.run([sys.executable, "-m", "regionctl", "drill", str(TOPOLOGIES / "active-active.yaml"),
                           "--fault", "partition:us-east|eu-west@60s+2m", "--duration", "5m"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "CAP / PACELC" in proc.stdout
    assert "availability (" in proc.stdout and "consistency (" in proc.stdout
    assert "conflicts" in proc.stdout and "lost updates" in proc.stdout


def test_a_crash_alone_does_not_make_a_cluster_choose() -> None:
    # A region down, nothing refused or lost: the multi-leader and leaderless clusters kept
    # every live replica connected, so no partition tested them.
    report = drill(bundled("active-active"), [("region:us-east", 30.0, 60.0)], 180.0)
    assert cap(report, "carts")["partition_behaviour"] == "untested"
    assert cap(report, "profiles")["partition_behaviour"] == "untested"
    # An async leader-follower cluster that failed over and lost writes chose availability.
    assert cap(drill(bundled("active-passive"), [("region:us-east", 30.0, None)], 180.0),
               "orders")["partition_behaviour"] == "availability"
