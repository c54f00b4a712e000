"""What every simulated cluster shares: its clients, its books, and the settle/replan cycle.

Between two events nothing about a cluster changes but time, so its books advance in
closed form: `settle(t)` counts the requests of every client group from the last
settle to t on the paths `replan` chose. An event handler settles, changes the world,
then replans. Reading (a snapshot, a report) never settles: it adds the part since the
last settle on the side, so a watched run and an unwatched one give the same figures.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from regionctl.model.resolved import replication_mode, timings
from regionctl.model.topology import Cluster as ClusterSpec
from regionctl.model.topology import Topology
from regionctl.sim.accounting import Counters, Histogram, OutageClock
from regionctl.sim.cap import CapBooks
from regionctl.sim.core import EventLoop
from regionctl.sim.keyspace import Keyspace
from regionctl.sim.network import Network
from regionctl.sim.node import SimNode
from regionctl.sim.workload import Outcome, TrafficSource, arrivals

if TYPE_CHECKING:
    from regionctl.sim.workload import Group

EventSink = Callable[[float, str, str], None]  # (time, cluster, message)


class Books:
    """CAP figures of one stretch of time: writes refused, and accepted but divergent, while disturbed."""

    __slots__ = ("diverged", "refused")

    def __init__(self) -> None:
        self.refused = 0
        self.diverged = 0


class Tally:
    """Figures a model accrues over time (split-brain seconds, conflicts...) and worst values (lag)."""

    __slots__ = ("peaks", "sums")

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.peaks: dict[str, float] = {}

    def add(self, key: str, value: float) -> None:
        if value:
            self.sums[key] = self.sums.get(key, 0.0) + value

    def peak(self, key: str, value: float) -> None:
        if value > self.peaks.get(key, 0.0):
            self.peaks[key] = value

    def get(self, key: str) -> float:
        return self.sums.get(key, self.peaks.get(key, 0.0))

    def copy(self) -> Tally:
        out = Tally()
        out.sums = dict(self.sums)
        out.peaks = dict(self.peaks)
        return out


class ClusterBase:
    family = "none"

    def __init__(self, spec: ClusterSpec, topology: Topology, network: Network, loop: EventLoop,
                 sink: EventSink, rng: random.Random) -> None:
        self.spec = spec
        self.name = spec.name
        self.topology = topology
        self.network = network
        self.loop = loop
        self.sink = sink
        self.rng = rng
        self.mode = replication_mode(spec)
        self.timings = timings(spec)
        self.keyspace = Keyspace(spec.replication.keyspace)
        self.sources: list[TrafficSource] = []
        self.counters = Counters()
        self.write_latency = Histogram()
        self.read_latency = Histogram()
        self.clock = OutageClock()
        self.tally = Tally()
        self.term = 1
        self.election = ""  # what the failover machinery is doing, shown in snapshots
        self.read_only = False  # set by an operator: writes are refused, reads served
        self.nodes: list[SimNode] = []
        self.by_name: dict[str, SimNode] = {}
        self.leader: SimNode | None = None
        self.initial_leader: str | None = None
        self.history: list[tuple[float, str, int]] = []  # (time, new leader, term)
        self.cap = CapBooks()
        self.settled = 0.0
        self.version = 0  # bumped by every replan: what a cached answer depends on
        self.observer: Callable[[], None] | None = None  # told after every replan (the blast radius)
        self._view: tuple[tuple[float, float, int], tuple[Counters, list[Counters], Histogram, Histogram]] | None = None

    def log(self, message: str) -> None:
        self.sink(self.loop.now, self.name, message)

    def start(self) -> None:
        """Called once, after the traffic sources are attached."""
        self.replan(0.0)

    # -- the closed-form books -----------------------------------------------------------
    def settle(self, t: float) -> None:
        t0 = self.settled
        if t <= t0:
            return
        books = self._books(t0, t, self.counters, [s.counters for s in self.sources], self.write_latency,
                            self.read_latency, commit=True)
        self.cap.refused += books.refused
        self.cap.diverged += books.diverged
        self.account(t0, t, self.tally, commit=True)
        self.settled = t

    def tally_at(self, t: float) -> Tally:
        """The accrued figures as of t, without settling."""
        if t <= self.settled:
            return self.tally
        out = self.tally.copy()
        self.account(self.settled, t, out, commit=False)
        return out

    @property
    def split_brain_seconds(self) -> float:
        return self.tally_at(self.loop.now).get("split_brain_seconds")

    @property
    def max_lag_seconds(self) -> float:
        return self.tally_at(self.loop.now).get("max_lag_seconds")

    def _books(self, t0: float, t1: float, total: Counters, per_source: list[Counters], writes: Histogram,
               reads: Histogram, commit: bool) -> Books:
        """Count every group's requests in [t0, t1) into the given books (`commit`: also mark the
        unacknowledged writes on the logs and carry stale-read fractions; False for a read-only view)."""
        out = Books()
        disturbed = self.cap.disturbed(self.nodes, self.network)
        for source in self.sources:
            books = per_source[source.index]
            live = self.network.up(source.loc)
            stale_expected = 0.0
            for group in source.groups:
                nw = arrivals(group.writes_per_s, t0, t1)
                nr = arrivals(group.reads_per_s, t0, t1)
                if nw:
                    path = group.write
                    outcome = path.outcome
                    for counters in (total, books):
                        counters.writes_attempted += nw
                        if outcome == Outcome.OK:
                            counters.writes_acked += nw
                        elif outcome in (Outcome.PENDING, Outcome.NO_ANSWER):
                            counters.writes_unknown += nw
                        else:
                            counters.writes_failed += nw
                    if outcome == Outcome.OK:
                        writes.add(path.latency, nw)
                        if disturbed and live and self.write_diverges(source):
                            out.diverged += nw
                    if disturbed and live and outcome != Outcome.OK:
                        out.refused += nw
                path = group.write
                if path.outcome == Outcome.PENDING and commit and path.node is not None:
                    # On the log (a fluid), this group's share of the positions: none was acknowledged.
                    timeline = path.node.timeline
                    timeline.add_unknown(timeline.end(t0), timeline.end(t1), group.writes_per_s * (t1 - t0))
                if nr:
                    for counters in (total, books):
                        counters.reads_attempted += nr
                    path = group.read
                    if path.outcome == Outcome.OK:
                        total.reads_ok += nr
                        books.reads_ok += nr
                        reads.add(path.latency, nr)
                        if path.node is not None:
                            stale_expected += group.reads_per_s * self.stale_share(source, group, path.node, t0, t1)
            if stale_expected:
                stale = source.take_stale(stale_expected) if commit else int(stale_expected + source.stale_carry)
                total.stale_reads += stale
                books.stale_reads += stale
        return out

    def view_books(self, t: float) -> tuple[Counters, list[Counters], Histogram, Histogram]:
        """The books as of t, without settling (for snapshots and reports; treat them as read-only)."""
        key = (t, self.settled, self.version)
        if self._view is not None and self._view[0] == key:
            return self._view[1]
        view = self._compute_view(t)
        self._view = (key, view)
        return view

    def _compute_view(self, t: float) -> tuple[Counters, list[Counters], Histogram, Histogram]:
        total = self.counters.copy()
        per_source = [s.counters.copy() for s in self.sources]
        writes, reads = Histogram(), Histogram()
        writes.merge(self.write_latency)
        reads.merge(self.read_latency)
        if t > self.settled:
            self._books(self.settled, t, total, per_source, writes, reads, commit=False)
        return total, per_source, writes, reads

    def restart_books(self, now: float) -> float:
        """Start the outage clock, the worst lag and the clients' failure marks afresh (a forecast from a
        fork counts only what happens after it); returns the worst lag before."""
        self.settle(now)
        before = self.tally.peaks.pop("max_lag_seconds", 0.0)
        self.clock = OutageClock()
        for source in self.sources:
            source.failed_any = False
        return before

    # -- overridden by each replication model -------------------------------------------
    def account(self, t0: float, t1: float, tally: Tally, commit: bool) -> None:
        """Model-specific figures over [t0, t1) into `tally` (`commit`: also advance the model's own
        state to t1; False for a read-only view)."""

    def stale_share(self, source: TrafficSource, group: Group, node: SimNode, t0: float, t1: float) -> float:
        """The integral over [t0, t1) of the chance that a read of `group` served by `node` is stale: it
        returns a version of its key older than the latest write of that key acknowledged before it."""
        return 0.0

    def replan(self, now: float, moved: bool = True) -> None:
        """Re-derive every client group's paths after a change (`moved`: the world changed, not only
        a client's view)."""
        raise NotImplementedError

    def on_network(self, now: float) -> None:
        """The fault set changed: settle first (the caller has), then react and replan."""
        self.replan(now)

    def writable(self) -> bool:
        raise NotImplementedError

    def describe(self, now: float) -> str:
        """What the failover machinery is doing at `now`, for snapshots ('' when idle)."""
        return self.election

    def lag_ops(self, node: SimNode, now: float) -> int:
        return 0

    def lag_seconds(self, node: SimNode, now: float) -> float:
        return 0.0

    def write_diverges(self, source: TrafficSource) -> bool:
        """While disturbed: are this source's acknowledged writes invisible to a live replica?"""
        return False

    def still_answers(self, source: TrafficSource, node: SimNode) -> bool:
        """Does an answer `node` sent to `source` still arrive after a change (probe sessions ask)?"""
        return True

    def consistency_cost(self) -> tuple[float, str]:
        """(seconds a write waits for replicas beyond a local commit, on whom) without faults."""
        from regionctl.model.resolved import commit_wait

        wait = commit_wait(self.topology, self.spec)
        if wait is None:
            return 0.0, "none: the leader acknowledges alone (async)"
        return wait[0], f"waits for {wait[1]}"

    def lost_writes(self) -> tuple[int, float]:
        """(acknowledged writes absent from the surviving history, RPO seconds)."""
        return 0, 0.0

    def figures(self, tally: Tally) -> dict[str, object]:
        return {}

    # -- helpers shared by the models ------------------------------------------------------
    def live_failing(self) -> tuple[bool, bool]:
        """(some live client's writes fail, some live client writes at all)."""
        failing = writers = False
        for source in self.sources:
            for group in source.groups:
                if group.writes_per_s <= 0 or group.write.outcome == Outcome.CLIENT_DOWN:
                    continue
                writers = True
                if group.write.outcome != Outcome.OK:
                    failing = True
        return failing, writers

    def notify(self) -> None:
        if self.observer is not None:
            self.observer()

    def update_clock(self, now: float) -> None:
        failing, writers = self.live_failing()
        if writers:
            self.clock.update(now, failing, observed=True)
        else:
            # Nobody alive writes: the outage (if the cluster cannot take writes) is real but unmeasured.
            self.clock.update(now, not self.writable(), observed=False)

    def mark_failures(self, now: float) -> None:
        for source in self.sources:
            for group in source.groups:
                failing = group.write.outcome != Outcome.OK and group.writes_per_s > 0
                if failing and group.fail_since is None:
                    group.fail_since = now
                    if group.write.outcome != Outcome.CLIENT_DOWN:
                        source.failed_any = True
                elif not failing:
                    group.fail_since = None
                if group.read.outcome not in (Outcome.OK, Outcome.CLIENT_DOWN) and group.reads_per_s > 0:
                    source.failed_any = True


def group_rate(group: Group) -> float:
    return group.writes_per_s
