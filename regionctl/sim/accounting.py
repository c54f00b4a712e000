"""Counters, latency histograms and the RTO clock: the simulator's honest books."""

from __future__ import annotations

import math

# Log-spaced latency buckets from 0.1 ms to ~100 s: percentiles within ~5%.
_BUCKET_BASE = 1e-4
_BUCKET_GROWTH = 1.1
_BUCKETS = 146


class Histogram:
    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * _BUCKETS
        self.total = 0

    def add(self, seconds: float, count: int) -> None:
        if count <= 0:
            return
        if seconds <= _BUCKET_BASE:
            index = 0
        else:
            index = min(_BUCKETS - 1, int(math.log(seconds / _BUCKET_BASE, _BUCKET_GROWTH)) + 1)
        self.counts[index] += count
        self.total += count

    def percentile(self, q: float) -> float | None:
        if self.total == 0:
            return None
        wanted = q * self.total
        running = 0
        for index, count in enumerate(self.counts):
            running += count
            if running >= wanted and count:
                return _BUCKET_BASE * _BUCKET_GROWTH ** index if index else _BUCKET_BASE
        return None  # pragma: no cover


class Counters:
    __slots__ = ("reads_attempted", "reads_ok", "stale_reads", "writes_acked", "writes_attempted",
                 "writes_failed")

    def __init__(self) -> None:
        self.writes_attempted = 0
        self.writes_acked = 0
        self.writes_failed = 0
        self.reads_attempted = 0
        self.reads_ok = 0
        self.stale_reads = 0

    def availability(self) -> float:
        attempted = self.writes_attempted + self.reads_attempted
        if attempted == 0:
            return 1.0
        return (self.writes_acked + self.reads_ok) / attempted


class OutageClock:
    """RTO for one cluster: from the first fault to the moment every live client's
    writes succeed again, with the failover's breakdown recorded on the way."""

    __slots__ = ("decided_at", "failing", "fault_at", "outage_started", "promoted_at", "recovered_at")

    def __init__(self) -> None:
        self.fault_at: float | None = None
        self.outage_started: float | None = None
        self.recovered_at: float | None = None
        self.failing = False
        self.decided_at: float | None = None
        self.promoted_at: float | None = None

    def note_fault(self, now: float) -> None:
        if self.fault_at is None:
            self.fault_at = now

    def note_writes(self, now: float, attempted: int, failed: int) -> None:
        if self.fault_at is None or attempted == 0:
            return
        if failed:
            if self.outage_started is None:
                self.outage_started = now
            self.failing = True
            self.recovered_at = None
        elif self.failing:
            self.failing = False
            self.recovered_at = now

    def rto(self) -> float | None:
        """Seconds from the first fault to recovery; 0 if writes never failed; None if not recovered."""
        if self.fault_at is None or self.outage_started is None:
            return 0.0 if self.fault_at is not None else None
        if self.failing or self.recovered_at is None:
            return None
        return self.recovered_at - self.fault_at

    def breakdown(self) -> dict[str, float | None]:
        if self.fault_at is None or self.outage_started is None:
            return {"detection": None, "promotion": None, "reroute": None}
        detection = None if self.decided_at is None else self.decided_at - self.fault_at
        promotion = None if self.decided_at is None or self.promoted_at is None else self.promoted_at - self.decided_at
        reroute = None
        if self.promoted_at is not None and self.recovered_at is not None:
            reroute = max(0.0, self.recovered_at - self.promoted_at)
        return {"detection": detection, "promotion": promotion, "reroute": reroute}
