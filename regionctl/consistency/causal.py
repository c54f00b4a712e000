"""Causal consistency, where the history shows it: values are unique, so each read names its write.

Causal order is session order and reads-from, closed transitively, over every register. The check
looks for the bad patterns of Bouajjani, Enea, Guerraoui and Hamza ("On verifying causal
consistency", POPL 2017) that causal order alone decides:
- cyclic causality: an operation would causally precede itself (a read of a write that depends on it);
- a read of the initial state although a write of that key causally precedes the read;
- a read of a write w1 although another write of that key causally follows w1 and precedes the read.
Arbitration between concurrent writes is not checked (a store may resolve them either way).

Causal pasts are vector clocks over sessions (the position of each session's latest operation in
the past). A write of unknown outcome that some read returned took effect, but it may have done so
after its session's later operations: it follows its session's earlier operations and precedes
only what read it: it is in a causal past iff one of the reads that returned it is. Pure.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

from regionctl.consistency.history import History, Operation
from regionctl.consistency.linearizable import partition
from regionctl.consistency.result import Anomaly, CheckResult, verdict_of
from regionctl.consistency.shrink import distinct, shrink
from regionctl.consistency.thinair import thin_air

MAX_ANOMALIES = 1000

Clock = list[int]  # per session: how many of its chained operations are in a causal past


@dataclass
class Sessions:
    """Each session's chain (its acknowledged operations in order) and the causal past of each operation."""

    names: list[str]
    chain: list[list[Operation]]
    position: dict[int, tuple[int, int]] = field(default_factory=dict)  # op index -> (session, 1-based place)
    past: dict[int, Clock] = field(default_factory=dict)
    # A write of unknown outcome is in a past iff one of the reads that returned it is: per such
    # write, the place of the first of them in each session.
    first_reads: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    # Such a write also precedes its session's later writes of unknown outcome, so it is in every past
    # that one of them is in: per write, the first reads of it and of those (filled in by `reach`).
    reach_reads: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    def contains(self, clock: Clock, w: Operation) -> bool:
        """Is `w` in the causal past `clock`?"""
        place = self.position.get(w.index)
        if place is None:
            return any(clock[i] >= at for i, at in self.reach_reads.get(w.index, ()))
        return clock[place[0]] >= place[1]

    def reach(self, side: Sequence[Operation]) -> None:
        """Fill `reach_reads` from `first_reads` (`side`: the writes of unknown outcome, by start)."""
        firsts: dict[str, dict[int, int]] = {}  # per session: the earliest read of a later side write, by reader
        for u in reversed(side):
            seen = firsts.setdefault(u.session, {})
            for i, at in self.first_reads.get(u.index, ()):
                seen[i] = min(at, seen.get(i, at))
            self.reach_reads[u.index] = sorted(seen.items())

    def follows(self, u: Operation, w: Operation) -> bool:
        """Is `w` in the causal past of the write `u`? A write of unknown outcome follows its session's
        earlier ones, which its clock (acknowledged operations only) cannot show."""
        if self.contains(self.past[u.index], w):
            return True
        return (u.index not in self.position and w.index not in self.position and u.session == w.session
                and (w.start, w.index) < (u.start, u.index))


def _join(a: Clock, b: Clock) -> Clock:
    return [x if x > y else y for x, y in zip(a, b, strict=True)]


