"""Where things are and who can talk to whom, under the active faults.

A location is (region, zone, node-name); clients and failover-manager members sit
in a region without a node name. Partitions name regions or nodes at either end.
Answers are cached per fault-set version: they are asked on every tick.

A paused node (pause:NODE) answers nothing, like a crashed one, but keeps its state: the clusters tell
the two apart (`frozen`) when it is back. A lossy link (loss:A|B=P) is cut, one direction at a time,
during the runs of lost messages the simulation draws for it (lossy.LossyLink): `dropped`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from regionctl.contract.faults import Fault
from regionctl.model.resolved import region_rtt
from regionctl.model.topology import Topology

Loc = tuple[str, str, str]  # (region, zone, node) — zone/node may be ""


def witness_loc(place: str) -> Loc:
    """A failover-manager member's place: REGION or REGION/ZONE."""
    region, _, zone = place.partition("/")
    return (region, zone, "")


@dataclass
class Network:
    """Which locations are up and connected, and the delay and loss between them."""

    topology: Topology
    rng: random.Random
    jitter: float = 0.1
    version: int = 0
    down_nodes: set[str] = field(default_factory=set)
    down_regions: set[str] = field(default_factory=set)
    down_zones: set[tuple[str, str]] = field(default_factory=set)
    partitions: list[tuple[str, str, bool]] = field(default_factory=list)
    paused: set[str] = field(default_factory=set)  # nodes frozen by pause:NODE
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (from, to): a run of lost messages now
    extra_latency: dict[frozenset[str], float] = field(default_factory=dict)
    slow: dict[str, float] = field(default_factory=dict)
    skew: dict[str, float] = field(default_factory=dict)
    _rtt: dict[tuple[str, str], float] = field(default_factory=dict)
    _cache: dict[tuple[Loc, Loc], bool] = field(default_factory=dict)
    _rtt_cache: dict[tuple[Loc, Loc], float] = field(default_factory=dict)
    _held: dict[tuple[str, object], int] = field(default_factory=dict)  # copies of each outage in effect
    _values: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.jitter = self.topology.network.jitter
        names = [r.name for r in self.topology.regions]
        for a in names:
            for b in names:
                self._rtt[(a, b)] = region_rtt(self.topology, a, b)[0]

    # -- faults ------------------------------------------------------------------------
    def apply(self, fault: Fault, active: bool) -> None:
        """Add (active=True) or remove one fault's effect. Copies of one fault overlap: a node is up again
        only once every copy that took it down has healed."""
        kind = str(fault.kind)
        if kind in ("node", "region", "zone", "pause"):
            item: object = (fault.a, fault.b) if kind == "zone" else fault.target
            key = (kind, item)
            count = self._held.get(key, 0) + (1 if active else -1)
            collection: set[Any] = (self.down_nodes if kind == "node" else self.down_regions if kind == "region"
                                    else self.paused if kind == "pause" else self.down_zones)
            if count > 0:
                self._held[key] = count
                collection.add(item)
            else:
                self._held.pop(key, None)
                collection.discard(item)
        elif kind == "partition":
            entry = (fault.a, fault.b, fault.one_way)
            if active:
                self.partitions.append(entry)
            elif entry in self.partitions:
                self.partitions.remove(entry)
        elif kind == "latency":
            pair = frozenset((fault.a, fault.b))
            total = self.extra_latency.get(pair, 0.0) + (fault.value if active else -fault.value)
            if total <= 1e-12:
                self.extra_latency.pop(pair, None)
            else:
                self.extra_latency[pair] = total
        elif kind in ("slow", "clock"):
            # The latest copy of a slow-down or a skew on a node is the one in effect.
            stack = self._values.setdefault((kind, fault.target), [])
            if active:
                stack.append(fault.value)
            elif fault.value in stack:
                stack.remove(fault.value)
            target = self.slow if kind == "slow" else self.skew
            if stack:
                target[fault.target] = stack[-1]
            else:
                target.pop(fault.target, None)
                del self._values[(kind, fault.target)]
        # loss: nothing here; the simulation cuts the link during each run of lost messages (`drop`).
        self._changed()

    def drop(self, src: str, dst: str, active: bool) -> None:
        """A run of lost messages from src to dst (regions or nodes) begins (active) or ends."""
        if active:
            self.dropped.append((src, dst))
        else:
            self.dropped.remove((src, dst))
        self._changed()

    def _changed(self) -> None:
        self.version += 1
        self._cache.clear()
        self._rtt_cache.clear()

    # -- questions ---------------------------------------------------------------------
    def up(self, loc: Loc) -> bool:
        region, zone, node = loc
        if region in self.down_regions:
            return False
        if zone and (region, zone) in self.down_zones:
            return False
        return not (node and (node in self.down_nodes or node in self.paused))

    def frozen_only(self, loc: Loc) -> bool:
        """Down only because it is paused: its process is intact, it resumes where it stopped."""
        region, zone, node = loc
        return (node in self.paused and node not in self.down_nodes and region not in self.down_regions
                and not (zone and (region, zone) in self.down_zones))

    @staticmethod
    def _matches(end: str, loc: Loc) -> bool:
        return end == loc[0] or end == loc[2]

    def blocked(self, src: Loc, dst: Loc) -> bool:
        """True if packets from src to dst are dropped by a partition."""
        for a, b, one_way in self.partitions:
            if self._matches(a, src) and self._matches(b, dst):
                return True
            if not one_way and self._matches(b, src) and self._matches(a, dst):
                return True
        return any(self._matches(a, src) and self._matches(b, dst) for a, b in self.dropped)

    def hears(self, src: Loc, dst: Loc) -> bool:
        """dst receives what src sends (one direction; both ends up)."""
        return self.up(src) and self.up(dst) and not self.blocked(src, dst)

    def connected(self, a: Loc, b: Loc) -> bool:
        """A two-way conversation (a TCP connection) between a and b is possible."""
        key = (a, b)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        result = self.up(a) and self.up(b) and not self.blocked(a, b) and not self.blocked(b, a)
        self._cache[key] = result
        return result

    def rtt(self, a: Loc, b: Loc) -> float:
        """Round trip without jitter: region pair, zone or local, plus injected latency (both ways)."""
        key = (a, b)
        cached = self._rtt_cache.get(key)
        if cached is None:
            cached = self._rtt_cache[key] = self._compute_rtt(a, b)
        return cached

    def _compute_rtt(self, a: Loc, b: Loc) -> float:
        if a[0] != b[0]:
            base = self._rtt[(a[0], b[0])]
        elif a[1] and b[1] and a[1] != b[1]:
            base = self.topology.network.zone_rtt
        else:
            base = self.topology.network.local_rtt
        if self.extra_latency:
            for key, extra in self.extra_latency.items():
                ends = tuple(key) if len(key) == 2 else (next(iter(key)),) * 2
                x, y = ends
                if (self._matches(x, a) and self._matches(y, b)) or (self._matches(y, a) and self._matches(x, b)):
                    base += 2 * extra
        return base

    def one_way(self, a: Loc, b: Loc) -> float:
        """One delivery from a to b with jitter (uniform within +-jitter)."""
        base = self.rtt(a, b) / 2
        if self.jitter:
            base *= 1.0 + self.jitter * (2.0 * self.rng.random() - 1.0)
        return base

    def mean_one_way(self, a: Loc, b: Loc) -> float:
        """Half the round trip: a stream's delay (its jitter averages out over many writes)."""
        return self.rtt(a, b) / 2

    def slowness(self, node: str) -> float:
        return self.slow.get(node, 1.0)
