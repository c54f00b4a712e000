"""Probe sessions record what each client saw; reads return what the serving node really holds."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regionctl.consistency import check, from_records
from regionctl.contract.faults import parse_fault
from regionctl.model.loader import load_topology
from regionctl.sim.history import ProbeSettings
from regionctl.sim.simulator import Simulation
from tests.simhelpers import bundled


def history(name: str, faults: list[tuple[str, float]], until: float, seed: int = 1,
            **settings: Any) -> list[dict[str, Any]]:
    sim = Simulation(bundled(name), seed=seed)
    probes = sim.enable_probes(ProbeSettings(**settings))
    for spec, at in faults:
        sim.schedule_fault(parse_fault(spec), at, None)
    sim.run_until(until)
    return probes.drain()


def test_sessions_alternate_sequential_operations_with_outcomes() -> None:
    records = history("active-passive", [], 120.0)
    assert {r["cluster"] for r in records} == {"orders", "sessions"}
    by_session: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_session.setdefault(r["session"], []).append(r)
        assert r["outcome"] == "ok" and r["end"] >= r["start"]
    for ops in by_session.values():
        assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(ops))  # one at a time
    writes = [r for r in records if r["op"] == "write"]
    values = [(r["cluster"], r["key"], r["value"]) for r in writes]
    assert len(values) == len(set(values))  # every written value is unique per key


def stale_reads(records: list[dict[str, Any]], start: float, end: float) -> int:
    """Reads in [start, end) of eu-west's orders sessions that miss the session's own last write."""
    stale = 0
    mine: dict[tuple[str, str], int] = {}
    for r in records:
        if r["cluster"] != "orders" or r["region"] != "eu-west" or r["outcome"] != "ok":
            continue
        own = (r["session"], r["key"])
        if r["op"] == "write":
            mine[own] = r["value"]
        elif start <= r["start"] < end and own in mine and (r["value"] or 0) < mine[own]:
            stale += 1
    return stale


def test_a_replica_read_can_miss_the_sessions_own_write() -> None:
    # eu-west writes through pg-1 and reads its local replica pg-3. Slowed down a thousandfold, pg-3
    # applies 100 writes/s of the 250 the cluster takes and falls further behind every second: a
    # session's read of a key it has just written returns the older value. Before the slow-down the
    # replica keeps up, so the same sessions read their own writes.
    records = history("active-passive", [("slow:pg-3=1000x", 30.0)], 60.0, interval=0.2)
    assert stale_reads(records, 0.0, 30.0) == 0
    assert stale_reads(records, 40.0, 60.0) > 0


def test_reads_behind_a_balancer_can_go_back_in_time() -> None:
    # Reads spread over the leader and two replicas, one of them slowed down and behind: a session
    # that read a new value on one node reads an older one on the lagging node next.
    topology = bundled("active-passive")
    traffic = [t.model_copy(update={"reads_from": "balanced"}) if t.cluster == "orders" else t
               for t in topology.traffic]
    sim = Simulation(topology.model_copy(update={"traffic": traffic}), seed=2)
    probes = sim.enable_probes(ProbeSettings(interval=0.2))
    sim.schedule_fault(parse_fault("slow:pg-3=1000x"), 30.0, None)
    sim.run_until(90.0)
    records = probes.drain()
    nodes = {r["node"] for r in records if r["cluster"] == "orders" and r["op"] == "read"}
    assert nodes == {"pg-1", "pg-2", "pg-3"}
    went_back = 0
    last: dict[tuple[str, str], int] = {}
    for r in records:
        if r["cluster"] != "orders" or r["op"] != "read" or r["outcome"] != "ok" or r["value"] is None:
            continue
        seen = (r["session"], r["key"])
        if r["start"] > 40 and r["value"] < last.get(seen, 0):
            went_back += 1
        last[seen] = max(last.get(seen, 0), r["value"])
    assert went_back > 0


ETCD3 = """
name: etcd3
kind: hybrid
regions: [{name: us-east, zones: [a]}, {name: eu-west, zones: [a]}, {name: us-west, zones: [a]}]
network: {rtt: {us-east|eu-west: 80ms, us-east|us-west: 87ms, eu-west|us-west: 150ms}, jitter: 10%}
clusters:
  - name: config
    engine: etcd
    timings: {heartbeat: 250ms, election_timeout: 2500ms}
    nodes:
      - {name: etcd-1, region: us-east, role: leader}
      - {name: etcd-2, region: eu-west}
      - {name: etcd-3, region: us-west}
traffic:
  - {from: us-east, cluster: config, writes_per_s: 5, reads_per_s: 50, routing: client}
  - {from: eu-west, cluster: config, writes_per_s: 5, reads_per_s: 50, routing: client}
