"""Linearizability of one register: the Wing–Gong–Lowe search, memoised as in Porcupine.

The operations of one key are events (invocations and completions) in a doubly linked list in
time order. The search walks it: at an invocation it tries to linearize that operation next (a
write always can; a read only if it returns the register's current value), lifts it out of the
list and starts again from the front; at a completion whose operation is not yet linearized it
backtracks. A configuration (the set of operations linearized, the register's value) seen once
is never explored again. The set is kept as a Python int bitset and stored as (frontier, the bits
above it): every operation invoked before the first one still in the list is linearized, so the
memo holds only the window of concurrency, not the whole history.

Preparation (`effective`) keeps only what may have taken effect: failed operations never did,
reads of unknown outcome returned nothing, and a write of unknown outcome that no read returned
can be taken as never applied (placing it after everything else is always allowed). A write of
unknown outcome that someone read took effect before the first of those reads completed. Pure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from regionctl.consistency.history import Operation

Outcome = Literal["ok", "violated", "unknown"]


@dataclass(frozen=True)
class Interval:
    """An operation as the search sees it: a call and a return, times in seconds (return may be inf)."""

    op: Operation
    start: float
    end: float


@dataclass(frozen=True)
class SearchResult:
    outcome: Outcome
    steps: int


def effective(ops: Sequence[Operation]) -> list[Interval]:
    """The operations of one register that may have taken effect, with their time intervals."""
    first_read_end: dict[int, float] = {}
    for op in ops:
        if op.op == "read" and op.outcome == "ok" and op.value is not None and op.end is not None:
            first_read_end[op.value] = min(first_read_end.get(op.value, math.inf), op.end)
    out: list[Interval] = []
    for op in ops:
        if op.outcome == "fail":
            continue
        if op.op == "read":
            if op.outcome == "ok" and op.end is not None:
                out.append(Interval(op, op.start, op.end))
            continue
        if op.outcome == "ok" and op.end is not None:
            out.append(Interval(op, op.start, op.end))
        elif op.value is not None and op.value in first_read_end:
            out.append(Interval(op, op.start, max(op.start, first_read_end[op.value])))
    return out


def search(intervals: Sequence[Interval], budget: int) -> SearchResult:
    """Is there an order of `intervals` that respects real time and register semantics?

    The register starts empty (a read of None returns the initial state). `budget` bounds the
    search steps; when it runs out the answer is `unknown`."""
    order = sorted(range(len(intervals)), key=lambda i: (intervals[i].start, intervals[i].op.index))
    n = len(order)
    if n == 0:
        return SearchResult("ok", 0)
    writes = [intervals[i].op.op == "write" for i in order]
    values = [intervals[i].op.value for i in order]
    # Entries 1..2n: the call of op j is entry 2j+1, its return 2j+2; 0 is the head, 2n+1 the tail.
    # At equal times calls come first: operations that touch at an instant are concurrent.
    events = []
    for j, i in enumerate(order):
        events.append((intervals[i].start, 0, j, 2 * j + 1))
        events.append((intervals[i].end, 1, j, 2 * j + 2))
    events.sort()
    tail = 2 * n + 1
    nxt = [0] * (tail + 1)
    prv = [0] * (tail + 1)
    previous = 0
    for event in events:
        entry = event[3]
        nxt[previous] = entry
        prv[entry] = previous
        previous = entry
    nxt[previous] = tail
    prv[tail] = previous

    memo: set[tuple[int, int, int | None]] = set()
    stack: list[tuple[int, int | None]] = []
    linearized = 0
    state: int | None = None
    entry = nxt[0]
    steps = 0
    while entry != tail:
        steps += 1
        if steps > budget:
            return SearchResult("unknown", steps - 1)
        if entry & 1:  # a call
            j = entry >> 1
            if writes[j]:
                new_state = values[j]
            elif values[j] == state:
                new_state = state
            else:
                entry = nxt[entry]
                continue
            ret = entry + 1
            # Lift the call and its return out of the list.
            p, q = prv[entry], nxt[entry]
            nxt[p], prv[q] = q, p
            p, q = prv[ret], nxt[ret]
            nxt[p], prv[q] = q, p
            new_linearized = linearized | (1 << j)
            front = nxt[0]
            frontier = n if front == tail else front >> 1
            config = (frontier, new_linearized >> frontier, new_state)
            if config not in memo:
                memo.add(config)
                stack.append((entry, state))
                linearized, state = new_linearized, new_state
                entry = front
                continue
            # Seen before: put it back and try the next entry.
            nxt[prv[ret]] = ret
            prv[nxt[ret]] = ret
            nxt[prv[entry]] = entry
            prv[nxt[entry]] = entry
            entry = nxt[entry]
        else:  # the return of an operation not linearized yet: backtrack
            if not stack:
                return SearchResult("violated", steps)
            entry, state = stack.pop()
            linearized &= ~(1 << (entry >> 1))
            ret = entry + 1
            nxt[prv[ret]] = ret
            prv[nxt[ret]] = ret
            nxt[prv[entry]] = entry
            prv[nxt[entry]] = entry
            entry = nxt[entry]
    return SearchResult("ok", steps)
