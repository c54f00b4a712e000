"""Gray failures in the simulator: packet loss (loss:A|B=P) and paused nodes (pause:NODE).

Properties over generated topologies, seeds and fault schedules that mix loss and pause with every other
kind of fault (hypothesis; `REGIONCTL_FUZZ_EXAMPLES` raises the count as for test_sim_properties.py), then
the two ends of loss (0%: no fault; 100%: a partition), the rate at which a lossy link drops messages, and
what a paused leader does: replaced after its lease, and stepping down (or demoted) when it resumes.
"""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from regionctl.contract.faults import parse_fault
from regionctl.model.resolved import preset
from regionctl.model.topology import Topology
from regionctl.sim.lossy import LOSS_SLOT
from regionctl.sim.simulator import Simulation
from tests.simgen import ALL_KINDS, GRAY_KINDS, Scenario, scenarios
from tests.simhelpers import bundled, lf
from tests.test_sim_properties import FAILOVER_ENGINES, assert_converged, failover_bound, leader_based, report, run

EXAMPLES = int(os.environ.get("REGIONCTL_FUZZ_EXAMPLES", "100"))
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("REGIONCTL_FUZZ_EXAMPLES"),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MIXED = ALL_KINDS + GRAY_KINDS + GRAY_KINDS  # gray failures twice as likely as each other kind


def clusters_figures(sim: Simulation) -> str:
    """What a run did to the clusters: their books, leaders and terms (not the fault list or the event log)."""
    metrics = sim.metrics()
    histories = {c.name: c.history for c in sim.clusters.values()}
    return json.dumps([metrics["clusters"], histories, metrics.get("services")], sort_keys=True, default=str)


# -- safety, accounting, liveness with gray failures in the mix -----------------------------------------------
@PROPERTY
@given(scenarios(kinds=MIXED))
def test_at_most_one_leader_per_term(scenario: Scenario) -> None:
    sim = run(scenario, 300.0)
    for cluster in leader_based(sim):
        seen: dict[int, str] = {}
        for _, node, term in cluster.history:
            assert seen.setdefault(term, node) == node, (scenario.faults(), cluster.name, cluster.history)


@PROPERTY
@given(scenarios(kinds=MIXED))
def test_sync_and_quorum_never_lose_an_acknowledged_write(scenario: Scenario) -> None:
    sim = run(scenario, 300.0)
    for cluster in leader_based(sim):
        if cluster.mode in ("sync", "quorum"):
            lost, _ = cluster.lost_writes()
            assert lost == 0, (scenario.faults(), cluster.name, cluster.spec.engine, lost, cluster.history)


@PROPERTY
@given(scenarios(kinds=MIXED))
def test_fencing_bounds_the_split_brain_a_resumed_leader_makes(scenario: Scenario) -> None:
    # A lease cannot stop a frozen holder: resumed, a Patroni primary is one until its overdue HA loop has read
    # the DCS (one round trip; if the DCS is out of reach then, retry_timeout); Raft, pollers and the cluster bus
    # demote it as soon as it is heard; Sentinel's bound is min-replicas-to-write's, as for a partition.
    sim = run(scenario, 300.0)
    pauses = sum(1 for fault, at, d in scenario.schedule if fault.kind == "pause" and d is not None and at + d < 300)
    for cluster in leader_based(sim):
        family = preset(cluster.spec).family
        if not cluster.spec.failover.fencing or family == "none" or cluster.spec.failover.policy == "manual":
            continue
        seconds = cluster.split_brain_seconds
        if family == "sentinel":
            bound = (cluster.timings["min_replicas_max_lag"] + 1.0) * max(1, len(cluster.history))
        elif family == "lock-ttl":
            bound = pauses * (cluster.timings["retry_timeout"] + cluster.timings["loop_wait"] + 1.0)
        else:
            bound = 0.0
        event(f"{family}: split brain {'> 0' if seconds > 0 else '0'}")
        assert seconds <= bound, (scenario.faults(), cluster.name, cluster.spec.engine, seconds, bound)


@PROPERTY
@given(scenarios(kinds=MIXED))
def test_every_write_is_acked_failed_or_unknown_and_lost_ones_were_acked(scenario: Scenario) -> None:
    sim = run(scenario, 240.0)
    metrics = sim.metrics()
    for books in [metrics, *metrics["clusters"].values()]:  # type: ignore[list-item]
        assert books["writes_acked"] + books["writes_failed"] + books["writes_unknown"] == books["writes_attempted"]
        assert min(books["writes_acked"], books["writes_failed"], books["writes_unknown"]) >= 0
        assert 0 <= books["writes_lost"] <= books["writes_acked"]


