"""The sandbox's shape without starting it: the cache cluster is Sentinel's to fail over, so no bundled runbook
touches its replication by hand, and each region's Sentinel watches cache-1 with a quorum of 2."""

from __future__ import annotations

from pathlib import Path

import yaml

from regionctl.model.loader import load_topology
from regionctl.sandbox.layout import (
    PROXY_MARK,
    PROXY_PORT,
    REGIONS,
    Paths,
    nodes,
    proxy_config,
    redirect_rules,
    topology,
)
from regionctl.sandbox.sentinel import config


def test_cache_is_sentinel_managed_and_no_runbook_repoints_it(tmp_path: Path) -> None:
    data = topology(Paths(tmp_path), "/usr/lib/postgresql/15/bin")
    policies = {c["name"]: (c["engine"], c["failover"]["policy"]) for c in data["clusters"]}
    assert policies == {"orders": ("postgres-patroni", "auto"), "cache": ("redis-sentinel", "auto"),
                        "config": ("etcd", "auto")}
    cache = {"cache"} | {n.name for n in nodes() if n.cluster == "cache"}
    manual = [(book["name"], step["id"]) for book in data["runbooks"]
              for step in book["steps"] + book.get("rollback", [])
              if step["kind"] == "action" and step["action"] != "command"
              and (step.get("target") in cache or step.get("args", {}).get("to") in cache)]
    assert manual == []  # no REPLICAOF behind Sentinel's back: the switchback asks Sentinel (SENTINEL FAILOVER)
    switchback = next(b for b in data["runbooks"] if b["name"] == "cache-switchback")
    assert any("SENTINEL FAILOVER cache" in step.get("command", "") for step in switchback["steps"])
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


