"""Leader-follower replication (async, semi-sync, sync, quorum) with honest acknowledgements.

The data plane of every leader-based cluster. A leader writes its timeline at the rate
of the client groups whose writes reach it; followers receive it one network delay
later and apply it at their capacity. A write is acknowledged when the mode's commit
rule is met and the answer has travelled back within the client's timeout; a write
whose answer a fault intercepts is unknown to its client, never silently "acked".
Who leads, and when followers move, is the controller's business (Raft, Patroni,
Sentinel, a poller, a managed control plane, or only an operator).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from regionctl.model.resolved import node_zone
from regionctl.sim.client_paths import SERVICE_TIME, read_path, write_path
from regionctl.sim.cluster_base import ClusterBase, Tally
from regionctl.sim.lag import log_lag, replay_lag
from regionctl.sim.log import Timeline, shared_prefix
from regionctl.sim.lost_writes import lost_writes
from regionctl.sim.node import SimNode
from regionctl.sim.routing import Router, router_for
from regionctl.sim.workload import Group, Outcome, Path, TrafficSource, arrivals

if TYPE_CHECKING:
    from regionctl.sim.network import Loc

# Apply capacity of a replica, in writes per second, when the topology gives none: one PostgreSQL 15
# standby replayed 1,000,000 single-row 1 KiB inserts in 8.3 s on this kind of machine (bench/pg_replay.sh),
# ~120,000/s; rounded down for heavier writes.
DEFAULT_CAPACITY = 100_000.0
# A lag monitor polls (pg_stat_replication scraped every few seconds): a replica that (re)joins replays its backlog,
# and what it shows in its first second after it starts streaming is that replay, not replication lag.
REJOIN_GRACE = 1.0


class Controller(Protocol):
    """What leads a cluster: a consensus protocol, an external failover manager, or an operator."""

    forwards: bool  # members forward client requests to the leader (Raft)

    def on_change(self, now: float) -> None:
        """The world changed (a fault, a role): re-arm timers, start or stop mechanisms."""

    def discover(self, loc: Loc) -> str | None:
        """Where a topology-aware client at `loc` sends its writes, asking what it can reach."""

    def describe(self, now: float) -> str:
        """What the failover machinery is doing at `now` ('' when idle)."""


class LeaderFollowerCluster(ClusterBase):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.timelines: list[Timeline] = []
        root = self.new_timeline(None, 0.0, 1, 0.0)
        rep = self.spec.replication
        for spec in self.spec.nodes:
            capacity = spec.capacity or self.spec.capacity or DEFAULT_CAPACITY
            node = SimNode(spec.name, self.name, spec.region, node_zone(self.topology, spec), spec.priority, root,
                           capacity)
            self.nodes.append(node)
        self.by_name = {n.name: n for n in self.nodes}
        self.leader = next((self.by_name[n.name] for n in self.spec.nodes if n.role == "leader"), None)
        if self.leader is not None:
            self.leader.role = "leader"
            self.leader.writing = True
            for node in self.nodes:
                if node is not self.leader:
                    node.upstream = self.leader
        self.initial_leader = self.leader.name if self.leader else None
        self.dns_record = self.initial_leader
        # Synchronous standbys: the candidates (default every node), and how many must confirm each commit.
        self.sync_candidates = list(rep.sync_replicas or [n.name for n in self.nodes])
        self.sync_count = rep.sync_count
        self.strict = rep.strict
        self.sync_standbys: list[str] = self.default_sync_standbys(self.leader)
        # What each node's own synchronous_standby_names says, from when it last led: an old leader cut
        # off from the DCS keeps waiting for its standbys whatever the new leader does with its own.
        self.sync_of: dict[str, list[str]] = {self.leader.name: self.sync_standbys} if self.leader else {}
        self.sync_leader = self.leader.name if self.leader else None  # the leader Patroni's /sync key names
        self.semi_no_ack_since: float | None = None
        self.semi_off = False  # semi-sync fell back to async after its timeout
        self.promoting: set[str] = set()
        self.rpo_blocked = False  # Aurora's rds.global_db_rpo holds commits
        self.restarted: list[SimNode] = []  # nodes back up since the controller last looked
        self.resumed: list[SimNode] = []  # ... and those that were paused (they did not restart)
        self.routers: list[Router] = []
        self.controller: Controller | None = None
        self._commit: dict[str, tuple[bool, float]] = {}
        self._lag_key: tuple[int, float, float] = (-1, -1.0, -1.0)
        self._lag_memo: dict[str, tuple[float, int]] = {}
        self._accepting = 0
        self._ack_wait = 0.0

    # -- set-up ----------------------------------------------------------------------------
    def new_timeline(self, parent: Timeline | None, fork_pos: float, term: int, at: float) -> Timeline:
        timeline = Timeline(len(self.timelines) + 1, parent, fork_pos, term, at)
        self.timelines.append(timeline)
        return timeline

    def start(self) -> None:
        self.routers = [router_for(self, s) for s in self.sources]
        for router in self.routers:
            router.initial(self.initial_leader)
        self.changed(0.0)

    def set_sync_standbys(self, leader: SimNode, names: list[str]) -> None:
        """The leader's synchronous standbys from now on (its own, and the cluster's current set)."""
        self.sync_standbys = names
        self.sync_of[leader.name] = names
        self.sync_leader = leader.name

    def default_sync_standbys(self, leader: SimNode | None) -> list[str]:
        if self.mode != "sync":
            return []
        names = [n for n in self.sync_candidates if leader is None or n != leader.name]
        count = len(names) if self.sync_count is None else self.sync_count
        return names[:count]

    # -- predicates ----------------------------------------------------------------------
    def up(self, node: SimNode) -> bool:
        return self.network.up(node.loc)

    def accepting(self, node: SimNode) -> bool:
        return (node.role == "leader" and not node.fenced and self.network.up(node.loc)
                and node.name not in self.promoting)

    def claims_primary(self, node: SimNode) -> bool:
        """What a health check of this node answers (Patroni's /primary, Redis' role:master)."""
        return node.role == "leader" and self.network.up(node.loc) and node.name not in self.promoting

    def ackers(self, leader: SimNode) -> list[SimNode]:
        return [n for n in self.nodes if n is not leader and n.streaming and n.upstream is leader
                and n.timeline is leader.timeline]

    def commit_rule(self, leader: SimNode) -> tuple[bool, float]:
        """(blocked, seconds a commit waits for replica acknowledgements) at the current state."""
        mode = self.mode
        if self.rpo_blocked:
            return True, 0.0
        if mode == "async":
            return False, 0.0
        rtts = sorted((self.network.rtt(leader.loc, f.loc) + SERVICE_TIME * self.network.slowness(f.name), f.name)
                      for f in self.ackers(leader))
        if mode == "semi-sync":
            if rtts:
                return False, rtts[0][0]
            return (not self.semi_off), 0.0
        if mode == "sync":
            required = [n for n in self.sync_of.get(leader.name, self.sync_standbys) if n != leader.name]
            if not required:
                return False, 0.0
            have = {name: rtt for rtt, name in rtts}
            if all(n in have for n in required):
                return False, max(have[n] for n in required)
            return True, 0.0
        need = len(self.nodes) // 2  # the leader's own copy is one of the majority
        if len(rtts) < need:
            return True, 0.0
        return False, rtts[need - 1][0] if need else 0.0

    def describe(self, now: float) -> str:
        # (a manager may say what it waits for, and until when: text that depends on the time asked)
        return self.controller.describe(now) if self.controller is not None else self.election

    def writable(self) -> bool:
        if self.read_only:
            return False
        return any(self.accepting(n) and not self.commit_rule(n)[0] for n in self.nodes)

    # -- streams -----------------------------------------------------------------------------
    def refresh_streams(self, now: float) -> None:
        network = self.network
        for node in self.nodes:
            if not network.up(node.loc):
                if not node.halted:
                    node.down_lag = (*log_lag(self.reference(), node, now), now)
                    node.stop_stream(now)
                    node.anchor(now)
                    node.halted = True
                    node.frozen = network.frozen_only(node.loc)
                elif node.frozen and not network.frozen_only(node.loc):
                    node.frozen = False  # crashed while frozen: it will restart, not resume
                continue
            if node.halted:
                node.halted = False
                node.down_lag = None
                node.apply_t = now
                (self.resumed if node.frozen else self.restarted).append(node)
                if not node.frozen:
                    node.stream_lost_at = None  # a restarted replica has not been connected since it started
                node.frozen = False
            capacity = self.capacity_of(node)
            if capacity != node.capacity:
                node.anchor(now)
                node.capacity = capacity
            if node.writing:
                continue
            upstream = node.upstream
            ok = (upstream is not None and upstream is not node and network.up(upstream.loc)
                  and network.connected(upstream.loc, node.loc) and self._compatible(node, upstream, now))
            if ok and upstream is not None:
                delay = network.mean_one_way(upstream.loc, node.loc)
                if not node.streaming or abs(node.delay - delay) > 1e-12:
                    node.start_stream(now, delay)
            elif node.streaming:
                node.stop_stream(now)

    def capacity_of(self, node: SimNode) -> float:
        spec = next(s for s in self.spec.nodes if s.name == node.name)
        base = spec.capacity or self.spec.capacity or DEFAULT_CAPACITY
        return base / self.network.slowness(node.name)

    def _compatible(self, node: SimNode, upstream: SimNode, now: float) -> bool:
        """Can `node` stream from `upstream` as it is (same history), switching timelines if it need?"""
        if node.timeline is upstream.timeline:
            return True
        fork = upstream.timeline.fork_point_with(node.timeline)
        if fork is not None and node.received(now) <= fork + 1e-9:
            node.anchor(now)
            node.recv_base = node.received(now)
            node.timeline = upstream.timeline  # PostgreSQL's recovery_target_timeline=latest
            return True
        return False

    # -- what the client paths (client_paths.py) read ----------------------------------------------
    def host_up(self, node: SimNode) -> bool:
        """The node's machine answers (its process may be down: a connection refused, not a timeout). A paused
        node's does not: a frozen process (or VM) accepts nothing, so its clients time out."""
        region, zone, name = node.loc
        return self.network.up((region, zone, "")) and name not in self.network.paused

    def commit_state(self, node: SimNode) -> tuple[bool, float]:
        """(blocked, extra wait) of a write on `node` under the commit rule of the last replan."""
        return self._commit.get(node.name, (True, 0.0))

    # -- the replan ---------------------------------------------------------------------------
    def replan(self, now: float, moved: bool = True) -> None:
        self.version += 1
        self._lag_key = (-1, -1.0, -1.0)
        self.refresh_streams(now)
        self._commit = {n.name: self.commit_rule(n) for n in self.nodes if self.accepting(n)}
        self._semi_sync_timer(now)
        rates: dict[str, float] = {}
        for source in self.sources:
            for group in source.groups:
                old = group.write
                write = write_path(self, source, group)
                group.read = read_path(self, source, group, write)
                self._transition(source, group, old, write, now)
                group.write = write
                if write.node is not None and write.outcome in (Outcome.OK, Outcome.PENDING):
                    rates[write.node.name] = rates.get(write.node.name, 0.0) + group.writes_per_s
        for node in self.nodes:
            if node.writing:
                node.timeline.set_rate(now, rates.get(node.name, 0.0))
        self._accepting = sum(1 for n in self.nodes if self.accepting(n) and not self._commit[n.name][0])
        leader = self.leader
        self._ack_wait = self._commit.get(leader.name, (False, 0.0))[1] if leader is not None else 0.0
        self._lag_key = (-1, -1.0, -1.0)  # the streams changed: lags computed on the way are stale
        self.mark_failures(now)
        self.update_clock(now)
        self.notify()
        for router in self.routers:
            router.after_replan(now, moved)

    def changed(self, now: float) -> None:
        """The cluster's state changed (the caller settled first): replan, let the controller react,
        and replan again for what it did."""
        self.replan(now)
        if self.controller is not None:
            self.controller.on_change(now)
            self.restarted.clear()
            self.resumed.clear()
            self.replan(now)

    def on_network(self, now: float) -> None:
        self.changed(now)

    def _semi_sync_timer(self, now: float) -> None:
        if self.mode != "semi-sync":
            return
        leader = self.leader
        has_acker = leader is not None and bool(self.ackers(leader))
        if has_acker:
            self.semi_no_ack_since = None
            self.semi_off = False
        elif self.semi_no_ack_since is None and leader is not None and self.accepting(leader):
            self.semi_no_ack_since = now
            timeout = self.timings.get("semi_sync_timeout", 10.0)
            self.loop.schedule(now + timeout, self._semi_sync_fallback, now)

    def _semi_sync_fallback(self, since: float) -> None:
        if self.semi_no_ack_since != since or self.semi_off:
            return
        now = self.loop.now
        self.settle(now)
        self.semi_off = True
        self.log("semi-sync: no replica acknowledged within the timeout; falling back to async")
        self.changed(now)

    def _transition(self, source: TrafficSource, group: Group, old: Path, new: Path, now: float) -> None:
        if old.outcome == Outcome.OK and not (new.outcome == Outcome.OK and new.node is old.node):
            node = old.node
            if node is not None and not self.still_answers(source, node):
                # The answers to writes sent within the last round trip never arrive.
                start = max(now - old.latency, group.ok_since)
                k = arrivals(group.writes_per_s, start, now)
                if k:
                    self._retract(source, k, old.latency)
                # On the log, the fluid's share: this group's writes among everyone's in that window.
                timeline = node.timeline
                timeline.add_unknown(timeline.end(start), timeline.end(now), group.writes_per_s * (now - start))
        if old.outcome == Outcome.PENDING and new.outcome == Outcome.OK and old.node is new.node \
                and old.why == "waiting for replicas":
            # Unblocked: the writes whose clients were still waiting get their answer now.
            start = max(now - source.timeout, group.ok_since)
            k = arrivals(group.writes_per_s, start, now)
            if k:
                self._retract(source, -k, source.timeout / 2)
            node = new.node
            if node is not None:
                timeline = node.timeline
                timeline.add_unknown(timeline.end(start), timeline.end(now), -group.writes_per_s * (now - start))
        if not old.same_route(new) or old.latency != new.latency:
            group.ok_since = now

    def _retract(self, source: TrafficSource, k: int, latency: float) -> None:
        """Move k writes from acknowledged to unknown (k < 0: the other way)."""
        for counters in (self.counters, source.counters):
            counters.writes_acked -= k
            counters.writes_unknown += k
        self.write_latency.add(latency, -k)

    def still_answers(self, source: TrafficSource, node: SimNode) -> bool:
        return (self.accepting(node) and self.network.connected(source.loc, node.loc)
                and not self.commit_state(node)[0])

    # -- books over a quiet stretch -------------------------------------------------------------
    def account(self, t0: float, t1: float, tally: Tally, commit: bool) -> None:
        if self._accepting >= 2:
            tally.add("split_brain_seconds", t1 - t0)
        if commit:
            for node in self.nodes:
                if node.down_lag is not None:
                    node.down_lag = (self.lag_seconds(node, t1), self.lag_ops(node, t1), t1)
        leader = self.leader
        if leader is None or not self.accepting(leader):
            return
        for node in self.nodes:
            # The lag an operator reads: of the replicas configured to follow the leader (an old primary that
            # has not rejoined yet is not one of them).
            if node is leader or not self.network.up(node.loc) or node.upstream is not leader:
                continue
            # Lag only grows or only shrinks within a stretch, so its worst is at an end: at t0 it is the
            # last stretch's t1, already counted, except in a replica's first second of streaming (REJOIN_GRACE),
            # which is not counted wherever the stretches around it end; its end is.
            settled = node.stream_since + REJOIN_GRACE
            if t1 < settled:
                continue
            if t0 < settled:
                tally.peak("max_lag_seconds", self.lag_seconds(node, settled))
            tally.peak("max_lag_seconds", self.lag_seconds(node, t1))

    def stale_share(self, source: TrafficSource, group: Group, node: SimNode, t0: float, t1: float) -> float:
        reference = self.reference()
        if reference is None or node is reference:
            return 0.0
        wait = self._ack_wait
        timeline = reference.timeline
        cut = shared_prefix(timeline, node.timeline)

        def unseen(t: float) -> float:
            acked = timeline.position_at(t - wait) if t - wait >= 0 else 0.0
            have = min(node.applied(t), cut)
            return acked - have if acked > have else 0.0

        return self.keyspace.mean_hit(unseen, t0, t1)

    # -- lag as a real tool reads it -----------------------------------------------------
    def reference(self) -> SimNode | None:
        """The log lag is measured against: the leader; with none, the node a Raft election would pick (the
        most up-to-date log: latest term, then longest)."""
        if self.leader is not None:
            return self.leader
        now = self.loop.now
        return max(self.nodes, key=lambda n: (n.timeline.term, n.received(now), n.name), default=None)

    def lag_ops(self, node: SimNode, now: float) -> int:
        return self._lags(node, now)[1]

    def lag_seconds(self, node: SimNode, now: float) -> float:
        """How old the oldest write this node is missing is (PostgreSQL's replay lag); for a down node, at
        least its lag when it went down plus the time since."""
        return self._lags(node, now)[0]

    def _lags(self, node: SimNode, now: float) -> tuple[float, int]:
        # Asked several times per snapshot (the view, the worst lag, the books): computed once per state.
        key = (self.version, self.settled, now)
        if self._lag_key != key:
            self._lag_key = key
            self._lag_memo = {}
        found = self._lag_memo.get(node.name)
        if found is None:
            found = self._lag_memo[node.name] = replay_lag(self.reference(), node, now)
        return found

    # -- leadership changes, used by controllers and operator actions ----------------------
    def promote(self, node: SimNode, now: float, reason: str) -> None:
        """`node` becomes the leader, on a new timeline from what it received (the caller settled)."""
        node.stop_writing(now)  # a leader promoted again: its old timeline ends here (else it grows unwritten)
        node.stop_stream(now)
        position = node.received(now)
        node.anchor(now)
        self.term += 1
        node.term = self.term
        node.role = "leader"
        node.fenced = False
        node.upstream = None
        node.timeline = self.new_timeline(node.timeline, position, self.term, now)
        node.writing = True
        node.recv_base = position
        self.promoting.discard(node.name)
        self.leader = node
        self.history.append((now, node.name, self.term))
        self.clock.note_promoted(now)
        self.election = ""
        self.dns_record = node.name
        self.set_sync_standbys(node, self.default_sync_standbys(node))
        self.log(f"{node.name} promoted to leader (term {self.term}): {reason}")

    def repoint(self, node: SimNode, leader: SimNode, now: float) -> bool:
        """Follow `leader`, rewinding first if the node's log went past the fork (pg_rewind, Raft's
        truncation). Needs a working connection to it: returns False if there is none."""
        if node is leader or not self.network.connected(node.loc, leader.loc):
            return False
        if node.writing:
            node.stop_writing(now)
        else:
            node.stop_stream(now)
        if node.timeline is not leader.timeline:
            fork = shared_prefix(leader.timeline, node.timeline)
            if node.received(now) > fork + 1e-9:
                node.anchor(now)
                node.recv_base = fork
                node.apply_p = min(node.apply_p, fork)
                self.log(f"{node.name} rewound to position {round(fork)} to follow {leader.name}")
            node.timeline = leader.timeline
        node.role = "follower"
        node.fenced = False
        node.upstream = leader
        node.term = max(node.term, leader.term)
        return True

    def resume_leader(self, node: SimNode, now: float) -> None:
        """A leader that restarted as a replica starts writing its own timeline again (Patroni still held
        the leader key)."""
        node.role = "leader"
        node.upstream = None
        node.writing = True
        self.leader = node
        self.log(f"{node.name} resumes as the leader (it still holds the leader key)")

    def demote(self, node: SimNode, now: float, reason: str) -> None:
        node.stop_writing(now)
        node.role = "follower"
        node.upstream = None
        if self.leader is node:
            self.leader = None
        self.log(f"{node.name} demoted: {reason}")

    # -- accounting of lost writes ---------------------------------------------------------
    def lost_writes(self) -> tuple[int, float]:
        """Acknowledged writes that are not in the history of the current leader."""
        return lost_writes(self, self.timelines, self.reference())

    # -- CAP ---------------------------------------------------------------------------------
    def write_diverges(self, source: TrafficSource) -> bool:
        from regionctl.sim.cap import leader_follower_diverges

        return leader_follower_diverges(self)
