"""Patroni: a leader key with a TTL in a DCS that has its own quorum, and an HA loop per member.

Each member runs its HA loop every `loop_wait` at its own phase:
- the leader renews the key (expiry = now + ttl) and records its WAL position (the DCS
  `optime`) while it can reach the DCS's quorum; when it cannot, it retries for
  `retry_timeout` and then demotes itself (with `fencing: false` it keeps running as a
  primary: failsafe or paused Patroni);
- a replica follows the key's holder; once the key has expired it races for it, if it is
  the healthiest member it can see: no reachable member further ahead, within
  `maximum_lag_on_failover` of the last optime in the DCS, and (synchronous_mode) the
  synchronous standby recorded in the DCS. The winner promotes; an old primary that finds
  another holder rewinds and follows.
- the members watch the leader key (etcd3): its expiry wakes every member that reaches the
  DCS at once, one round trip later, and so does the new leader's update of the key when its
  promotion ends (the others then follow it). A woken loop runs every loop_wait from then on.
  Measured on the sandbox (Patroni 4.1.5, etcd3, loop_wait 10 s): both replicas raced within
  0.4 s of the key's expiry, off their phases, and the loser streamed from the new leader 1.2 s
  after it took the key.
The DCS (etcd, one member per witness region) answers a member that can reach a
majority of its members that can reach each other.

While the cluster is steady (one healthy holder, every reachable replica following it)
the loops change nothing, so they are not events: renewals happen implicitly at the
leader's loop ticks. Any change wakes the loops until the cluster is steady again.
"""

from __future__ import annotations

import itertools
import random

from regionctl.sim.failover import Manager
from regionctl.sim.leader_follower import LeaderFollowerCluster
from regionctl.sim.network import Loc
from regionctl.sim.node import SimNode
from regionctl.sim.routing import next_tick


