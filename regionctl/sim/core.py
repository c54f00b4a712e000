"""A tiny discrete-event core in the manner of SimPy: a virtual clock and a heap.

Callbacks are scheduled at absolute virtual times; ties run in scheduling order, so
a run is a pure function of its inputs. Cancellation is by the caller's own
generation counters (a stale callback checks and returns), which keeps the heap
free of bookkeeping.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any


class EventLoop:
    __slots__ = ("_heap", "_seq", "events", "now")

    def __init__(self) -> None:
        self.now = 0.0
        self._heap: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self._seq = 0
        self.events = 0

    def schedule(self, at: float, callback: Callable[..., None], *args: Any) -> None:
        if at < self.now:
            at = self.now
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, callback, args))

    def version(self) -> tuple[float, int, int]:
        """Changes whenever time passes, an event runs or one is scheduled: what a cache of the state keys on."""
        return (self.now, self.events, self._seq)

    def next_time(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def run_until(self, until: float) -> None:
        heap = self._heap
        pop = heapq.heappop
        while heap and heap[0][0] <= until:
            at, _, callback, args = pop(heap)
            self.now = at
            self.events += 1
            callback(*args)
        if until > self.now:
            self.now = until
