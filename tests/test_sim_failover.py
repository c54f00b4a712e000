"""The simulator's failover behaviour against the engines' published timings."""

from __future__ import annotations

import os
import re
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regionctl.contract.faults import parse_fault
from regionctl.model.topology import Topology
from regionctl.sim.simulator import Simulation
from tests.simhelpers import bundled, lf, time_to_new_leader, variant

SEEDS = range(1, 13)


def _times(topology: str, cluster: str, node: str) -> list[float]:
    t = bundled(topology)
    out = []
    for seed in SEEDS:
        value = time_to_new_leader(t, cluster, node, seed)
        assert value is not None, f"seed {seed}: no new leader"
        out.append(value)
    return out


def test_etcd_new_leader_within_one_to_two_seconds() -> None:
    # etcd: election timeout 1 s randomized in [1 s, 2 s]; measured 1.39 s median on a LAN (docs/fidelity.md).
    times = _times("single-region", "config", "etcd-a")
    assert all(0.85 <= t <= 2.2 for t in times), times
    assert 1.0 <= statistics.median(times) <= 2.0


def test_patroni_failover_twenty_to_thirty_one_seconds() -> None:
    # The key expires ttl 30 s after the last renewal (every loop_wait 10 s): 20-30 s after the crash. Its
    # deletion wakes every replica at once (etcd3 watch), the healthiest takes it, then promotes (about 1 s).
    # Measured on the sandbox with these timings: 24.6 s and 30.9 s.
    times = _times("active-passive", "orders", "pg-1")
    assert all(20.0 <= t <= 32.0 for t in times), times
    assert 22.0 <= statistics.median(times) <= 30.0


@pytest.mark.parametrize("seed", range(1, 9))
def test_patroni_replicas_follow_the_new_leader_as_its_promotion_ends(seed: int) -> None:
    # The new leader's update of its key wakes the other members (etcd3 watch): they follow it at once, not
    # on their next loop up to loop_wait (10 s) later. The sandbox: the other replica streamed from the new
    # leader 1.2 s after it took the key, 0.3 s after its promotion.
    sim = Simulation(bundled("active-passive"), seed=seed)
    sim.run_until(30.0)
    sim.inject(parse_fault("node:pg-1"))
    sim.run_until(90.0)
    cluster = lf(sim, "orders")
    promoted = next(t for t, node, _ in cluster.history if node != "pg-1")
    assert cluster.leader is not None and cluster.leader.name != "pg-1"
    follower = next(n for n in cluster.nodes if n.name not in ("pg-1", cluster.leader.name))
    assert follower.upstream is cluster.leader and follower.streaming
    line = f"{follower.name} follows {cluster.leader.name} (Patroni)"
    follows = [t for t, _, message in sim.events if message == line]
    assert follows and 0.0 <= follows[0] - promoted <= 0.5, (promoted, follows)


def test_orchestrator_outage_about_ten_to_thirteen_seconds() -> None:
    # GitHub publishes 10-13 s of total outage: detection, promotion and the proxy's reroute.
    rtos = []
    for seed in SEEDS:
        sim = Simulation(bundled("hybrid"), seed=seed)
        sim.run_until(30.0)
        sim.inject(parse_fault("node:mysql-1"))
        sim.run_until(120.0)
        rto = sim.metrics()["clusters"]["catalog"]["rto_seconds"]
        assert rto is not None, f"seed {seed}: not recovered"
        rtos.append(rto)
    assert all(7.0 <= t <= 17.0 for t in rtos), rtos
    assert 10.0 <= statistics.median(rtos) <= 13.0, rtos


def test_sentinel_failover_down_after_plus_election() -> None:
    times = _times("active-passive", "sessions", "redis-1")
    assert all(30.0 <= t <= 34.0 for t in times), times


def test_manual_policy_never_promotes_by_itself(tmp_path) -> None:  # type: ignore[no-untyped-def]
    manual = variant("active-passive", lambda d: d["clusters"][0]["failover"].update(policy="manual"), tmp_path)
    assert time_to_new_leader(manual, "orders", "pg-1", seed=1, horizon=200) is None


def test_replica_too_far_behind_is_not_promoted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Patroni's maximum_lag_on_failover, against the last leader position recorded in the DCS: pg-3 lost
    # its stream at 30 s while pg-1 kept recording its position; pg-1 then dies with pg-2 already down.
    strict = variant("active-passive", lambda d: d["clusters"][0]["failover"].update(max_lag="1MiB"), tmp_path)
    sim = Simulation(strict, seed=3)
    sim.run_until(30)
    sim.inject(parse_fault("partition:pg-1|pg-3"))
    sim.inject(parse_fault("node:pg-2"))
    sim.run_until(60)
    sim.inject(parse_fault("node:pg-1"))
    sim.run_until(200)
    c = lf(sim, "orders")
    assert c.leader is not None and c.leader.name == "pg-1"  # still the dead node: nobody eligible
    assert "maximum_lag_on_failover" in c.election


