"""Properties of the simulator over generated topologies, rates and fault schedules (hypothesis).

Safety, liveness and accounting, asserted on the space the review explored (2-5 regions, RTTs
1-300 ms, every preset and replication mode, 1 to 10,000 writes/s, every kind of fault), not on
the bundled examples. `make fuzz` runs the same properties with far more examples
(REGIONCTL_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from regionctl.contract.faults import ScheduledFault, parse_fault
from regionctl.drill.runner import finish_drill, start_drill
from regionctl.model.resolved import preset
from regionctl.sim.leader_follower import LeaderFollowerCluster
from regionctl.sim.simulator import Simulation
from tests.simgen import Scenario, scenarios

EXAMPLES = int(os.environ.get("REGIONCTL_FUZZ_EXAMPLES", "200"))
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("REGIONCTL_FUZZ_EXAMPLES"),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def run(scenario: Scenario, until: float, step: float | None = None) -> Simulation:
    sim = Simulation(scenario.topology, seed=scenario.seed)
    for fault, at, duration in scenario.schedule:
        sim.schedule_fault(fault, at, duration)
    if step is None:
        sim.run_until(until)
    else:
        t = 0.0
        while t < until:
            t = min(until, t + step)
            sim.run_until(t)
    return sim


def report(scenario: Scenario, until: float, step: float | None = None) -> str:
    sim = Simulation(scenario.topology, seed=scenario.seed)
    schedule = [ScheduledFault(f, at, d) for f, at, d in scenario.schedule]
    before = start_drill(sim, schedule)
    if step is None:
        sim.run_until(until)
    else:
        t = 0.0
        while t < until:
            t = min(until, t + step)
            sim.run_until(t)
    out = finish_drill(sim, scenario.topology, before, until, scenario.seed, wall=0.0).report
    return json.dumps(out, sort_keys=True)


def leader_based(sim: Simulation) -> list[LeaderFollowerCluster]:
    return [c for c in sim.clusters.values() if isinstance(c, LeaderFollowerCluster)]


# -- safety ----------------------------------------------------------------------------------------
@PROPERTY
@given(scenarios())
def test_at_most_one_leader_per_term(scenario: Scenario) -> None:
    sim = run(scenario, 300.0)
    for cluster in leader_based(sim):
        seen: dict[int, str] = {}
        for _, node, term in cluster.history:
            assert seen.setdefault(term, node) == node, (scenario.faults(), cluster.name, cluster.history)


@PROPERTY
@given(scenarios())
def test_sync_and_quorum_never_lose_an_acknowledged_write(scenario: Scenario) -> None:
    sim = run(scenario, 300.0)
    for cluster in leader_based(sim):
        if cluster.mode in ("sync", "quorum"):
            lost, _ = cluster.lost_writes()
            assert lost == 0, (scenario.faults(), cluster.name, cluster.spec.engine, lost, cluster.history)


@PROPERTY
@given(scenarios())
def test_fencing_means_no_split_brain(scenario: Scenario) -> None:
    sim = run(scenario, 300.0)
    for cluster in leader_based(sim):
        family = preset(cluster.spec).family
        if not cluster.spec.failover.fencing or family == "none" or cluster.spec.failover.policy == "manual":
            continue
        seconds = cluster.split_brain_seconds
        if family == "sentinel":
            # min-replicas-to-write bounds the window; it does not close it (the Redis docs say so).
            bound = (cluster.timings["min_replicas_max_lag"] + 1.0) * max(1, len(cluster.history))
            assert seconds <= bound, (scenario.faults(), cluster.name, seconds)
        else:
            assert seconds == 0.0, (scenario.faults(), cluster.name, cluster.spec.engine, seconds, cluster.history)


@PROPERTY
@given(scenarios(kinds=("node", "region", "zone")))
def test_a_down_nodes_lag_never_decreases(scenario: Scenario) -> None:
    sim = Simulation(scenario.topology, seed=scenario.seed)
    for fault, at, duration in scenario.schedule:
        sim.schedule_fault(fault, at, duration)
    last: dict[str, tuple[float, int]] = {}
    heals = sorted(at + d for _, at, d in scenario.schedule if d is not None)
    t = 0.0
    while t < 250.0:
        before_t, t = t, t + 2.5
        sim.run_until(t)
        if any(before_t < h <= t for h in heals):
            last.clear()  # a node may have been up for a moment in between: its lag starts afresh
        for cluster in sim.clusters.values():
            for node in cluster.nodes:
                if sim.network.up(node.loc):
                    last.pop(node.name, None)
                    continue
                now = (cluster.lag_seconds(node, t), cluster.lag_ops(node, t))
                before = last.get(node.name)
                if before is not None:
                    assert now[0] >= before[0] - 1e-9 and now[1] >= before[1], (
                        scenario.faults(), node.name, before, now)
                last[node.name] = now


# -- accounting ------------------------------------------------------------------------------------
@PROPERTY
@given(scenarios())
def test_every_write_is_acked_failed_or_unknown_and_lost_ones_were_acked(scenario: Scenario) -> None:
    sim = run(scenario, 240.0)
    metrics = sim.metrics()
    for books in [metrics, *metrics["clusters"].values()]:  # type: ignore[list-item]
        assert books["writes_acked"] + books["writes_failed"] + books["writes_unknown"] == books["writes_attempted"]
        assert min(books["writes_acked"], books["writes_failed"], books["writes_unknown"]) >= 0
        assert 0 <= books["writes_lost"] <= books["writes_acked"]
        assert 0 <= books["stale_reads"] <= books["reads_attempted"]
    for cluster in sim.clusters.values():
        for source in cluster.sources:
            c = source.counters
            assert c.writes_acked + c.writes_failed + c.writes_unknown == c.writes_attempted


@PROPERTY
@given(scenarios(max_faults=2))
def test_same_seed_same_report_however_time_is_sliced(scenario: Scenario) -> None:
    # Loss, latency and every other figure do not depend on how the run is cut into steps (there is no
    # batch), nor on being run twice.
    whole = report(scenario, 180.0)
    assert whole == report(scenario, 180.0)
    assert whole == report(scenario, 180.0, step=7.3)


# -- liveness ----------------------------------------------------------------------------------------
@PROPERTY
@given(scenarios(engines=["etcd", "mongodb"], heal_all=True), st.floats(0.0, 1.0))
def test_raft_elects_a_leader_within_ten_election_timeouts_of_a_healed_majority(scenario: Scenario,
                                                                              _: float) -> None:
    last_change = max(at + (d or 0.0) for _, at, d in scenario.schedule)
    sim = run(scenario, last_change)
    for cluster in leader_based(sim):
        if preset(cluster.spec).family != "raft":
            continue
        bound = 10 * cluster.timings["election_timeout"] * 2  # randomized up to 2x (etcd), plus a round trip
        sim.run_until(last_change + bound)
        leader = cluster.leader
        assert leader is not None and cluster.accepting(leader), (scenario.faults(), cluster.name,
                                                                  [(n.name, n.role, n.term) for n in cluster.nodes])


@PROPERTY
@given(scenarios(heal_all=True, max_faults=3, max_rate=5000.0))
def test_after_every_fault_heals_each_cluster_converges(scenario: Scenario) -> None:
    # Up to 5,000 writes/s per source (three sources at most) against a replica's 100,000/s apply capacity:
    # a replica down for the longest fault (200 s) has caught up within seconds; slow:NODE=100x faults
    # (1,000/s) heal before the end. (The backlog drains at capacity minus the write rate, as on a real
    # standby.)
    assert_converged(scenario)


def assert_converged(scenario: Scenario) -> None:
    """Ten minutes after the last fault heals, each leader-based cluster has one leader taking writes and every
    other node streams from it within a second (manual failover left leaderless is left alone)."""
    last_change = max(at + (d or 0.0) for _, at, d in scenario.schedule)
    sim = run(scenario, last_change + 600.0)
    now = sim.now
    for cluster in leader_based(sim):
        if cluster.spec.failover.policy == "manual" and cluster.leader is not None \
                and not cluster.accepting(cluster.leader):
            continue
        leader = cluster.leader
        accepting = [n.name for n in cluster.nodes if cluster.accepting(n)]
        assert leader is not None and accepting == [leader.name], (
            scenario.faults(), cluster.name, cluster.spec.engine, accepting, cluster.election)
        for node in cluster.nodes:
            if node is leader:
                continue
            assert node.streaming and node.upstream is leader, (scenario.faults(), cluster.name, node.name)
            assert cluster.lag_seconds(node, now) < 1.0, (scenario.faults(), cluster.name, node.name)


FAILOVER_ENGINES = ["etcd", "mongodb", "postgres-patroni", "redis-sentinel", "mysql-orchestrator", "postgres-repmgr",
                    "redis-cluster", "aurora-global"]


def failover_bound(cluster: LeaderFollowerCluster) -> float:
    """The documented worst case from a leader crash to a new leader, by the preset's mechanism."""
    t = cluster.timings
    family = preset(cluster.spec).family
    promote = t.get("promote", 1.0) * 1.2 + 1.0
    if family == "raft":
        return 10 * t["election_timeout"] * 2
    if family == "lock-ttl":
        return t["ttl"] + t["loop_wait"] + promote
    if family == "sentinel":
        return t["down_after"] + t["ping"] + t["max_desync"] + 2.0 + promote
    if family == "poll":
        return t["poll"] + t["detection"] + promote
    if family == "cluster-bus":
        return t["node_timeout"] + t["election_delay"] + 0.5 + promote
    return 2 * t["alarm_period"] + t["promote_max"] + 1.0  # managed: the automation's alarm, then the API


