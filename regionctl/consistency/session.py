"""Session guarantees (Terry et al. 1994) per register: read-your-writes, monotonic reads,
monotonic writes, writes-follow-reads.

Each register's writes must have one version order (the initial state first) in which:
- a write acknowledged before another was invoked is older (the base order, real time);
- read-your-writes: a read returns the session's own latest write or a newer one;
- monotonic reads: a session's read returns the value its previous read returned, or a newer one;
- monotonic writes: a session's writes are ordered as the session issued them;
- writes-follow-reads: a session's write is newer than what the session read before it.
Values are unique, so each read names the write it returned, and every guarantee becomes an edge
"this write is not newer than that one" between writes. The guarantees hold iff the edges and the
base order have no cycle; each cycle is an anomaly, its edges the operations that show it.

Cycles are found by a topological sort with the base order implicit (a write is ready once every
write acknowledged before its invocation is placed): when the sort is stuck, a walk back from the
earliest stuck write closes a cycle; its guarantee edges are dropped and the sort goes on, so every
independent anomaly is reported once. Writes of unknown outcome count once some read returned them
(they took effect), are never acknowledged, and bind their session to nothing: their effect may come
at any time after they were sent. Sessions are taken to issue one operation at a time, as probe
sessions do; then a session's acknowledged write always completed before its next one began, the
base order already has monotonic writes, and that guarantee can only fail for sessions that
overlap their own writes. Pure.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

from regionctl.consistency.explain import shown, t
from regionctl.consistency.history import History, Operation
from regionctl.consistency.linearizable import partition
from regionctl.consistency.result import Anomaly, CheckResult, verdict_of
from regionctl.consistency.thinair import thin_air

RYW = "read-your-writes"
MR = "monotonic-reads"
MW = "monotonic-writes"
WFR = "writes-follow-reads"
GUARANTEES: tuple[str, ...] = (RYW, MR, MW, WFR)
MAX_ANOMALIES = 100  # per register


@dataclass(frozen=True)
class Edge:
    """`src` is not newer than `dst` (node indices), because of `ops` under guarantee `kind`."""

    src: int
    dst: int
    kind: str
    ops: tuple[Operation, ...]


class VersionGraph:
    """The writes of one register (node 0 is the initial state) and the guarantee edges between them."""

    def __init__(self, ops: Sequence[Operation]) -> None:
        read_values = {o.value for o in ops if o.op == "read" and o.outcome == "ok" and o.value is not None}
        self.writes: list[Operation | None] = [None]
        self.node: dict[int | None, int] = {None: 0}
        self.start = [-math.inf]
        self.end = [-math.inf]
        for o in ops:
            if o.op == "write" and o.value is not None and (
                    o.outcome == "ok" or (o.outcome == "unknown" and o.value in read_values)):
                self.node[o.value] = len(self.writes)
                self.writes.append(o)
                self.start.append(o.start)
                self.end.append(o.finish)
        self.edges: list[Edge] = []
        self.seen: set[tuple[int, int, str, str]] = set()

    def add(self, src: int, dst: int, kind: str, *ops: Operation) -> None:
        """An edge, unless the base order has it or the session already showed it (the first showing counts)."""
        ident = (src, dst, kind, ops[-1].session)
        if src != dst and not self.end[src] < self.start[dst] and ident not in self.seen:
            self.seen.add(ident)
            self.edges.append(Edge(src, dst, kind, ops))

    def cycles(self, cap: int) -> list[list[tuple[int, int, Edge | None]]]:
        """Up to `cap` cycles, each as its edges (src, dst, the guarantee edge or None for real time)."""
        n = len(self.writes)
        order = sorted(range(n), key=lambda i: (self.end[i], self.start[i], i))
        ends = [self.end[i] for i in order]
        before = [bisect.bisect_left(ends, self.start[i]) for i in range(n)]  # acknowledged before i began
        by_before = sorted(range(n), key=lambda i: (before[i], i))
        incoming: list[list[int]] = [[] for _ in range(n)]
        outgoing: list[list[int]] = [[] for _ in range(n)]
        indeg = [0] * n
        for e, edge in enumerate(self.edges):
            outgoing[edge.src].append(e)
            incoming[edge.dst].append(e)
            indeg[edge.dst] += 1
        active = [True] * len(self.edges)
        placed = [False] * n
        base_ready = [False] * n
        ready: list[int] = []
        prefix = woken = count = 0
        found: list[list[tuple[int, int, Edge | None]]] = []
        while True:
            while prefix < n and placed[order[prefix]]:
                prefix += 1
            while woken < n and before[by_before[woken]] <= prefix:
                i = by_before[woken]
                woken += 1
                base_ready[i] = True
                if indeg[i] == 0 and not placed[i]:
                    heapq.heappush(ready, i)
            if ready:
                i = heapq.heappop(ready)
                if placed[i]:
                    continue
                placed[i] = True
                count += 1
                for e in outgoing[i]:
                    if active[e]:
                        dst = self.edges[e].dst
                        indeg[dst] -= 1
                        if indeg[dst] == 0 and base_ready[dst] and not placed[dst]:
                            heapq.heappush(ready, dst)
                continue
            if count == n or len(found) >= cap:
                return found
            cycle = self._walk(order[prefix], prefix, order, before, incoming, active, placed)
            found.append([(src, dst, None if e is None else self.edges[e]) for src, dst, e in cycle])
            for _, _, dropped in cycle:
                if dropped is None or not active[dropped]:
                    continue
                active[dropped] = False
                target = self.edges[dropped].dst
                indeg[target] -= 1
                if indeg[target] == 0 and base_ready[target] and not placed[target]:
                    heapq.heappush(ready, target)

    def _walk(self, start: int, prefix: int, order: list[int], before: list[int], incoming: list[list[int]],
              active: list[bool], placed: list[bool]) -> list[tuple[int, int, int | None]]:
        """From a stuck write, go back along what it waits for until a write repeats: a cycle."""
        path: list[int] = []
        via: list[tuple[int, int, int | None]] = []
        seen: dict[int, int] = {}
        i = start
        while i not in seen:
            seen[i] = len(path)
            path.append(i)
            if before[i] > prefix:  # waits for the earliest unplaced write in the base order
                j = order[prefix]
                via.append((j, i, None))
            else:
                e = next(e for e in incoming[i] if active[e] and not placed[self.edges[e].src])
                j = self.edges[e].src
                via.append((j, i, e))
            i = j
        return list(reversed(via[seen[i]:]))

    def value(self, i: int) -> str:
        w = self.writes[i]
        return "nothing (the initial state)" if w is None else str(w.value)


def _edges(graph: VersionGraph, ops: Sequence[Operation], kinds: frozenset[str]) -> None:
    """The guarantee edges of one register's operations, session by session."""
    by_session: dict[str, list[Operation]] = {}
    for o in ops:
        if o.outcome != "fail":
            by_session.setdefault(o.session, []).append(o)
    node = graph.node
    for session_ops in by_session.values():
        session_ops.sort(key=lambda o: (o.start, o.index))
        last_read: Operation | None = None
        own: list[Operation] = []  # own acknowledged writes the base order does not put before the next
        reads_since: list[Operation] = []  # reads since the last acknowledged own write
        for o in session_ops:
            own = [w for w in own[:-1] if not w.finish < o.start] + own[-1:]
            if o.op == "read":
                if o.outcome != "ok" or o.value not in node:
                    continue
                if RYW in kinds:
                    for w in own:
                        graph.add(node[w.value], node[o.value], RYW, w, o)
                if MR in kinds and last_read is not None:
                    graph.add(node[last_read.value], node[o.value], MR, last_read, o)
                last_read = o
                reads_since.append(o)
                continue
            if o.value not in node:
                continue  # a write that may never have taken effect
            w_node = node[o.value]
            if MW in kinds:
                for w in own:
                    graph.add(node[w.value], w_node, MW, w, o)
            if WFR in kinds:
                for r in reads_since:
                    graph.add(node[r.value], w_node, WFR, r, o)
            if o.outcome == "ok":  # an unknown outcome may take effect any time later: it promises nothing
                own.append(o)
                reads_since = []