@PROPERTY
@given(scenarios(kinds=MIXED, max_faults=2))
def test_same_seed_same_report_however_time_is_sliced(scenario: Scenario) -> None:
    # The runs of lost messages come from each link's own seeded stream, not from how the run is stepped.
    whole = report(scenario, 180.0)
    assert whole == report(scenario, 180.0)
    assert whole == report(scenario, 180.0, step=7.3)


@PROPERTY
@given(scenarios(engines=["etcd", "mongodb"], kinds=MIXED, heal_all=True))
def test_raft_elects_a_leader_within_ten_election_timeouts_of_the_heal(scenario: Scenario) -> None:
    last_change = max(at + (d or 0.0) for _, at, d in scenario.schedule)
    sim = run(scenario, last_change)
    for cluster in leader_based(sim):
        if preset(cluster.spec).family != "raft":
            continue
        sim.run_until(last_change + 10 * cluster.timings["election_timeout"] * 2)
        leader = cluster.leader
        assert leader is not None and cluster.accepting(leader), (scenario.faults(), cluster.name,
                                                                  [(n.name, n.role, n.term) for n in cluster.nodes])


@PROPERTY
@given(scenarios(kinds=MIXED, heal_all=True, max_faults=3, max_rate=5000.0))
def test_after_every_fault_heals_each_cluster_converges(scenario: Scenario) -> None:
    # A resumed old leader no longer accepts writes; replication cut by runs of losses has caught up.
    assert_converged(scenario)


# -- the two ends of loss -----------------------------------------------------------------------------------------
@PROPERTY
@given(scenarios(kinds=ALL_KINDS, max_faults=2), st.data())
def test_zero_percent_loss_is_no_fault(scenario: Scenario, data: st.DataObject) -> None:
    regions = [r.name for r in scenario.topology.regions]
    a, b = data.draw(st.permutations(regions))[:2]
    at = float(data.draw(st.integers(0, 150)))
    plain = run(scenario, 240.0)
    lossless = Simulation(scenario.topology, seed=scenario.seed)
    for fault, start, duration in scenario.schedule:
        lossless.schedule_fault(fault, start, duration)
    duration = data.draw(st.one_of(st.none(), st.just(60.0)))
    lossless.schedule_fault(parse_fault(f"loss:{a}|{b}=0%"), at, duration)
    lossless.run_until(240.0)
    assert clusters_figures(lossless) == clusters_figures(plain), scenario.faults()
    # Its own start and heal are the only events it adds: a link that loses nothing schedules nothing.
    extra = 1 + (duration is not None and at + duration <= 240.0)
    assert lossless.loop.events == plain.loop.events + extra, scenario.faults()


@PROPERTY
@given(scenarios(kinds=ALL_KINDS, max_faults=2), st.data())
def test_hundred_percent_loss_is_a_partition(scenario: Scenario, data: st.DataObject) -> None:
    ends = [r.name for r in scenario.topology.regions] + [n.name for c in scenario.topology.clusters for n in c.nodes]
    a, b = data.draw(st.permutations(ends))[:2]
    at = float(data.draw(st.integers(0, 150)))
    duration = data.draw(st.one_of(st.none(), st.integers(1, 90).map(float)))
    runs = []
    for spec in (f"partition:{a}|{b}", f"loss:{a}|{b}=100%"):
        sim = Simulation(scenario.topology, seed=scenario.seed)
        for fault, start, length in scenario.schedule:
            sim.schedule_fault(fault, start, length)
        sim.schedule_fault(parse_fault(spec), at, duration)
        sim.run_until(240.0)
        runs.append(clusters_figures(sim))
    assert runs[0] == runs[1], (scenario.faults(), a, b, at, duration)


def _two_regions() -> Topology:
    return Topology.model_validate({
        "name": "gray", "kind": "active-passive",
        "regions": [{"name": "r0"}, {"name": "r1"}, {"name": "r2"}],
        "network": {"rtt": {"r0|r1": "20ms", "r0|r2": "30ms", "r1|r2": "40ms"}},
        "clusters": [{"name": "kv", "engine": "etcd", "nodes": [
            {"name": "e0", "region": "r0", "role": "leader"}, {"name": "e1", "region": "r1"},
            {"name": "e2", "region": "r2"}]}],
        "traffic": [{"from": "r0", "cluster": "kv", "writes_per_s": 100, "reads_per_s": 100}]})


