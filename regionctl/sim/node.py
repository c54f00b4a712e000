"""One simulated database node: its place, role, log and how it receives and applies it.

A leader writes its own timeline (`writing`). A follower *receives* its upstream's log
one network delay later while the stream is up, and *applies* what it received at most
at its apply capacity (a fluid queue: a backlog builds when writes outpace it and
drains when they slow). Both are functions of time, evaluated on demand, re-anchored
only at events: no tick, and a replica down for hours costs nothing.
"""

from __future__ import annotations

from regionctl.sim.log import Timeline
from regionctl.sim.network import Loc


class SimNode:
    __slots__ = ("apply_p", "apply_t", "capacity", "cluster", "delay", "down_lag", "fenced", "frozen", "halted", "loc",
                 "name", "priority", "recv_base", "region", "role", "stream_lost_at", "stream_since", "streaming",
                 "term", "timeline", "upstream", "voted_for", "writing", "zone")

    def __init__(self, name: str, cluster: str, region: str, zone: str, priority: int, timeline: Timeline,
                 capacity: float) -> None:
        self.name = name
        self.cluster = cluster
        self.region = region
        self.zone = zone
        self.loc: Loc = (region, zone, name)
        self.priority = priority
        self.capacity = capacity  # writes per second it applies at full speed (slow:NODE=10x divides it)
        self.role = "follower"
        self.term = 1
        self.voted_for: str | None = None
        self.timeline = timeline  # the log its positions refer to
        self.writing = False  # True: it is the writer of `timeline` (a leader), its position is the log's end
        self.upstream: SimNode | None = None
        self.streaming = False
        self.stream_since = 0.0
        # When its stream last broke (None: streaming, or not connected since it started): what a replica
        # reports as master_link_down_since_seconds, which Sentinel reads to skip a replica cut off too long.
        self.stream_lost_at: float | None = None
        self.delay = 0.0  # one-way delay of the stream from the upstream
        self.recv_base = 0.0  # received position when the stream (re)started or stopped
        self.apply_t = 0.0
        self.apply_p = 0.0
        self.halted = False  # down: applies nothing
        self.frozen = False  # halted by a pause only: it resumes with its state and beliefs, not restarts
        # While down: (seconds, writes, at) of its lag when last settled, so its lag only grows.
        self.down_lag: tuple[float, int, float] | None = None
        self.fenced = False

    # -- positions -------------------------------------------------------------------------
    def received(self, t: float) -> float:
        """The log position this node holds durably at time t (Raft's log, PostgreSQL's received WAL)."""
        if self.writing:
            return self.timeline.end(t)
        if self.streaming and self.upstream is not None:
            upstream = self.upstream
            if upstream.writing and upstream.timeline is self.timeline:
                arrived = self.timeline.position_at(t - self.delay)
            else:  # cascading: one hop further back
                arrived = upstream.received(t - self.delay)
            return arrived if arrived > self.recv_base else self.recv_base
        return self.recv_base

    def applied(self, t: float) -> float:
        """What a read here sees at time t: received, minus the backlog its apply capacity leaves."""
        if self.writing:
            return self.timeline.end(t)
        if self.halted or t <= self.apply_t:
            return self.apply_p
        top = self.received(t)
        capacity = self.capacity
        start = self.apply_t
        if not self.streaming or self.upstream is None or not self.upstream.writing:
            # Draining a received backlog (or cascading): at most the capacity.
            reach = self.apply_p + capacity * (t - start)
            return top if top < reach else reach
        curve = self.timeline.curve
        shift = self.delay
        if self.apply_p >= self.received(start) - 1e-9 and curve.max_rate_in(start - shift, t - shift) <= capacity:
            return top
        best = self.apply_p + capacity * (t - start)
        for b in curve.breakpoints(start - shift, t - shift):
            s = b + shift
            candidate = self.received(s) + capacity * (t - s)
            if candidate < best:
                best = candidate
        return top if top < best else best

    def anchor(self, t: float) -> None:
        """Fix the apply queue's state at t, before its inputs (stream, capacity, health) change."""
        if t > self.apply_t:
            self.apply_p = self.applied(t)
            self.apply_t = t

    def stop_stream(self, t: float) -> None:
        """The stream broke at t: what was in flight is lost; what arrived stays and is applied."""
        if self.streaming:
            self.anchor(t)
            self.recv_base = self.received(t)
            self.streaming = False
            self.stream_lost_at = t

    def start_stream(self, t: float, delay: float) -> None:
        self.anchor(t)
        if self.streaming:
            self.recv_base = self.received(t)
        else:
            self.stream_since = t
        self.streaming = True
        self.stream_lost_at = None
        self.delay = delay

    def stop_writing(self, t: float) -> None:
        """No longer the writer of its timeline (demoted, stepped down): its log ends where it is."""
        if self.writing:
            end = self.timeline.end(t)
            self.timeline.set_rate(t, 0.0)
            self.writing = False
            self.recv_base = end
            self.apply_p = end
            self.apply_t = t
            self.streaming = False

    def backlog(self, t: float) -> float:
        """Received but not yet applied."""
        return max(0.0, self.received(t) - self.applied(t))
