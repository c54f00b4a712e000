"""The replication table on a small screen: the worst followers first, the others summed up in one row."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from regionctl.backends.sim_backend import SimBackend
from regionctl.contract.commands import InjectFault
from regionctl.contract.faults import parse_fault
from regionctl.model.topology import Topology
from regionctl.sim.simulator import Simulation
from regionctl.tui.app import Dashboard
from regionctl.tui.model import DashboardModel
from regionctl.tui.render import MORE, replication_rows
from tests.simhelpers import bundled
from tests.tuihelpers import advance, flowed, rendered

REGIONS = 10


def estate() -> Topology:
    """Ten clusters of ten nodes over ten regions (the dashboard benchmark's estate)."""
    regions = [f"region-{i:02d}" for i in range(REGIONS)]
    clusters = [{"name": f"db{c}", "engine": "postgres-patroni", "replication": {"mode": "async"},
                 "nodes": [{"name": f"db{c}-{r}", "region": regions[(c + r) % REGIONS],
                            "role": "leader" if r == 0 else "follower"} for r in range(10)]}
                for c in range(REGIONS)]
    traffic = [{"from": regions[c], "cluster": f"db{c}", "writes_per_s": 100} for c in range(REGIONS)]
    return Topology.model_validate({"name": "estate-100", "kind": "active-passive",
                                    "regions": [{"name": r} for r in regions], "clusters": clusters,
                                    "traffic": traffic})


@settings(max_examples=30, deadline=None)
@given(limit=st.integers(2, 12), down=st.sampled_from(["region:us-east", "region:eu-west", "zone:us-east/a",
                                                       "node:ledger-2", ""]), at=st.floats(1.0, 120.0))
def test_the_worst_followers_are_shown_and_the_rest_summed_up(limit: int, down: str, at: float) -> None:
    sim = Simulation(bundled("hybrid"), seed=1)
    sim.run_until(30.0)
    if down:
        sim.inject(parse_fault(down))
    sim.run_until(30.0 + at)
    snap = sim.snapshot()
    model = DashboardModel(bundled("hybrid"))
    everyone = replication_rows(snap, model)
    rows = replication_rows(snap, model, limit)
    if len(everyone) <= limit:
        assert rows == everyone
        return
    assert len(rows) == limit and list(rows)[-1] == MORE
    nodes = {n.name: n for c in snap.clusters for n in c.nodes}
    shown = [name for name in rows if name != MORE]
    rest = [nodes[name] for name in everyone if name not in rows]
    assert shown == [name for name in everyone if name in shown]  # in the estate's order
    for name in shown:
        assert rows[name] == everyone[name]
        node = nodes[name]
        for other in rest:  # nothing left out is worse than what is shown
            assert (node.health != "up", node.lag_seconds) >= (other.health != "up", other.lag_seconds) or \
                (node.health != "up" and other.health == "up")
    more = rows[MORE]
    assert more[0][0] == f"+ {len(rest)} more"
    down_left = sum(1 for n in rest if n.health != "up")
    assert (f"✘ {down_left} down" == more[2][0]) == (down_left > 0)


async def test_at_80x24_a_lost_region_on_a_100_node_estate_keeps_the_header_and_the_events_on_screen() -> None:
    # Ten clusters, ninety followers: the tables keep the rows the screen has for them, the clusters in trouble
    # and the followers that are down first, and one row each sums up the others (how many are down).
    topology = estate()
    backend = SimBackend(topology, seed=1)
    backend.sim.run_until(30.0)
    app = Dashboard(backend, topology, seed=1, autoplay=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await backend.apply(InjectFault(parse_fault("region:region-03")))
        await advance(app, 20)
        await pilot.pause()
        lines = rendered(app)
        screen = "\n".join(lines)
        assert lines[0].split()[0] == "regionctl", screen  # nothing pushed off the top
        assert "fault injected: region:region-03" in flowed(lines[-4:]), screen  # the latest events stay
        assert "✘ refused" in screen and "leader key of db3-0 expires in" in flowed(lines), screen
        lost = {n.name for c in backend.snapshot().clusters for n in c.nodes
                if n.region == "region-03" and n.role != "leader"}
        assert len(lost) == 9
        shown = {line.split()[0] for line in lines if line.split() and line.split()[0] in lost}
        assert shown and all("✘ down" in line for line in lines if line.split() and line.split()[0] in shown)
        more = next(line for line in lines if "more" in line and "the others, at most" in line)
        assert f"+ {90 - len(shown)} more" in more and f"✘ {9 - len(shown)} down" in more, more