def _explain(graph: VersionGraph, key: str, cycle: list[tuple[int, int, Edge | None]]) -> str:
    guarantees = [edge for _, _, edge in cycle if edge is not None]
    if len(cycle) == 2 and len(guarantees) == 1:
        edge = guarantees[0]
        older = graph.writes[edge.dst]
        when = "" if older is None else f" (acknowledged at {t(older.end)})"
        first, second = edge.ops
        if edge.kind == RYW:
            return (f"{second.session} wrote {first.value} to {key} (acknowledged at {t(first.end)}) and then read "
                    f"{shown(second.value)} at {t(second.start)}, "
                    + ("as if its write had never happened." if older is None else
                       f"a value older than its own write{when}: it did not read its own write."))
        if edge.kind == MR:
            return (f"{second.session} read {first.value} from {key} at {t(first.start)} and then "
                    f"{shown(second.value)} at {t(second.start)}, an older value{when}: its reads went back in time.")
    parts = []
    for src, dst, link in cycle:
        if link is None:
            w = graph.writes[src]
            if w is not None:
                parts.append(f"{graph.value(src)} was acknowledged at {t(w.end)} before {graph.value(dst)} "
                             "was written")
        elif link.kind == MW:
            parts.append(f"{link.ops[0].session} wrote {graph.value(src)} and then {graph.value(dst)}")
        elif link.kind == WFR:
            parts.append(f"{link.ops[0].session} read {graph.value(src)} and then wrote {graph.value(dst)}")
        elif link.kind == RYW:
            parts.append(f"{link.ops[1].session} wrote {link.ops[0].value} and then read {graph.value(dst)}")
        else:
            parts.append(f"{link.ops[1].session} read {graph.value(src)} and then {graph.value(dst)}")
    return (f"No version order of {key} fits what its sessions saw: " + "; ".join(parts)
            + " — each of these needs the first write older than the second, and they go round in a circle.")


