"""The run's history for the dashboard's chart (`g`): lag, availability and write latency from t=0 to now,
and the markers of what happened (faults injected and healed, failovers, consistency anomalies). No Textual.

Fed from the dashboard's one tick path (DashboardModel.update, every snapshot from the first, whether the
chart is open or not), in bounded memory whatever the run's length:

- each series is BUCKETS buckets of `span` simulated seconds (bucket i covers [i·span, (i+1)·span)); a bucket
  keeps the worst sample it took: the highest lag, the lowest availability, the highest write latency (a
  chart of the worst is what an operator reads after an outage: a spike must not average away);
- when the run outgrows the buckets, neighbours merge pairwise (keeping the worst of the two) and the span
  doubles: the history always covers the whole run, at a resolution that halves as the run doubles;
- markers are kept exactly (time, kind, what), up to MAX_MARKERS of each kind; past that they are counted.

Availability and write latency are those of each interval between two snapshots (the requests answered
over those attempted, the acknowledged writes' mean latency), from the running totals the simulator
carries in ClusterView.books; a backend without them (real hosts) gives its own availability reading.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Iterable
from typing import Literal, NamedTuple

from regionctl.contract.snapshot import AnomalyView, ClusterBooks, ClusterView, EventView, Snapshot
from regionctl.tui.incidents import incident_of

BUCKETS = 512  # per series: more than twice the widest chart's columns, so a column merges several buckets
FIRST_SPAN = 0.25  # seconds per bucket at the start: one tick of the dashboard at 1x
MAX_MARKERS = 1000  # of each kind (the checker itself caps anomalies at 100 per key)
# Anomalies told apart from those seen before (each check reports them all again): the checker's cap of 100 a
# key keeps a run far below this; past it, new ones are neither marked nor counted, and memory stays bounded.
REMEMBERED = 10_000

Metric = Literal["lag", "availability", "latency"]
METRICS: tuple[Metric, ...] = ("lag", "availability", "latency")
MarkerKind = Literal["fault", "heal", "failover", "anomaly"]
MARKER_KINDS: tuple[MarkerKind, ...] = ("fault", "heal", "failover", "anomaly")
Scope = Literal["estate", "cluster", "node"]


class Subject(NamedTuple):  # NamedTuples, not dataclasses: this module is on the first frame's import path
    """What a series is about: the estate (every cluster), one cluster, or one node (lag only)."""

    scope: Scope
    name: str = ""

    def title(self) -> str:
        return {"estate": "every cluster", "cluster": f"cluster {self.name}", "node": f"node {self.name}"}[self.scope]


ESTATE = Subject("estate")


class Marker(NamedTuple):
    at: float
    kind: MarkerKind
    label: str
    cluster: str = ""  # the cluster it concerns; "" for the estate (a fault)
    anomaly: AnomalyView | None = None


class Rows:
    """Every series of one kind, bucket-major: BUCKETS rows with one slot per series, each slot the worst sample of
    its bucket (the highest; with `low`, the lowest). A tick then writes into one row with plain comparisons."""

    __slots__ = ("empty", "low", "rows", "width")

    def __init__(self, low: bool, buckets: int) -> None:
        self.low = low
        self.empty = math.inf if low else -math.inf  # no sample fell in the bucket
        self.width = 0
        self.rows = [array("d") for _ in range(buckets)]

    def add_slot(self) -> int:
        for row in self.rows:
            row.append(self.empty)
        self.width += 1
        return self.width - 1

    def halve(self) -> None:
        """Merge neighbours pairwise into the first half (the worst of the two); the second half starts empty."""
        rows, n = self.rows, len(self.rows)
        pairs = [zip(rows[i], rows[i + 1], strict=True) for i in range(0, n - 1, 2)]
        if self.low:  # comparisons, not min()/max() calls: a third of the time
            merged = [array("d", [a if a < b else b for a, b in pair]) for pair in pairs]
        else:
            merged = [array("d", [a if a > b else b for a, b in pair]) for pair in pairs]
        self.rows = merged + [array("d", [self.empty]) * self.width for _ in range(n - len(merged))]

    def worst(self, slot: int, lo: int, hi: int) -> float | None:
        """The worst sample of buckets lo..hi-1 in `slot`, None when none took one."""
        chunk = [row[slot] for row in self.rows[lo:hi]]
        if not chunk:
            return None
        value = min(chunk) if self.low else max(chunk)
        return None if value == self.empty else value


class ClusterSlots(NamedTuple):
    nodes: int  # the first node's lag slot; the cluster's nodes follow in order
    members: int
    lag: int
    latency: int
    availability: int  # in the low rows


class Timeline:
    def __init__(self, buckets: int = BUCKETS, first_span: float = FIRST_SPAN, max_markers: int = MAX_MARKERS) -> None:
        self.buckets = buckets
        self.first_span = first_span
        self.max_markers = max_markers
        self._reset()

    def _reset(self) -> None:
        self.span = self.first_span
        self.now = 0.0
        self.first: float | None = None  # the first snapshot's time
        self.samples = 0
        self.high = Rows(False, self.buckets)  # lag and write latency: the highest sample of each bucket
        self.low = Rows(True, self.buckets)  # availability: the lowest
        self.slots: dict[tuple[Metric, Subject], int] = {}
        self._clusters: dict[str, ClusterSlots] = {}
        self._estate = (self._slot("lag", ESTATE), self._slot("latency", ESTATE), self._slot("availability", ESTATE))
        self.markers: list[Marker] = []  # in time order
        self.kept: dict[str, int] = {}
        self.dropped: dict[str, int] = {}  # markers past the cap, by kind
        self.subjects: list[Subject] = [ESTATE]  # in the order the chart cycles them
        self._books: dict[str, ClusterBooks] = {}
        self._faults: dict[tuple[str, float], bool] = {}  # (spec, at) -> its heal seen
        self._anomalies: set[tuple[object, ...]] = set()
        self._anomaly_source: tuple[AnomalyView, ...] = ()

    def _slot(self, metric: Metric, subject: Subject) -> int:
        slot = (self.low if metric == "availability" else self.high).add_slot()
        self.slots[(metric, subject)] = slot
        return slot

    def _place(self, cluster: ClusterView) -> ClusterSlots:
        """Slots for a cluster first seen (or whose membership changed: new slots, the old ones stay)."""
        nodes = [self._slot("lag", Subject("node", node.name)) for node in cluster.nodes]
        subject = Subject("cluster", cluster.name)
        if subject not in self.subjects:
            self.subjects.append(subject)
        self.subjects.extend(node for node in (Subject("node", n.name) for n in cluster.nodes)
                             if node not in self.subjects)
        placed = ClusterSlots(nodes[0] if nodes else 0, len(nodes), self._slot("lag", subject),
                              self._slot("latency", subject), self._slot("availability", subject))
        self._clusters[cluster.name] = placed
        return placed

    # -- feeding -----------------------------------------------------------------------------------
    def add(self, snapshot: Snapshot, events: Iterable[EventView] = ()) -> None:
        """One snapshot, and the events not seen before (the model's): a comparison or two per node."""
        t = snapshot.time
        if self.first is not None and t < self.now:
            self._reset()  # time went backwards: a new backend
        if self.first is None:
            self.first = t
        self.now = t
        self.samples += 1
        while t >= self.span * self.buckets:
            self.high.halve()
            self.low.halve()
            self.span *= 2
        index = int(t / self.span)
        self._sample(snapshot, self.high.rows[index], self.low.rows[index])
        self._mark(snapshot, events)

    def _sample(self, snapshot: Snapshot, high: array[float], low: array[float]) -> None:
        estate_lag = 0.0
        asked = answered = timed = 0
        seconds = 0.0
        readings: list[float] = []
        for cluster in snapshot.clusters:
            slots = self._clusters.get(cluster.name)
            if slots is None or slots.members != len(cluster.nodes):
                slots = self._place(cluster)
            worst = 0.0
            slot = slots.nodes
            for node in cluster.nodes:  # a plain loop: ~0.13 µs a node (map(max, ...) over arrays is slower)
                lag = node.lag_seconds
                if lag > high[slot]:
                    high[slot] = lag
                if lag > worst:
                    worst = lag
                slot += 1
            if worst > high[slots.lag]:
                high[slots.lag] = worst
            if worst > estate_lag:
                estate_lag = worst
            books = cluster.books
            if books is None:  # no running totals (real hosts): the backend's own reading
                low[slots.availability] = min(low[slots.availability], cluster.availability)
                readings.append(cluster.availability)
                continue
            before = self._books.get(cluster.name)
            self._books[cluster.name] = books
            if before is None:
                continue
            # Plain comparisons, not min()/max() calls: this runs for every cluster four times a second.
            d_asked = books.requests - before.requests
            if d_asked > 0:
                d_answered = books.requests_ok - before.requests_ok
                share = d_answered / d_asked  # over 1 when acknowledgements of earlier writes arrive now
                share = 1.0 if share > 1.0 else 0.0 if share < 0.0 else share
                if share < low[slots.availability]:
                    low[slots.availability] = share
                asked += d_asked
                answered += d_answered
            d_timed = books.writes_timed - before.writes_timed
            if d_timed > 0:
                d_seconds = books.write_seconds - before.write_seconds
                mean = d_seconds / d_timed
                if mean > high[slots.latency]:
                    high[slots.latency] = mean
                timed += d_timed
                seconds += d_seconds
        lag_slot, latency_slot, availability_slot = self._estate
        high[lag_slot] = max(high[lag_slot], estate_lag)
        if asked:
            readings.append(max(0.0, min(1.0, answered / asked)))
        if readings:
            low[availability_slot] = min(low[availability_slot], min(readings))
        if timed:
            high[latency_slot] = max(high[latency_slot], seconds / timed)

    def _mark(self, snapshot: Snapshot, events: Iterable[EventView]) -> None:
        for fault in snapshot.faults:
            key = (fault.spec, fault.at)
            healed = self._faults.get(key)
            if healed is None:
                self._faults[key] = False
                self.mark(Marker(fault.at, "fault", f"fault injected: {fault.spec}"))
            if not healed and fault.healed_at is not None:
                self._faults[key] = True
                self.mark(Marker(fault.healed_at, "heal", f"fault healed: {fault.spec}"))
        for event in events:
            if incident_of(event.message) == "promotion":
                where = f"{event.source}: " if event.source else ""
                self.mark(Marker(event.at, "failover", where + event.message, event.source))
        if snapshot.anomalies is not self._anomaly_source:  # the checks ran again (every few seconds at most)
            self._anomaly_source = snapshot.anomalies
            for anomaly in snapshot.anomalies:
                ident = anomaly.ident
                if ident not in self._anomalies and len(self._anomalies) < REMEMBERED:
                    self._anomalies.add(ident)
                    where = anomaly.cluster + (f"/{anomaly.key}" if anomaly.key else "")
                    self.mark(Marker(anomaly.at, "anomaly", f"{anomaly.kind} anomaly on {where}", anomaly.cluster,
                                     anomaly))

    def mark(self, marker: Marker) -> None:
        if self.kept.get(marker.kind, 0) >= self.max_markers:
            self.dropped[marker.kind] = self.dropped.get(marker.kind, 0) + 1
            return
        self.kept[marker.kind] = self.kept.get(marker.kind, 0) + 1
        bisect.insort(self.markers, marker, key=lambda m: m.at)

    # -- reading -----------------------------------------------------------------------------------
    def columns(self, metric: Metric, subject: Subject, width: int) -> list[float | None]:
        """The series from t=0 to now in `width` columns: each the worst of the buckets its time covers."""
        slot = self.slots.get((metric, subject))
        if slot is None or width <= 0 or self.now <= 0:
            return [None] * max(0, width)
        rows = self.low if metric == "availability" else self.high
        out: list[float | None] = []
        per_column = self.now / width
        for column in range(width):
            lo = int(column * per_column / self.span)
            hi = max(lo + 1, math.ceil((column + 1) * per_column / self.span))
            out.append(rows.worst(slot, lo, min(hi, self.buckets)))
        return out

    def bucket_values(self, metric: Metric, subject: Subject) -> list[float | None]:
        """Each bucket's worst sample (None: none fell in it), bucket i covering [i·span, (i+1)·span)."""
        slot = self.slots[(metric, subject)]
        rows = self.low if metric == "availability" else self.high
        return [rows.worst(slot, i, i + 1) for i in range(self.buckets)]

    def anomalies(self) -> list[Marker]:
        return [m for m in self.markers if m.kind == "anomaly"]

    def size(self) -> int:
        """Values and markers held: bounded by the topology's size and the caps, not the run's length."""
        return sum(len(row) for rows in (self.high, self.low) for row in rows.rows) + len(self.markers)
