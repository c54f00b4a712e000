"""Per-key linearizability of registers, with the smallest set of operations that shows a violation.

Linearizability is local: a history is linearizable iff each register's sub-history is, so each
(cluster, key) is searched on its own (`wgl.search`) within its own budget. A read of a value that
no effective write wrote ("thin air") is reported at once and left out of the search.

Minimising. Take a set of a register's operations closed under reads-from (with each read, the
write it returned). If the register's history is linearizable, so is every such set (drop the
other operations from a linearization: each read still follows its write with no write between).
So a closed set that is not linearizable is a witness, and witnesses can be shrunk: first the
shortest failing prefix (in invocation order), then the shortest failing suffix of it, then one
operation at a time (a write leaves with its reads) while the rest still fails.

Finding more than one. Windows of operations slide along a register that failed (or whose search
ran out: a failing window is proof enough). The earliest witness of a failing window is minimised
and the operation that completed it retired, and the scan goes on: every anomaly whose witness
spans at most WINDOW operations is reported once, in the order they complete. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from regionctl.consistency.explain import explain_linearizability
from regionctl.consistency.history import History, Operation
from regionctl.consistency.patterns import quick_witnesses
from regionctl.consistency.result import Anomaly, CheckResult, verdict_of
from regionctl.consistency.thinair import thin_air
from regionctl.consistency.wgl import by_start, effective, search

DEFAULT_BUDGET = 1_000_000  # search steps per register
MINIMISE_LIMIT = 400  # beyond this many operations in a witness, skip the one-at-a-time pass
WINDOW = 100  # operations either side of the scan's position (witnesses spanning more: one per register)
MAX_ANOMALIES = 100  # per register


@dataclass
class _Counter:
    budget: int
    steps: int = 0

    def violated(self, ops: Sequence[Operation]) -> bool:
        """`ops` in invocation order."""
        result = search(*effective(ops), self.budget)
        self.steps += result.steps
        return result.outcome == "violated"


def partition(ops: Sequence[Operation]) -> dict[tuple[str, str], list[Operation]]:
    """The operations of each register, registers in name order, operations in history order."""
    parts: dict[tuple[str, str], list[Operation]] = {}
    for op in ops:
        parts.setdefault(op.object, []).append(op)
    return dict(sorted(parts.items()))


def _closure(chosen: Sequence[Operation], writer: dict[int, Operation]) -> list[Operation]:
    seen = {op.index for op in chosen}
    out = list(chosen)
    for op in chosen:
        if op.op == "read" and op.value is not None:
            w = writer.get(op.value)
            if w is not None and w.index not in seen:
                seen.add(w.index)
                out.append(w)
    return sorted(out, key=lambda o: (o.start, o.index))


def _shrink(window: list[Operation], counter: _Counter) -> list[Operation]:
    """One operation at a time (a write leaves with its reads) while the rest still fails."""
    if len(window) > MINIMISE_LIMIT:
        return window
    changed = True
    while changed:
        changed = False
        # Reads first (they carry no dependants), latest first; then writes with their reads.
        for op in sorted(window, key=lambda o: (o.op == "write", -o.start, -o.index)):
            if op not in window:
                continue
            drop = {op.index}
            if op.op == "write":
                drop |= {r.index for r in window if r.op == "read" and r.value == op.value}
            candidate = [o for o in window if o.index not in drop]
            if candidate and counter.violated(candidate):
                window = candidate
                changed = True
    return window


class _Register:
    """One register's effective operations in invocation order, and the witnesses found so far."""

    def __init__(self, ops: Sequence[Operation], counter: _Counter) -> None:
        self.order = by_start(ops)
        self.place = {op.index: i for i, op in enumerate(self.order)}
        self.writer = {op.value: op for op in self.order if op.op == "write" and op.value is not None}
        self.counter = counter
        self.removed: set[int] = set()

    def closed(self, a: int, b: int) -> list[Operation]:
        """The operations in order[a:b] not retired, with the writes they read, in invocation order."""
        removed, place, writer, order = self.removed, self.place, self.writer, self.order
        chosen = [i for i in range(a, b) if order[i].index not in removed]
        extra: set[int] = set()
        for i in chosen:
            value = order[i].value
            if order[i].op == "read" and value is not None:
                w = writer.get(value)
                if w is not None and not a <= place[w.index] < b:
                    extra.add(place[w.index])
        if extra:
            chosen = sorted(extra.union(chosen))
        return [order[i] for i in chosen]

    def fails(self, a: int, b: int) -> bool:
        return self.counter.violated(self.closed(a, b))

    def witness(self, a: int, lo: int, hi: int) -> tuple[list[Operation], int]:
        """Given closed(a, lo) passing and closed(a, hi) failing: the smallest witness, and where it ends."""
        while hi - lo > 1:  # the shortest failing prefix
            mid = (lo + hi) // 2
            if self.fails(a, mid):
                hi = mid
            else:
                lo = mid
        first, last = a, hi  # then the shortest failing suffix of it
        while last - first > 1:
            mid = (first + last) // 2
            if self.fails(mid, hi):
                first = mid
            else:
                last = mid
        return _shrink(self.closed(first, hi), self.counter), hi

    def retire(self, end: int) -> None:
        """Leave out the operation that completed a witness (a write with its reads) from later searches."""
        culprit = self.order[end - 1]
        self.removed.add(culprit.index)
        if culprit.op == "write":
            self.removed |= {o.index for o in self.order if o.op == "read" and o.value == culprit.value}

    def scan(self, cap: int) -> list[list[Operation]]:
        """Witnesses spanning at most WINDOW operations, in the order they complete, up to `cap`.

        Windows of 2*WINDOW operations slide along; once a window fails, its earliest witness is
        minimised and its last operation retired, so the next window finds the next anomaly."""
        found: list[list[Operation]] = []
        n = len(self.order)
        pos = 0  # every witness within WINDOW operations that ends before pos is reported
        while pos < n and len(found) < cap:
            a, b = max(0, pos - WINDOW), min(n, pos + WINDOW)
            if not self.fails(a, b):
                pos = b
                continue
            witness, end = self.witness(a, pos, b)
            found.append(witness)
            self.retire(end)
            pos = end
        return found


