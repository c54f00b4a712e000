"""One simulated database node: its place, role, log position and inbound stream."""

from __future__ import annotations

from collections import deque

from regionctl.sim.log import Timeline
from regionctl.sim.network import Loc

# Operations per second a node applies or serves at full speed (a slow:NODE=10x fault divides it).
NODE_CAPACITY = 20000.0


class SimNode:
    __slots__ = ("capacity", "cluster", "fenced", "inflight", "last_arrive", "loc", "name", "pos", "priority",
                 "region", "role", "sent", "term", "timeline", "upstream", "voted_for", "zone")

    def __init__(self, name: str, cluster: str, region: str, zone: str, priority: int, timeline: Timeline) -> None:
        self.name = name
        self.cluster = cluster
        self.region = region
        self.zone = zone
        self.loc: Loc = (region, zone, name)
        self.priority = priority
        self.capacity = NODE_CAPACITY
        self.role = "follower"
        self.term = 1
        self.voted_for: str | None = None
        self.timeline = timeline
        self.pos = 0  # durable position on self.timeline
        self.upstream: SimNode | None = None
        self.sent = 0  # what the upstream has shipped towards this node
        # (arrival of the batch's last write, position reached, arrival of its first write, position before)
        self.inflight: deque[tuple[float, int, float, int]] = deque()
        self.last_arrive = 0.0
        self.fenced = False

    def settle(self, now: float) -> None:
        """Apply what has arrived by `now`. A batch's writes were committed over the
        tick, so they arrive spread over as long: the stream is continuous, counted exactly."""
        inflight = self.inflight
        while inflight and inflight[0][0] <= now:
            self.pos = inflight.popleft()[1]
        if inflight:
            end, upto, start, before = inflight[0]
            if now > start and end > start:
                reached = before + int((upto - before) * (now - start) / (end - start))
                if reached > self.pos:
                    self.pos = reached

    def drop_inflight(self) -> None:
        """The connection broke: what had not arrived is gone (it will be re-sent)."""
        self.inflight.clear()
        self.sent = self.pos
