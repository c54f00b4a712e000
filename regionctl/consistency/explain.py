"""One sentence for a linearizability witness: the known shapes named, any other shape described. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from regionctl.consistency.history import Operation


def t(x: float | None) -> str:
    return "never (unknown)" if x is None else f"{x:.3f}s"


def shown(value: int | None) -> str:
    return "nothing (the initial state)" if value is None else str(value)


def explain_linearizability(ops: Sequence[Operation]) -> str:
    reads = [o for o in ops if o.op == "read"]
    writes = {o.value: o for o in ops if o.op == "write"}
    key = ops[0].key
    if len(reads) == 1:
        r = reads[0]
        w = writes.get(r.value) if r.value is not None else None
        if w is not None and r.end is not None and r.end < w.start:
            return (f"{r.session} read {r.value} from {key}, completing at {t(r.end)}, before the write of "
                    f"{r.value} was even invoked at {t(w.start)}.")
        newer = [o for o in writes.values() if o.value != r.value and o.end is not None and r.end is not None
                 and o.end < r.start and (w is None or (w.end is not None and w.end < o.start))]
        if newer:
            b = max(newer, key=lambda o: (o.end or 0.0, o.index))
            older = "" if w is None else f", after {r.value} had been written"
            return (f"{r.session} read {shown(r.value)} from {key} at {t(r.start)}, yet the write of {b.value} by "
                    f"{b.session} had been acknowledged at {t(b.end)}{older}: the read missed an acknowledged "
                    "write (lost, or not yet visible where it read).")
    if len(reads) == 2:
        r1, r2 = sorted(reads, key=lambda o: o.start)
        w1 = writes.get(r1.value) if r1.value is not None else None
        w2 = writes.get(r2.value) if r2.value is not None else None
        went_back = w2 is None or (w1 is not None and w2.end is not None and w2.end < w1.start)
        if r1.end is not None and r1.end < r2.start and went_back and r1.value != r2.value:
            return (f"{r2.session} read {shown(r2.value)} from {key} at {t(r2.start)}, after {r1.session} had "
                    f"already read the newer {r1.value} at {t(r1.end)}: a value was seen, then went back.")
    labels = ", ".join(f"{o.label()} by {o.session} [{t(o.start)}, {t(o.end)}]" for o in ops)
    return (f"No order of these {len(ops)} operations on {key} respects both real time and last-write-wins: "
            f"{labels}.")
