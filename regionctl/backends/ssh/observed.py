"""Figures measured on real hosts from successive probe rounds (pure: times are passed in).

RTO: the longest stretch a cluster had no writable leader, from the first thing done (a fault or
action started) since the last round that saw it writable, or failing that that round, to the
first round that saw it writable again; its resolution is one probe round. (The first action, not
the last: a switchback's read-only step refuses writes before the probes notice, and the steps
after it would otherwise hide that.) Availability: the
share of observed time every cluster was writable (averaged over clusters). There is no client
traffic on real hosts, so RPO and lost writes are not measured (left out, shown as n/a).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Cluster:
    writable_at: float | None = None  # last round that saw it writable
    down_since: float | None = None
    longest: float = 0.0
    down_total: float = 0.0


@dataclass
class Observer:
    started: float = 0.0
    actions: list[float] = field(default_factory=list)  # when each fault or action started
    max_lag: float = 0.0
    last_round: float | None = None
    clusters: dict[str, _Cluster] = field(default_factory=dict)

    def action(self, now: float) -> None:
        """Something that may take a cluster down starts now."""
        self.actions.append(now)

    def _outage_start(self, seen_writable: float) -> float:
        return next((at for at in self.actions if at >= seen_writable), seen_writable)

    def round(self, now: float, writable: dict[str, bool], lags: list[float]) -> None:
        previous = self.last_round if self.last_round is not None else self.started
        for name, ok in writable.items():
            c = self.clusters.setdefault(name, _Cluster())
            if ok:
                if c.down_since is not None:
                    c.longest = max(c.longest, now - c.down_since)
                    c.down_total += now - c.down_since
                    c.down_since = None
                c.writable_at = now
            elif c.down_since is None:
                c.down_since = self._outage_start(c.writable_at if c.writable_at is not None else previous)
        self.max_lag = max([self.max_lag, *lags])
        self.last_round = now

    def metrics(self, now: float) -> dict[str, Any]:
        if not self.clusters:
            return {}
        elapsed = max(now - self.started, 1e-9)
        shares, rto = [], 0.0
        for c in self.clusters.values():
            open_outage = now - c.down_since if c.down_since is not None else 0.0
            rto = max(rto, c.longest, open_outage)
            shares.append(1.0 - min(1.0, (c.down_total + open_outage) / elapsed))
        return {"rto_seconds": round(rto, 3), "max_lag_seconds": round(self.max_lag, 3),
                "availability": round(sum(shares) / len(shares), 6)}