class CausalCheck:
    def __init__(self, ops: Sequence[Operation], cap: int) -> None:
        self.cap = cap
        self.anomalies: list[Anomaly] = []
        self.found = 0
        self.shapes: set[tuple[str, str | None, frozenset[int]]] = set()
        read_values = {(o.cluster, o.key, o.value) for o in ops
                       if o.op == "read" and o.outcome == "ok" and o.value is not None}
        chained = sorted((o for o in ops if o.outcome == "ok"), key=lambda o: (o.session, o.start, o.index))
        self.side = sorted((o for o in ops if o.op == "write" and o.outcome == "unknown"
                            and (o.cluster, o.key, o.value) in read_values), key=lambda o: (o.start, o.index))
        self.writer = {(o.cluster, o.key, o.value): o for o in ops if o.op == "write" and o.outcome != "fail"}
        names = sorted({o.session for o in chained} | {o.session for o in self.side})
        ids = {name: i for i, name in enumerate(names)}
        self.s = Sessions(names, [[] for _ in names])
        for o in chained:
            self.s.chain[ids[o.session]].append(o)
            self.s.position[o.index] = (ids[o.session], len(self.s.chain[ids[o.session]]))
        # Writes of each session on each register, by place in the chain (for "the latest one in a past").
        self.places: dict[tuple[int, str, str], list[int]] = {}
        for i, chain in enumerate(self.s.chain):
            for place, o in enumerate(chain, start=1):
                if o.op == "write":
                    self.places.setdefault((i, o.cluster, o.key), []).append(place)
        self.writers_of: dict[tuple[str, str], list[tuple[int, list[int]]]] = {}
        for (i, cluster, key), places in sorted(self.places.items()):
            self.writers_of.setdefault((cluster, key), []).append((i, places))
        self.side_after: dict[tuple[int, int], list[Operation]] = {}  # (session, place before) -> side writes
        self.side_place: dict[int, tuple[int, int]] = {}
        starts = [[o.start for o in chain] for chain in self.s.chain]
        for u in self.side:
            i = ids[u.session]
            before = bisect.bisect_left(starts[i], u.start)
            self.side_after.setdefault((i, before), []).append(u)
            self.side_place[u.index] = (i, before)
        # Reads that returned a write of unknown outcome, by session and register, in session order;
        # beside them (filled in as the pass goes) the running maximum of those writes' pasts.
        self.side_reads: dict[tuple[int, str, str], list[int]] = {}
        self.side_reads_max: dict[tuple[int, str, str], list[Clock]] = {}
        side_values = {(u.cluster, u.key, u.value): u for u in self.side}
        for i, chain in enumerate(self.s.chain if side_values else ()):
            for place, o in enumerate(chain, start=1):
                read_of = side_values.get((o.cluster, o.key, o.value)) if o.op == "read" else None
                if read_of is not None:
                    self.side_reads.setdefault((i, o.cluster, o.key), []).append(place)
                    firsts = self.s.first_reads.setdefault(read_of.index, [])
                    if not any(k == i for k, _ in firsts):
                        firsts.append((i, place))
        self.s.reach(self.side)
        self.side_readers_of: dict[tuple[str, str], list[int]] = {}
        for i, cluster, key in sorted(self.side_reads):
            self.side_readers_of.setdefault((cluster, key), []).append(i)

    # -- the forward pass ----------------------------------------------------------------------------
    def run(self) -> None:
        n = len(self.s.names)
        done = [0] * n  # chained operations processed per session
        current: list[Clock] = [[0] * n for _ in range(n)]
        blocked: dict[int, list[int]] = {}  # write index -> sessions waiting on it
        ready = list(range(n))
        for i in range(n):
            self._side(i, 0, current[i])
        while True:
            while ready:
                i = ready.pop()
                chain = self.s.chain[i]
                while done[i] < len(chain):
                    o = chain[done[i]]
                    w = self._writer(o)
                    if w is not None and w.index not in self.s.past:
                        blocked.setdefault(w.index, []).append(i)
                        break
                    p = list(current[i]) if w is None else _join(current[i], self.s.past[w.index])
                    done[i] += 1
                    p[i] = done[i]
                    self.s.past[o.index] = current[i] = p
                    if o.op == "read":
                        if w is not None and w.outcome == "unknown":
                            self._note_side_read(i, o, self.s.past[w.index])
                        self._check_read(o, w, p)
                    else:
                        ready.extend(blocked.pop(o.index, []))
                    for u in self._side(i, done[i], p):
                        ready.extend(blocked.pop(u.index, []))
            stuck = [i for i in range(n) if done[i] < len(self.s.chain[i])]
            if not stuck:
                return
            # The read that closes the cycle is taken as reading nothing, and the pass goes on.
            i = self._cycle(stuck[0], done)
            o = self.s.chain[i][done[i]]
            p = list(current[i])
            done[i] += 1
            p[i] = done[i]
            w = self._writer(o)
            if w is not None and w.outcome == "unknown":
                self._note_side_read(i, o, [0] * n)  # it brought nothing
            self.s.past[o.index] = current[i] = p
            for u in self._side(i, done[i], p):
                ready.extend(blocked.pop(u.index, []))
            ready.append(i)

    def _side(self, i: int, place: int, p: Clock) -> list[Operation]:
        """Writes of unknown outcome sent after the session's `place`-th operation: their past is that."""
        side = self.side_after.get((i, place), [])
        for u in side:
            self.s.past[u.index] = p
        return side

    def _note_side_read(self, i: int, o: Operation, writer_past: Clock) -> None:
        maxima = self.side_reads_max.setdefault((i, o.cluster, o.key), [])
        maxima.append(_join(maxima[-1], writer_past) if maxima else list(writer_past))

    def _writer(self, o: Operation) -> Operation | None:
        if o.op != "read" or o.value is None:
            return None
        return self.writer.get((o.cluster, o.key, o.value))

    # -- the bad patterns ----------------------------------------------------------------------------
    def _report(self, kind: str, at: Operation, ops: list[Operation], why: str, session: str | None) -> None:
        """Once per shape: the same writes seen the same way again by the same session count once."""
        shape = (kind, session, frozenset(o.index for o in ops if o.is_write))
        if shape in self.shapes:
            return
        self.shapes.add(shape)
        self.found += 1
        if len(self.anomalies) < self.cap:
            ordered = sorted({o.index: o for o in ops}.values(), key=lambda o: (o.start, o.index))
            self.anomalies.append(Anomaly(kind, at.cluster, at.key, session, tuple(ordered), why))

    def _later_writes(self, r: Operation, w1: Operation | None, clock: Clock) -> list[Operation]:
        """Writes of `r`'s register in the past `clock` that may causally follow `w1`: the latest
        acknowledged one of each session, and a write of unknown outcome that does follow it."""
        out = []
        for i, places in self.writers_of.get(r.object, ()):
            if clock[i] >= places[0]:
                out.append(self.s.chain[i][places[bisect.bisect_right(places, clock[i]) - 1] - 1])
        for i in self.side_readers_of.get(r.object, ()):
            places = self.side_reads[(i, r.cluster, r.key)]
            j = bisect.bisect_right(places, clock[i])
            if not j:
                continue
            maxima = self.side_reads_max[(i, r.cluster, r.key)]
            if w1 is not None and w1.index in self.s.position and not self.s.contains(maxima[j - 1], w1):
                continue  # (an unknown w1 may be in none of those pasts and still precede its session's writes)
            for place in places[:j]:  # which one: the first whose write follows w1
                u = self._writer(self.s.chain[i][place - 1])
                if u is None or u.index not in self.s.past:
                    continue  # (the read closed a cycle and was taken as reading nothing)
                if u is not w1 and (w1 is None or self.s.follows(u, w1)):
                    out.append(u)
                    break
        return out

    def _check_read(self, r: Operation, w1: Operation | None, clock: Clock) -> None:
        for w2 in self._later_writes(r, w1, clock):
            if w1 is None:
                chain = self.path(w2, r)
                self._report("causal: read of the initial state", r, chain,
                             f"{r.session} read nothing from {r.key}, although the write of {w2.value} by "
                             f"{w2.session} causally precedes the read{self._via(chain)}.", r.session)
                return
            if w2 is not w1 and self.s.follows(w2, w1):
                chain = self.path(w1, w2)[:-1] + self.path(w2, r)
                self._report("causal: overwritten read", r, chain,
                             f"{r.session} read {w1.value} from {r.key}, although the write of {w2.value}, which "
                             f"causally follows it, already causally precedes the read{self._via(chain)}.",
                             r.session)
                return

    def _via(self, chain: list[Operation]) -> str:
        if len(chain) <= 2:
            return ""
        def step(o: Operation) -> str:
            return f"{o.session} {'wrote' if o.is_write else 'read'} {o.key}={'∅' if o.value is None else o.value}"

        return " (" + ", then ".join(step(o) for o in chain) + ")"

    def path(self, w: Operation, x: Operation) -> list[Operation]:
        """Operations showing that `w` causally precedes `x`: w, each read that brought it into a new
        session (with its write), and x. Sessions carry it between them."""
        hops: list[Operation] = [x]
        at = x
        while at is not w:
            where = self.s.position.get(at.index)
            # A write of unknown outcome has its session's past up to where it was sent.
            i, place = where if where is not None else self.side_place[at.index]
            mine = self.s.position.get(w.index)
            if mine is not None and mine[0] == i and mine[1] <= place:
                break  # w is earlier in the same session
            if mine is None and where is None and self.s.follows(at, w):
                break  # both of unknown outcome, w sent earlier by the same session
            chain = self.s.chain[i]
            lo, hi = 0, place - 1  # the first of the session's operations with w in its past
            if hi < 0:
                break
            while lo < hi:
                mid = (lo + hi) // 2
                if self.s.contains(self.s.past[chain[mid].index], w):
                    hi = mid
                else:
                    lo = mid + 1
            entry = chain[lo]
            source = self._writer(entry)
            if source is None or source is at or source in hops:
                break  # (no step back: the rest is carried by session order)
            if entry is not at:
                hops.append(entry)
            hops.append(source)
            at = source
        if hops[-1] is not w:
            hops.append(w)
        return list(reversed(hops))

    def _cycle(self, i: int, done: list[int]) -> int:
        """Sessions wait on each other's writes in a circle: follow the waits until one repeats."""
        ids = {name: k for k, name in enumerate(self.s.names)}
        seen: dict[int, int] = {}
        steps: list[tuple[Operation, Operation]] = []
        while i not in seen:
            seen[i] = len(steps)
            r = self.s.chain[i][done[i]]
            w = self._writer(r)
            assert w is not None
            steps.append((r, w))
            i = ids[w.session]
        loop = steps[seen[i]:]
        ops = [o for pair in loop for o in pair]
        parts = [f"{r.session} read {r.value} from {r.key}, written by {w.session}" for r, w in loop]
        why = ("Causality runs in a circle: " + "; ".join(parts) + (
            " — each write comes after the read that would have to follow it." if len(loop) > 1 else
            " later in the same session: the read returned a value before it was written."))
        self._report("causal: cyclic", loop[0][0], ops, why, loop[0][0].session if len(loop) == 1 else None)
        return ids[loop[0][0].session]


