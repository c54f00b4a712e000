"""The two commonest linearizability witnesses, found in one sweep instead of a search. Pure.

- a stale read: a read returned v (or the initial state) although a write acknowledged after v's
  write had completed, was itself acknowledged before the read began: {write of v, that write, read};
- a read from the future: a read completed before the write of its value was invoked: {read, write}.
Each is closed under reads-from, not linearizable, and 1-minimal, so it is exactly what searching
and minimising would report; the search still decides the register and finds the other shapes.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from regionctl.consistency.history import Operation

SCAN = 64  # acknowledged writes looked at per read before leaving it to the search


def quick_witnesses(ops: Sequence[Operation]) -> list[list[Operation]]:
    """Witnesses among the effective operations `ops` of one register (in invocation order)."""
    acked = sorted((o for o in ops if o.op == "write" and o.outcome == "ok" and o.end is not None),
                   key=lambda o: (o.end, o.index))
    ends = [o.finish for o in acked]
    writer = {o.value: o for o in ops if o.op == "write"}
    found: list[list[Operation]] = []
    for r in ops:
        if r.op != "read" or r.end is None:
            continue
        if r.value is None:
            if acked and ends[0] < r.start:
                found.append([acked[0], r])
            continue
        w = writer.get(r.value)
        if w is None:
            continue
        if r.end < w.start:
            found.append([r, w])
            continue
        if w.end is None:
            continue  # an unknown outcome: when it took effect depends on every read of it
        i = bisect.bisect_right(ends, w.end)
        for later in acked[i:i + SCAN]:
            if later.finish >= r.start:
                break
            if later.start > w.end:
                found.append([w, later, r])
                break
    return found
