"""Counters, latency histograms and the RTO books: the simulator's honest accounts."""

from __future__ import annotations

import math
from dataclasses import dataclass

# Log-spaced latency buckets from 0.1 ms to ~100 s: percentiles within ~5%.
_BUCKET_BASE = 1e-4
_BUCKET_GROWTH = 1.1
_BUCKETS = 146
_INDEX: dict[float, int] = {}  # latency -> bucket; a run has few distinct path latencies


def _bucket(seconds: float) -> int:
    index = _INDEX.get(seconds)
    if index is None:
        if seconds <= _BUCKET_BASE:
            index = 0
        else:
            index = min(_BUCKETS - 1, int(math.log(seconds / _BUCKET_BASE, _BUCKET_GROWTH)) + 1)
        if len(_INDEX) < 100_000:
            _INDEX[seconds] = index
    return index


class Histogram:
    """Latencies by bucket, added as (latency of a path) x (requests that took it).

    Sparse: a run's requests take few distinct paths, so a handful of the 146 buckets are used, and
    a snapshot merges and reads every cluster's histograms (a dense list made that most of its cost)."""

    __slots__ = ("counts", "seconds", "total")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}  # bucket -> requests; no bucket is kept at zero
        self.total = 0
        self.seconds = 0.0  # the latencies summed: the dashboard's history charts each interval's mean

    def add(self, seconds: float, count: int) -> None:
        if count == 0:
            return
        index = _bucket(seconds)
        had = self.counts.get(index, 0)
        count = max(count, -had)  # a retraction never takes away more than was added
        if had + count:
            self.counts[index] = had + count
        elif had:
            del self.counts[index]
        self.total += count
        self.seconds += seconds * count

    def merge(self, other: Histogram) -> None:
        counts = self.counts
        for index, count in other.counts.items():
            merged = counts.get(index, 0) + count
            if merged:
                counts[index] = merged
            else:
                counts.pop(index, None)
        self.total += other.total
        self.seconds += other.seconds

    def percentile(self, q: float) -> float | None:
        if self.total <= 0:
            return None
        wanted = q * self.total
        running = 0
        for index in sorted(self.counts):
            running += self.counts[index]
            if running >= wanted:
                return _BUCKET_BASE * _BUCKET_GROWTH ** index if index else _BUCKET_BASE
        return None  # pragma: no cover


class Counters:
    """Requests by outcome. Every write attempted is exactly one of acked, failed or unknown."""

    __slots__ = ("reads_attempted", "reads_ok", "stale_reads", "writes_acked", "writes_attempted",
                 "writes_failed", "writes_unknown")

    def __init__(self) -> None:
        self.writes_attempted = 0
        self.writes_acked = 0
        self.writes_failed = 0  # a clear error
        self.writes_unknown = 0  # timed out: they may or may not have been committed
        self.reads_attempted = 0
        self.reads_ok = 0
        self.stale_reads = 0

    def merge(self, other: Counters) -> None:
        # Spelled out: a snapshot merges every source's counters, and a loop over the slots with
        # getattr/setattr was most of its time.
        self.writes_attempted += other.writes_attempted
        self.writes_acked += other.writes_acked
        self.writes_failed += other.writes_failed
        self.writes_unknown += other.writes_unknown
        self.reads_attempted += other.reads_attempted
        self.reads_ok += other.reads_ok
        self.stale_reads += other.stale_reads

    def copy(self) -> Counters:
        out = Counters()
        out.merge(self)
        return out

    def availability(self) -> float:
        attempted = self.writes_attempted + self.reads_attempted
        if attempted == 0:
            return 1.0
        return (self.writes_acked + self.reads_ok) / attempted


@dataclass(slots=True)
class Outage:
    """One stretch during which a cluster's live clients could not write."""

    cause_at: float  # when the fault (or action) that made the cluster unavailable happened
    cause: str
    started: float
    observed: bool  # live clients were there to see it (else RTO is unknown)
    decided_at: float | None = None  # the failover machinery chose a new leader
    promoted_at: float | None = None
    recovered_at: float | None = None

    def rto(self) -> float | None:
        if not self.observed or self.recovered_at is None:
            return None
        return self.recovered_at - self.cause_at

    def breakdown(self) -> dict[str, float | None]:
        detection = None if self.decided_at is None else self.decided_at - self.cause_at
        promotion = None if self.decided_at is None or self.promoted_at is None else self.promoted_at - self.decided_at
        reroute = None
        if self.promoted_at is not None and self.recovered_at is not None:
            reroute = max(0.0, self.recovered_at - self.promoted_at)
        return {"detection": detection, "promotion": promotion, "reroute": reroute}


class OutageClock:
    """RTO per cluster: from the fault that made it unavailable to the moment every live client's
    writes succeed again. Unrelated faults elsewhere, and faults that healed before, do not count."""

    __slots__ = ("current", "fault_at", "outages", "touched_at", "touched_by")

    def __init__(self) -> None:
        self.touched_at: float | None = None  # the latest fault or action that reached this cluster
        self.touched_by = ""
        self.fault_at: float | None = None  # the first time anything reached it
        self.outages: list[Outage] = []
        self.current: Outage | None = None

    def touch(self, now: float, what: str) -> None:
        self.touched_at = now
        self.touched_by = what
        if self.fault_at is None:
            self.fault_at = now

    def update(self, now: float, failing: bool, observed: bool) -> None:
        """`failing`: live clients' writes fail now (or, with no live client, the cluster is not writable)."""
        current = self.current
        if failing and current is None:
            cause_at = self.touched_at if self.touched_at is not None else now
            self.current = Outage(cause_at, self.touched_by, now, observed)
            self.outages.append(self.current)
        elif failing and current is not None and observed and not current.observed:
            # Clients came back (a region healed) while the cluster is still down: still unknown from the start.
            pass
        elif not failing and current is not None:
            current.recovered_at = now
            self.current = None

    def note_decided(self, now: float) -> None:
        if self.current is not None and self.current.decided_at is None:
            self.current.decided_at = now

    def note_promoted(self, now: float) -> None:
        if self.current is not None and self.current.promoted_at is None:
            self.current.promoted_at = now

    def worst(self) -> Outage | None:
        if not self.outages:
            return None
        unknown = [o for o in self.outages if o.rto() is None]
        if unknown:
            return unknown[0]
        return max(self.outages, key=lambda o: o.rto() or 0.0)

    def rto(self) -> float | None:
        """Seconds to recover from the worst outage; 0 if reached but never unavailable; None if an outage
        has not ended or no live client saw it; None as well if nothing ever reached the cluster."""
        if not self.outages:
            return 0.0 if self.fault_at is not None else None
        worst = self.worst()
        return None if worst is None else worst.rto()

    def breakdown(self) -> dict[str, float | None]:
        worst = self.worst()
        if worst is None:
            return {"detection": None, "promotion": None, "reroute": None}
        return worst.breakdown()

    def state(self) -> str:
        """What the report says of this cluster's outages: none, recovered, ongoing, or unobserved
        (no live client saw the worst one, so its RTO is unknown)."""
        worst = self.worst()
        if worst is None:
            return "none"
        if not worst.observed:
            return "unobserved"
        return "ongoing" if worst.recovered_at is None else "recovered"

    def open_unobserved(self) -> bool:
        return self.current is not None and not self.current.observed
