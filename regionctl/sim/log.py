"""Replicated logs as timelines: a fluid of writes, counted exactly, stored compactly.

A timeline owns the log positions (fork_pos, end]; positions up to fork_pos belong
to its parent (PostgreSQL's timelines, Raft's log after a new term). Its growth is a
piecewise-linear `Curve`, so a commit time is an exact inverse, never an estimate
from trimmed batches. Every position on it was committed by its leader; what the
clients heard is kept apart: `unknown` records position ranges some of whose writes
were never acknowledged (the client timed out, or the answer was lost to a fault).
Memory grows with events, not with writes or duration.
"""

from __future__ import annotations

import itertools

from regionctl.sim.curve import Curve


class Timeline:
    __slots__ = ("curve", "fork_pos", "fork_time", "parent", "term", "tid", "unknown")

    def __init__(self, tid: int, parent: Timeline | None, fork_pos: float, term: int, at: float) -> None:
        self.tid = tid
        self.parent = parent
        self.fork_pos = fork_pos
        self.fork_time = at
        self.term = term
        self.curve = Curve(at, fork_pos)
        # (first, last, count): within positions (first, last], `count` writes were not acknowledged
        self.unknown: list[tuple[float, float, float]] = []

    def end(self, t: float) -> float:
        return self.curve.value(t)

    def set_rate(self, at: float, rate: float) -> None:
        self.curve.set_rate(at, rate)

    def commit_time(self, pos: float) -> float | None:
        """When position `pos` was committed, on this timeline or its ancestors (None: not yet)."""
        timeline: Timeline | None = self
        while timeline is not None:
            if pos > timeline.fork_pos or timeline.parent is None:
                return timeline.curve.time_of(max(pos, timeline.fork_pos))
            timeline = timeline.parent
        return None  # pragma: no cover

    def position_at(self, t: float) -> float:
        """The position committed by time `t` along this lineage."""
        timeline: Timeline = self
        while t < timeline.fork_time and timeline.parent is not None:
            timeline = timeline.parent
        return timeline.curve.value(t)

    def add_unknown(self, first: float, last: float, count: float) -> None:
        """`count` of the writes in (first, last] were not acknowledged (negative: were after all)."""
        if count and last > first:
            width = last - first
            self.unknown.append((first, last, max(-width, min(width, count))))

    def unknown_in(self, low: float, high: float) -> float:
        """Writes in (low, high] of this timeline's own positions that no client heard acknowledged."""
        total = 0.0
        for first, last, count in self.unknown:
            overlap = min(last, high) - max(first, low)
            if overlap > 0.0:
                total += count * overlap / (last - first)
        return total

    def acked_in(self, low: float, high: float) -> float:
        """Acknowledged writes among this timeline's own positions in (low, high]."""
        low = max(low, self.fork_pos)
        if high <= low:
            return 0.0
        return max(0.0, high - low - self.unknown_in(low, high))

    def last_acked_time_in(self, low: float, high: float) -> float | None:
        """Commit time of the newest acknowledged write in (low, high] (approximately: the newest
        position not wholly unacknowledged)."""
        low = max(low, self.fork_pos)
        if high <= low:
            return None
        # Walk back from the top in the unknown ranges' breakpoints to the first part with an ack.
        cuts = sorted({high, low, *(p for f, t, _ in self.unknown for p in (f, t) if low < p < high)}, reverse=True)
        for top, bottom in itertools.pairwise(cuts):
            if self.acked_in(bottom, top) > 1e-9 * (top - bottom) + 1e-12:
                return self.commit_time(top)
        return None

    def lineage(self) -> list[Timeline]:
        out: list[Timeline] = []
        node: Timeline | None = self
        while node is not None:
            out.append(node)
            node = node.parent
        return out

    def fork_point_with(self, other: Timeline) -> float | None:
        """The last position `other`'s history shares with this lineage (None: `other` is not an
        ancestor of this timeline nor this timeline itself)."""
        if other is self:
            return None
        child: Timeline = self
        ancestor = self.parent
        while ancestor is not None:
            if ancestor is other:
                return child.fork_pos
            child, ancestor = ancestor, ancestor.parent
        return None

    def holds(self, other: Timeline, pos: float) -> bool:
        """True if `other` up to `pos` is a prefix of this timeline's history."""
        if other is self:
            return True
        fork = self.fork_point_with(other)
        return fork is not None and pos <= fork + 1e-9


def shared_prefix(a: Timeline, b: Timeline) -> float:
    """The last log position on which the histories of `a` and `b` agree."""
    if a is b:
        return float("inf")
    below_a: dict[int, float] = {}  # ancestor id -> fork position of a's branch below it
    cut = float("inf")
    node: Timeline | None = a
    while node is not None:
        below_a[node.tid] = cut
        cut = min(cut, node.fork_pos)
        node = node.parent
    cut = float("inf")
    node = b
    while node is not None:
        if node.tid in below_a:
            return min(cut, below_a[node.tid])
        cut = min(cut, node.fork_pos)
        node = node.parent
    return 0.0