def test_a_lossy_link_drops_each_message_with_its_probability_in_each_direction() -> None:
    for p in (0.05, 0.3):
        sim = Simulation(_two_regions(), seed=7)
        sim.run_until(1.0)
        sim.inject(parse_fault(f"loss:r0|r1={p * 100:g}%"))
        start, slots = sim.now, 20_000
        lost = {("r0", "r1"): 0, ("r1", "r0"): 0}
        for k in range(slots):
            sim.run_until(start + (k + 0.5) * LOSS_SLOT)  # the middle of each message's slot
            for src, dst in lost:
                lost[(src, dst)] += sim.network.blocked((src, "", ""), (dst, "", ""))
        sigma = (p * (1 - p) / slots) ** 0.5
        for direction, count in lost.items():
            assert abs(count / slots - p) < 4 * sigma, (p, direction, count / slots)
        # Only that link: the other pairs never lose a message.
        assert not sim.network.blocked(("r0", "", ""), ("r2", "", ""))


def test_a_lossy_link_is_seeded_per_run() -> None:
    def cuts(seed: int) -> list[tuple[float, str, str]]:
        sim = Simulation(_two_regions(), seed=seed)
        sim.inject(parse_fault("loss:r0|r1=20%"))
        seen = []
        for k in range(300):
            sim.run_until((k + 0.5) * LOSS_SLOT)
            seen += [(round(sim.now, 6), a, b) for a, b in sim.network.dropped]
        return seen

    assert cuts(3) == cuts(3)
    assert cuts(3) != cuts(4)


def test_heavy_loss_to_a_raft_leader_costs_elections_and_replication_catches_up_after() -> None:
    sim = Simulation(_two_regions(), seed=11)
    sim.run_until(5.0)
    fid = sim.inject(parse_fault("loss:e0|r1=80%"))
    sim.inject(parse_fault("loss:e0|r2=80%"))
    sim.run_until(65.0)
    kv = lf(sim, "kv")
    assert kv.history, "four heartbeats in five lost: a follower's election timer runs out, a new leader is elected"
    sim.heal(fid)
    sim.heal_all()
    sim.run_until(125.0)
    leader = kv.leader
    assert leader is not None and kv.accepting(leader)
    for node in kv.nodes:
        if node is not leader:
            assert node.streaming and kv.lag_seconds(node, sim.now) < 1.0


# -- a paused leader ---------------------------------------------------------------------------------------------
@PROPERTY
@given(scenarios(engines=FAILOVER_ENGINES, kinds=("node",), max_faults=0, max_rate=1000.0))
def test_a_paused_leader_is_replaced_after_its_lease_and_gives_way_when_it_resumes(scenario: Scenario) -> None:
    sim = run(scenario, 30.0)
    paused = []
    for cluster in leader_based(sim):
        if cluster.mode != "async" or cluster.spec.failover.policy == "manual" or cluster.leader is None:
            continue
        paused.append((cluster, cluster.leader.name))
    event(f"clusters checked: {len(paused)}")
    fids = [sim.inject(parse_fault(f"pause:{name}")) for _, name in paused]
    bound = max((failover_bound(c) for c, _ in paused), default=0.0)
    sim.run_until(30.0 + bound)
    for cluster, name in paused:
        leader = cluster.leader
        why = (scenario.faults(), cluster.name, cluster.spec.engine, bound, cluster.election, cluster.history)
        assert leader is not None and leader.name != name, why
        # Frozen, it still believes it leads: nothing told it otherwise.
        assert cluster.by_name[name].role == "leader", why
    for fid in fids:
        sim.heal(fid)
    sim.run_until(30.0 + bound + 60.0)
    for cluster, name in paused:
        old = cluster.by_name[name]
        why = (scenario.faults(), cluster.name, cluster.spec.engine, cluster.election, cluster.history)
        assert not cluster.accepting(old), why
        accepting = [n.name for n in cluster.nodes if cluster.accepting(n)]
        assert len(accepting) <= 1, why
        # Two primaries at most until the resumed one hears of the new: Patroni's overdue loop reads the DCS first.
        family = preset(cluster.spec).family
        t = cluster.timings
        bound = {"lock-ttl": t.get("retry_timeout", 0.0) + t.get("loop_wait", 0.0) + 1.0,
                 "sentinel": t.get("min_replicas_max_lag", 0.0) + t.get("info", 10.0) + 1.0}.get(family, 0.0)
        event(f"{family}: split brain {'> 0' if cluster.split_brain_seconds > 0 else '0'}")
        assert cluster.split_brain_seconds <= bound, (*why, cluster.split_brain_seconds, bound)


