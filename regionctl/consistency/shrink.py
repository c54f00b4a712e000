"""One operation at a time, while what is left still shows an anomaly: a 1-minimal witness. Pure.

A write leaves with the reads that returned it, so what is left never reads from thin air: the
witness always names the writes its reads saw.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from regionctl.consistency.history import Operation
from regionctl.consistency.result import Anomaly

LIMIT = 60  # witnesses longer than this are kept as found (each try re-checks what is left)


def shrink(anomaly: Anomaly, recheck: Callable[[list[Operation]], list[Anomaly]]) -> Anomaly:
    """The smallest anomaly `recheck` still finds among `anomaly`'s operations, dropping one at a time."""
    ops = list(anomaly.operations)
    if len(ops) > LIMIT:
        return anomaly
    best = anomaly
    changed = True
    while changed:
        changed = False
        for op in sorted(ops, key=lambda o: (o.is_write, -o.start, -o.index)):
            if op not in ops:
                continue
            left = _without(ops, op)
            found = [a for a in recheck(left) if a.kind != "thin-air read"] if left else []
            if found:
                ops, best, changed = left, found[0], True
    return best


def _without(ops: Sequence[Operation], op: Operation) -> list[Operation]:
    if not op.is_write:
        return [o for o in ops if o is not op]
    return [o for o in ops if o is not op and not (o.op == "read" and o.object == op.object and o.value == op.value)]


def distinct(anomalies: Sequence[Anomaly]) -> list[Anomaly]:
    """Anomalies that shrank to the same operations count once (the first kept)."""
    seen: set[frozenset[int]] = set()
    out = []
    for a in anomalies:
        ident = frozenset(o.index for o in a.operations)
        if ident not in seen:
            seen.add(ident)
            out.append(a)
    return out
