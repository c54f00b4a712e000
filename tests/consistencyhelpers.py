"""Histories for the checker's tests: by hand, from a linearizable reference, and by brute force."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from regionctl.consistency.history import History, Operation


def op(index: int, kind: str, value: int | None, start: float, end: float | None, session: str = "s1",
       key: str = "x", outcome: str | None = None, cluster: str = "c") -> Operation:
    out = outcome or ("ok" if end is not None else "unknown")
    return Operation(index=index, op=kind, key=key, value=value, session=session, start=start,  # type: ignore[arg-type]
                     end=end, outcome=out, cluster=cluster)  # type: ignore[arg-type]


def hist(*rows: tuple[Any, ...], faults: Sequence[Any] = ()) -> History:
    """Rows of (kind, value, start, end[, session[, key[, outcome]]])."""
    return History(tuple(op(i, *row) for i, row in enumerate(rows)), tuple(faults))


def linearizable_reference(seed: int, ops: int = 200, sessions: int = 4, keys: int = 1,
                           unknown: float = 0.05, fail: float = 0.03) -> list[Operation]:
    """Sequential sessions on registers that take effect at a random point of each operation's interval:
    the history is linearizable by construction. Some writes time out (taking effect or not), some fail."""
    rng = random.Random(seed)
    clock = [rng.uniform(0, 1) for _ in range(sessions)]
    planned: list[dict[str, Any]] = []
    next_value: dict[str, int] = {}
    for i in range(ops):
        s = rng.randrange(sessions)
        start = clock[s]
        end = start + rng.expovariate(2.0)
        clock[s] = end + rng.expovariate(1.0)
        key = f"k{rng.randrange(keys)}"
        kind = "write" if rng.random() < 0.5 else "read"
        outcome = "ok"
        roll = rng.random()
        if roll < unknown:
            outcome = "unknown"
        elif roll < unknown + fail:
            outcome = "fail"
        value = None
        if kind == "write":
            value = next_value.get(key, 0) + 1
            next_value[key] = value
        applied = outcome == "ok" or (outcome == "unknown" and rng.random() < 0.5)
        point = rng.uniform(start, end) if outcome != "unknown" else start + rng.expovariate(0.5)
        planned.append({"i": i, "kind": kind, "key": key, "value": value, "session": f"s{s}", "start": start,
                        "end": None if outcome == "unknown" else end, "outcome": outcome,
                        "applied": applied, "point": point})
    state: dict[str, int | None] = {}
    for p in sorted(planned, key=lambda p: p["point"]):
        if not p["applied"]:
            continue
        if p["kind"] == "write":
            state[p["key"]] = p["value"]
        else:
            p["value"] = state.get(p["key"])
    return [op(p["i"], p["kind"], p["value"] if p["outcome"] == "ok" or p["kind"] == "write" else None,
               p["start"], p["end"], p["session"], p["key"], p["outcome"]) for p in planned]


def stale_mutation(ops: list[Operation], rng: random.Random) -> list[Operation] | None:
    """The same history with one read changed to return a value overwritten before it began."""
    writes = [o for o in ops if o.op == "write" and o.outcome == "ok"]
    reads = [o for o in ops if o.op == "read" and o.outcome == "ok"]
    rng.shuffle(reads)
    for r in reads:
        done = sorted((w for w in writes if w.key == r.key and w.end is not None and w.end < r.start),
                      key=lambda w: w.start)
        pairs = [(a, b) for a in done for b in done if a.end is not None and a.end < b.start]
        if pairs:
            a, _ = rng.choice(pairs)
            changed = Operation(r.index, "read", r.key, a.value, r.session, r.start, r.end, "ok", cluster=r.cluster)
            return [changed if o.index == r.index else o for o in ops]
    return None


def brute_force_linearizable(ops: Sequence[Operation]) -> bool:
    """Try every order (and every choice of which unknown writes took effect): tiny histories only."""
    live = [o for o in ops if o.outcome == "ok" or (o.outcome == "unknown" and o.op == "write")]

    def extend(remaining: list[Operation], state: dict[tuple[str, str], int | None]) -> bool:
        oks = [o for o in remaining if o.outcome == "ok"]
        if not oks:
            return True  # the unknown writes left can take effect after everything, or never
        for o in remaining:
            if any(p.end is not None and p.end < o.start for p in remaining if p is not o):
                continue  # something still to place had completed before o began
            rest = [p for p in remaining if p is not o]
            if o.op == "write":
                if extend(rest, {**state, o.object: o.value}):
                    return True
                if o.outcome == "unknown" and extend(rest, state):
                    return True
            elif state.get(o.object) == o.value and extend(rest, state):
                return True
        return False

    return extend(live, {})
