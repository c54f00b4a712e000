"""Redis Sentinel: per-sentinel views, SDOWN and ODOWN, an epoch vote, and clients that ask.

One Sentinel per witness region (default: beside each node). Each pings the master it
knows every second; with no valid reply for `down_after` the master is subjectively down
(SDOWN) for it. A Sentinel that sees SDOWN asks the others it can reach; when `quorum`
of them agree it is objectively down (ODOWN) and the Sentinel asks for votes in a new
epoch; each Sentinel votes for the first to ask in an epoch, and a majority of all
Sentinels makes a leader, which promotes the best replica (priority, then replication
offset), reconfigures the replicas it reaches and publishes the new configuration;
other Sentinels adopt it from its hello messages when they can hear them. A failed
election is abandoned after the election timeout and retried after twice the
failover-timeout. Sentinel-aware clients ask the nearest Sentinel they can reach, so
clients beside an isolated old master keep writing to it until it is converted to a
replica (about an INFO period after a Sentinel with the new configuration reaches it);
those writes are lost. Fencing = `min-replicas-to-write 1`: a master with no replica
acknowledging for `min_replicas_max_lag` refuses writes.

Timings: sentinel.c (SENTINEL_PING_PERIOD 1 s, SENTINEL_ASK_PERIOD 1 s,
SENTINEL_INFO_PERIOD 10 s, SENTINEL_PUBLISH_PERIOD 2 s, SENTINEL_ELECTION_TIMEOUT 10 s,
SENTINEL_MAX_DESYNC 1 s, failover-timeout 180 s default) and sentinel.conf.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from regionctl.sim.failover import Manager
from regionctl.sim.leader_follower import LeaderFollowerCluster
from regionctl.sim.network import Loc
from regionctl.sim.node import SimNode
from regionctl.units import format_duration


@dataclass
class SentinelView:
    """What one Sentinel believes: its master, its epochs and vote, and whether it sees the master down."""

    loc: Loc
    master: str | None
    epoch: int = 0  # the configuration epoch of its `master`
    current_epoch: int = 0
    leader_epoch: int = 0  # the epoch of its last vote
    sdown: bool = False
    sdown_since: float = 0.0  # when it last saw the master go subjectively down
    sdown_pending: float | None = None
    next_attempt: float = 0.0
    attempting: int = 0  # the epoch of its own ongoing failover attempt

    @property
    def where(self) -> str:
        return f"sentinel@{self.loc[0]}"


class Sentinel(Manager):
    def __init__(self, cluster: LeaderFollowerCluster, rng: random.Random) -> None:
        super().__init__(cluster, rng)
        leader = cluster.leader.name if cluster.leader is not None else None
        self.views = [SentinelView(loc, leader) for loc in self.members]
        self.quorum = len(self.views) // 2 + 1
        self.down_after = self.t.get("down_after", 30.0)
        self.ping = self.t.get("ping", 1.0)
        self.info = self.t.get("info_period", 10.0)
        self.publish = self.t.get("publish_period", 2.0)
        self.election_timeout = min(self.t.get("election_timeout", 10.0), self.t.get("failover_timeout", 180.0))
        self.failover_timeout = self.t.get("failover_timeout", 180.0)
        self.desync = self.t.get("max_desync", 1.0)
        self.fence_after = self.t.get("min_replicas_max_lag", 10.0)
        self.epoch = 0
        self.fence_pending: dict[str, float] = {}
        self.leading: SentinelView | None = None
        self.convert_pending: dict[str, float] = {}

    # -- helpers ---------------------------------------------------------------------------------
    def _up(self, view: SentinelView) -> bool:
        return self.cluster.network.up(view.loc)

    def _reaches(self, view: SentinelView, name: str | None) -> bool:
        if name is None:
            return False
        node = self.cluster.by_name[name]
        return self.cluster.network.connected(view.loc, node.loc)

    def _talk(self, a: SentinelView, b: SentinelView) -> bool:
        return self.cluster.network.connected(a.loc, b.loc)

    def discover(self, loc: Loc) -> str | None:
        network = self.cluster.network
        reachable = [v for v in self.views if network.connected(loc, v.loc)]
        if not reachable:
            return None
        nearest = min(reachable, key=lambda v: (network.rtt(loc, v.loc), v.loc))
        return nearest.master

    def describe(self, now: float) -> str:
        """What the failover machinery is doing; before the sentinels call the master down, when a quorum of
        them will (each once `down_after` has passed without a valid reply)."""
        cluster = self.cluster
        if cluster.election:
            return cluster.election
        pending = sorted(v.sdown_pending for v in self.views if v.sdown_pending is not None and self._up(v))
        master = next((v.master for v in self.views if v.sdown_pending is not None), None)
        if len(pending) < self.quorum or master is None:
            return ""
        return f"{master} unanswered; sentinels agree it is down at t={pending[self.quorum - 1]:.1f}s"

    # -- reacting to a change ----------------------------------------------------------------------
    def on_change(self, now: float) -> None:
        cluster = self.cluster
        self.generation += 1
        loop = cluster.loop
        for view in self.views:
            if not self._up(view):
                view.sdown, view.sdown_pending = False, None
                continue
            if self._reaches(view, view.master) and cluster.up(cluster.by_name[view.master or ""]):
                if view.sdown:
                    cluster.log(f"-sdown {view.master} ({view.where})")
                view.sdown, view.sdown_pending = False, None
                continue
            if not view.sdown and view.sdown_pending is None:
                last_reply = now - self.rng.uniform(0.0, self.ping)
                at = max(now, last_reply + self.down_after)
                view.sdown_pending = at
                loop.schedule(at, self._sdown, view, at)
            elif view.sdown:
                loop.schedule(now + self.rng.uniform(0.0, self.ping), self._ask, view, self.generation)
        self._propagate(now)
        self._fencing(now)
        self._convert_old_masters(now)
        self._fix_replicas(now)
        self._status(now)

    def _status(self, now: float) -> None:
        cluster = self.cluster
        if cluster.election.startswith(("failover by", "promoting")):
            return
        down = [v for v in self.views if v.sdown]
        if down:
            cluster.election = f"s_down by {len(down)}/{len(self.views)} sentinels"
        elif cluster.election.startswith("s_down"):
            cluster.election = ""

    def _sdown(self, view: SentinelView, at: float) -> None:
        if view.sdown_pending != at:
            return
        view.sdown_pending = None
        if not self._up(view) or (self._reaches(view, view.master)
                                  and self.cluster.up(self.cluster.by_name[view.master or ""])):
            return
        view.sdown = True
        view.sdown_since = at
        self.cluster.log(f"+sdown {view.master} ({view.where})")
        self._status(self.cluster.loop.now)
        self._ask(view, self.generation)

    def _ask(self, view: SentinelView, generation: int) -> None:
        """is-master-down-by-addr to the Sentinels it can reach: ODOWN with `quorum` agreeing."""
        if not view.sdown or not self._up(view):
            return
        cluster = self.cluster
        now = cluster.loop.now
        agree = 1 + sum(1 for other in self.views if other is not view and self._up(other) and self._talk(view, other)
                        and other.sdown and other.master == view.master)
        if agree < self.quorum:
            return  # asked again when something changes
        if self.policy == "manual":
            cluster.election = f"o_down {view.master}; manual failover (SENTINEL FAILOVER)"
            return
        if now < view.next_attempt or view.attempting:
            return
        self._try_failover(view, now)

    def _try_failover(self, view: SentinelView, now: float) -> None:
        cluster = self.cluster
        view.current_epoch = max(view.current_epoch, max(v.current_epoch for v in self.views)) + 1
        epoch = view.current_epoch
        view.attempting = epoch
        view.leader_epoch = epoch
        view.next_attempt = now + 2 * self.failover_timeout
        cluster.log(f"+odown {view.master}; +try-failover epoch {epoch} ({view.where})")
        votes = 1
        last_reply = now
        for other in self.views:
            if other is view or not self._up(other) or not self._talk(view, other):
                continue
            other.current_epoch = max(other.current_epoch, epoch)
            if other.leader_epoch < epoch:
                other.leader_epoch = epoch
                # A Sentinel that votes for another will not start its own failover for a while.
                other.next_attempt = max(other.next_attempt, now + 2 * self.failover_timeout)
                votes += 1
                last_reply = max(last_reply, now + cluster.network.rtt(view.loc, other.loc))
        needed = max(self.quorum, len(self.views) // 2 + 1)
        if votes < needed:
            cluster.election = f"failover by {view.where} not elected ({votes}/{needed} votes, epoch {epoch})"
            cluster.loop.schedule(now + self.election_timeout, self._abort, view, epoch)
            return
        start = last_reply + self.rng.uniform(0.0, self.desync)
        cluster.election = f"failover by {view.where} (epoch {epoch})"
        cluster.loop.schedule(start, self._select, view, epoch)

    def _abort(self, view: SentinelView, epoch: int) -> None:
        if view.attempting != epoch:
            return
        view.attempting = 0
        self.cluster.log(f"-failover-abort-not-elected epoch {epoch} ({view.where})")
        self.cluster.election = ""
        self._status(self.cluster.loop.now)

    def _select(self, view: SentinelView, epoch: int) -> None:
        if view.attempting != epoch:
            return
        cluster = self.cluster
        now = cluster.loop.now
        master = view.master
        reachable = [n for n in cluster.nodes if n.name != master and cluster.up(n) and n.role != "leader"
                     and cluster.network.connected(view.loc, n.loc)]
        # sentinelSelectSlave skips a replica whose link to the master has been down longer than
        # down-after x 10 plus the time the master has been SDOWN: its data is too old to promote.
        validity = self.down_after * 10 + (now - view.sdown_since if view.sdown else 0.0)
        cut_for = {n.name: now - n.stream_lost_at for n in reachable if n.stream_lost_at is not None}
        stale = [n for n in reachable if cut_for.get(n.name, 0.0) > validity]
        best = self.best([n for n in reachable if n not in stale], now)
        if best is None or not self._up(view):
            view.attempting = 0
            why = "no reachable replica"
            if stale and self._up(view):
                cut = ", ".join(f"{n.name} {format_duration(cut_for[n.name])}" for n in stale)
                why = f"every replica lost its master link too long ago ({cut}; valid: {format_duration(validity)})"
            cluster.log(f"-failover-abort-no-good-slave ({view.where}): {why}")
            cluster.election = f"o_down; no failover: {why}"
            return
        cluster.settle(now)
        self.epoch = epoch
        self.leading = view
        self.begin_promotion(best, now, f"sentinel failover (epoch {epoch})")
        cluster.changed(now)

    def best(self, candidates: list[SimNode], now: float) -> SimNode | None:
        """compareSlavesForPromotion: the priority first (Redis's replica-priority, where lower wins; here
        higher wins, as for every engine; 0: never promoted), then the replication offset, then the name."""
        eligible = [n for n in candidates if n.priority > 0]
        if not eligible:
            return None
        return max(eligible, key=lambda n: (n.priority, n.timeline.term, round(n.received(now), 6), n.name))

    def after_promotion(self, old: SimNode | None, now: float) -> None:
        cluster = self.cluster
        leader = cluster.leader
        view = getattr(self, "leading", None)
        if leader is None or view is None:
            return
        view.attempting = 0
        view.master, view.epoch = leader.name, self.epoch
        view.sdown = False
        cluster.term = max(cluster.term, self.epoch + 1)
        cluster.log(f"+switch-master to {leader.name} (epoch {self.epoch}, {view.where})")
        # The leader reconfigures the replicas it reaches (SLAVEOF the new master).
        for node in cluster.nodes:
            if node is leader or node.role == "leader" or not cluster.up(node):
                continue
            if cluster.network.connected(view.loc, node.loc) and cluster.repoint(node, leader, now):
                cluster.log(f"{node.name} reconfigured to replicate {leader.name}")

    # -- configuration spreads through hello messages ---------------------------------------------------
    def _propagate(self, now: float) -> None:
        newest = max(self.views, key=lambda v: v.epoch)
        for view in self.views:
            if view.epoch < newest.epoch and self._up(view):
                source = next((v for v in self.views
                               if v.epoch == newest.epoch and self._up(v) and self._talk(v, view)), None)
                if source is not None:
                    at = now + self.rng.uniform(0.0, self.publish)
                    self.cluster.loop.schedule(at, self._adopt, view, source.master, source.epoch)

    def _adopt(self, view: SentinelView, master: str | None, epoch: int) -> None:
        if view.epoch >= epoch or not self._up(view):
            return
        view.master, view.epoch = master, epoch
        view.sdown = False
        view.current_epoch = max(view.current_epoch, epoch)
        self.cluster.log(f"+config-update {master} (epoch {epoch}, {view.where})")
        now = self.cluster.loop.now
        self.cluster.settle(now)
        self.cluster.changed(now)

    def _convert_old_masters(self, now: float) -> None:
        """A master that is not the configured one is made a replica about an INFO period after a
        Sentinel with the newest configuration reaches it."""
        cluster = self.cluster
        leader = cluster.leader
        if leader is None:
            return
        newest = max(v.epoch for v in self.views)
        for node in cluster.nodes:
            if node is leader or node.role != "leader" or not cluster.up(node) or node.name in self.convert_pending:
                continue
            if any(v.epoch == newest and self._up(v) and self._reaches(v, node.name) for v in self.views):
                at = now + self.info
                self.convert_pending[node.name] = at
                cluster.loop.schedule(at, self._convert, node, at)

    def _convert(self, node: SimNode, at: float) -> None:
        if self.convert_pending.get(node.name) != at:
            return
        del self.convert_pending[node.name]
        cluster = self.cluster
        leader = cluster.leader
        now = cluster.loop.now
        if leader is None or node is leader or node.role != "leader" or not cluster.up(node):
            return
        newest = max(v.epoch for v in self.views)
        if not any(v.epoch == newest and self._up(v) and self._reaches(v, node.name) for v in self.views):
            return
        cluster.settle(now)
        cluster.demote(node, now, "+convert-to-slave (Sentinel)")
        cluster.repoint(node, leader, now)
        cluster.changed(now)

    def _fix_replicas(self, now: float) -> None:
        """+fix-slave-config: a replica that replicates from anything but the configured master is pointed at
        it by a Sentinel that reaches both (at its next INFO; the simulator does it at once)."""
        cluster = self.cluster
        leader = cluster.leader
        if leader is None or leader.role != "leader" or not cluster.up(leader):
            return
        newest = max(v.epoch for v in self.views)
        for node in cluster.nodes:
            if node is leader or node.role == "leader" or not cluster.up(node) or node.upstream is leader:
                continue
            if any(v.epoch == newest and self._up(v) and self._reaches(v, node.name) for v in self.views) \
                    and cluster.repoint(node, leader, now):
                cluster.log(f"+fix-slave-config: {node.name} now replicates {leader.name}")

    # -- min-replicas-to-write -------------------------------------------------------------------------
    def _fencing(self, now: float) -> None:
        if not self.fencing:
            return
        cluster = self.cluster
        for node in cluster.nodes:
            if node.role != "leader" or not cluster.up(node):
                continue
            acked = any(n.streaming and n.upstream is node for n in cluster.nodes)
            if acked:
                self.fence_pending.pop(node.name, None)
                node.fenced = False
            elif not node.fenced and node.name not in self.fence_pending:
                at = now - self.rng.uniform(0.0, 1.0) + self.fence_after
                self.fence_pending[node.name] = max(at, now)
                cluster.loop.schedule(max(at, now), self._fence, node, max(at, now))

    def _fence(self, node: SimNode, at: float) -> None:
        if self.fence_pending.get(node.name) != at:
            return
        del self.fence_pending[node.name]
        cluster = self.cluster
        now = cluster.loop.now
        if node.role != "leader" or any(n.streaming and n.upstream is node for n in cluster.nodes):
            return
        cluster.settle(now)
        node.fenced = True
        cluster.log(f"{node.name} refuses writes: no replica acknowledged within min-replicas-max-lag")
        cluster.changed(now)
