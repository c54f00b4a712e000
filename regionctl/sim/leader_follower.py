"""Leader-follower replication (async, semi-sync, sync, quorum) with honest acks.

The leader appends each tick's writes as one batch to its timeline and ships the
new tail to every connected follower; arrival = one-way delay (with jitter) plus
apply time at the follower's speed. A write is acknowledged to its client when the
mode's commit rule is met and the answer has travelled back; until then it is
pending, and a fault before that moment makes it unacknowledged (the client saw an
error or a timeout), never silently "acked".
"""

from __future__ import annotations

import itertools
import math
from collections import deque

from regionctl.model.resolved import node_zone
from regionctl.sim.cluster_base import ClusterBase
from regionctl.sim.log import Timeline
from regionctl.sim.node import SimNode
from regionctl.sim.routing import switch_window
from regionctl.sim.workload import TrafficSource

# MySQL's rpl_semi_sync_master_timeout: after 10 s without a replica ack, semi-sync degrades to async.
SEMI_SYNC_TIMEOUT = 10.0
SERVICE_TIME = 0.0005  # a node's own work per request, before any network


class LeaderFollowerCluster(ClusterBase):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._timelines = 0
        root = self.new_timeline(None, 0, 1)
        self.root_timeline = root
        self.nodes: list[SimNode] = []
        for spec in self.spec.nodes:
            node = SimNode(spec.name, self.name, spec.region, node_zone(self.topology, spec), spec.priority, root)
            self.nodes.append(node)
        self.by_name = {n.name: n for n in self.nodes}
        self.leader: SimNode | None = next(
            (self.by_name[n.name] for n in self.spec.nodes if n.role == "leader"), None)
        if self.leader is not None:
            self.leader.role = "leader"
            for node in self.nodes:
                if node is not self.leader:
                    node.upstream = self.leader
        self.initial_leader = self.leader.name if self.leader else None
        self.sync_names = set(self.spec.replication.sync_replicas or [n.name for n in self.nodes
                                                                      if n is not self.leader])
        self.pending: deque[tuple[float, SimNode, Timeline, int, int]] = deque()
        self.acked_pos: dict[int, int] = {}  # timeline id -> newest position acknowledged to a client
        self.no_ack_since: float | None = None
        # The writes of one batch arrived over the interval, so their acks are spread over it too.
        self.interval = self.dt
        self.pending_span: dict[int, float] = {}
        self.history: list[tuple[float, str, int]] = []  # (time, new leader, term)
        self.controller: object | None = None  # failover manager or Raft, set by the simulator

    def new_timeline(self, parent: Timeline | None, fork_pos: int, term: int) -> Timeline:
        self._timelines += 1
        return Timeline(self._timelines, parent, fork_pos, term)

    # -- predicates ----------------------------------------------------------------------
    def up(self, node: SimNode) -> bool:
        return self.network.up(node.loc)

    def accepting(self, node: SimNode) -> bool:
        return node.role == "leader" and not node.fenced and self.network.up(node.loc)

    def streaming(self, follower: SimNode, leader: SimNode) -> bool:
        """follower is attached to leader, both up, the link works, on leader's timeline."""
        return (follower.upstream is leader and follower.timeline is leader.timeline
                and self.network.connected(leader.loc, follower.loc))

    def ackers(self, leader: SimNode) -> list[SimNode]:
        return [n for n in self.nodes if n is not leader and self.streaming(n, leader)]

    def commit_rule(self, leader: SimNode, now: float) -> tuple[bool, float]:
        """(can commit now, extra wait for replica acknowledgements)."""
        mode = self.mode
        if mode == "async":
            return True, 0.0
        followers = self.ackers(leader)
        rtts = sorted(self.network.rtt(leader.loc, f.loc) + self._apply_time(f) for f in followers)
        if mode == "semi-sync":
            if rtts:
                self.no_ack_since = None
                return True, rtts[0]
            if self.no_ack_since is None:
                self.no_ack_since = now
            return now - self.no_ack_since >= SEMI_SYNC_TIMEOUT, 0.0  # then async, like MySQL
        if mode == "sync":
            needed = [f for f in self.nodes if f.name in self.sync_names and f is not leader]
            if not needed:
                return True, 0.0
            if any(f not in followers for f in needed):
                return False, 0.0
            return True, max(self.network.rtt(leader.loc, f.loc) + self._apply_time(f) for f in needed)
        # quorum: a majority of all nodes, the leader's own copy included
        need = len(self.nodes) // 2
        if len(rtts) < need:
            return False, 0.0
        return True, rtts[need - 1] if need else 0.0

    def _replicated_at(self, leader: SimNode, now: float) -> float:
        """When the mode's required replicas hold everything shipped so far, plus their ack's trip back."""
        followers = self.ackers(leader)
        if self.mode == "sync":
            followers = [f for f in followers if f.name in self.sync_names]
        times = sorted(f.last_arrive + self.network.rtt(leader.loc, f.loc) / 2 for f in followers)
        if not times:
            return now
        if self.mode == "semi-sync":
            return times[0]
        if self.mode == "sync":
            return times[-1]
        need = len(self.nodes) // 2
        return times[need - 1] if need else now

    def _apply_time(self, node: SimNode) -> float:
        return SERVICE_TIME * self.network.slowness(node.name)

    # -- the tick --------------------------------------------------------------------------
    def tick(self, now: float, dt: float) -> None:
        self.interval = dt
        self.settle(now)
        self.serve_traffic(now, dt)
        self.ship(now)
        self.account(now, dt)

    def settle(self, now: float) -> None:
        for node in self.nodes:
            if node.inflight:
                node.settle(now)
        pending = self.pending
        while pending and pending[0][0] <= now:
            _, _, timeline, _, last = pending.popleft()
            self.pending_span.pop(last, None)
            if last > self.acked_pos.get(timeline.tid, 0):
                self.acked_pos[timeline.tid] = last
        for source in self.sources:
            source.route.settle(now)

    def ship(self, now: float) -> None:
        network = self.network
        for follower in self.nodes:
            upstream = follower.upstream
            if upstream is None or follower.timeline is not upstream.timeline:
                continue
            if upstream.pos <= follower.sent:
                continue
            if not network.connected(upstream.loc, follower.loc):
                continue
            count = upstream.pos - follower.sent
            speed = follower.capacity / network.slowness(follower.name)
            arrive = now + network.one_way(upstream.loc, follower.loc) + count / speed
            if arrive < follower.last_arrive:
                arrive = follower.last_arrive
            # The batch's writes were committed over the last interval: they arrive spread over it too.
            start = max(follower.last_arrive, arrive - max(self.dt, count / speed))
            follower.last_arrive = arrive
            follower.inflight.append((arrive, upstream.pos, start, follower.sent))
            follower.sent = upstream.pos

    def account(self, now: float, dt: float) -> None:
        # Split brain: two nodes of one cluster would each acknowledge a write.
        accepting = sum(1 for node in self.nodes if self.accepting(node))
        if accepting >= 2:
            self.split_brain_seconds += dt
        leader = self.leader
        if leader is not None and self.accepting(leader):
            for node in self.nodes:
                if node is not leader and node.upstream is leader:
                    lag = self.lag_seconds(node, now)
                    if lag > self.max_lag_seconds:
                        self.max_lag_seconds = lag
            if self._timelines and leader.timeline.end - leader.timeline.fork_pos > 5000:
                floor = min((n.pos for n in self.nodes if n.timeline is leader.timeline), default=0)
                leader.timeline.trim(floor)

    # -- lag as a real tool reads it -----------------------------------------------------
    def lag_ops(self, node: SimNode) -> int:
        leader = self.leader
        if leader is None or node is leader:
            return 0
        if node.timeline is not leader.timeline:
            base = leader.timeline.fork_pos if node.timeline in leader.timeline.lineage() else 0
            return max(0, leader.pos - min(node.pos, base))
        return max(0, leader.pos - node.pos)

    def lag_seconds(self, node: SimNode, now: float) -> float:
        """How old the oldest write this node is missing is (PostgreSQL's replay lag)."""
        leader = self.leader
        if leader is None or node is leader or self.lag_ops(node) == 0:
            return 0.0
        first_missing = min(node.pos, leader.timeline.fork_pos) + 1 if node.timeline is not leader.timeline \
            else node.pos + 1
        committed = leader.timeline.commit_time(first_missing)
        return max(0.0, now - committed) if committed is not None else 0.0

    # -- client requests -------------------------------------------------------------------
    def _targets(self, source: TrafficSource, count: int, now: float) -> list[tuple[SimNode | None, int]]:
        route = source.route
        if route.target is None:
            route.target = self.leader.name if self.leader else None
        share = route.share_new(now)
        new = self.by_name.get(route.target) if route.target else None
        if route.old is None or share >= 1.0:
            return [(new, count)]
        to_new = int(count * share)
        return [(new, to_new), (self.by_name.get(route.old), count - to_new)]

    def write(self, source: TrafficSource, count: int, now: float) -> tuple[int, float]:
        ok_total = 0
        latency = 0.0
        for target, n in self._targets(source, count, now):
            if n <= 0 or target is None:
                continue
            if not self.accepting(target) or not self.network.connected(source.loc, target.loc):
                continue
            can, wait = self.commit_rule(target, now)
            if not can:
                continue
            client_rtt = self.network.rtt(source.loc, target.loc)
            first, last = target.timeline.append(n, now, acked=True)
            target.pos = last
            ack_at = now + self._apply_time(target)
            if self.mode != "async" and wait > 0:
                # Ship now and acknowledge only once the required replicas really hold the batch.
                self.ship(now)
                ack_at = max(ack_at, self._replicated_at(target, now))
            latency = ack_at - now + client_rtt
            self.pending.append((ack_at + client_rtt / 2, target, target.timeline, first, last))
            if self.mode == "async" or wait == 0:
                self.pending_span[last] = self.interval  # replica acks are not spread: conservative
            ok_total += n
        return ok_total, latency

    def read(self, source: TrafficSource, count: int, now: float) -> tuple[int, int, float]:
        ok = stale = 0
        latency = 0.0
        if source.reads_from == "leader":
            targets = self._targets(source, count, now)
        else:
            targets = [(self._read_replica(source), count)]
        for node, n in targets:
            if node is None or n <= 0 or not self.network.connected(source.loc, node.loc):
                continue
            if node.role == "leader" and not self.accepting(node):
                continue
            ok += n
            latency = self.network.rtt(source.loc, node.loc) + self._apply_time(node)
            stale += self._stale_reads(node, n)
        return ok, stale, latency

    def _read_replica(self, source: TrafficSource) -> SimNode | None:
        candidates = [n for n in self.nodes if self.network.connected(source.loc, n.loc)]
        if source.reads_from == "local":
            local = [n for n in candidates if n.region == source.region]
            candidates = local or [n for n in candidates if n is self.leader]
        if not candidates:
            return None
        return min(candidates, key=lambda n: (self.network.rtt(source.loc, n.loc), n.role != "leader", n.name))

    def _stale_reads(self, node: SimNode, count: int) -> int:
        """Reads here that miss an acknowledged write. Reads spread over the interval; a
        streaming replica is behind by its one-way delay, during which writes keep being
        acknowledged (Poisson): P(miss) = 1 - exp(-ack rate x delay)."""
        if self._is_stale(node):
            return count
        leader = self.leader
        if leader is None or node is leader or node.upstream is not leader or self.interval <= 0:
            return 0
        rate = leader.timeline.last_batch_size() / self.interval
        delay = self.network.rtt(leader.loc, node.loc) / 2
        return round(count * (1.0 - math.exp(-rate * delay)))

    def _is_stale(self, node: SimNode) -> bool:
        """A read here misses a write already acknowledged to some client."""
        leader = self.leader
        if leader is None:
            return False
        acked = self.acked_pos.get(leader.timeline.tid, leader.timeline.fork_pos)
        if node.timeline is leader.timeline:
            return node.pos < acked
        return acked > leader.timeline.fork_pos or node.pos > leader.timeline.fork_pos

    # -- faults --------------------------------------------------------------------------
    def invalidate_pending(self, now: float) -> None:
        """A fault struck: writes whose acknowledgement had not reached the client by now
        are not acknowledged (the client got an error or timed out)."""
        keep: deque[tuple[float, SimNode, Timeline, int, int]] = deque()
        for entry in self.pending:
            ack_at, leader, timeline, first, last = entry
            if ack_at <= now:
                keep.append(entry)
                continue
            broken = not self.accepting(leader) or not self.commit_rule(leader, now)[0] or not any(
                self.network.connected(s.loc, leader.loc) for s in self.sources if self.network.up(s.loc))
            if broken:
                # Writes early in the batch were answered already: only the rest is unacknowledged.
                span = self.pending_span.pop(last, 0.0)
                start = ack_at - span
                heard = 0
                if span > 0 and now > start:
                    heard = int((last - first + 1) * (now - start) / span)
                if first + heard <= last:
                    timeline.unack(first - 1 + heard, last)
            else:
                keep.append(entry)
        self.pending = keep

    def on_change(self, now: float) -> None:
        self.settle(now)
        for node in self.nodes:
            upstream = node.upstream
            if node.inflight and (upstream is None or not self.network.connected(upstream.loc, node.loc)):
                node.drop_inflight()
            elif upstream is not None and not self.network.connected(upstream.loc, node.loc):
                node.sent = node.pos
        self.invalidate_pending(now)
        self.clock.note_fault(now)
        controller = self.controller
        if controller is not None:
            controller.on_change(now)  # type: ignore[attr-defined]

    # -- leadership changes, used by failover managers, Raft and runbook actions ---------
    def promote(self, node: SimNode, now: float, reason: str) -> None:
        node.settle(now)
        node.inflight.clear()
        old = self.leader
        self.term += 1
        node.term = self.term
        node.role = "leader"
        node.fenced = False
        node.upstream = None
        node.timeline = self.new_timeline(node.timeline, node.pos, self.term)
        node.sent = node.pos
        self.leader = node
        self.history.append((now, node.name, self.term))
        self.clock.promoted_at = self.clock.promoted_at or (now if self.clock.fault_at is not None else None)
        self.election = ""
        self.log(f"{node.name} promoted to leader (term {self.term}): {reason}")
        for other in self.nodes:
            if other is not node and self.network.up(other.loc) and other.role != "leader":
                self.repoint(other, node, now)
        lost_at = self.clock.fault_at if self.clock.fault_at is not None else now
        for source in self.sources:
            old_target = source.route.target
            if old_target == node.name:
                continue
            start, end = switch_window(source.routing, source.dns_ttl, now, lost_at)
            source.route.old = old_target if old_target is not None else (old.name if old else None)
            source.route.target = node.name
            source.route.start, source.route.end = start, end

    def repoint(self, node: SimNode, leader: SimNode, now: float) -> None:
        """Follow `leader`; a node whose log went past the fork point is rewound first."""
        node.settle(now)
        node.inflight.clear()
        if node.timeline is not leader.timeline:
            lineage = leader.timeline.lineage()
            fork = None
            for child, parent in itertools.pairwise(lineage):
                if parent is node.timeline:
                    fork = child.fork_pos
                    break
            if fork is None or node.pos > fork:
                target = leader.timeline.fork_pos if fork is None else fork
                node.pos = min(node.pos, target)  # pg_rewind / Raft truncation
                self.log(f"{node.name} rewound to position {node.pos} to follow {leader.name}")
            node.timeline = leader.timeline
        node.role = "follower"
        node.fenced = False
        node.upstream = leader
        node.term = leader.term
        node.sent = node.pos
        node.last_arrive = now

    def demote(self, node: SimNode, now: float, reason: str) -> None:
        if self.leader is node:
            self.leader = None
        node.role = "follower"
        self.log(f"{node.name} demoted: {reason}")
        if self.leader is not None:
            self.repoint(node, self.leader, now)

    # -- accounting of lost writes ---------------------------------------------------------
    def lost_writes(self) -> tuple[int, float]:
        """Acknowledged writes that are not in the history of the current leader."""
        leader = self.leader
        if leader is None:
            survivor = max(self.nodes, key=lambda n: (n.timeline.term, n.pos))
            surviving, end = survivor.timeline, survivor.pos
        else:
            surviving, end = leader.timeline, leader.pos
        lineage = surviving.lineage()
        in_lineage = {t.tid for t in lineage}
        cut: dict[int, int] = {}  # timeline id -> last position that survives on it
        cut[surviving.tid] = end
        for child, parent in itertools.pairwise(lineage):
            cut[parent.tid] = child.fork_pos
        timelines: dict[int, Timeline] = {}
        for node in self.nodes:
            for t in node.timeline.lineage():
                timelines[t.tid] = t
        for _, _, t, _, _ in self.pending:
            timelines[t.tid] = t
        lost = 0
        rpo = 0.0
        for tid, t in timelines.items():
            keep = cut[tid] if tid in in_lineage else t.fork_pos
            n = t.acked_in(keep, t.end)
            if n:
                lost += n
                newest = t.last_acked_time_in(keep, t.end)
                kept = t.commit_time(keep) if keep > 0 else None
                if newest is not None:
                    rpo = max(rpo, newest - (kept if kept is not None else newest))
        return lost, rpo