def test_each_region_delays_its_connections_to_the_other_regions_by_half_the_rtt_each_way(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    us_east, eu_west, ap_south = REGIONS
    proxy = proxy_config(us_east, paths)
    assert proxy["listen"] == f"{us_east.address}:{PROXY_PORT}"
    assert {p["region"]: p["delay"] for p in proxy["peers"].values()} == {"eu-west": 0.015, "ap-south": 0.030}
    # Latency faults are directional: us-east's data to eu-west waits on us-east's file, replies on eu-west's.
    to_eu = proxy["peers"][eu_west.address]
    assert to_eu["out"] == str(paths.latency_file(us_east, eu_west)) == str(
        tmp_path / "regions/us-east/proxy/latency/eu-west")
    assert to_eu["in"] == proxy_config(eu_west, paths)["peers"][us_east.address]["out"]
    rules = redirect_rules(us_east)
    assert f"meta mark {PROXY_MARK:#x} return" in rules  # the proxy's own connections pass
    assert f"ip daddr {{ {eu_west.address}, {ap_south.address} }} meta l4proto tcp dnat to {us_east.address}:" \
           f"{PROXY_PORT}" in rules


def test_the_latency_command_writes_the_file_the_proxy_reads(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    template = topology(paths, "/usr/lib/postgresql/15/bin")["ssh"]["latency"]
    command = template.format(region="us-east", peer="ap-south", seconds="0.25")
    assert command.endswith(f"> {paths.latency_file(REGIONS[0], REGIONS[2])}")


def test_every_runbook_condition_on_a_nodes_lag_or_role_checks_the_node_is_up_first(tmp_path: Path) -> None:
    """A node that is down reads as a follower with no lag; a wait on its lag alone would pass at once."""
    import re

    for book in topology(Paths(tmp_path), "/usr/lib/postgresql/15/bin")["runbooks"]:
        conditions = [" and ".join(book.get("precheck", []))]
        conditions += [step["condition"] for step in book["steps"] if step["kind"] == "wait"]
        for condition in conditions:
            for node in re.findall(r"(?:lag_ops|lag|role)\(([\w-]+)\)", condition):
                assert f'health({node}) == "up"' in condition, (book["name"], condition)


def test_postgres_runs_under_patroni_on_the_sandbox_etcd_with_short_safe_timings(tmp_path: Path) -> None:
    from regionctl.sandbox.layout import (
        PATRONI_LOOP_WAIT,
        PATRONI_REST_PORT,
        PATRONI_RETRY_TIMEOUT,
        PATRONI_TTL,
        patroni_config,
    )

    assert PATRONI_TTL >= 20 and PATRONI_LOOP_WAIT + 2 * PATRONI_RETRY_TIMEOUT <= PATRONI_TTL
    paths = Paths(tmp_path)
    data = topology(paths, "/usr/lib/postgresql/15/bin")
    orders = next(c for c in data["clusters"] if c["name"] == "orders")
    assert orders["adapter"]["kind"] == "patroni" and orders["adapter"]["rest_port"] == PATRONI_REST_PORT
    assert orders["timings"] == {"ttl": f"{PATRONI_TTL}s", "loop_wait": f"{PATRONI_LOOP_WAIT}s",
                                 "retry_timeout": f"{PATRONI_RETRY_TIMEOUT}s"}
    file = tmp_path / "sandbox.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False))
    loaded = load_topology(file).cluster("orders")
    assert loaded.failover.policy == "auto"
    pg = [n for n in nodes() if n.kind == "postgres"]
    configs = [patroni_config(n, paths, "/usr/lib/postgresql/15/bin") for n in pg]
    for node, conf in zip(pg, configs, strict=True):
        assert (conf["scope"], conf["name"]) == ("orders", node.name)
        assert conf["etcd3"]["hosts"] == ["10.77.0.1:2379", "10.77.0.2:2379", "10.77.0.3:2379"]
        assert conf["restapi"]["listen"] == f"{node.region.address}:{PATRONI_REST_PORT}"
        assert conf["postgresql"]["listen"] == f"{node.region.address}:5432"
        dcs = conf["bootstrap"]["dcs"]
        assert (dcs["ttl"], dcs["loop_wait"], dcs["retry_timeout"]) == (PATRONI_TTL, PATRONI_LOOP_WAIT,
                                                                        PATRONI_RETRY_TIMEOUT)
        assert dcs["postgresql"]["use_pg_rewind"] is True
    # At equal WAL positions pg-2 (eu-west, nearer us-east) wins the race, as the failover runbook expects.
    assert [c["tags"]["failover_priority"] for c in configs] == [3, 2, 1]
    # No runbook promotes PostgreSQL behind Patroni's back: no pg_promote, no repoint, no fence.
    for book in data["runbooks"]:
        for step in book["steps"] + book.get("rollback", []):
            assert "pg_promote" not in step.get("command", "")
            if step.get("target", "").startswith("pg-"):
                assert step.get("action") not in ("repoint", "fence", "demote"), (book["name"], step["id"])


def test_a_postgres_nodes_scripts_start_and_crash_its_patroni(tmp_path: Path) -> None:
    from regionctl.sandbox.engines import scripts

    paths = Paths(tmp_path)
    pg1 = next(n for n in nodes() if n.name == "pg-1")
    start, stop = scripts(pg1, paths, "/usr/lib/postgresql/15/bin", ("/usr/bin/python3.11", "/venv/site-packages"))
    d = paths.node_dir(pg1)
    assert f"PYTHONPATH=/venv/site-packages setsid /usr/bin/python3.11 -S -m patroni {d / 'patroni.yml'}" in start
    assert "http://10.77.0.1:8008/health" in start  # returns once Patroni's PostgreSQL runs
    assert "pg_ctl" not in start  # Patroni starts PostgreSQL, nobody else
    # A crash: Patroni killed first (or it would restart PostgreSQL), then PostgreSQL stopped at once.
    assert stop.index("kill -9") < stop.index("-m immediate")
    assert f"{d / 'patroni.pid'}" in stop
