"""Lint warnings: each fires on a topology built to trigger it, and on nothing else.

The base topology is clean (no warning at all); each case changes one thing and must
produce exactly its own warning. Warnings never change `validate`'s exit code.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from regionctl.loading import load_file
from tests.modelhelpers import DIAGNOSTIC_LINE, TOPOLOGIES, invoke

# Three regions: eu-west and eu-central 20 ms apart, ap-south 150 ms from both.
CLEAN: dict[str, Any] = {
    "name": "lint-base",
    "kind": "active-passive",
    "regions": [{"name": "eu-west", "zones": ["a", "b"]}, {"name": "eu-central", "zones": ["a", "b"]},
                {"name": "ap-south", "zones": ["a"]}],
    "network": {"rtt": {"eu-west|eu-central": "20ms", "eu-west|ap-south": "150ms",
                        "eu-central|ap-south": "150ms"}},
    "clusters": [
        {"name": "orders", "engine": "postgres-patroni", "replication": {"mode": "async"},
         "nodes": [{"name": "pg-1", "region": "eu-west", "zone": "a", "role": "leader"},
                   {"name": "pg-2", "region": "eu-west", "zone": "b"},
                   {"name": "pg-3", "region": "eu-central", "zone": "a"}]},
        {"name": "control", "engine": "etcd", "timings": {"election_timeout": "2s"},
         "nodes": [{"name": "etcd-1", "region": "eu-west", "role": "leader"},
                   {"name": "etcd-2", "region": "eu-central"},
                   {"name": "etcd-3", "region": "ap-south"}]},
    ],
    "traffic": [{"from": "eu-west", "cluster": "orders", "writes_per_s": 100}],
    "slo": {"availability": "99.9%", "rpo": "5s", "rto": "60s"},
}


def _orders(t: dict[str, Any]) -> dict[str, Any]:
    cluster: dict[str, Any] = t["clusters"][0]
    return cluster


def _control(t: dict[str, Any]) -> dict[str, Any]:
    cluster: dict[str, Any] = t["clusters"][1]
    return cluster


def _default_election_timeout(t: dict[str, Any]) -> None:
    # etcd's default 1 s election timeout, voters 150 ms apart: 10 x 150 ms = 1.5 s needed.
    del _control(t)["timings"]


def _patroni_ttl(t: dict[str, Any]) -> None:
    # loop_wait 10 s + 2 x retry_timeout 15 s = 40 s > ttl 30 s.
    _orders(t)["timings"] = {"loop_wait": "10s", "retry_timeout": "15s", "ttl": "30s"}


def _sync_across_regions(t: dict[str, Any]) -> None:
    # Every follower is synchronous, and pg-3 now sits in ap-south, 150 ms away.
    _orders(t)["replication"] = {"mode": "sync"}
    _orders(t)["nodes"][2]["region"] = "ap-south"


def _quorum_in_one_region(t: dict[str, Any]) -> None:
    _control(t)["nodes"][1]["region"] = "eu-west"


def _no_remote_standby(t: dict[str, Any]) -> None:
    _orders(t)["nodes"][2]["region"] = "eu-west"


def _silo_shares_a_node(t: dict[str, Any]) -> None:
    # acme is promised a dedicated stack, but globex's service runs on the same orders cluster.
    t["services"] = [{"name": "shop", "depends_on": ["orders"]}]
    t["tenants"] = [{"name": "acme", "model": "silo", "clusters": ["orders"]},
                    {"name": "globex", "model": "pool", "services": ["shop"]}]


def _pool_without_headroom(t: dict[str, Any]) -> None:
    # 100 writes/s of pooled traffic; losing eu-west leaves eu-central's 60 req/s.
    t["tenants"] = [{"name": "acme", "model": "pool", "clusters": ["orders"]},
                    {"name": "globex", "model": "pool", "clusters": ["orders"]}]
    t["regions"][0]["capacity"] = 1000
    t["regions"][1]["capacity"] = 60


def _service_on_a_single_region_cluster(t: dict[str, Any]) -> None:
    t["clusters"].append({"name": "cache", "engine": "cassandra",
                          "nodes": [{"name": "c-1", "region": "eu-central", "zone": "a", "role": "replica"},
                                    {"name": "c-2", "region": "eu-central", "zone": "b", "role": "replica"}]})
    t["services"] = [{"name": "web", "depends_on": ["orders", "cache"]}]


CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str, str]] = {
    # code: (how to break the clean topology, the path the warning names, words it says)
    "election-timeout": (_default_election_timeout, "clusters[1].timings", "below 10x the largest RTT"),
    "patroni-ttl": (_patroni_ttl, "clusters[0].timings",
                    "loop_wait + 2 x retry_timeout (40s) exceeds ttl (30s)"),
    "sync-cross-region": (_sync_across_regions, "clusters[0].replication.mode", "150ms away"),
    "quorum-one-region": (_quorum_in_one_region, "clusters[1].nodes", "2 of 3 voters sit in eu-west"),
    "no-remote-standby": (_no_remote_standby, "clusters[0].nodes", "no standby outside eu-west"),
    "silo-shared-node": (_silo_shares_a_node, "tenants[0]",
                         "silo tenant 'acme' shares node(s) pg-1, pg-2, pg-3 with tenant(s) globex"),
    "pool-no-headroom": (_pool_without_headroom, "regions[0].capacity",
                         "losing eu-west leaves 60 req/s of capacity for 100 req/s of pooled traffic"),
    "single-region-dependency": (_service_on_a_single_region_cluster, "services[0].depends_on",
                                 "depends on cluster 'cache', whose nodes all sit in eu-central"),
}


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "lint.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_the_clean_topology_has_no_warning(tmp_path: Path) -> None:
    loaded = load_file(_write(tmp_path, CLEAN))
    assert loaded.warnings == []


@pytest.mark.parametrize("code", list(CASES))
def test_each_warning_fires_alone(tmp_path: Path, code: str) -> None:
    breaks, field, says = CASES[code]
    data = copy.deepcopy(CLEAN)
    breaks(data)
    loaded = load_file(_write(tmp_path, data))
    assert [w.code for w in loaded.warnings] == [code]
    (warning,) = loaded.warnings
    assert warning.severity == "warning"
    assert warning.field == field
    assert says in warning.message
    assert warning.line >= 1 and warning.col >= 1


@pytest.mark.parametrize("code", list(CASES))
def test_warnings_do_not_fail_validate(tmp_path: Path, code: str) -> None:
    data = copy.deepcopy(CLEAN)
    CASES[code][0](data)
    path = _write(tmp_path, data)
    result = invoke("validate", str(path))
    assert result.exit_code == 0
    assert result.stdout.strip() == f"ok  {path} (topology, 1 warning(s))"
    (line,) = result.stderr.splitlines()
    match = DIAGNOSTIC_LINE.match(line)
    assert match and match["warning"] and match["file"] == str(path)
    assert line.endswith(f"[{code}]")


def test_validate_json_lists_the_warnings(tmp_path: Path) -> None:
    data = copy.deepcopy(CLEAN)
    _patroni_ttl(data)
    _quorum_in_one_region(data)
    path = _write(tmp_path, data)
    result = invoke("validate", "--json", str(path))
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["valid"] is True
    (entry,) = report["files"]
    assert entry["file"] == str(path) and entry["valid"] is True and entry["errors"] == []
    assert sorted(w["code"] for w in entry["warnings"]) == ["patroni-ttl", "quorum-one-region"]
    for warning in entry["warnings"]:
        assert warning["severity"] == "warning"
        assert {"file", "line", "col", "field", "message"} <= set(warning)


def test_validate_json_lists_errors_too(tmp_path: Path) -> None:
    data = copy.deepcopy(CLEAN)
    data["kind"] = "active-pasive"
    result = invoke("validate", "--json", str(_write(tmp_path, data)))
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["valid"] is False
    (error,) = report["files"][0]["errors"]
    assert error["field"] == "kind" and "did you mean 'active-passive'?" in error["message"]


def test_sync_replication_inside_a_region_is_fine(tmp_path: Path) -> None:
    data = copy.deepcopy(CLEAN)
    _orders(data)["replication"] = {"mode": "sync", "sync_replicas": ["pg-2"]}  # pg-2: another zone
    assert load_file(_write(tmp_path, data)).warnings == []


def test_patroni_defaults_satisfy_the_rule(tmp_path: Path) -> None:
    data = copy.deepcopy(CLEAN)
    _orders(data)["timings"] = {"loop_wait": "10s", "retry_timeout": "10s", "ttl": "30s"}  # 30 <= 30
    assert load_file(_write(tmp_path, data)).warnings == []


def test_silo_tenants_on_their_own_stacks_are_fine(tmp_path: Path) -> None:
    data = copy.deepcopy(CLEAN)
    data["tenants"] = [{"name": "acme", "model": "silo", "clusters": ["orders"]},
                       {"name": "globex", "model": "silo", "clusters": ["control"]}]
    assert load_file(_write(tmp_path, data)).warnings == []


def test_a_pool_with_headroom_is_fine_and_undeclared_capacity_is_not_judged(tmp_path: Path) -> None:
    data = copy.deepcopy(CLEAN)
    _pool_without_headroom(data)
    data["regions"][1]["capacity"] = 100  # losing eu-west leaves exactly the 100 req/s needed
    assert load_file(_write(tmp_path, data)).warnings == []
    del data["regions"][0]["capacity"], data["regions"][1]["capacity"]
    assert load_file(_write(tmp_path, data)).warnings == []


def test_single_region_dependency_needs_several_regions(tmp_path: Path) -> None:
    data = copy.deepcopy(CLEAN)
    _service_on_a_single_region_cluster(data)
    data["regions"] = [{"name": "eu-central", "zones": ["a", "b"]}]
    data["network"] = {}
    for cluster in data["clusters"]:
        for node in cluster["nodes"]:
            node["region"], node["zone"] = "eu-central", node.get("zone", "a")
    data["traffic"][0]["from"] = "eu-central"
    codes = [w.code for w in load_file(_write(tmp_path, data)).warnings]
    assert "single-region-dependency" not in codes


# Deliberate teaching points of the bundled topologies: the PACELC cost of a consensus cluster
# spread over regions. Anything else a bundled topology warns about is a bug in it.
EXPECTED_BUNDLED_WARNINGS = {"active-active": ["sync-cross-region"], "hybrid": ["sync-cross-region"]}


@pytest.mark.parametrize("path", sorted(TOPOLOGIES.glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_topologies_stay_lint_clean(path: Path) -> None:
    codes = [w.code for w in load_file(path).warnings]
    assert codes == EXPECTED_BUNDLED_WARNINGS.get(path.stem, [])