def test_a_replica_that_applies_slowly_but_has_received_everything_is_promoted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Patroni compares received WAL (max of received and replayed), so a slow apply does not block a
    # failover; the promotion waits for the replay, which takes as long as the backlog.
    strict = variant("active-passive", lambda d: d["clusters"][0]["failover"].update(max_lag="1MiB"), tmp_path)
    sim = Simulation(strict, seed=3)
    sim.run_until(30)
    sim.inject(parse_fault("slow:pg-3=500x"))  # 200 writes/s applied against 250 written
    sim.inject(parse_fault("node:pg-2"))
    sim.run_until(90)
    c = lf(sim, "orders")
    backlog = c.by_name["pg-3"].backlog(90.0)
    assert backlog > 1000
    sim.inject(parse_fault("node:pg-1"))
    sim.run_until(300)
    assert c.leader is not None and c.leader.name == "pg-3"
    promoted_at = c.history[-1][0]
    assert promoted_at - 90.0 >= backlog / 200.0  # the replay of the backlog is part of the promotion


@pytest.mark.parametrize("topology,cluster,mode", [
    ("single-region", "orders", "sync"),
    ("hybrid", "ledger", "sync"),
    ("hybrid", "control", "quorum"),
    ("active-active", "control", "quorum"),
])
def test_sync_and_quorum_lose_nothing_on_any_single_crash(topology: str, cluster: str, mode: str) -> None:
    t = bundled(topology)
    nodes = [n.name for n in t.cluster(cluster).nodes]
    for node in nodes:
        for seed in (1, 2):
            sim = Simulation(t, seed=seed)
            sim.run_until(20.0 + seed * 0.37)
            sim.inject(parse_fault(f"node:{node}"))
            sim.run_until(200)
            lost, _ = lf(sim, cluster).lost_writes()
            assert lf(sim, cluster).mode == mode
            assert lost == 0, f"{topology}/{cluster}: crash of {node} (seed {seed}) lost {lost} acknowledged writes"


def test_async_leader_crash_loses_some_writes_but_no_more_than_in_flight() -> None:
    t = bundled("active-passive")
    for seed in (1, 2, 3, 4):
        sim = Simulation(t, seed=seed)
        crash_at = 40.0 + seed * 0.003  # early inside the ~40 ms one-way trip to eu-west
        sim.run_until(crash_at)
        c = lf(sim, "orders")
        leader_pos = c.leader.received(crash_at)  # type: ignore[union-attr]
        remote = c.by_name["pg-3"].received(crash_at)  # the only survivor of a us-east outage
        in_flight = leader_pos - remote
        sim.inject(parse_fault("region:us-east"))
        sim.run_until(200)
        lost, rpo = c.lost_writes()
        assert c.leader is not None and c.leader.name == "pg-3"
        assert 0 < lost <= in_flight, (seed, lost, in_flight)
        assert rpo >= 0


def test_quorum_cluster_refuses_writes_when_majority_of_regions_is_down() -> None:
    sim = Simulation(bundled("hybrid"), seed=1)
    sim.run_until(10)
    sim.inject(parse_fault("region:us-west"))
    sim.inject(parse_fault("region:eu-west"))
    sim.run_until(120)
    control = sim.clusters["control"]
    view = sim.cluster_view(control)
    assert not view.writable
    books = sim.metrics()["clusters"]["control"]
    assert books["writes_failed"] > 0
    assert books["writes_refused"] is True  # CP: consistency chosen over availability
    assert books["writes_lost"] == 0
    assert books["rto_seconds"] is None  # never recovered while the majority is gone


def _shown_moment(seed: int, fault: str, at: float, cluster: str, pattern: str) -> tuple[Simulation, float]:
    """Half a second after `fault`, the moment the leaders panel names for `cluster` (its `at t=...`)."""
    sim = Simulation(bundled("active-passive"), seed=seed)
    sim.schedule_fault(parse_fault(fault), at, None)
    sim.run_until(at + 0.5)
    (view,) = [c for c in sim.snapshot().clusters if c.name == cluster]
    match = re.fullmatch(pattern, view.election)
    assert match, view.election
    return sim, float(match.group(1))