"""


@pytest.mark.parametrize("seed", range(1, 11))
def test_a_write_in_flight_when_its_leader_is_cut_off_is_not_acknowledged(tmp_path: Path, seed: int) -> None:
    # The write reached etcd-1 just before us-east was cut off and never reached a majority: its
    # client hears nothing (unknown), and eu-west, under a new leader, rightly never reads it.
    path = tmp_path / "etcd3.yaml"
    path.write_text(ETCD3, encoding="utf-8")
    sim = Simulation(load_topology(path), seed=seed)
    probes = sim.enable_probes(ProbeSettings(sessions=3, keys=4, interval=0.2))
    for spec in ("partition:us-east|eu-west", "partition:us-east|us-west"):
        sim.schedule_fault(parse_fault(spec), 30.0, None)
    sim.run_until(120.0)
    history = from_records(probes.records)
    assert check(history, "linearizable").verdict == "ok"
    assert any(r["outcome"] == "unknown" and r["op"] == "write" for r in probes.records)


def test_a_write_takes_its_place_in_the_log_when_it_arrives(tmp_path: Path) -> None:
    # Found by the etcd property at 1,000 examples: a region of clients goes dark while another
    # region's write is on its way; its place in the log is where the log is when it arrives, not an
    # extrapolation from when it was sent (which read as a missed acknowledged write).
    path = tmp_path / "t.yaml"
    path.write_text("""
name: t
kind: hybrid
regions: [{name: r0, zones: [a]}, {name: r1, zones: [a]}, {name: r2, zones: [a]}]
network: {rtt: {r0|r1: 1ms, r0|r2: 48ms, r1|r2: 1ms}, jitter: 0%}
clusters:
  - name: c0
    engine: etcd
    nodes: [{name: n0, region: r0, role: leader}, {name: n1, region: r0}, {name: n2, region: r0}]
traffic:
  - {from: r2, cluster: c0, writes_per_s: 1, routing: dns, dns_ttl: 1s, timeout: 1s}
  - {from: r1, cluster: c0, writes_per_s: 131, routing: dns, dns_ttl: 1s, timeout: 1s}
  - {from: r0, cluster: c0, writes_per_s: 1, routing: dns, dns_ttl: 1s, timeout: 1s}
""", encoding="utf-8")
    sim = Simulation(load_topology(path), seed=1)
    probes = sim.enable_probes(ProbeSettings(sessions=2, keys=3, interval=0.1))
    sim.schedule_fault(parse_fault("region:r1"), 45.0, None)
    sim.run_until(120.0)
    assert check(from_records(probes.records), "linearizable").verdict == "ok"


@pytest.mark.parametrize("seed", [1, 7, 23])
def test_the_relay_pattern_plays_its_parts_and_breaks_causality_only_under_a_partition(seed: int) -> None:
    settings = {"sessions": 2, "keys": 2, "interval": 0.2, "pattern": "relay"}
    calm = history("active-active", [], 60.0, seed, **settings)
    parts: dict[str, set[tuple[str, str]]] = {}
    for r in calm:
        if r["cluster"] == "carts":
            parts.setdefault(r["region"], set()).add((r["op"], r["key"]))
    assert parts == {"us-east": {("write", "k0")}, "eu-west": {("read", "k0"), ("write", "k1")},
                     "ap-southeast": {("read", "k1"), ("read", "k0")}}
    carts = [r for r in calm if r["cluster"] == "carts"]
    assert check(from_records(carts), "causal").verdict == "ok"  # the cause arrives first, by distance
    cut = [r for r in history("active-active", [("partition:us-east|ap-southeast", 20.0)], 60.0, seed, **settings)
           if r["cluster"] == "carts"]
    found = check(from_records(cut), "causal")
    assert found.verdict == "violated"
    assert all(a.operations[-1].region == "ap-southeast" for a in found.anomalies)


@settings(max_examples=int(os.environ.get("REGIONCTL_FUZZ_EXAMPLES", "150")) // 15, deadline=None)
@given(seed=st.integers(1, 10_000), keys=st.integers(1, 3), fault=st.sampled_from(["", "node:pg-1", "region:us-east"]))
def test_the_own_pattern_reads_each_write_back_on_its_own_keys(seed: int, keys: int, fault: str) -> None:
    # A user saving their own record and viewing it: every key belongs to one session, and after a write the
    # session reads that key until a read answers, whatever the faults do to the answers.
    records = history("active-passive", [(fault, 20.0)] if fault else [], 60.0, seed, sessions=2, keys=keys,
                      interval=0.1, pattern="own")
    by_session: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_session.setdefault(r["session"], []).append(r)
    assert len(by_session) == 8  # two sources per cluster, two sessions each
    for name, ops in by_session.items():
        assert all(r["key"].startswith(f"{name}:k") for r in ops)
        assert len({r["key"] for r in ops}) <= keys
        for before, after in itertools.pairwise(ops):
            if before["op"] == "write" or (before["op"] == "read" and before["outcome"] != "ok"):
                assert after["op"] == "read" and after["key"] == before["key"], (before, after)
            else:
                assert after["op"] == "write"