def check_register(ops: Sequence[Operation], kinds: frozenset[str], cap: int = MAX_ANOMALIES) -> list[Anomaly]:
    anomalies, rest = thin_air(ops)
    graph = VersionGraph(rest)
    _edges(graph, rest, kinds)
    if not graph.edges:
        return anomalies
    for cycle in graph.cycles(cap):
        guarantees = [edge for _, _, edge in cycle if edge is not None]
        kind = "+".join(k for k in GUARANTEES if any(e.kind == k for e in guarantees))
        sessions = sorted({e.ops[-1].session for e in guarantees})
        shown_ops: dict[int, Operation] = {}
        for src, dst, link in cycle:
            for i in (src, dst):
                w = graph.writes[i]
                if w is not None:
                    shown_ops[w.index] = w
            for o in link.ops if link is not None else ():
                shown_ops[o.index] = o
        first = rest[0]
        witness = tuple(sorted(shown_ops.values(), key=lambda o: (o.start, o.index)))
        anomalies.append(Anomaly(kind, first.cluster, first.key, sessions[0] if len(sessions) == 1 else None,
                                 witness, _explain(graph, first.key, cycle)))
    return anomalies


def check_session(history: History, model: str, kinds: Sequence[str], cap: int = MAX_ANOMALIES) -> CheckResult:
    """The session guarantees `kinds` (a subset of GUARANTEES) on every register of `history`."""
    chosen = frozenset(kinds)
    anomalies: list[Anomaly] = []
    parts = partition(history.operations)
    for ops in parts.values():
        anomalies.extend(check_register(ops, chosen, cap))
    anomalies.sort(key=lambda a: (a.at, a.cluster, a.key or "", a.kind))
    return CheckResult(
        model=model, verdict=verdict_of(len(anomalies), 0), anomalies=tuple(anomalies),
        ops_checked=len(history.operations), objects=len(parts),
        sessions=len({op.session for op in history.operations}), budget=None, budget_used=0, steps=0,
        faults=history.faults, anomalies_found=len(anomalies))
