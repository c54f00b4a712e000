"""Leaderless quorum replication (Dynamo, Cassandra): N replicas per key, a write waits
for W acknowledgements, a read for R replies.

The nodes form a ring; key range g is stored on the N nodes from position g on, and
keys spread evenly over the ranges. A client's request goes to its nearest live node
(the coordinator), which forwards it to the range's replicas:
- a write succeeds once W replicas it can reach have it; with a sloppy quorum, nodes
  outside the range stand in for unreachable replicas. Replicas it cannot reach miss
  the write; with hinted handoff (or a sloppy stand-in) the write is replayed to them
  when they can be reached again, within the engine's hint window.
- a read returns the newest value among the R nearest replicas. It is stale when the key
  has an acknowledged write none of them holds yet: still in flight (only when R + W <= N
  can a read avoid every replica a write was acknowledged by) or missed during a fault.
  With read repair (R >= 2), a read that finds one replica behind another fixes that key.
- timestamps are the coordinator's clock (last-writer-wins): a coordinator whose clock runs
  behind another's writes values that lose to older writes made through the other.
What each replica misses is a fluid too: it grows at the rate of the writes it misses and
decays at the rate reads repair it, in closed form between events; counts are expected
values over keys by popularity (keyspace.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from regionctl.model.resolved import node_zone
from regionctl.sim.cluster_base import ClusterBase, Tally
from regionctl.sim.log import Timeline
from regionctl.sim.network import Loc
from regionctl.sim.node import SimNode
from regionctl.sim.workload import Group, Outcome, Path, TrafficSource

SERVICE_TIME = 0.0005


@dataclass(frozen=True)
class Plan:
    """What one client location's requests to one key range do under the current faults."""

    write_ok: bool
    write_latency: float
    missed: tuple[int, ...]  # replica indexes (into the range) that do not get the write
    hinted: bool  # the missed replicas will get it replayed
    diverges: bool  # acknowledged by fewer than a majority of the range's replicas
    read_ok: bool
    read_latency: float
    read_set: tuple[int, ...]  # replica indexes a read consults
    # Acknowledged writes a read from here misses because they are still in flight to its replicas
    # (the writers' rates times how long after each ack a read still reaches none of them)
    inflight: float
    coordinator: SimNode | None