def test_a_paused_raft_leader_resumes_sees_the_higher_term_and_steps_down() -> None:
    sim = Simulation(bundled("hybrid"), seed=3)
    control = lf(sim, "control")
    sim.run_until(10.0)
    old = control.leader
    assert old is not None
    term = old.term
    fid = sim.inject(parse_fault(f"pause:{old.name}"))
    sim.run_until(30.0)
    new = control.leader
    assert new is not None and new is not old and new.term > term
    assert old.role == "leader" and old.term == term  # frozen in its old belief
    sim.heal(fid)
    assert old.role == "follower" and old.term == new.term and old.upstream is new
    assert any(f"{old.name} stepped down: saw term {new.term}" in message for _, _, message in sim.events)
    assert control.lost_writes()[0] == 0  # quorum commit: nothing it acknowledged alone


def test_a_short_pause_changes_no_leader() -> None:
    sim = Simulation(bundled("hybrid"), seed=3)
    control = lf(sim, "control")
    sim.run_until(10.0)
    old = control.leader
    assert old is not None
    fid = sim.inject(parse_fault(f"pause:{old.name}"))
    sim.run_until(10.0 + control.timings["election_timeout"] * 0.5)
    sim.heal(fid)
    sim.run_until(40.0)
    assert control.leader is old and not control.history  # no election: the pause was shorter than its timeout


def _far_dcs(rate: int) -> Topology:
    """A Patroni cluster whose DCS sits 300 ms away from the primary: a resumed primary's first HA loop needs that
    round trip to learn it lost the key, and its PostgreSQL takes writes until then."""
    return Topology.model_validate({
        "name": "gc-pause", "kind": "active-passive",
        "regions": [{"name": "east"}, {"name": "west"}, {"name": "dcs"}],
        "network": {"rtt": {"east|west": "10ms", "east|dcs": "300ms", "west|dcs": "300ms"}, "jitter": "0%"},
        "clusters": [{"name": "orders", "engine": "postgres-patroni",
                      "failover": {"witnesses": ["dcs"]},
                      "nodes": [{"name": "pg-1", "region": "east", "role": "leader"},
                                {"name": "pg-2", "region": "west"}]}],
        "traffic": [{"from": "east", "cluster": "orders", "writes_per_s": rate, "reads_per_s": 0,
                     "routing": "client"}]})


def test_a_paused_patroni_primary_resumes_takes_writes_until_its_loop_and_they_are_lost() -> None:
    sim = Simulation(_far_dcs(1000), seed=1)
    orders = lf(sim, "orders")
    sim.run_until(20.0)
    fid = sim.inject(parse_fault("pause:pg-1"))
    sim.run_until(80.0)
    assert orders.leader is not None and orders.leader.name == "pg-2"
    assert orders.by_name["pg-1"].role == "leader"
    sim.heal(fid)
    assert orders.accepting(orders.by_name["pg-1"])  # resumed: a primary until its HA loop says otherwise
    sim.run_until(81.0)
    assert orders.by_name["pg-1"].role == "follower"
    assert any("pg-1 demoted: pg-2 holds the leader key" in m for _, _, m in sim.events)
    lost, _ = orders.lost_writes()
    assert lost > 0, "the writes pg-1 acknowledged after it resumed are not on pg-2's timeline"
    assert orders.split_brain_seconds > 0.0


async def test_the_gc_pause_lab_bites_on_every_seed_and_its_control_never() -> None:
    from regionctl.exit_codes import ExitCode
    from regionctl.labs.check import check_lab
    from regionctl.labs.compile import bundled_labs, compile_lab
    from regionctl.loading import load_file
    from regionctl.model.lab import Lab

    path = next(p for p in bundled_labs() if p.stem == "gc-pause")
    lab = load_file(path, "lab").model
    assert isinstance(lab, Lab)
    for seed in range(1, 11):
        seeded = lab.model_copy(update={"seed": seed})
        code, report = await check_lab(compile_lab(seeded, path))
        assert code == ExitCode.PASSED, (seed, [e for e in report.expectations or () if not e.held])
        control_code, _ = await check_lab(compile_lab(seeded, path, control=True), control=True)
        assert control_code == ExitCode.FAILED, seed
