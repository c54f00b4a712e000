"""Clients as rates, not processes: per region and cluster, a count of requests per tick.

Arrivals are deterministic with a fractional carry, so every request is counted
exactly and the run stays a pure function of its inputs.
"""

from __future__ import annotations

from regionctl.model.topology import Traffic
from regionctl.sim.accounting import Counters
from regionctl.sim.network import Loc
from regionctl.sim.routing import Route


class TrafficSource:
    __slots__ = ("carry_r", "carry_w", "cluster", "counters", "dns_ttl", "failed_any", "loc", "reads_from",
                 "reads_per_s", "region", "route", "routing", "timeout", "writes_per_s")

    def __init__(self, spec: Traffic) -> None:
        self.region = spec.from_region
        self.loc: Loc = (spec.from_region, "", "")
        self.cluster = spec.cluster
        self.writes_per_s = spec.writes_per_s
        self.reads_per_s = spec.reads_per_s
        self.routing = spec.routing
        self.dns_ttl = spec.dns_ttl
        self.reads_from = spec.reads_from
        self.timeout = spec.timeout
        self.route = Route(target=None)
        self.carry_w = 0.0
        self.carry_r = 0.0
        self.failed_any = False
        self.counters = Counters()

    def arrivals(self, dt: float) -> tuple[int, int]:
        w = self.writes_per_s * dt + self.carry_w
        r = self.reads_per_s * dt + self.carry_r
        nw, nr = int(w), int(r)
        self.carry_w, self.carry_r = w - nw, r - nr
        return nw, nr