FAULT_TIMES = st.floats(5.0, 120.0)
EXAMPLES = int(os.environ.get("REGIONCTL_FUZZ_EXAMPLES", "25"))


@settings(max_examples=EXAMPLES, deadline=None)
@given(seed=st.integers(1, 10_000), fault=st.sampled_from(["region:us-east", "node:pg-1", "zone:us-east/a"]),
       at=FAULT_TIMES)
def test_patroni_shows_when_the_dead_leaders_key_runs_out_and_fails_over_after_it(seed: int, fault: str,
                                                                                   at: float) -> None:
    # While Patroni waits on a key its holder cannot renew, the leaders panel says when the key runs out (what
    # the DCS shows); the failover then comes after that moment, at a replica's next loop (within loop_wait).
    sim, expires = _shown_moment(seed, fault, at, "orders",
                                 r"leader key of pg-1 expires at t=([0-9.]+)s, then a replica may take over")
    assert at < expires <= at + 30.0 + 0.05  # ttl 30 s from its last renewal (shown to 0.1 s)
    sim.run_until(expires + 0.05)
    (orders,) = [c for c in sim.snapshot().clusters if c.name == "orders"]
    assert orders.leader == "pg-1" or orders.election.startswith("promoting")
    sim.run_until(expires + 10.0 + 5.0)  # loop_wait, then the promotion
    decided = [t for t, c, m in sim.events if c == "orders" and m.startswith("failover decided")]
    assert decided and expires - 0.1 <= decided[0] <= expires + 10.0 + 0.1, (expires, decided)


@settings(max_examples=EXAMPLES, deadline=None)
@given(seed=st.integers(1, 10_000), fault=st.sampled_from(["region:us-east", "node:redis-1", "zone:us-east/a"]),
       at=FAULT_TIMES)
def test_sentinel_shows_when_a_quorum_will_call_the_master_down_and_does(seed: int, fault: str, at: float) -> None:
    sim, agreed = _shown_moment(seed, fault, at, "sessions",
                                r"redis-1 unanswered; sentinels agree it is down at t=([0-9.]+)s")
    assert at < agreed <= at + 30.0 + 1.0 + 0.05  # down-after 30 s from a reply up to a ping (1 s) before
    sim.run_until(agreed + 5.0)
    sdowns = [t for t, c, m in sim.events if c == "sessions" and m.startswith("+sdown")]
    assert len(sdowns) >= 2 and abs(sdowns[1] - agreed) <= 0.05, (agreed, sdowns)  # the quorum (2 of 3)'s


@pytest.mark.parametrize("seed", range(1, 7))
def test_a_restarted_patroni_member_follows_the_leader_at_its_first_loop(seed: int) -> None:
    # Patroni runs its first HA loop as it starts, and starts PostgreSQL following the key's holder: the old
    # primary does not serve its old data for up to loop_wait (10 s) before it follows.
    sim = Simulation(bundled("active-passive"), seed=seed)
    sim.run_until(30.0)
    outage = sim.inject(parse_fault("region:us-east"))
    sim.run_until(120.0)
    cluster = lf(sim, "orders")
    assert cluster.leader is not None and cluster.leader.name == "pg-3"
    sim.heal(outage)
    sim.run_until(120.5)
    for name in ("pg-1", "pg-2"):
        node = cluster.by_name[name]
        assert node.role == "follower" and node.upstream is cluster.leader and node.streaming, name


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(1, 10_000), cut_at=st.floats(5.0, 200.0), crash_after=st.floats(10.0, 600.0))
def test_sentinel_promotes_no_replica_cut_from_its_master_too_long(seed: int, cut_at: float,
                                                                   crash_after: float) -> None:
    # sentinelSelectSlave skips a replica whose master link has been down longer than down-after x 10 plus
    # the time the master has been SDOWN (here 30 s x 10 + under a second): promoting it would throw away
    # every write since the cut. Within that bound the replica is promoted (and what it missed is lost).
    sim = Simulation(bundled("active-passive"), seed=seed)
    sim.run_until(cut_at)
    sim.inject(parse_fault("partition:redis-1|redis-2"))
    crash = cut_at + crash_after
    sim.run_until(crash)
    sim.inject(parse_fault("node:redis-1"))
    sim.run_until(crash + 60.0)
    view = sim.snapshot().cluster("sessions")
    link_down_at_selection = crash + 30.0 - cut_at  # the failover is decided about down-after after the crash
    if link_down_at_selection > 300.0 + 5.0:
        assert view.leader != "redis-2", (seed, cut_at, crash_after)
        assert any("-failover-abort-no-good-slave" in e.message and "redis-2" in e.message
                   for e in sim.snapshot().events), (seed, cut_at, crash_after)
    elif link_down_at_selection < 300.0 - 5.0:
        assert view.leader == "redis-2", (seed, cut_at, crash_after)