@PROPERTY
@given(scenarios(engines=FAILOVER_ENGINES, kinds=("node",), max_faults=0, max_rate=1000.0))
def test_a_crashed_leader_is_replaced_within_its_presets_bound(scenario: Scenario) -> None:
    sim = run(scenario, 30.0)
    crashed = []
    for cluster in leader_based(sim):
        if cluster.mode != "async" or cluster.spec.failover.policy == "manual" or cluster.leader is None:
            continue
        crashed.append((cluster, cluster.leader.name))
    event(f"clusters checked: {len(crashed)}")
    for _, name in crashed:
        sim.inject(parse_fault(f"node:{name}"))
    for cluster, name in crashed:
        bound = failover_bound(cluster)
        sim.run_until(30.0 + bound)
        leader = cluster.leader
        why = (scenario.faults(), cluster.name, cluster.spec.engine, bound, cluster.election, cluster.history)
        assert leader is not None and leader.name != name, why
        if not cluster.accepting(leader):
            # Redis' min-replicas-to-write: a new master with no replica left answers NOREPLICAS.
            replicas = [n for n in cluster.nodes if n.streaming and n.upstream is leader]
            assert preset(cluster.spec).family == "sentinel" and leader.fenced and not replicas, why


def test_a_sync_patroni_leader_that_demoted_itself_takes_its_key_back_once_the_dcs_returns(tmp_path: Path) -> None:
    # Found by the convergence property: the standby was down (Patroni dropped it from /sync), then the DCS lost
    # quorum and the leader demoted itself. The /sync key still names it, so it may take the key again
    # (Patroni's sync.matches(name, check_leader=True)); its own key's expiry wakes it. Before: leaderless for ever.
    import yaml

    from regionctl.model.loader import load_topology

    data = {"name": "two", "kind": "hybrid", "regions": [{"name": "r0", "zones": ["a", "b"]}, {"name": "r1"}],
            "network": {"rtt": {"r0|r1": "1ms"}},
            "clusters": [{"name": "c0", "engine": "postgres-patroni", "replication": {"mode": "sync"},
                          "failover": {"witnesses": ["r0", "r1"]},
                          "nodes": [{"name": "c0-n0", "region": "r0", "zone": "a", "role": "leader"},
                                    {"name": "c0-n1", "region": "r0", "zone": "a"}]}],
            "traffic": [{"from": "r0", "cluster": "c0", "writes_per_s": 1.0}]}
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(data))
    sim = Simulation(load_topology(path), seed=1)
    sim.schedule_fault(parse_fault("node:c0-n1"), 0.0, 2.0)
    sim.schedule_fault(parse_fault("region:r1"), 2.0, 20.0)
    sim.run_until(60.0)
    cluster = sim.clusters["c0"]
    assert isinstance(cluster, LeaderFollowerCluster)
    assert cluster.leader is not None and cluster.leader.name == "c0-n0" and cluster.accepting(cluster.leader)
    promoted = next(t for t, _, m in sim.events if m.startswith("c0-n0 promoted"))
    assert promoted < 22.0 + 30.0 + 2.0  # at the key's expiry after the DCS is back, not a loop later
