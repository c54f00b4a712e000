"""The sandbox's shape without starting it: the cache cluster is Sentinel's to fail over, so no bundled runbook
touches its replication by hand, and each region's Sentinel watches cache-1 with a quorum of 2."""

from __future__ import annotations

from pathlib import Path

import yaml

from regionctl.model.loader import load_topology
from regionctl.sandbox.layout import REGIONS, Paths, nodes, topology
from regionctl.sandbox.sentinel import config


def test_cache_is_sentinel_managed_and_no_runbook_repoints_it(tmp_path: Path) -> None:
    data = topology(Paths(tmp_path), "/usr/lib/postgresql/15/bin")
    policies = {c["name"]: (c["engine"], c["failover"]["policy"]) for c in data["clusters"]}
    assert policies == {"orders": ("postgres-patroni", "manual"), "cache": ("redis-sentinel", "auto"),
                        "config": ("etcd", "auto")}
    cache = {"cache"} | {n.name for n in nodes() if n.cluster == "cache"}
    manual = [(book["name"], step["id"]) for book in data["runbooks"]
              for step in book["steps"] + book.get("rollback", [])
              if step["kind"] == "action" and (step.get("target") in cache or step.get("args", {}).get("to") in cache)]
    assert manual == []
    failover = next(b for b in data["runbooks"] if b["name"] == "cache-failover")
    assert [s["kind"] for s in failover["steps"]] == ["fault", "wait", "measure", "heal", "wait", "wait"]
    file = tmp_path / "sandbox.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False))
    assert load_topology(file).cluster("cache").failover.policy == "auto"


def test_each_region_runs_a_sentinel_watching_cache_1_with_quorum_2(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    for region in REGIONS:
        lines = config(region, paths).splitlines()
        assert "sentinel monitor cache 10.77.0.1 6379 2" in lines
        assert f"bind {region.address}" in lines and f"sentinel announce-ip {region.address}" in lines
        assert "sentinel down-after-milliseconds cache 3000" in lines
        assert f"pidfile {paths.sentinel_dir(region) / 'sentinel.pid'}" in lines