class Patroni(Manager):
    def __init__(self, cluster: LeaderFollowerCluster, rng: random.Random) -> None:
        super().__init__(cluster, rng)
        self.loop_wait = self.t.get("loop_wait", 10.0)
        self.ttl = self.t.get("ttl", 30.0)
        self.retry_timeout = self.t.get("retry_timeout", 10.0)
        self.phase = {n.name: rng.uniform(0.0, self.loop_wait) for n in cluster.nodes}
        leader = cluster.leader
        self.holder: str | None = leader.name if leader is not None else None
        self.expiry = self.ttl
        self.optime = 0.0
        self.steady = leader is not None  # renewals implicit at the leader's loop ticks
        self.scheduled: dict[str, float] = {}  # member -> time of its next loop event
        self.demote_at: dict[str, float] = {}
        self.idle_loops = 0
        self.woken: dict[str, float] = {}  # member -> the time a watch event wakes its loop
        self.expiries: set[float] = set()  # key expiries with a pending watch event
        self._clique_version = -1
        self._clique: list[Loc] = []

    # -- the DCS -------------------------------------------------------------------------------
    def quorum_members(self) -> list[Loc]:
        """The DCS members that form its quorum now (empty: the DCS has none)."""
        network = self.cluster.network
        if self._clique_version == network.version:
            return self._clique
        self._clique_version = network.version
        members = [m for m in self.members if network.up(m)]
        need = len(self.members) // 2 + 1
        self._clique = []
        # Partitions cut regions and nodes apart, so the members a member reaches usually all reach each
        # other: try each member's neighbourhood first; search subsets only for small, odd cases.
        for m in members:
            around = [o for o in members if o == m or network.connected(m, o)]
            if len(around) >= need and all(network.connected(a, b) for a, b in itertools.combinations(around, 2)):
                self._clique = around
                return self._clique
        if len(members) <= 9:
            for size in range(len(members), need - 1, -1):
                for group in itertools.combinations(members, size):
                    if all(network.connected(a, b) for a, b in itertools.combinations(group, 2)):
                        self._clique = list(group)
                        return self._clique
        return self._clique

    def _dcs_rtt(self, node: SimNode) -> float:
        network = self.cluster.network
        members = [m for m in self.quorum_members() if network.connected(node.loc, m)]
        return min((network.rtt(node.loc, m) for m in members), default=0.0)

    def dcs_ok(self, loc: Loc) -> bool:
        network = self.cluster.network
        return any(network.connected(loc, m) for m in self.quorum_members())

    def quorum_reachable(self, loc: Loc) -> bool:
        return self.dcs_ok(loc)

    def key_valid(self, now: float) -> str | None:
        if self.steady:
            return self.holder
        return self.holder if self.holder is not None and self.expiry > now else None

    def holds_lock(self, node: SimNode) -> bool:
        return self.key_valid(self.cluster.loop.now) == node.name

    # -- waking and sleeping ----------------------------------------------------------------------
    def on_change(self, now: float) -> None:
        cluster = self.cluster
        for node in cluster.restarted:
            # Patroni starts PostgreSQL as a replica; its first loop promotes it again only if it still holds
            # the leader key. Paused (policy manual), Patroni leaves PostgreSQL as it was.
            if node.role == "leader" and self.policy != "manual":
                node.stop_writing(now)
                node.role = "follower"
                node.upstream = None
                cluster.log(f"{node.name} restarts as a replica (Patroni decides on its first loop)")
        # A restarted member's Patroni runs its first loop as it starts (and its loops keep that phase).
        started = [n for n in cluster.restarted if cluster.up(n)]
        cluster.restarted.clear()
        overdue = {n.name for n in cluster.resumed}
        self.generation += 1
        if self.steady:
            holder = self.cluster.by_name.get(self.holder or "")
            if holder is not None:
                last = next_tick(self.phase[holder.name], self.loop_wait, now) - self.loop_wait
                self.expiry = last + self.ttl
                self.optime = holder.received(last)
            self.steady = False
        self.idle_loops = 0
        for node in self.cluster.nodes:
            if node.name in overdue and self.cluster.up(node):
                # A paused member's HA loop was due while it was stopped: it runs as soon as it resumes, one
                # round trip to the DCS later (until then its PostgreSQL, a primary, still takes writes).
                at = now + self._dcs_rtt(node)
                self.scheduled[node.name] = at
                self.cluster.loop.schedule(at, self._loop, node, at)
            elif self.cluster.up(node) and node.name not in self.scheduled:
                self._schedule(node, now)
        for node in started:
            self._wake(node, now + self._dcs_rtt(node))
        self._watch_expiry(now)

    def describe(self, now: float) -> str:
        """What the failover machinery is doing; while it waits on a key its holder can no longer renew
        (down, or cut off from the DCS), when that key runs out, which anyone reading the DCS can see."""
        cluster = self.cluster
        if cluster.election or self.policy == "manual" or self.holder is None:
            return cluster.election
        holder = cluster.by_name.get(self.holder)
        if holder is None or (cluster.up(holder) and self.dcs_ok(holder.loc)):
            return ""
        # Whether one then takes it is decided at its loop (health, lag, sync standby): "may".
        racers = any(n is not holder and cluster.up(n) and self.dcs_ok(n.loc) for n in cluster.nodes)
        then = "then a replica may take over" if racers else "and no replica can reach the DCS to take it"
        if self.key_valid(now) == holder.name:
            return f"leader key of {holder.name} expires at t={self.expiry:.1f}s, {then}"
        if holder.role == "leader" and not cluster.promoting:
            return (f"leader key of {holder.name} expired: a replica may take it on its next loop" if racers else
                    f"leader key of {holder.name} expired, and no replica can reach the DCS to take it")
        return ""

    def _schedule(self, node: SimNode, now: float) -> None:
        at = next_tick(self.phase[node.name], self.loop_wait, now)
        self.scheduled[node.name] = at
        self.cluster.loop.schedule(at, self._loop, node, at)

    def _wake(self, node: SimNode, at: float) -> None:
        """A watch event on the leader key reaches the member at `at`: its loop runs then (unless it runs
        sooner anyway), and every loop_wait from then on (Patroni's next_run restarts at a watch wake-up)."""
        if not self.cluster.up(node) or self.scheduled.get(node.name, float("inf")) <= at + 1e-9:
            return
        self.woken[node.name] = at
        self.scheduled[node.name] = at
        self.cluster.loop.schedule(at, self._loop, node, at)

    def _wake_others(self, holder: SimNode | None, now: float) -> None:
        """The leader key changed at `now`: each member that reaches the DCS hears of it a round trip later."""
        for node in self.cluster.nodes:
            if node is not holder and self.cluster.up(node) and self.dcs_ok(node.loc):
                self._wake(node, now + self._dcs_rtt(node))

    def _watch_expiry(self, now: float) -> None:
        """A key its holder can no longer renew runs out at its expiry; that deletion wakes the watchers."""
        holder = self.cluster.by_name.get(self.holder or "")
        if holder is None or self.policy == "manual" or self.expiry <= now or self.expiry in self.expiries:
            return
        if self.cluster.up(holder) and self.dcs_ok(holder.loc):
            return  # it renews the key on its next loop
        self.expiries.add(self.expiry)
        self.cluster.loop.schedule(self.expiry, self._expired, holder, self.expiry)

    def _expired(self, holder: SimNode, expiry: float) -> None:
        self.expiries.discard(expiry)
        now = self.cluster.loop.now
        if self.holder == holder.name and self.expiry == expiry and not self.steady:  # not renewed since
            # A holder that demoted itself watches the key as a replica does, and races for it too.
            self._wake_others(holder if holder.role == "leader" else None, now)

    def _is_steady(self, now: float) -> bool:
        cluster = self.cluster
        holder = cluster.by_name.get(self.holder or "")
        if holder is None or self.key_valid(now) != holder.name or self.demote_at or cluster.promoting:
            return False
        if not (cluster.accepting(holder) and self.dcs_ok(holder.loc)):
            return False
        if cluster.mode == "sync" and self._wanted_sync(holder) != cluster.sync_standbys:
            return False
        for node in cluster.nodes:
            if node is holder or not cluster.up(node):
                continue
            if node.role == "leader":
                return False
            if self.dcs_ok(node.loc) and cluster.network.connected(node.loc, holder.loc) \
                    and not (node.streaming and node.upstream is holder):
                return False
        return True

    def _loop(self, node: SimNode, at: float) -> None:
        if self.scheduled.get(node.name) != at:
            return
        del self.scheduled[node.name]
        if self.woken.get(node.name) == at:
            del self.woken[node.name]
            self.phase[node.name] = at % self.loop_wait
        cluster = self.cluster
        now = cluster.loop.now
        if not cluster.up(node):
            return
        cluster.settle(now)
        changed = self.ha_loop(node, now)
        if changed:
            cluster.changed(now)
            self.idle_loops = 0
        else:
            self.idle_loops += 1
        if self._is_steady(now):
            self.steady = True
            self.scheduled.clear()  # the loops go quiet (their pending events become no-ops)
            self.generation += 1
            if cluster.election:
                cluster.election = ""
            return
        up = sum(1 for n in cluster.nodes if cluster.up(n))
        deadline = (self.holder is not None and self.expiry > now) or bool(self.demote_at) or bool(cluster.promoting)
        if deadline:
            self.idle_loops = 0  # something is still to happen: every member must loop after it
        elif self.idle_loops >= 2 * up:
            self.scheduled.clear()  # stuck (nobody can lead): nothing changes until the world does
            return
        if node.name not in self.scheduled:  # a watch event may already have woken it for later
            self._schedule(node, now)
        self._watch_expiry(now)

    # -- one member's HA loop ---------------------------------------------------------------------
    def ha_loop(self, node: SimNode, now: float) -> bool:
        cluster = self.cluster
        dcs = self.dcs_ok(node.loc)
        holder = self.key_valid(now)
        if node.role != "leader" and holder == node.name and dcs and cluster.leader is node \
                and node.name not in cluster.promoting:
            cluster.resume_leader(node, now)
            self.expiry = now + self.ttl
            return True
        if node.role == "leader" or node.name in cluster.promoting:
            if dcs and holder in (None, node.name):
                self.holder, self.expiry = node.name, now + self.ttl
                self.optime = node.received(now)
                self.demote_at.pop(node.name, None)
                return self._manage_sync(node)
            if dcs and holder is not None:
                cluster.demote(node, now, f"{holder} holds the leader key")
                self._follow(node, holder, now)
                return True
            if self.fencing and self.policy != "manual" and node.name not in self.demote_at \
                    and node.role == "leader":
                # Patroni retries the DCS for retry_timeout, then demotes itself.
                at = now + self.retry_timeout
                self.demote_at[node.name] = at
                cluster.loop.schedule(at, self._demote_unless_dcs, node, at)
                cluster.election = f"{node.name} cannot reach the DCS; demotes at t={at:.1f}s unless it can"
            return False
        if not dcs:
            return False
        if holder is not None and holder != node.name:
            return self._follow(node, holder, now)
        if holder is None:
            return self._race(node, now)
        return False

    def _follow(self, node: SimNode, holder: str, now: float) -> bool:
        cluster = self.cluster
        leader = cluster.by_name[holder]
        if leader.role != "leader" or (node.upstream is leader and node.streaming):
            return False
        if node.upstream is leader and leader.timeline.fork_point_with(node.timeline) is not None:
            return False  # it switches timelines as soon as it can stream
        if cluster.repoint(node, leader, now):
            cluster.log(f"{node.name} follows {holder} (Patroni)")
            return True
        return False

    def _race(self, node: SimNode, now: float) -> bool:
        cluster = self.cluster
        if self.policy == "manual":
            cluster.election = "leader key expired; no automatic failover (policy manual: Patroni paused)"
            return False
        why = self._unhealthy(node, now)
        if why:
            cluster.election = f"leader key expired; {node.name} will not take it: {why}"
            return False
        self.holder, self.expiry = node.name, now + self.ttl
        old = cluster.leader
        self.begin_promotion(node, now, "took the Patroni leader key")
        if old is not None and old is not node:
            cluster.log(f"{node.name} acquired the leader key after {old.name}'s expired")
        return True

    def _unhealthy(self, node: SimNode, now: float) -> str:
        cluster = self.cluster
        if cluster.mode == "sync" and node.name not in cluster.sync_standbys and node is not cluster.leader \
                and node.name != cluster.sync_leader:
            # The /sync key names the leader and its synchronous standbys: only they hold every acknowledged
            # write (Patroni: sync.matches(name, check_leader=True); a demoted leader it names may take the key).
            return "not the synchronous standby"
        if cluster.mode == "quorum":
            visible = 1 + sum(1 for o in cluster.nodes if o is not node and cluster.up(o)
                              and cluster.network.connected(node.loc, o.loc))
            if visible * 2 <= len(cluster.nodes):
                # Quorum commit: an acknowledged write is on a majority; only with a majority in sight can a
                # node know it is the most up to date.
                return "cannot see a majority of the members (quorum commit)"
        if not self.lag_ok(node, self.optime, now):
            return "further behind the last leader position in the DCS than maximum_lag_on_failover"
        mine = node.received(now)
        for other in cluster.nodes:
            if other is node or not cluster.up(other) or not cluster.network.connected(node.loc, other.loc):
                continue
            theirs = other.received(now)
            if other.role != "leader" and theirs > mine + 1e-6:
                return f"{other.name} is further ahead"
            if abs(theirs - mine) <= 1e-6 and other.priority > node.priority and other.role != "leader":
                return f"{other.name} has a higher failover priority"
        return ""

    def _demote_unless_dcs(self, node: SimNode, at: float) -> None:
        if self.demote_at.get(node.name) != at:
            return
        del self.demote_at[node.name]
        cluster = self.cluster
        now = cluster.loop.now
        if node.role != "leader" or not cluster.up(node) or self.dcs_ok(node.loc):
            return
        cluster.settle(now)
        cluster.demote(node, now, "DCS is not accessible (Patroni demotes itself)")
        cluster.changed(now)

    # -- synchronous_mode -----------------------------------------------------------------------
    def _wanted_sync(self, leader: SimNode) -> list[str]:
        cluster = self.cluster
        candidates = [n for n in cluster.sync_candidates if n != leader.name]
        healthy = [n for n in candidates if cluster.by_name[n].streaming and cluster.by_name[n].upstream is leader]
        count = len(candidates) if cluster.sync_count is None else cluster.sync_count
        chosen = healthy[:count]
        if cluster.strict and len(chosen) < count:
            # synchronous_mode_strict: keep waiting for the missing standbys rather than go async.
            chosen += [n for n in cluster.sync_standbys if n not in chosen and n != leader.name][: count - len(chosen)]
        return chosen

    def _manage_sync(self, leader: SimNode) -> bool:
        cluster = self.cluster
        if cluster.mode != "sync":
            return False
        wanted = self._wanted_sync(leader)
        if wanted == cluster.sync_standbys:
            return False
        cluster.set_sync_standbys(leader, wanted)
        cluster.log("synchronous standby now " + (", ".join(wanted) if wanted else
                                                 "none: commits no longer wait (synchronous_mode, not strict)"))
        return True

    def after_promotion(self, old: SimNode | None, now: float) -> None:
        """The new leader updates its key as its promotion ends; that watch event wakes the others, whose
        loops then follow it (nothing is repointed from here)."""
        self._wake_others(self.cluster.leader, now)
