"""What every simulated cluster shares: books, traffic sources, events, the tick."""

from __future__ import annotations

from collections.abc import Callable

from regionctl.model.resolved import flush_interval, replication_mode, timings
from regionctl.model.topology import Cluster as ClusterSpec
from regionctl.model.topology import Topology
from regionctl.sim.accounting import Counters, Histogram, OutageClock
from regionctl.sim.cap import CapBooks, leader_follower_diverges
from regionctl.sim.core import EventLoop
from regionctl.sim.network import Network
from regionctl.sim.node import SimNode
from regionctl.sim.workload import TrafficSource

EventSink = Callable[[float, str, str], None]  # (time, cluster, message)
# A write() latency meaning "the model put its requests' latencies in the histogram itself"
# (they took different paths, e.g. to different home regions).
RECORDED = -1.0


class ClusterBase:
    def __init__(self, spec: ClusterSpec, topology: Topology, network: Network, loop: EventLoop,
                 sink: EventSink) -> None:
        self.spec = spec
        self.name = spec.name
        self.topology = topology
        self.network = network
        self.loop = loop
        self.sink = sink
        self.mode = replication_mode(spec)
        self.timings = timings(spec)
        self.dt = flush_interval(spec)
        self.sources: list[TrafficSource] = []
        self.counters = Counters()
        self.write_latency = Histogram()
        self.read_latency = Histogram()
        self.clock = OutageClock()
        self.split_brain_seconds = 0.0
        self.max_lag_seconds = 0.0
        self.term = 1
        self.election = ""  # what the failover machinery is doing, shown in snapshots
        self.served_until = 0.0  # clients' requests are accounted up to this time
        self.read_only = False  # set by an operator: writes are refused, reads served
        self.nodes: list[SimNode] = []
        self.cap = CapBooks()

    def log(self, message: str) -> None:
        self.sink(self.loop.now, self.name, message)

    # -- the periodic tick -------------------------------------------------------------
    def start(self) -> None:
        self.loop.schedule(self.dt, self._tick)

    def _tick(self) -> None:
        now = self.loop.now
        self.tick(now, now - self.served_until)
        self.served_until = now
        self.loop.schedule(now + self.dt, self._tick)

    def catch_up(self, now: float) -> None:
        """Serve the part of the current interval that has passed, before a fault changes the world."""
        if now > self.served_until + 1e-9:
            self.tick(now, now - self.served_until)
            self.served_until = now

    def serve_traffic(self, now: float, dt: float) -> None:
        failed_live = 0
        attempted_live = 0
        cap = self.cap
        disturbed = cap.disturbed(self.nodes, self.network)
        if disturbed:
            cap.disturbed_seconds += dt
        for source in self.sources:
            nw, nr = source.arrivals(dt)
            books = source.counters
            if not self.network.up(source.loc):
                # The region's clients are down with it: their users are not served (availability
                # counts them), but no live client waits on a failover, so RTO does not.
                for counters in (self.counters, books):
                    counters.writes_attempted += nw
                    counters.writes_failed += nw
                    counters.reads_attempted += nr
                source.failed_any = source.failed_any or bool(nw or nr)
                continue
            if nw:
                ok, latency = (0, 0.0) if self.read_only else self.write(source, nw, now)
                self.counters.writes_attempted += nw
                self.counters.writes_acked += ok
                self.counters.writes_failed += nw - ok
                books.writes_attempted += nw
                books.writes_acked += ok
                books.writes_failed += nw - ok
                failed_live += nw - ok
                attempted_live += nw
                if ok and latency >= 0.0:
                    self.write_latency.add(latency, ok)
                if disturbed:
                    cap.refused += nw - ok
                    if ok and self.write_diverges(source):
                        cap.diverged += ok
                if ok < nw:
                    source.failed_any = True
            if nr:
                ok, stale, latency = self.read(source, nr, now)
                self.counters.reads_attempted += nr
                self.counters.reads_ok += ok
                self.counters.stale_reads += stale
                books.reads_attempted += nr
                books.reads_ok += ok
                books.stale_reads += stale
                if ok:
                    self.read_latency.add(latency, ok)
                if ok < nr:
                    source.failed_any = True
        self.clock.note_writes(now, attempted_live, failed_live)

    # -- overridden by each replication model -------------------------------------------
    def tick(self, now: float, dt: float) -> None:
        raise NotImplementedError

    def write(self, source: TrafficSource, count: int, now: float) -> tuple[int, float]:
        raise NotImplementedError

    def read(self, source: TrafficSource, count: int, now: float) -> tuple[int, int, float]:
        raise NotImplementedError

    def write_diverges(self, source: TrafficSource) -> bool:
        """While disturbed: are this source's acknowledged writes invisible to a live replica?"""
        return leader_follower_diverges(self)

    def consistency_cost(self) -> tuple[float, str]:
        """(seconds a write waits for replicas beyond a local commit, on whom) without faults."""
        from regionctl.model.resolved import commit_wait

        wait = commit_wait(self.topology, self.spec)
        if wait is None:
            return 0.0, "none: the leader acknowledges alone (async)"
        return wait[0], f"waits for {wait[1]}"

    def on_change(self, now: float) -> None:
        """The fault set changed: re-evaluate leadership, fencing, streams."""
        raise NotImplementedError

    def lost_writes(self) -> tuple[int, float]:
        """(acknowledged writes absent from the surviving history, RPO seconds)."""
        return 0, 0.0
