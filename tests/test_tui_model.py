"""What the dashboard derives from Snapshots (pure: no Textual): sparklines, catch-up rates,
new events, links, SLO state, countdowns and the blast-radius preview."""

from __future__ import annotations

from dataclasses import replace

import pytest

from regionctl.analysis.reach import current_reach, static_preview
from regionctl.contract.faults import FAULT_KINDS, FaultSpecError, check_targets, parse_fault
from regionctl.contract.snapshot import EventView
from regionctl.sim.simulator import Simulation
from regionctl.tui.model import DashboardModel, countdown, lag_level, sparkline
from regionctl.tui.screens import fault_targets
from tests.simhelpers import bundled


def test_sparkline_is_fixed_width_and_scaled_to_at_least_a_second() -> None:
    assert sparkline([], 5) == "     "
    assert sparkline([0.04] * 10, 5) == "▁▁▁▁▁"  # steady streaming lag stays low
    assert sparkline([0.0, 0.0, 10.0, 20.0], 4) == "▁▁▅█"
    assert len(sparkline([float(i) for i in range(100)], 20)) == 20


def test_lag_levels_carry_a_symbol_and_a_word() -> None:
    assert lag_level(0.2)[:2] == ("✔", "ok")
    assert lag_level(3.0)[:2] == ("▲", "behind")
    assert lag_level(12.0)[:2] == ("✘", "far behind")


def test_history_keeps_the_last_minute_and_the_rate_follows_the_backlog() -> None:
    topology = bundled("active-passive")
    sim = Simulation(topology, seed=1)
    model = DashboardModel(topology)
    sim.run_until(10.0)
    sim.inject(parse_fault("partition:us-east|eu-west"))
    for _ in range(40):  # 100 s of a partition: pg-3 falls behind at the write rate
        sim.run_until(sim.now + 2.5)
        model.update(sim.snapshot())
    history = model.followers["pg-3"].history
    assert history[-1][0] - history[0][0] <= 60.0
    assert model.catch_up(model.snapshot.node("pg-3")).startswith("↑ ")  # type: ignore[union-attr]
    sim.heal_all()
    sim.run_until(sim.now + 0.5)
    model.update(sim.snapshot())
    sim.run_until(sim.now + 0.5)
    model.update(sim.snapshot())
    assert model.followers["pg-3"].rate() > 0  # the backlog shrinks once healed


def test_events_are_reported_once() -> None:
    topology = bundled("active-passive")
    sim = Simulation(topology, seed=1)
    model = DashboardModel(topology)
    snap = sim.snapshot()
    first = replace(snap, events=(EventView(1.0, "", "a"), EventView(2.0, "orders", "b")))
    assert [e.message for e in model.update(first)] == ["a", "b"]
    again = replace(snap, events=(*first.events, EventView(2.0, "orders", "c"), EventView(3.0, "", "d")))
    assert [e.message for e in model.update(again)] == ["c", "d"]
    assert model.update(again) == []


def test_links_show_partitions_latency_and_downed_regions() -> None:
    topology = bundled("active-passive")
    sim = Simulation(topology, seed=1)
    model = DashboardModel(topology)
    sim.inject(parse_fault("partition:us-east>eu-west"))
    sim.inject(parse_fault("latency:eu-west|us-west=300ms"))
    model.update(sim.snapshot())
    links = {(link.a, link.b): link for link in model.links()}
    assert links[("us-east", "eu-west")].state == "one-way"
    assert links[("us-east", "eu-west")].rtt == pytest.approx(0.080)
    assert (links[("eu-west", "us-west")].state, links[("eu-west", "us-west")].detail) == ("slow", "+300ms")
    sim.inject(parse_fault("region:us-west"))
    model.update(sim.snapshot())
    assert {link.b: link.state for link in model.links() if link.b == "us-west"} == {"us-west": "down"}


def test_slo_state_runs_the_rto_timer_and_names_breaches() -> None:
    topology = bundled("active-passive")
    sim = Simulation(topology, seed=1)
    model = DashboardModel(topology)
    sim.run_until(30.0)
    model.update(sim.snapshot())
    assert model.slo().level == "ok" and model.slo().rto_running is None
    sim.inject(parse_fault("region:us-east"))
    sim.run_until(40.0)
    model.update(sim.snapshot())
    slo = model.slo()
    assert slo.rto_running == pytest.approx(10.0) and "availability" in slo.breaches and slo.level == "breached"
    assert slo.burn is not None and slo.burn > 1


def test_countdown_turns_a_deadline_into_time_left() -> None:
    assert countdown("failover expected at t=97.1s", 90.0) == "failover expected in 7.1s"
    assert countdown("promoting pg-3", 90.0) == "promoting pg-3"


def test_static_preview_of_each_kind() -> None:
    topology = bundled("active-passive")
    snap = Simulation(topology, seed=1).snapshot()
    region = static_preview(topology, snap, parse_fault("region:us-east"))
    assert region.nodes == ("pg-1", "pg-2", "redis-1") and region.traffic_fraction == 1.0
    assert region.clusters == ("orders", "sessions") and region.services == ("checkout",)
    follower = static_preview(topology, snap, parse_fault("node:pg-3"))
    assert follower.clusters == () and follower.tenants == ("acme", "globex")  # degraded, still served
    split = static_preview(topology, snap, parse_fault("partition:us-east|eu-west"))
    assert split.clusters == ("orders", "sessions") and any("split pg-1,pg-2 | pg-3" in n for n in split.notes)
    zone = static_preview(topology, snap, parse_fault("zone:us-east/b"))
    assert zone.nodes == ("pg-2",) and zone.clusters == ()
    with pytest.raises(FaultSpecError):  # the picker checks before it previews
        check_targets(parse_fault("node:pg-9"), topology)