def minimise(ops: Sequence[Operation], counter: _Counter) -> list[Operation]:
    """A small reads-from-closed subset of `ops` (not linearizable) that is still not linearizable."""
    register = _Register(ops, counter)
    return register.witness(0, 0, len(register.order))[0]


def check_register(ops: Sequence[Operation], budget: int,
                   cap: int = MAX_ANOMALIES) -> tuple[str, list[Anomaly], int, int]:
    """One register: (outcome, anomalies, steps of the verdict search, steps in all)."""
    anomalies, rest = thin_air(ops)
    live, ends = effective(by_start(rest))
    result = search(live, ends, budget)
    counter = _Counter(budget, result.steps)
    witnesses: list[list[Operation]] = []
    if result.outcome != "ok":
        # Any failing set proves a violation, even where the whole register's search ran out. The
        # commonest shapes come from one sweep; windows find the rest with those reads left out.
        witnesses = quick_witnesses(live)[:cap]
        register = _Register(live, counter)
        register.removed = {w[-1].index if w[-1].op == "read" else w[0].index for w in witnesses}
        witnesses.extend(register.scan(cap - len(witnesses)))
        if not witnesses and result.outcome == "violated":
            witnesses = [minimise(live, counter)]  # a witness longer than a window
    shapes: set[tuple[frozenset[int], frozenset[str]]] = set()
    for witness in witnesses:
        # The same writes missed again by the same reader: one anomaly.
        shape = (frozenset(o.index for o in witness if o.is_write),
                 frozenset(o.session for o in witness if not o.is_write))
        if shape in shapes:
            continue
        shapes.add(shape)
        first = witness[0]
        anomalies.append(Anomaly("linearizability", first.cluster, first.key, None, tuple(witness),
                                 explain_linearizability(witness)))
    outcome = "violated" if anomalies else result.outcome
    return outcome, anomalies, result.steps, counter.steps


def check_linearizable(history: History, budget: int = DEFAULT_BUDGET, cap: int = MAX_ANOMALIES) -> CheckResult:
    """Per-key linearizability of `history`, with up to `cap` anomalies per register (the earliest)."""
    anomalies: list[Anomaly] = []
    unknown: list[str] = []
    used = steps = 0
    parts = partition(history.operations)
    for (cluster, key), ops in parts.items():
        outcome, found, verdict_steps, all_steps = check_register(ops, budget, cap)
        anomalies.extend(found)
        used = max(used, verdict_steps)
        steps += all_steps
        if outcome == "unknown":
            unknown.append(f"{cluster}/{key}" if cluster else key)
    anomalies.sort(key=lambda a: (a.at, a.cluster, a.key or "", a.kind))
    return CheckResult(
        model="linearizable", verdict=verdict_of(len(anomalies), len(unknown)), anomalies=tuple(anomalies),
        ops_checked=len(history.operations), objects=len(parts),
        sessions=len({op.session for op in history.operations}), budget=budget, budget_used=used,
        steps=steps, unknown=tuple(unknown), faults=history.faults, anomalies_found=len(anomalies))