def test_sentinel_ranks_replicas_by_priority_before_their_offset(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # compareSlavesForPromotion: replica-priority first, then the replication offset; priority 0 is never
    # promoted. redis-3 (far, behind) outranks redis-2 (near, caught up) by priority.
    def add(d, priorities):  # type: ignore[no-untyped-def]
        nodes = d["clusters"][1]["nodes"]
        nodes.append({"name": "redis-3", "region": "us-west", "zone": "a", "priority": priorities[1]})
        nodes[1]["priority"] = priorities[0]

    for (p2, p3), expected in (((100, 200), "redis-3"), ((200, 100), "redis-2"), ((0, 0), None)):
        topology = variant("active-passive", lambda d, p=(p2, p3): add(d, p), tmp_path)  # type: ignore[misc]
        sim = Simulation(topology, seed=2)
        sim.run_until(30)
        sim.inject(parse_fault("node:redis-1"))
        sim.run_until(120)
        leader = sim.snapshot().cluster("sessions").leader
        if expected is None:
            assert leader is None or leader == "redis-1", (p2, p3, leader)
        else:
            assert leader == expected, (p2, p3, leader)


def _two_nodes(engine: str) -> Topology:
    return Topology.model_validate({
        "name": "two", "kind": "hybrid", "regions": [{"name": "r0", "zones": ["a", "b"]}, {"name": "r1"}],
        "network": {"rtt": {"r0|r1": "1ms"}, "jitter": "0%"},
        "clusters": [{"name": "c0", "engine": engine, "replication": {"mode": "async"},
                      "nodes": [{"name": "c0-n0", "region": "r0", "zone": "a", "role": "leader"},
                                {"name": "c0-n1", "region": "r0", "zone": "b", "role": "follower"}]}],
        "traffic": [{"from": "r0", "cluster": "c0", "writes_per_s": 1.0, "reads_per_s": 0.0}]})


@pytest.mark.parametrize("engine", ["aurora-global", "mysql-orchestrator", "postgres-repmgr", "pg-auto-failover"])
@pytest.mark.parametrize("seed", range(1, 5))
def test_a_failover_whose_target_dies_while_it_is_promoted_is_finished_when_the_target_is_back(
        engine: str, seed: int) -> None:
    """Found by `make fuzz` (aurora-global): the monitor fences the dead primary (STONITH) and starts
    promoting the replica; the primary comes back (fenced) and the replica dies before its promotion
    ends. Once the replica is back it streams from the fenced primary, and the monitor took that for
    "the primary still serves, only I lost sight of it": no failover, ever, and no writer. A fenced
    primary serves nothing; the failover it owes goes on."""
    sim = Simulation(_two_nodes(engine), seed=seed)
    cluster = lf(sim, "c0")
    crashed = sim.inject(parse_fault("node:c0-n0"))
    while not cluster.promoting and sim.now < 600.0:
        sim.run_until(sim.now + 0.05)
    assert cluster.promoting == {"c0-n1"}, cluster.election
    sim.heal(crashed)
    second = sim.inject(parse_fault("node:c0-n1"))
    sim.run_until(sim.now + 20.0)
    sim.heal(second)
    sim.run_until(sim.now + 600.0)
    accepting = [n.name for n in cluster.nodes if cluster.accepting(n)]
    assert accepting == ["c0-n1"] and cluster.leader is not None and cluster.leader.name == "c0-n1", (
        accepting, cluster.election, sim.events[-6:])
    # The promotion that ended the outage is not reported as the old primary "reachable again".
    assert not any("reachable again" in message for _, _, message in sim.events)


@pytest.mark.parametrize("engine", ["mysql-orchestrator", "postgres-repmgr", "pg-auto-failover"])
def test_a_primary_an_operator_fenced_is_not_failed_over_by_the_monitor(engine: str) -> None:
    """The monitor still reaches a primary an operator fenced (a planned switchover's first step) and sees
    its replicas replicate: no failover of its own, which would race the runbook's promotion."""
    from regionctl.sim import operator

    sim = Simulation(_two_nodes(engine), seed=1)
    sim.run_until(30.0)
    operator.fence(sim, "c0-n0", True)
    sim.run_until(150.0)
    cluster = lf(sim, "c0")
    assert cluster.leader is not None and cluster.leader.name == "c0-n0" and not cluster.promoting, cluster.election
    assert not any("promoted" in message for _, _, message in sim.events)
