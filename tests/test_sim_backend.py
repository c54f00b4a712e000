"""The sim backend: commands in, snapshots out, paced by an injectable clock."""

from __future__ import annotations

import pytest

from regionctl.backends.sim_backend import SimBackend
from regionctl.contract.commands import HealAll, HealFault, InjectFault, Promote
from regionctl.contract.faults import parse_fault
from tests.simhelpers import bundled


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.asyncio
async def test_pacing_follows_speed_and_pause() -> None:
    clock = FakeClock()
    backend = SimBackend(bundled("active-passive"), speed=10.0, clock=clock, sleep=clock.sleep)
    seen = []
    await backend.play(seen.append, hz=4, until=5.0)
    assert backend.sim.now == pytest.approx(5.0)
    assert len(seen) == 2  # 0.25 s wall per tick x 10 = 2.5 s simulated per snapshot
    assert [s.time for s in seen] == [pytest.approx(2.5), pytest.approx(5.0)]
    backend.pause()
    clock.now += 30
    assert backend.pace() == 0.0 and backend.sim.now == pytest.approx(5.0)
    backend.resume()
    clock.now += 1
    assert backend.pace() == pytest.approx(10.0)


@pytest.mark.asyncio
async def test_commands_drive_the_simulation() -> None:
    backend = SimBackend(bundled("active-passive"))
    await backend.advance(10)
    result = await backend.apply(InjectFault(parse_fault("region:us-east")))
    assert result.ok and "region:us-east" in result.message
    bad = await backend.apply(InjectFault(parse_fault("region:us-eats")))
    assert not bad.ok and "did you mean 'us-east'" in bad.message
    await backend.advance(60)
    snap = backend.snapshot()
    assert snap.cluster("orders").leader == "pg-3"
    assert [f.spec for f in snap.faults if f.healed_at is None] == ["region:us-east"]
    assert (await backend.apply(HealFault(parse_fault("region:us-east")))).ok
    assert not (await backend.apply(HealFault(parse_fault("region:us-east")))).ok
    await backend.advance(30)
    snap = backend.snapshot()
    assert snap.node("pg-1").role == "follower" and snap.node("pg-1").health == "up"
    assert (await backend.apply(Promote("pg-1"))).ok
    assert backend.snapshot().cluster("orders").leader == "pg-1"
    assert (await backend.apply(HealAll())).ok


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_promoting_the_leader_changes_nothing_and_loses_nothing(seed: int) -> None:
    # Found by the sandbox calibration: promoting the node that already led started a new timeline while the old
    # one kept growing, and from then on every acknowledged write counted as lost (251 in orders-failover).
    backend = SimBackend(bundled("active-passive"), seed=seed)
    await backend.advance(30.0)
    await backend.apply(InjectFault(parse_fault("node:pg-1")))
    await backend.advance(60.0)
    leader = backend.snapshot().cluster("orders").leader
    assert leader not in (None, "pg-1")
    before = backend.snapshot()
    result = await backend.apply(Promote(leader))
    assert result.ok and result.message == f"{leader} is already the leader"
    assert backend.snapshot().time == before.time  # no promotion time taken
    assert backend.snapshot().cluster("orders").term == before.cluster("orders").term
    lost = before.metrics["clusters"]["orders"]["writes_lost"]
    await backend.apply(HealFault(parse_fault("node:pg-1")))
    await backend.advance(30.0)
    assert backend.snapshot().metrics["clusters"]["orders"]["writes_lost"] == lost


async def test_a_leader_that_is_down_is_not_promoted() -> None:
    backend = SimBackend(bundled("active-passive"), seed=1)
    await backend.advance(30.0)
    await backend.apply(InjectFault(parse_fault("region:us-east")))
    result = await backend.apply(Promote("pg-1"))  # still the leader on paper, but down: refused, not a no-op
    assert not result.ok and "down" in result.message