class LeaderlessCluster(ClusterBase):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        rep = self.spec.replication
        log = Timeline(1, None, 0.0, 0, 0.0)
        for s in self.spec.nodes:
            node = SimNode(s.name, self.name, s.region, node_zone(self.topology, s), s.priority, log, 0.0)
            node.role = "replica"
            self.nodes.append(node)
        self.by_name = {n.name: n for n in self.nodes}
        self.n = rep.n or min(3, len(self.nodes))
        self.r = rep.r or (self.n // 2 + 1)
        self.w = rep.w or (self.n // 2 + 1)
        self.sloppy = rep.sloppy_quorum
        self.hinted_handoff = rep.hinted_handoff
        self.read_repair = rep.read_repair
        self.hint_window = self.timings.get("hint_window", 10800.0)
        size = len(self.nodes)
        self.ranges = [[self.nodes[(g + i) % size] for i in range(self.n)] for g in range(size)]
        # missing[g][i][o]: acknowledged writes of range g, from the o-th client source, that the range's
        # i-th replica lacks; hinted: of which replayable. Kept per source because replicas that missed
        # the same source's writes missed them over the same spans (their intersection is the minimum),
        # while writes of different sources missed by different replicas do not overlap at all.
        self.missing: list[list[list[float]]] = []
        self.hinted: list[list[list[float]]] = []
        self.grow: list[list[list[float]]] = []
        self.hint_grow: list[list[list[float]]] = []
        self.decay: list[list[float]] = []
        self._places = {n.name: [(g, i) for g, replicas in enumerate(self.ranges)
                                 for i, m in enumerate(replicas) if m is n] for n in self.nodes}
        self.behind_since: dict[str, float] = {}
        self.cut_since: dict[str, float] = {}
        self.term = 0
        self._plans: dict[Loc, list[Plan]] = {}
        self._version = -1
        self._coordinated: dict[str, float] = {}  # coordinator -> writes per second it timestamps
        self.clean = True  # no replica lacks an acknowledged write

    # -- plans: per fault set, per client location ------------------------------------------
    def _coordinator(self, loc: Loc) -> SimNode | None:
        live = [n for n in self.nodes if self.network.connected(loc, n.loc)]
        return min(live, key=lambda n: (self.network.rtt(loc, n.loc), n.name)) if live else None

    def _writers(self) -> list[tuple[Loc, float]]:
        return [(s.loc, s.writes_per_s) for s in self.sources if s.writes_per_s > 0 and self.network.up(s.loc)]

    def plans(self, loc: Loc) -> list[Plan]:
        if self._version != self.network.version:
            self._version = self.network.version
            self._plans.clear()
        plans = self._plans.get(loc)
        if plans is None:
            plans = [self._plan(loc, g) for g in range(len(self.ranges))]
            self._plans[loc] = plans
        return plans

    def _plan(self, loc: Loc, g: int) -> Plan:
        network = self.network
        replicas = self.ranges[g]
        coord = self._coordinator(loc)
        if coord is None:
            return Plan(False, 0.0, tuple(range(self.n)), False, False, False, 0.0, (), 0.0, None)
        to_coord = network.rtt(loc, coord.loc)
        reach = sorted((network.rtt(coord.loc, n.loc), i) for i, n in enumerate(replicas)
                       if network.connected(coord.loc, n.loc))
        missed = tuple(i for i in range(self.n) if all(i != j for _, j in reach))
        acks = [rtt for rtt, _ in reach]
        stand_in = False
        if len(acks) < self.w and self.sloppy:
            others = sorted(network.rtt(coord.loc, n.loc) for n in self.nodes
                            if n not in replicas and network.connected(coord.loc, n.loc))
            stand_in = bool(others)
            acks = sorted(acks + others)
        write_ok = len(acks) >= self.w
        write_latency = to_coord + acks[self.w - 1] + SERVICE_TIME if write_ok else 0.0
        diverges = write_ok and len(reach) < self.n // 2 + 1
        read_ok = len(reach) >= self.r
        read_set = tuple(j for _, j in reach[: self.r]) if read_ok else ()
        read_latency = to_coord + reach[self.r - 1][0] + SERVICE_TIME if read_ok else 0.0
        size = len(self.ranges)
        inflight = sum(rate / size * self._read_window(w_loc, g, loc, coord, read_set)
                       for w_loc, rate in self._writers())
        return Plan(write_ok, write_latency, missed, self.hinted_handoff or stand_in, diverges, read_ok,
                    read_latency, read_set, inflight, coord)

    def _read_window(self, w_loc: Loc, g: int, r_loc: Loc, r_coord: SimNode, read_set: tuple[int, ...]) -> float:
        """Seconds after a write from w_loc is acknowledged during which a read from r_loc still
        reaches none of the replicas holding it (0 when the quorums overlap)."""
        network = self.network
        replicas = self.ranges[g]
        w_coord = self._coordinator(w_loc)
        if w_coord is None or not read_set:
            return 0.0
        reach = sorted((network.rtt(w_coord.loc, n.loc), i) for i, n in enumerate(replicas)
                       if network.connected(w_coord.loc, n.loc))
        if len(reach) < self.w:
            return 0.0
        w_half = network.rtt(w_loc, w_coord.loc) / 2
        acked_at = 2 * w_half + reach[self.w - 1][0]
        arrive = {i: w_half + rtt / 2 for rtt, i in reach}
        r_half = network.rtt(r_loc, r_coord.loc) / 2
        window = min((arrive[i] - (r_half + network.rtt(r_coord.loc, replicas[i].loc) / 2)
                      for i in read_set if i in arrive), default=0.0)
        return max(0.0, window - acked_at)

    def start(self) -> None:
        size = len(self.ranges)
        for source in self.sources:
            source.groups = [Group(1.0 / size, source.writes_per_s, source.reads_per_s, 0.0) for _ in range(size)]
            for g, group in enumerate(source.groups):
                group.key_range = g
        sources = len(self.sources)

        def grid() -> list[list[list[float]]]:
            return [[[0.0] * sources for _ in range(self.n)] for _ in self.ranges]

        self.missing, self.hinted, self.grow, self.hint_grow = grid(), grid(), grid(), grid()
        self.decay = [[0.0] * self.n for _ in self.ranges]
        self.replan(0.0)

    # -- the replan ----------------------------------------------------------------------------
    def replan(self, now: float, moved: bool = True) -> None:
        self.version += 1
        network = self.network
        for row in self.grow:
            for cell in row:
                cell[:] = [0.0] * len(cell)
        for row in self.hint_grow:
            for cell in row:
                cell[:] = [0.0] * len(cell)
        self.decay = [[0.0] * self.n for _ in self.ranges]
        coordinated: dict[str, float] = {}
        collision = self.keyspace.collision
        for source in self.sources:
            plans = self.plans(source.loc)
            live = network.up(source.loc)
            for group in source.groups:
                if not live:
                    group.write = group.read = Path(Outcome.CLIENT_DOWN)
                    continue
                g = group.key_range
                plan = plans[g]
                if plan.write_ok:
                    outcome = Outcome.OK if plan.write_latency <= source.timeout else Outcome.PENDING
                    group.write = Path(outcome, plan.coordinator, plan.write_latency)
                    rate = group.writes_per_s
                    if plan.coordinator is not None:
                        coordinated[plan.coordinator.name] = coordinated.get(plan.coordinator.name, 0.0) + rate
                    for i in plan.missed:
                        self.grow[g][i][source.index] += rate
                        name = self.ranges[g][i].name
                        if plan.hinted and now - self.cut_since.get(name, now) < self.hint_window:
                            self.hint_grow[g][i][source.index] += rate
                else:
                    group.write = Path(Outcome.REFUSED if plan.coordinator is not None else Outcome.NO_ANSWER,
                                       why=f"fewer than W={self.w} replicas reachable")
                if plan.read_ok:
                    group.read = Path(Outcome.OK if plan.read_latency <= source.timeout else Outcome.NO_ANSWER,
                                      plan.coordinator, plan.read_latency)
                    if self.read_repair and self.r >= 2:
                        for i in plan.read_set:
                            self.decay[g][i] += group.reads_per_s * len(self.ranges) * collision
                else:
                    group.read = Path(Outcome.REFUSED if plan.coordinator is not None else Outcome.NO_ANSWER,
                                      why=f"fewer than R={self.r} replicas reachable")
        self._coordinated = coordinated
        if any(v for row in self.grow for cell in row for v in cell):
            self.clean = False
        for node in self.nodes:
            if self.lag_ops(node, now) > 0 or any(self.grow[g][i][o] for g, i in self._places[node.name]
                                                  for o in range(len(self.sources))):
                self.behind_since.setdefault(node.name, now)
        self.mark_failures(now)
        self.update_clock(now)
        self.notify()

    def writable(self) -> bool:
        return any(p.write_ok for s in self.sources for p in self.plans(s.loc)) or any(
            self.network.up(n.loc) for n in self.nodes)

    # -- the fluid of missed writes ---------------------------------------------------------------
    def _least(self, g: int, o: int) -> float:
        return min(self.missing[g][i][o] for i in range(self.n))

    def _missing_at(self, g: int, i: int, o: int, dt: float) -> float:
        """missing[g][i][o] dt seconds after the last settle, under the current rates."""
        m0 = self.missing[g][i][o]
        a = self.grow[g][i][o]
        lam = self.decay[g][i]
        if lam <= 0.0 or (m0 <= 0.0 and a <= 0.0):
            return m0 + a * dt
        least = self._least(g, o)
        excess = m0 - least
        steady = a / lam
        return least + steady + (excess - steady) * math.exp(-lam * dt)

    def account(self, t0: float, t1: float, tally: Tally, commit: bool) -> None:
        dt = t1 - t0
        skew = self.network.skew
        if skew and self._coordinated:
            hit = self.keyspace.hit_f
            for x, rate_x in self._coordinated.items():
                for y, rate_y in self._coordinated.items():
                    ahead = skew.get(y, 0.0) - skew.get(x, 0.0)
                    if x != y and ahead > 0.0:
                        # x's writes carry older timestamps than y's writes of the last `ahead` seconds:
                        # on those keys the newer write from x loses.
                        lost = rate_x * hit(rate_y * ahead) * dt
                        tally.add("lost_updates", lost)
                        tally.add("skew_overwrites", lost)
        if self.clean:
            return
        clean = True
        sources = len(self.sources)
        for g in range(len(self.ranges)):
            for i in range(self.n):
                new = [self._missing_at(g, i, o, dt) for o in range(sources)]
                old = self.missing[g][i]
                if self.decay[g][i] > 0.0:
                    for o in range(sources):
                        growth = self.grow[g][i][o] * dt
                        tally.add("repaired", max(0.0, old[o] + growth - new[o]))
                total = sum(new)
                if not commit:
                    if total >= 0.5:
                        clean = False
                    continue
                hints = self.hinted[g][i]
                for o in range(sources):
                    hints[o] = min(hints[o] + self.hint_grow[g][i][o] * dt, new[o])
                if 0.0 < total < 0.5 and not any(self.grow[g][i]):
                    new = [0.0] * sources  # read repair decays geometrically: the last half write is done
                    self.hinted[g][i] = [0.0] * sources
                    total = 0.0
                self.missing[g][i] = new
                if total:
                    clean = False
        for node in self.nodes:
            if self.lag_ops(node, t1) > 0:
                since = self.behind_since.get(node.name, t0)
                if commit:
                    self.behind_since[node.name] = since
                tally.peak("max_lag_seconds", t1 - since)
            elif commit:
                self.behind_since.pop(node.name, None)
        if commit:
            self.clean = clean

    def stale_share(self, source: TrafficSource, group: Group, node: SimNode, t0: float, t1: float) -> float:
        g = group.key_range
        plan = self.plans(source.loc)[g]
        if not plan.read_ok:
            return 0.0
        if self.clean and not plan.inflight and not any(v for row in self.grow[g] for v in row):
            return 0.0
        size = len(self.ranges)
        read_set = plan.read_set
        sources = len(self.sources)

        def unseen(t: float) -> float:
            dt = t - t0
            rows = [[self._missing_at(g, i, o, dt) for o in range(sources)] for i in read_set]
            if any(sum(row) <= 0.0 for row in rows):
                behind = 0.0  # a replica of the read set has every acknowledged write but those in flight
            elif len(rows) == 1:
                behind = sum(rows[0])
            else:
                behind = sum(min(row[o] for row in rows) for o in range(sources))
            return (behind + plan.inflight) * size

        return self.keyspace.mean_hit(unseen, t0, t1)

    # -- faults --------------------------------------------------------------------------------
    def on_network(self, now: float) -> None:
        network = self.network
        for node in self.nodes:
            reachable = network.up(node.loc) and all(
                network.connected(node.loc, o.loc) for o in self.nodes if network.up(o.loc))
            if not reachable:
                self.cut_since.setdefault(node.name, now)
            else:
                self.cut_since.pop(node.name, None)
        # Hinted handoff: replicas reachable again from a live peer get their hints replayed.
        for g, replicas in enumerate(self.ranges):
            for i, node in enumerate(replicas):
                hints = self.hinted[g][i]
                if any(hints) and network.up(node.loc) and any(
                        peer is not node and network.connected(peer.loc, node.loc) for peer in self.nodes):
                    row = self.missing[g][i]
                    for o, value in enumerate(hints):
                        row[o] = max(0.0, row[o] - value)
                        hints[o] = 0.0
        self.replan(now)
        # The hint window closes while a replica is still cut off: stop hinting then.
        for name, since in self.cut_since.items():
            end = since + self.hint_window
            if end > now:
                self.loop.schedule(end, self._hint_window_closed, name, since)

    def _hint_window_closed(self, name: str, since: float) -> None:
        if self.cut_since.get(name) != since:
            return
        now = self.loop.now
        self.settle(now)
        self.replan(now)

    # -- reading the state -----------------------------------------------------------------------
    def lag_ops(self, node: SimNode, now: float) -> int:
        dt = max(0.0, now - self.settled)
        return round(sum(self._missing_at(g, i, o, dt) for g, i in self._places[node.name]
                         for o in range(len(self.sources))))

    def lag_seconds(self, node: SimNode, now: float) -> float:
        since = self.behind_since.get(node.name)
        return 0.0 if since is None or self.lag_ops(node, now) == 0 else now - since

    def write_diverges(self, source: TrafficSource) -> bool:
        return any(p.write_ok and p.diverges for p in self.plans(source.loc))

    def consistency_cost(self) -> tuple[float, str]:
        total = weighted = 0.0
        for loc, rate in self._writers():
            coord = min(self.nodes, key=lambda n: (self.network.rtt(loc, n.loc), n.name))
            for replicas in self.ranges:
                rtts = sorted(self.network.rtt(coord.loc, n.loc) for n in replicas)
                total += rate
                weighted += rate * (rtts[self.w - 1] - rtts[0])
        extra = weighted / total if total else 0.0
        return extra, f"waits for W={self.w} of N={self.n} replicas instead of the nearest one"

    def missing_total(self, now: float) -> float:
        dt = max(0.0, now - self.settled)
        total = 0.0
        for g in range(len(self.ranges)):
            for i in range(self.n):
                value = sum(self._missing_at(g, i, o, dt) for o in range(len(self.sources)))
                total += value if value >= 0.5 or any(self.grow[g][i]) else 0.0
        return total

    def figures(self, tally: Tally) -> dict[str, object]:
        return {"quorum": {"n": self.n, "r": self.r, "w": self.w, "overlapping": self.r + self.w > self.n,
                           "sloppy_quorum": self.sloppy, "hinted_handoff": self.hinted_handoff,
                           "read_repair": self.read_repair},
                "replica_writes_missing": round(self.missing_total(self.loop.now)),
                "read_repaired_writes": round(tally.get("repaired")),
                "lost_updates": round(tally.get("lost_updates")),
                "skew_overwrites": round(tally.get("skew_overwrites"))}
