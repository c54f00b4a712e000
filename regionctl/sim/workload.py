"""Clients as rates, not processes: per region and cluster, a steady flow of requests.

A source is split into groups that share one view of where to send writes (one group
for a driver or a proxy; several for DNS, whose caches expire at different moments).
Between two events a group's path is fixed, so its requests are counted in closed
form: the writes arriving in [t0, t1) are floor(rate x t1) - floor(rate x t0), exact
integers whose sum over any split of time is the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

from regionctl.model.topology import Traffic
from regionctl.sim.accounting import Counters
from regionctl.sim.network import Loc

if TYPE_CHECKING:
    from regionctl.sim.node import SimNode


class Outcome(IntEnum):
    OK = 0  # committed and acknowledged within the client's timeout
    PENDING = 1  # committed (or appended) on a node, but the client gave up: outcome unknown
    NO_ANSWER = 2  # never reached a node that could take it; the client timed out: outcome unknown
    REFUSED = 3  # a clear error (no leader, read-only, fenced, connection refused)
    CLIENT_DOWN = 4  # the clients' own region is down: users not served, nobody waiting


@dataclass(frozen=True, slots=True)
class Path:
    """Where a group's requests go now, what happens to them and how long they take."""

    outcome: Outcome
    node: SimNode | None = None  # where a write lands (its log grows) or a read is served
    latency: float = 0.0  # client round trip, seconds
    why: str = ""

    def same_route(self, other: Path) -> bool:
        return self.outcome == other.outcome and self.node is other.node


CLIENT_DOWN = Path(Outcome.CLIENT_DOWN, why="the clients' region is down")


def arrivals(rate: float, t0: float, t1: float) -> int:
    """Requests of a steady flow of `rate` per second arriving in [t0, t1)."""
    if rate <= 0.0 or t1 <= t0:
        return 0
    return math.floor(rate * t1) - math.floor(rate * t0)


class Group:
    """A share of a source's clients that send to the same place."""

    __slots__ = ("fail_since", "key_range", "ok_since", "phase", "read", "reads_per_s", "retry_at", "share",
                 "target", "write", "writes_per_s")

    def __init__(self, share: float, writes_per_s: float, reads_per_s: float, phase: float) -> None:
        self.share = share
        self.writes_per_s = writes_per_s * share
        self.reads_per_s = reads_per_s * share
        self.phase = phase  # when, within a period (a DNS TTL, a retry backoff), this group acts
        self.target: str | None = None  # the node its clients send writes (and leader reads) to
        self.write = Path(Outcome.NO_ANSWER, why="not routed yet")
        self.read = Path(Outcome.NO_ANSWER, why="not routed yet")
        self.ok_since = 0.0  # the current OK write path holds since
        self.fail_since: float | None = None  # writes have been failing since
        self.retry_at: float | None = None  # a rediscovery is scheduled
        self.key_range = -1  # leaderless: the key range (ring position) this group's requests use


class TrafficSource:
    __slots__ = ("cluster", "counters", "dns_ttl", "failed_any", "groups", "index", "loc", "reads_from",
                 "reads_per_s", "region", "routing", "stale_carry", "timeout", "writes_per_s")

    def __init__(self, spec: Traffic, index: int, groups: int, phases: list[float]) -> None:
        self.index = index
        self.region = spec.from_region
        self.loc: Loc = (spec.from_region, "", "")
        self.cluster = spec.cluster
        self.writes_per_s = spec.writes_per_s
        self.reads_per_s = spec.reads_per_s
        self.routing = spec.routing
        self.dns_ttl = spec.dns_ttl
        self.reads_from = spec.reads_from
        self.timeout = spec.timeout
        self.groups = [Group(1.0 / groups, spec.writes_per_s, spec.reads_per_s, phases[i]) for i in range(groups)]
        self.failed_any = False
        self.counters = Counters()
        self.stale_carry = 0.0

    def take_stale(self, expected: float) -> int:
        """Expected stale reads to whole reads; the fraction is carried, so nothing is rounded away."""
        value = expected + self.stale_carry
        whole = int(value)
        self.stale_carry = value - whole
        return whole
