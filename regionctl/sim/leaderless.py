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
Keys are counted by popularity bucket (keyspace.py), as expected values: same inputs,
same figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from regionctl.model.resolved import node_zone
from regionctl.sim.cluster_base import ClusterBase
from regionctl.sim.keyspace import Carry, Keyspace
from regionctl.sim.log import Timeline
from regionctl.sim.network import Loc
from regionctl.sim.node import SimNode
from regionctl.sim.workload import TrafficSource

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


class LeaderlessCluster(ClusterBase):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        rep = self.spec.replication
        log = Timeline(1, None, 0, 0)
        for s in self.spec.nodes:
            node = SimNode(s.name, self.name, s.region, node_zone(self.topology, s), s.priority, log)
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
        self.keyspace = Keyspace(rep.keyspace)
        size = len(self.nodes)
        self.ranges = [[self.nodes[(g + i) % size] for i in range(self.n)] for g in range(size)]
        # missing[g][i][o]: acknowledged writes of range g, from the o-th client source, that the range's
        # i-th replica lacks; hinted: of which replayable. Kept per source because replicas that missed
        # the same source's writes missed them over the same spans (their intersection is the minimum),
        # while writes of different sources missed by different replicas do not overlap at all.
        self.missing: list[list[list[float]]] = []
        self.hinted: list[list[list[float]]] = []
        self._origin: dict[int, int] = {}
        self.total: list[list[float]] = []
        self._places = {n.name: [(g, i) for g, replicas in enumerate(self.ranges)
                                 for i, m in enumerate(replicas) if m is n] for n in self.nodes}
        self.behind_since: dict[str, float] = {}
        self.cut_since: dict[str, float] = {}
        self.leader = None
        self.initial_leader = None
        self.history: list[tuple[float, str, int]] = []
        self.term = 0
        self.repaired = 0.0
        self._plans: dict[Loc, list[Plan]] = {}
        # Per location: (every range writes to all replicas, slowest write, every read overlaps, slowest read)
        self._fast: dict[Loc, tuple[bool, float, bool, float]] = {}
        self.clean = True  # no replica lacks an acknowledged write
        self._version = -1
        self._turn: dict[str, int] = {}
        self._stale = Carry()

    # -- plans: per fault set, per client location ------------------------------------------
    def _coordinator(self, loc: Loc) -> SimNode | None:
        live = [n for n in self.nodes if self.network.connected(loc, n.loc)]
        return min(live, key=lambda n: (self.network.rtt(loc, n.loc), n.name)) if live else None

    def _writers(self) -> list[tuple[Loc, float]]:
        return [(s.loc, s.writes_per_s) for s in self.sources if s.writes_per_s > 0]

    def plans(self, loc: Loc) -> list[Plan]:
        if self._version != self.network.version:
            self._version = self.network.version
            self._plans.clear()
            self._fast.clear()
        plans = self._plans.get(loc)
        if plans is None:
            plans = [self._plan(loc, g) for g in range(len(self.ranges))]
            self._plans[loc] = plans
            self._fast[loc] = (
                all(p.write_ok and not p.missed for p in plans), max(p.write_latency for p in plans),
                all(p.read_ok and not p.inflight for p in plans), max(p.read_latency for p in plans))
        return plans

    def _plan(self, loc: Loc, g: int) -> Plan:
        network = self.network
        replicas = self.ranges[g]
        coord = self._coordinator(loc)
        if coord is None:
            return Plan(False, 0.0, tuple(range(self.n)), False, False, False, 0.0, (), 0.0)
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
                    read_latency, read_set, inflight)

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

    def _parts(self, key: str, count: int, size: int) -> list[int]:
        """Each range's share of `count` requests: even, the remainder rotating over the ranges."""
        base, extra = divmod(count, size)
        start = self._turn.get(key, 0)
        self._turn[key] = (start + extra) % size
        return [base + (1 if (g - start) % size < extra else 0) for g in range(size)]

    def start(self) -> None:
        self._origin = {id(source): o for o, source in enumerate(self.sources)}
        self.missing = [[[0.0] * len(self.sources) for _ in range(self.n)] for _ in self.ranges]
        self.hinted = [[[0.0] * len(self.sources) for _ in range(self.n)] for _ in self.ranges]
        self.total = [[0.0] * self.n for _ in self.ranges]  # missing[g][i] summed over sources
        super().start()

    # -- the tick ----------------------------------------------------------------------------
    def tick(self, now: float, dt: float) -> None:
        self.serve_traffic(now, dt)
        if self.clean:
            return
        clean = True
        for g, totals in enumerate(self.total):
            for i, value in enumerate(totals):
                if 0.0 < value < 0.5:  # read repair decays geometrically: the last half write is done
                    totals[i] = 0.0
                    self.missing[g][i] = [0.0] * len(self.sources)
                    self.hinted[g][i] = [0.0] * len(self.sources)
                elif value:
                    clean = False
        self.clean = clean
        behind = self.behind_since
        for node in self.nodes:
            if self.lag_ops(node) > 0:
                since = behind.setdefault(node.name, now)
                if now - since > self.max_lag_seconds:
                    self.max_lag_seconds = now - since
            elif behind:
                behind.pop(node.name, None)

    def write(self, source: TrafficSource, count: int, now: float) -> tuple[int, float]:
        plans = self.plans(source.loc)
        fast = self._fast[source.loc]
        if fast[0]:
            return count, fast[1]
        self.clean = False
        size = len(plans)
        ok = 0
        latency = 0.0
        o = self._origin[id(source)]
        for g, part in enumerate(self._parts(source.region, count, size)):
            plan = plans[g]
            if not part or not plan.write_ok:
                continue
            ok += part
            latency = max(latency, plan.write_latency)
            for i in plan.missed:
                self.missing[g][i][o] += part
                self.total[g][i] += part
                name = self.ranges[g][i].name
                if plan.hinted and now - self.cut_since.get(name, now) < self.hint_window:
                    self.hinted[g][i][o] += part
        # Ranges differ only in which replicas are nearest: the slowest is what a batch waits for.
        return ok, latency

    def read(self, source: TrafficSource, count: int, now: float) -> tuple[int, int, float]:
        plans = self.plans(source.loc)
        fast = self._fast[source.loc]
        if fast[2] and self.clean:
            return count, 0, fast[3]
        size = len(plans)
        ok = 0
        stale = 0.0
        latency = 0.0
        hit = self.keyspace.hit
        for g, part in enumerate(self._parts(source.region + "/r", count, size)):
            plan = plans[g]
            if not part or not plan.read_ok:
                continue
            ok += part
            latency = max(latency, plan.read_latency)
            read_set = plan.read_set
            totals = self.total[g]
            lagging = [i for i in read_set if totals[i]]
            missing = self.missing[g]
            if len(lagging) < len(read_set):
                # A replica of the read set has every acknowledged write but those in flight.
                behind = [0.0] * len(self.sources)
                unseen = plan.inflight
            elif len(read_set) == 1:
                behind = missing[read_set[0]]
                unseen = totals[read_set[0]] + plan.inflight
            else:
                behind = [min(missing[i][o] for i in read_set) for o in range(len(self.sources))]
                unseen = sum(behind) + plan.inflight
            if unseen > 0.0:
                stale += part * hit(round(unseen * size))
            if lagging and self.read_repair and self.r >= 2:
                # Each read repairs its key on the replicas it found behind: the share of
                # missed writes fixed is the chance a read lands on one of their keys.
                fixed = min(1.0, part * size * self.keyspace.collision)
                for i in lagging:
                    row, hints = missing[i], self.hinted[g][i]
                    for o, least in enumerate(behind):
                        excess = row[o] - least
                        if excess > 0.0:
                            row[o] -= excess * fixed
                            totals[i] -= excess * fixed
                            hints[o] = min(hints[o], row[o])
                            self.repaired += excess * fixed
        return ok, self._stale.take(source.region, stale), latency

    # -- faults --------------------------------------------------------------------------------
    def on_change(self, now: float) -> None:
        self.clock.note_fault(now)
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
                        row[o] -= value
                        self.total[g][i] -= value
                        hints[o] = 0.0

    # -- reading the state -----------------------------------------------------------------------
    def lag_ops(self, node: SimNode) -> int:
        return round(sum(self.total[g][i] for g, i in self._places[node.name]))

    def lag_seconds(self, node: SimNode, now: float) -> float:
        since = self.behind_since.get(node.name)
        return 0.0 if since is None or self.lag_ops(node) == 0 else now - since

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

    def figures(self) -> dict[str, object]:
        return {"quorum": {"n": self.n, "r": self.r, "w": self.w, "overlapping": self.r + self.w > self.n,
                           "sloppy_quorum": self.sloppy, "hinted_handoff": self.hinted_handoff,
                           "read_repair": self.read_repair},
                "replica_writes_missing": round(sum(sum(m) for row in self.missing for m in row)),
                "read_repaired_writes": round(self.repaired)}
