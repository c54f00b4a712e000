"""The seven bundled topologies: they load, teach what the issue says, ship with the
package, have schemas that match the models, and `status --json` reports them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from regionctl.data import bundled_topologies, default_topology_path, resolve_topology_path
from regionctl.loading import load_file, load_topology
from regionctl.model.resolved import initial_leader, replication_mode
from regionctl.model.topology import Topology
from tests.modelhelpers import BUNDLED, ROOT, SCHEMAS, TOPOLOGIES, invoke, run

LEADER_BASED = ("async", "semi-sync", "sync", "quorum")


def _topology(name: str) -> Topology:
    return load_topology(TOPOLOGIES / f"{name}.yaml")


def test_the_seven_are_bundled() -> None:
    assert sorted(p.stem for p in bundled_topologies()) == sorted(BUNDLED)
    assert (ROOT / "topologies").resolve() == TOPOLOGIES.resolve()  # the repository's shortcut
    assert default_topology_path() == TOPOLOGIES / "active-passive.yaml"


@pytest.mark.parametrize("name", BUNDLED)
def test_each_loads_with_its_kind(name: str) -> None:
    loaded = load_file(TOPOLOGIES / f"{name}.yaml")
    assert loaded.kind == "topology"
    topology = loaded.model
    assert isinstance(topology, Topology)
    assert topology.name == name
    assert topology.kind.value == name


@pytest.mark.parametrize("name", BUNDLED)
def test_each_carries_slos_and_traffic(name: str) -> None:
    topology = _topology(name)
    assert topology.traffic, "no traffic"
    assert all(t.writes_per_s + t.reads_per_s > 0 for t in topology.traffic)
    slo = topology.slo
    assert slo.availability is not None and slo.rpo is not None and slo.rto is not None


@pytest.mark.parametrize("name", BUNDLED)
def test_each_opens_with_a_schema_line_and_a_comment(name: str) -> None:
    path = TOPOLOGIES / f"{name}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    prefix = "# yaml-language-server: $schema="
    assert lines[0].startswith(prefix)
    # The editor resolves the schema relative to the file: it must exist there.
    schema = (path.parent / lines[0][len(prefix):].strip()).resolve()
    assert schema == (SCHEMAS / "topology.schema.json").resolve()
    assert schema.is_file()
    comment = []
    for line in lines[1:]:
        if not line.startswith("#"):
            break
        comment.append(line)
    assert len(" ".join(comment)) > 80, "expected a short comment on what the topology represents and teaches"
    assert any("Teaches" in line or "teaches" in line for line in comment)


def test_between_them_every_replication_behaviour() -> None:
    topologies = {name: _topology(name) for name in BUNDLED}
    modes = {replication_mode(c) for t in topologies.values() for c in t.clusters}
    assert {"async", "semi-sync", "sync"} <= modes
    assert any(c.engine == "etcd" for t in topologies.values() for c in t.clusters)
    active_active = topologies["active-active"]
    assert any(replication_mode(c) == "multi-leader" for c in active_active.clusters)


def test_validate_accepts_the_directory() -> None:
    proc = run("validate", "topologies/")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout.count("ok  ") == len(BUNDLED)


@pytest.mark.parametrize("kind", ["topology", "runbook", "lab"])
def test_committed_schemas_match_the_models(kind: str) -> None:
    result = invoke("schema", kind)
    assert result.exit_code == 0
    committed = json.loads((SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8"))
    assert json.loads(result.stdout) == committed, (
        f"schema drift: run `regionctl schema {kind} > regionctl/data/schemas/{kind}.schema.json`")


STATUS_KEYS = {"topology", "kind", "backend", "time", "regions", "clusters", "tenants", "runbooks"}


def _check_status(status: dict[str, Any], topology: Topology) -> None:
    assert set(status) >= STATUS_KEYS
    assert status["topology"] == topology.name
    assert status["kind"] == topology.kind.value
    assert status["backend"] == "sim"
    assert status["time"] == 0.0
    regions = status["regions"]
    assert isinstance(regions, list)
    assert [(r["name"], r["status"]) for r in regions] == [(r.name, "up") for r in topology.regions]
    clusters = status["clusters"]
    assert isinstance(clusters, list)
    assert [c["name"] for c in clusters] == [c.name for c in topology.clusters]
    for shown, cluster in zip(clusters, topology.clusters, strict=True):
        assert {"name", "replication", "leader", "term", "nodes"} <= set(shown)
        mode = replication_mode(cluster)
        assert shown["replication"] == mode
        if mode in LEADER_BASED:
            assert shown["leader"] == initial_leader(cluster) is not None
            assert shown["term"] == 1
        nodes = shown["nodes"]
        assert [n["name"] for n in nodes] == [n.name for n in cluster.nodes]
        for node, spec in zip(nodes, cluster.nodes, strict=True):
            assert {"name", "region", "zone", "role", "health", "lag_seconds", "lag_ops"} <= set(node)
            assert node["region"] == spec.region
            assert node["zone"] == (spec.zone or topology.region(spec.region).zones[0])
            assert node["role"] == ("replica" if mode == "leaderless" else spec.role)
            assert node["health"] == "up"
            assert node["lag_seconds"] == 0.0 and node["lag_ops"] == 0
    tenants = status["tenants"]
    assert isinstance(tenants, list)
    assert [(t["name"], t["model"], t["status"]) for t in tenants] == [
        (t.name, t.model, "ok") for t in topology.tenants]
    assert status["runbooks"] == topology.runbook_names()


@pytest.mark.parametrize("name", BUNDLED)
def test_status_json_has_the_design_shape(name: str) -> None:
    result = invoke("status", f"topologies/{name}.yaml", "--json", "--at", "0s")  # the cold start
    assert result.exit_code == 0, result.output
    _check_status(json.loads(result.stdout), _topology(name))


def test_status_json_reports_the_initial_leaders() -> None:
    result = invoke("status", "active-passive", "--json")
    status = json.loads(result.stdout)
    leaders = {c["name"]: c["leader"] for c in status["clusters"]}
    assert leaders == {"orders": "pg-1", "sessions": "redis-1"}
    assert status["runbooks"] == ["failover-to-eu-west", "planned-switchover", "failback-to-us-east",
                                  "evacuate-us-east"]


def test_bundled_topologies_are_found_from_any_directory(tmp_path: Path) -> None:
    assert resolve_topology_path("hybrid") == TOPOLOGIES / "hybrid.yaml"
    proc = run("status", "--json", "--at", "0s", cwd=tmp_path)  # the default topology, far from the repository
    assert proc.returncode == 0, proc.stderr
    _check_status(json.loads(proc.stdout), _topology("active-passive"))
    proc = run("status", "tenancy-pool", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["kind"] == "tenancy-pool"


def test_a_local_file_wins_over_a_bundled_name(tmp_path: Path) -> None:
    (tmp_path / "hybrid").write_text("not: a topology\n", encoding="utf-8")
    proc = run("status", "hybrid", "--json", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