def test_current_reach_reads_the_snapshot() -> None:
    topology = bundled("active-passive")
    sim = Simulation(topology, seed=1)
    assert current_reach(topology, sim.snapshot()).empty
    sim.inject(parse_fault("node:pg-2"))
    reach = current_reach(topology, sim.snapshot())
    assert reach.nodes == ("pg-2",) and reach.clusters == ("orders",) and reach.traffic_fraction == 0.0


def test_fault_targets_cover_the_topology() -> None:
    topology = bundled("active-passive")
    assert [t for t, _ in fault_targets(topology, "region")] == ["us-east", "eu-west", "us-west"]
    assert len(fault_targets(topology, "zone")) == 5
    assert len(fault_targets(topology, "node")) == 5
    partitions = [t for t, _ in fault_targets(topology, "partition")]
    assert "us-east|eu-west" in partitions and "eu-west>us-east" in partitions and len(partitions) == 9
    for kind in FAULT_KINDS:
        target = fault_targets(topology, kind)[0][0]
        value = {"latency": "=1s", "slow": "=2x", "clock": "=+1s", "loss": "=5%"}.get(kind, "")
        static_preview(topology, Simulation(topology).snapshot(), parse_fault(f"{kind}:{target}{value}"))  # valid specs


def test_real_hosts_show_what_the_probe_writes_count_and_lost_only_once_read_back() -> None:
    topology = bundled("active-passive")
    sim = Simulation(topology, seed=1)
    sim.run_until(5.0)
    live = {"availability": 1.0, "rto_seconds": None}
    model = DashboardModel(topology)
    model.update(replace(sim.snapshot(), backend="ssh", metrics=live))
    assert model.slo().clients is False and model.slo().probes == ""  # no probe writes: n/a, said why
    writing = {**live, "writes_acked": 41, "writes_failed": 2, "writes_unknown": 1, "probe_writes": {}}
    model.update(replace(sim.snapshot(), backend="ssh", metrics=writing))
    assert model.slo().clients is False
    assert model.slo().probes.startswith("probe writes: 41 acked, 2 failed, 1 unknown; lost and RPO once read back")
    read_back = {**writing, "writes_lost": 3, "rpo_seconds": 0.5}
    model.update(replace(sim.snapshot(), backend="ssh", metrics=read_back))
    slo = model.slo()
    assert slo.clients is True and slo.probes == "" and slo.writes_lost == 3 and slo.rpo == 0.5


    # A lossy pair is "between", not "cut"; a paused leader is one the cluster loses until it resumes.
    assert fault_targets(topology, "loss")[0] == ("us-east|eu-west", "between us-east and eu-west")
    snapshot = Simulation(topology).snapshot()
    paused = static_preview(topology, snapshot, parse_fault("pause:pg-1"))
    assert "orders" in paused.clusters and any("frozen" in n for n in paused.notes)
    lossy = static_preview(topology, snapshot, parse_fault("loss:us-east|eu-west=5%"))
    assert any("5% of messages lost" in n for n in lossy.notes) and not lossy.clusters


def test_the_rto_timer_runs_from_the_cause_of_the_outage_going_on_not_from_the_first_fault() -> None:
    """After a region heals, Sentinel demotes the old master that came back (+convert-to-slave, 10 s
    later): its clients lose their master for a moment, an outage caused by the heal. The timer ran
    from the first fault of the session (4 minutes, past the SLO) for that second."""
    topology = bundled("active-passive")
    sim = Simulation(topology, seed=1)
    model = DashboardModel(topology)
    sim.run_until(30.0)
    fault = sim.inject(parse_fault("region:us-east"))
    sim.run_until(270.0)
    sim.heal(fault)
    sim.run_until(280.0)
    model.update(sim.snapshot())
    slo = model.slo()
    assert slo.rto is None and slo.rto_running == pytest.approx(10.0), slo  # since the heal at 270 s
    assert "rto" not in slo.breaches
    sim.run_until(300.0)
    model.update(sim.snapshot())
    assert model.slo().rto_running is None and model.slo().rto == pytest.approx(32.0)


def test_an_outage_no_live_client_saw_says_its_rto_is_unknown_not_no_incident() -> None:
    """single-region: its clients go down with the region, so no live client sees the outage (RTO
    unknown, docs/report.md). While it lasts the timer runs; once healed the panel says unknown."""
    from regionctl.tui.render import rto_cell

    topology = bundled("single-region")
    sim = Simulation(topology, seed=1)
    model = DashboardModel(topology)
    sim.run_until(30.0)
    fault = sim.inject(parse_fault(f"region:{topology.regions[0].name}"))
    sim.run_until(60.0)
    model.update(sim.snapshot())
    assert model.slo().rto_running == pytest.approx(30.0)
    sim.heal(fault)
    sim.run_until(400.0)
    model.update(sim.snapshot())
    slo = model.slo()
    assert {c["outage"] for c in sim.snapshot().metrics["clusters"].values()} == {"unobserved"}  # type: ignore[union-attr]
    assert slo.rto is None and slo.rto_running is None and slo.rto_unobserved
    assert rto_cell(slo)[0] == "? unknown: no live client saw the outage"
