"""The space of fault schedules a topology offers: draw one at random, mutate one, simplify one fault.

Every choice goes through the `random.Random` passed in, so one exploration seed gives one sequence of
schedules. Times are whole seconds and values come from short lists, so that each schedule's drill
command and scenario file read back to exactly the same floats.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from regionctl.contract.faults import KINDS, Fault, FaultKind, ScheduledFault
from regionctl.model.topology import Topology

# Values a fault of each kind may take (seconds, factors, probabilities), from mild to severe.
LATENCIES = (0.05, 0.1, 0.3, 1.0, 3.0)
FACTORS = (2.0, 5.0, 10.0, 50.0)
SKEWS = (-10.0, -2.0, -0.5, 0.5, 2.0, 10.0)
LOSSES = (0.01, 0.05, 0.2, 0.5)
DURATIONS = (5, 10, 20, 30, 45, 60, 90, 120, 180, 300)  # seconds; None (to the end) is drawn too
# Left out by default: a clock skew alone rarely shows anything, and packet loss is simulated packet by packet
# (a drill with loss takes some 100x longer); `--faults` brings them in.
DEFAULT_KINDS = tuple(k for k in FaultKind if k not in (FaultKind.CLOCK, FaultKind.LOSS))


LAST_START = 0.8  # share of the drill in which faults start, and heal (those that heal): the rest shows recovery
MAX_DRAWS = 1000  # tries to draw a schedule that keeps the assumptions before calling the space empty


class EmptySpace(ValueError):
    """The kinds and assumptions allow no schedule at all."""


Schedule = tuple[ScheduledFault, ...]


@dataclass(frozen=True, slots=True)
class Space:
    """What a schedule may contain: the topology's names, the kinds allowed and the assumptions kept."""

    regions: tuple[str, ...]
    zones: tuple[tuple[str, str], ...]
    nodes: tuple[str, ...]
    kinds: tuple[FaultKind, ...]
    duration: float  # the drill's simulated length (seconds)
    max_faults: int = 2
    max_regions_down: int = 1  # at most this many regions down at once (the default assumption)
    node_zone: tuple[tuple[str, str, str], ...] = ()  # (node, region, zone)

    @classmethod
    def of(cls, topology: Topology, kinds: tuple[FaultKind, ...], duration: float, max_faults: int = 2,
           max_regions_down: int = 1) -> Space:
        nodes = [(n.name, n.region, n.zone) for c in topology.clusters for n in c.nodes]
        # A kind that names nothing here (zones in a topology without any) is left out.
        zones = tuple((r.name, z) for r in topology.regions for z in r.zones)
        usable = tuple(k for k in kinds if KINDS[k].targets != "zone" or zones)
        pairs_possible = len(topology.regions) + len(nodes) >= 2
        usable = tuple(k for k in usable if KINDS[k].targets != "pair" or pairs_possible)
        return cls(tuple(r.name for r in topology.regions), zones, tuple(n for n, _, _ in nodes), usable,
                   duration, max_faults, max_regions_down, tuple((n, r, str(z)) for n, r, z in nodes))

    @property
    def latest_start(self) -> float:
        """Faults start in the first 80% of the drill: the rest is left to see the estate recover (or not), so
        that nothing is found only because the drill ended before a failover had time to happen."""
        return float(int(self.duration * LAST_START))

    # -- drawing ---------------------------------------------------------------------------------
    def fault(self, rng: random.Random, kind: FaultKind | None = None) -> Fault:
        kind = kind if kind is not None else rng.choice(self.kinds)
        info = KINDS[kind]
        value = 0.0
        if info.value == "duration":
            value = rng.choice(LATENCIES)
        elif info.value == "factor":
            value = rng.choice(FACTORS)
        elif info.value == "skew":
            value = rng.choice(SKEWS)
        elif info.value == "percent":
            value = rng.choice(LOSSES)
        if info.targets == "region":
            return Fault(kind, rng.choice(self.regions))
        if info.targets == "zone":
            region, zone = rng.choice(self.zones)
            return Fault(kind, region, zone)
        if info.targets == "node":
            return Fault(kind, rng.choice(self.nodes), value=value)
        # Pairs between regions mostly (what a WAN fault is), sometimes between a node and a region.
        ends = list(self.regions) if len(self.regions) >= 2 and rng.random() < 0.7 else [*self.regions, *self.nodes]
        a, b = rng.sample(ends, 2)
        one_way = info.one_way and rng.random() < 0.25
        return Fault(kind, a, b, one_way=one_way, value=value)

    def timing(self, rng: random.Random) -> tuple[float, float | None]:
        at = float(rng.randint(0, int(self.latest_start)))
        room = int(self.latest_start - at)  # a fault that heals does so by the 80% mark
        if room < 1 or rng.random() < 0.3:
            return at, None
        return at, float(min(rng.choice(DURATIONS), room))

    def scheduled(self, rng: random.Random) -> ScheduledFault:
        at, duration = self.timing(rng)
        return ScheduledFault(self.fault(rng), at, duration)

    def schedule(self, rng: random.Random) -> Schedule:
        """A random schedule of 1..max_faults faults that keeps the assumptions (redrawn until it does).
        Raises EmptySpace when the assumptions leave nothing to draw (only region faults, none allowed down)."""
        for _ in range(MAX_DRAWS):
            count = rng.randint(1, max(self.max_faults, 1))
            out = normalise(tuple(self.scheduled(rng) for _ in range(count)))
            if self.allows(out):
                return out
        raise EmptySpace(f"no schedule of {', '.join(self.kinds)} keeps the assumptions (at most "
                         f"{self.max_faults} faults, {self.max_regions_down} regions down at once)")

    # -- mutating --------------------------------------------------------------------------------
    def mutate(self, rng: random.Random, schedule: Schedule) -> Schedule:
        """A neighbour of `schedule`: one fault re-timed, retargeted or replaced, or a fault added or dropped."""
        for _ in range(20):
            items = list(schedule)
            move = rng.choice(("time", "length", "target", "replace", "add", "drop"))
            i = rng.randrange(len(items))
            item = items[i]
            if move == "time":
                shift = rng.choice((-60, -20, -5, 5, 20, 60))
                at = float(min(max(int(item.at) + shift, 0), self.latest_start))
                items[i] = replace(item, at=at)
            elif move == "length":
                items[i] = replace(item, duration=self.timing(rng)[1])
            elif move == "target":
                items[i] = replace(item, fault=self.fault(rng, item.fault.kind))
            elif move == "replace":
                items[i] = self.scheduled(rng)
            elif move == "add" and len(items) < self.max_faults:
                items.append(self.scheduled(rng))
            elif move == "drop" and len(items) > 1:
                items.pop(i)
            else:
                continue
            out = normalise(tuple(self.fit(x) for x in items))
            if out != schedule and self.allows(out):
                return out
        return self.schedule(rng)  # a schedule whose every neighbour breaks an assumption: start afresh

    def fit(self, item: ScheduledFault) -> ScheduledFault:
        """Keep a fault inside the drill: it starts, and heals if it does, in the first 80%."""
        at = min(item.at, self.latest_start)
        duration = item.duration
        if duration is not None:
            duration = float(max(min(duration, self.latest_start - at), 1.0))
        return ScheduledFault(item.fault, at, duration)

    # -- assumptions -----------------------------------------------------------------------------
    def allows(self, schedule: Schedule) -> bool:
        if not schedule or len(schedule) > self.max_faults:
            return False
        # A heal in the last 20% would leave no time to recover: a finding only because the drill ended.
        if any(x.at > self.latest_start or (x.heal_at or 0.0) > self.latest_start for x in schedule):
            return False
        if len({x.fault for x in schedule}) < len(schedule):
            return False  # the same fault twice: the second injection would change nothing
        return regions_down_at_once(schedule, self.duration) <= self.max_regions_down


def regions_down_at_once(schedule: Schedule, duration: float) -> int:
    """The most regions down at the same moment (region faults whose windows overlap)."""
    spans = [(x.at, x.heal_at if x.heal_at is not None else duration, x.fault.a)
             for x in schedule if KINDS[x.fault.kind].effect == "down" and KINDS[x.fault.kind].targets == "region"]
    most = 0
    for start, _, _ in spans:
        most = max(most, len({r for s, e, r in spans if s <= start < e}))
    return most


def key(item: ScheduledFault) -> tuple[str, float, float]:
    return (item.fault.spec, item.at, -1.0 if item.duration is None else item.duration)


def normalise(schedule: Schedule) -> Schedule:
    """One order for the same faults (by start, then spec): equal schedules compare and print equal."""
    return tuple(sorted(schedule, key=lambda x: (x.at, x.fault.spec, -1.0 if x.duration is None else x.duration)))
