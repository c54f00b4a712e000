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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from regionctl.consistency.history import Operation

Outcome = Literal["ok", "violated", "unknown"]


@dataclass(frozen=True)
class SearchResult:
    outcome: Outcome
    steps: int


def by_start(ops: Sequence[Operation]) -> list[Operation]:
    """Operations in invocation order (ties by history order): the order `effective` and `search` expect."""
    return sorted(ops, key=lambda o: (o.start, o.index))


def effective(ops: Sequence[Operation]) -> tuple[list[Operation], list[float]]:
    """The operations of one register that may have taken effect (in the order given), and when each
    completed as far as the search is concerned."""
    first_read_end: dict[int, float] = {}
    for op in ops:
        if op.op == "read" and op.outcome == "ok" and op.value is not None and op.end is not None:
            seen = first_read_end.get(op.value)
            if seen is None or op.end < seen:
                first_read_end[op.value] = op.end
    kept: list[Operation] = []
    ends: list[float] = []
    for op in ops:
        if op.outcome == "ok":
            if op.end is not None:
                kept.append(op)
                ends.append(op.end)
        elif op.outcome == "unknown" and op.op == "write" and op.value in first_read_end:
            kept.append(op)
            ends.append(max(op.start, first_read_end[op.value]))
    return kept, ends


def search(ops: Sequence[Operation], ends: Sequence[float], budget: int) -> SearchResult:
    """Is there an order of `ops` (in invocation order, see `by_start`) that respects real time,
    each completing by its `ends` entry, and register semantics?

    The register starts empty (a read of None returns the initial state). `budget` bounds the
    search steps; when it runs out the answer is `unknown`."""
    n = len(ops)
    if n == 0:
        return SearchResult("ok", 0)
    writes = [o.op == "write" for o in ops]
    values = [o.value for o in ops]
    # Entries 1..2n: the call of op j is entry 2j+1, its return 2j+2; 0 is the head, 2n+1 the tail.
    # At equal times calls come first: operations that touch at an instant are concurrent.
    events = [(o.start, 0, 2 * j + 1) for j, o in enumerate(ops)]
    events.extend((end, 1, 2 * j + 2) for j, end in enumerate(ends))
    events.sort()
    tail = 2 * n + 1
    nxt = [0] * (tail + 1)
    prv = [0] * (tail + 1)
    previous = 0
    for event in events:
        entry = event[2]
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