def _recheck(ops: list[Operation]) -> list[Anomaly]:
    # A read whose write is not among `ops` would look like a read of the initial state: leave it out.
    rest = [o for part in partition(ops).values() for o in thin_air(part)[1]]
    check = CausalCheck(sorted(rest, key=lambda o: o.index), 1)
    check.run()
    return check.anomalies


def check_causal(history: History, cap: int = MAX_ANOMALIES) -> CheckResult:
    anomalies: list[Anomaly] = []
    rest: list[Operation] = []
    for ops in partition(history.operations).values():
        found, kept = thin_air(ops)
        anomalies.extend(found)
        rest.extend(kept)
    check = CausalCheck(sorted(rest, key=lambda o: o.index), cap)
    check.run()
    unlisted = check.found - len(check.anomalies)  # beyond the cap
    anomalies.extend(distinct([shrink(a, _recheck) for a in check.anomalies]))
    anomalies.sort(key=lambda a: (a.at, a.cluster, a.key or "", a.kind))
    total = len(anomalies) + unlisted
    notes = (f"{unlisted:,} more anomalies not listed",) if unlisted else ()
    return CheckResult(
        model="causal", verdict=verdict_of(total, 0), anomalies=tuple(anomalies),
        ops_checked=len(history.operations), objects=len({o.object for o in history.operations}),
        sessions=len({op.session for op in history.operations}), budget=None, budget_used=0, steps=0,
        faults=history.faults, anomalies_found=total, notes=notes)
