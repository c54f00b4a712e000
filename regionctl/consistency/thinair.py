"""Reads of values that no effective write wrote: an anomaly under every model. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from regionctl.consistency.history import Operation
from regionctl.consistency.result import Anomaly


def thin_air(ops: Sequence[Operation]) -> tuple[list[Anomaly], list[Operation]]:
    """(an anomaly per read of a value never written or whose write failed, the other operations)."""
    writes: dict[tuple[str, str, int], Operation] = {}
    for op in ops:
        if op.op == "write" and op.value is not None:
            writes[(op.cluster, op.key, op.value)] = op
    anomalies: list[Anomaly] = []
    rest: list[Operation] = []
    for op in ops:
        if op.op != "read" or op.outcome != "ok" or op.value is None:
            rest.append(op)
            continue
        w = writes.get((op.cluster, op.key, op.value))
        if w is not None and w.outcome != "fail":
            rest.append(op)
            continue
        if w is None:
            why = f"{op.session} read {op.value} from {op.key}, a value no operation in the history wrote."
            shown: tuple[Operation, ...] = (op,)
        else:
            why = (f"{op.session} read {op.value} from {op.key}, a value whose write by {w.session} was reported "
                   "failed: the write took effect after all, or the read is wrong.")
            shown = (w, op)
        anomalies.append(Anomaly("thin-air read", op.cluster, op.key, op.session, shown, why))
    return anomalies, rest
