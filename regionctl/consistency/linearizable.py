"""Per-key linearizability of registers, with the smallest set of operations that shows a violation.

Linearizability is local: a history is linearizable iff each register's sub-history is, so each
(cluster, key) is searched on its own (`wgl.search`) within its own budget. A read of a value that
no effective write wrote ("thin air") is reported at once and left out of the search.

Minimising. Take a set of a register's operations closed under reads-from (with each read, the
write it returned). If the register's history is linearizable, so is every such set (drop the
other operations from a linearization: each read still follows its write with no write between).
So a closed set that is not linearizable is a witness, and witnesses can be shrunk: first the
shortest failing prefix (in invocation order), then the shortest failing suffix of it, then one
operation at a time (a write leaves with its reads) while the rest still fails. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from regionctl.consistency.explain import explain_linearizability
from regionctl.consistency.history import History, Operation
from regionctl.consistency.result import Anomaly, CheckResult, verdict_of
from regionctl.consistency.thinair import thin_air
from regionctl.consistency.wgl import effective, search

DEFAULT_BUDGET = 1_000_000  # search steps per register
MINIMISE_LIMIT = 400  # beyond this many operations in a window, skip the one-at-a-time pass


@dataclass
class _Counter:
    budget: int
    steps: int = 0

    def violated(self, ops: Sequence[Operation]) -> bool:
        result = search(effective(ops), self.budget)
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


def minimise(ops: Sequence[Operation], counter: _Counter) -> list[Operation]:
    """A small reads-from-closed subset of `ops` (not linearizable) that is still not linearizable."""
    order = sorted(ops, key=lambda o: (o.start, o.index))
    writer = {op.value: op for op in order if op.op == "write" and op.value is not None}
    lo, hi = 0, len(order)  # closure(order[:hi]) fails, closure(order[:lo]) passes
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if counter.violated(_closure(order[:mid], writer)):
            hi = mid
        else:
            lo = mid
    first, last = 0, hi  # closure(order[first:hi]) fails, closure(order[last:hi]) passes
    while last - first > 1:
        mid = (first + last) // 2
        if counter.violated(_closure(order[mid:hi], writer)):
            first = mid
        else:
            last = mid
    window = _closure(order[first:hi], writer)
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


def check_register(ops: Sequence[Operation], budget: int) -> tuple[str, list[Anomaly], int, int]:
    """One register: (outcome, anomalies, steps of the verdict search, steps in all)."""
    anomalies, rest = thin_air(ops)
    result = search(effective(rest), budget)
    counter = _Counter(budget, result.steps)
    if result.outcome == "violated":
        witness = minimise([iv.op for iv in effective(rest)], counter)
        first = witness[0]
        anomalies.append(Anomaly("linearizability", first.cluster, first.key, None, tuple(witness),
                                 explain_linearizability(witness)))
    outcome = "violated" if anomalies else result.outcome
    return outcome, anomalies, result.steps, counter.steps


def check_linearizable(history: History, budget: int = DEFAULT_BUDGET) -> CheckResult:
    """Per-key linearizability of `history`; one anomaly (the earliest) per register that violates it."""
    anomalies: list[Anomaly] = []
    unknown: list[str] = []
    used = steps = 0
    parts = partition(history.operations)
    for (cluster, key), ops in parts.items():
        outcome, found, verdict_steps, all_steps = check_register(ops, budget)
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
