"""Failover managers that are fixed timers around a decision: pollers (orchestrator, repmgr,
pg_auto_failover), Redis Cluster's bus, a managed control plane (Aurora Global), and the
no-manager case. Patroni, Sentinel and Raft, whose mechanics matter message by message,
live in their own modules on the same base.

A manager acts only at the moments its mechanism would: a failed poll, a timeout, a
promotion finishing. When nothing is wrong it schedules nothing; a stale event (the
world moved since it was scheduled) is a no-op through a generation counter.
"""

from __future__ import annotations

import random

from regionctl.model.resolved import preset
from regionctl.sim.leader_follower import LeaderFollowerCluster
from regionctl.sim.network import Loc, witness_loc
from regionctl.sim.node import SimNode
from regionctl.sim.routing import next_tick

PROMOTION_SPREAD = 0.2  # a promotion takes its preset's time +-20% (a checkpoint, a slow fsync)


class Manager:
    """What every controller shares: members, eligibility, promotion, following the leader."""

    forwards = False

    def __init__(self, cluster: LeaderFollowerCluster, rng: random.Random) -> None:
        self.cluster = cluster
        self.rng = rng
        self.t = cluster.timings
        self.family = preset(cluster.spec).family
        self.policy = cluster.spec.failover.policy
        self.fencing = cluster.spec.failover.fencing
        self.max_lag = cluster.spec.failover.max_lag
        witnesses = cluster.spec.failover.witnesses
        if witnesses:
            self.members: list[Loc] = [witness_loc(w) for w in witnesses]
        else:
            self.members = [(n.region, n.zone, "") for n in cluster.nodes]
        self.generation = 0
        self.shot: set[str] = set()  # primaries this manager fenced itself (STONITH), not an operator

    # -- who can see whom ------------------------------------------------------------------
    def quorum_reachable(self, loc: Loc) -> bool:
        """`loc` can reach a majority of the manager's members."""
        network = self.cluster.network
        if not self.members:
            return network.up(loc)
        return sum(1 for m in self.members if network.connected(loc, m)) * 2 > len(self.members)

    def manager_sees(self, node: SimNode) -> bool:
        """A majority of the manager's members can talk to this node."""
        network = self.cluster.network
        if not network.up(node.loc):
            return False
        return sum(1 for m in self.members if network.connected(m, node.loc)) * 2 > len(self.members)

    def discover(self, loc: Loc) -> str | None:
        """libpq with several hosts and target_session_attrs=read-write: the nearest reachable node
        that says it is a primary (an isolated old primary too, for clients on its side)."""
        cluster = self.cluster
        network = cluster.network
        claims = [n for n in cluster.nodes if network.connected(loc, n.loc) and cluster.claims_primary(n)]
        if not claims:
            return None
        return min(claims, key=lambda n: (network.rtt(loc, n.loc), n.name)).name

    def describe(self, now: float) -> str:
        return self.cluster.election

    # -- reactions ---------------------------------------------------------------------------
    def on_change(self, now: float) -> None:
        self.follow_leader(now)

    def follow_leader(self, now: float) -> bool:
        """Followers that can reach the leader and do not follow it yet start to (the manager
        reconfigures them); returns True if any moved."""
        cluster = self.cluster
        leader = cluster.leader
        if leader is None or not cluster.accepting(leader):
            return False
        moved = False
        for node in cluster.nodes:
            if node is leader or node.role == "leader" or not cluster.up(node):
                continue
            if node.upstream is leader and node.timeline is leader.timeline:
                continue
            if node.upstream is leader and cluster.network.connected(node.loc, leader.loc) \
                    and leader.timeline.fork_point_with(node.timeline) is not None:
                continue  # it switches timelines by itself when it streams
            if cluster.repoint(node, leader, now):
                cluster.log(f"{node.name} now follows {leader.name}")
                moved = True
        return moved

    # -- choosing and promoting ------------------------------------------------------------
    def lag_ok(self, node: SimNode, reference_pos: float, now: float) -> bool:
        """Within the cluster's or preset's promotion lag limit, against the last leader position the
        manager knew (not the old leader's live position, which may still be growing)."""
        cluster = self.cluster
        p = preset(cluster.spec)
        limit = self.max_lag
        behind = max(0.0, reference_pos - node.received(now))
        if isinstance(limit, int) or (limit is None and p.max_lag_bytes is not None):
            limit_bytes = limit if isinstance(limit, int) else p.max_lag_bytes
            return behind * cluster.spec.write_size <= (limit_bytes or 0)
        seconds = limit if isinstance(limit, float) else p.max_lag_seconds
        if seconds is None:
            return True
        reference = cluster.reference()
        timeline = reference.timeline if reference is not None else node.timeline
        newest = timeline.commit_time(reference_pos)
        have = timeline.commit_time(node.received(now))
        if newest is None or have is None:
            return True
        return newest - have <= seconds

    def candidates(self, now: float, reference_pos: float, need_quorum: bool = True) -> list[SimNode]:
        cluster = self.cluster
        leader = cluster.leader
        sync_only = set(cluster.sync_standbys) if cluster.mode == "sync" else set()
        out = []
        for node in cluster.nodes:
            if node is leader or node.role == "leader" or not cluster.up(node):
                continue
            if cluster.mode == "sync" and node.name not in sync_only:
                continue  # only a synchronous standby holds every acknowledged write
            if need_quorum and not self.quorum_reachable(node.loc):
                continue
            if not self.lag_ok(node, reference_pos, now):
                continue
            out.append(node)
        return out

    def best(self, candidates: list[SimNode], now: float) -> SimNode | None:
        if not candidates:
            return None
        return max(candidates, key=lambda n: (n.timeline.term, round(n.received(now), 6), n.priority, n.name))

    def promotion_time(self, node: SimNode, now: float) -> float:
        base = self.t.get("promote", 1.0)
        spread = self.rng.uniform(1.0 - PROMOTION_SPREAD, 1.0 + PROMOTION_SPREAD)
        # A standby replays what it received before it opens for writes.
        return base * spread + node.backlog(now) / max(node.capacity, 1e-9)

    def begin_promotion(self, node: SimNode, now: float, reason: str) -> None:
        cluster = self.cluster
        cluster.promoting.add(node.name)
        cluster.election = f"promoting {node.name}"
        cluster.clock.note_decided(now)
        cluster.log(f"failover decided: promoting {node.name}")
        took = self.promotion_time(node, now)
        cluster.loop.schedule(now + took, self._finish_promotion, node, reason)

    def _finish_promotion(self, node: SimNode, reason: str) -> None:
        cluster = self.cluster
        now = cluster.loop.now
        cluster.settle(now)
        if node.name not in cluster.promoting:
            return
        if not cluster.up(node):
            cluster.promoting.discard(node.name)
            cluster.election = f"promotion of {node.name} failed: it went down"
            cluster.changed(now)
            return
        old = cluster.leader
        cluster.promote(node, now, reason)
        self.after_promotion(old, now)
        cluster.changed(now)

    def after_promotion(self, old: SimNode | None, now: float) -> None:
        """The manager reconfigures the replicas it can reach (orchestrator, Sentinel)."""
        self.follow_leader(now)

    def fence_old(self, old: SimNode | None, now: float) -> None:
        if old is not None and self.fencing and old.role == "leader" and not old.fenced:
            old.fenced = True
            self.shot.add(old.name)
            self.cluster.log(f"{old.name} fenced (STONITH): it can no longer take writes")


class OperatorOnly(Manager):
    """No failover manager (a generic store, or `policy: manual` without one): only runbooks and
    operators promote. Replicas that can reach a newly promoted leader are repointed to it."""

    def on_change(self, now: float) -> None:
        cluster = self.cluster
        leader = cluster.leader
        if leader is None or not cluster.up(leader):
            cluster.election = "leader lost; manual failover (promote a replica)" if leader is not None \
                else "no leader; manual failover (promote a replica)"
        elif cluster.election.startswith(("leader lost", "no leader")):
            cluster.election = ""
        self.follow_leader(now)


class Poller(Manager):
    """A monitor that polls the primary (orchestrator, repmgr, pg_auto_failover): after its
    detection window of failed polls it promotes the most advanced reachable replica.
    orchestrator's holistic check: no failover while a replica still replicates from the primary
    (the monitor alone lost sight of it: 'UnreachableMaster', not 'DeadMaster')."""

    def __init__(self, cluster: LeaderFollowerCluster, rng: random.Random) -> None:
        super().__init__(cluster, rng)
        self.poll = self.t.get("poll", 5.0)
        self.phase = rng.uniform(0.0, self.poll)
        self.lost_at: float | None = None
        self.lost_pos = 0.0
        self.lost_name: str | None = None  # the primary the monitor lost sight of

    def on_change(self, now: float) -> None:
        cluster = self.cluster
        leader = self._begin_change(now)
        if leader is not None and self.manager_sees(leader) and cluster.accepting(leader):
            if self.lost_at is not None and leader.name == self.lost_name:  # (a new primary: its promotion said so)
                cluster.log(f"{leader.name} is reachable again; no failover")
            self.lost_at = None
            cluster.election = ""
            return
        if cluster.promoting:
            return  # a promotion is under way
        if self.lost_at is None:
            self.lost_at = now
            self.lost_pos = leader.received(now) if leader is not None else 0.0
            self.lost_name = leader.name if leader is not None else None
        if self.policy == "manual":
            cluster.election = "leader lost; manual failover (promote a replica)"
            return
        first_failed = next_tick(self.phase, self.poll, self.lost_at)
        decide_at = max(now, first_failed + self.t.get("detection", 0.0))
        cluster.election = f"failover expected at t={decide_at:.1f}s"
        cluster.loop.schedule(decide_at, self._decide, self.generation)

    def _begin_change(self, now: float) -> SimNode | None:
        """A change: old timers become no-ops, followers follow, old leaders that came back step aside.
        Returns the leader as it was when the change arrived."""
        self.generation += 1
        leader = self.cluster.leader
        self.follow_leader(now)
        self._old_leaders_back(now)
        return leader

    def _old_leaders_back(self, now: float) -> None:
        cluster = self.cluster
        leader = cluster.leader
        for node in cluster.nodes:
            if node is not leader and node.role == "leader" and self.manager_sees(node) and leader is not None \
                    and cluster.accepting(leader):
                cluster.demote(node, now, "the monitor sees another primary; set read-only and repointed")
                cluster.repoint(node, leader, now)

    def _decide(self, generation: int) -> None:
        if generation != self.generation:
            return
        cluster = self.cluster
        now = cluster.loop.now
        old = cluster.leader
        # The monitor alone lost sight of a primary that still serves: replicas still stream from it. A
        # primary this manager shot (STONITH) serves nothing, whoever streams from it: its failover goes
        # on (a promotion whose target died would otherwise leave the cluster without a writer for good).
        # One an operator fenced is reachable and replicated: no failover, as the real monitors do.
        shot = old is not None and old.fenced and old.name in self.shot
        holistic = old is not None and cluster.up(old) and not shot and any(
            n.streaming and n.upstream is old for n in cluster.nodes)
        if holistic:
            cluster.election = "primary unreachable from the monitor but replicas still replicate: no failover"
            cluster.log(cluster.election)
            return
        best = self.best(self.candidates(now, self.lost_pos), now)
        if best is None:
            up = [n for n in cluster.nodes if n is not old and cluster.up(n)]
            why = "replicas too far behind to promote" if up else "no live replica"
            cluster.election = f"leader lost; no failover: {why}"
            cluster.log(f"failover blocked: {why}")
            return
        cluster.settle(now)
        self.fence_old(old, now)
        self.begin_promotion(best, now, f"{self.family} failover")
        cluster.changed(now)


class ClusterBus(Poller):
    """Redis Cluster: the masters (witnesses) mark a master FAIL after node_timeout; its
    replicas elect one after 500 ms + rand(0-500 ms) + 1 s x rank, with a majority of masters'
    votes. A master cut off from the majority for node_timeout stops taking writes."""

    def on_change(self, now: float) -> None:
        cluster = self.cluster
        leader = self._begin_change(now)
        node_timeout = self.t.get("node_timeout", 15.0)
        if leader is not None and self.fencing and cluster.up(leader) and not self.quorum_reachable(leader.loc):
            cluster.loop.schedule(now + node_timeout, self._self_fence, self.generation, leader)
        if leader is not None and self.manager_sees(leader) and cluster.accepting(leader):
            self.lost_at = None
            cluster.election = ""
            return
        if cluster.promoting:
            return
        if self.lost_at is None:
            self.lost_at = now
            self.lost_pos = leader.received(now) if leader is not None else 0.0
        if self.policy == "manual":
            cluster.election = "leader lost; manual failover (CLUSTER FAILOVER on a replica)"
            return
        fail_at = self.lost_at + node_timeout
        ranked = sorted((n for n in cluster.nodes if n is not leader and cluster.up(n)),
                        key=lambda n: -n.received(now))
        if not ranked:
            cluster.election = "leader lost; no failover: no live replica"
            return
        best = ranked[0]
        delay = self.t.get("election_delay", 0.5) + self.rng.uniform(0.0, 0.5)
        decide_at = max(now, fail_at + delay)
        cluster.election = f"failover expected at t={decide_at:.1f}s"
        cluster.loop.schedule(decide_at, self._elect, self.generation, best)

    def _self_fence(self, generation: int, leader: SimNode) -> None:
        if generation != self.generation or leader.fenced or leader.role != "leader":
            return
        cluster = self.cluster
        now = cluster.loop.now
        cluster.settle(now)
        leader.fenced = True
        cluster.log(f"{leader.name} stops taking writes: cut off from the majority of masters for node_timeout")
        cluster.changed(now)

    def _elect(self, generation: int, node: SimNode) -> None:
        if generation != self.generation:
            return
        cluster = self.cluster
        now = cluster.loop.now
        if not cluster.up(node) or not self.quorum_reachable(node.loc):
            cluster.election = "leader lost; no failover: the replica cannot reach a majority of masters"
            return
        cluster.settle(now)
        self.fence_old(cluster.leader, now)
        self.begin_promotion(node, now, "cluster-bus failover")
        cluster.changed(now)


class ManagedControlPlane(Poller):
    """Aurora Global Database: AWS does not fail a global cluster over by itself. `policy: auto`
    is an automation (a CloudWatch alarm on the writer's health, evaluated every minute, calling
    FailoverGlobalCluster with AllowDataLoss: no lag gate); `manual` leaves it to a runbook step.
    `rds.global_db_rpo` (timing `global_db_rpo`) blocks commits on the primary while every secondary
    is further behind than it."""

    def __init__(self, cluster: LeaderFollowerCluster, rng: random.Random) -> None:
        super().__init__(cluster, rng)
        self.members = []  # the control plane is outside every region
        self.poll = self.t.get("alarm_period", 60.0)
        self.phase = rng.uniform(0.0, self.poll)

    def manager_sees(self, node: SimNode) -> bool:
        return self.cluster.network.up(node.loc)

    def quorum_reachable(self, loc: Loc) -> bool:
        return self.cluster.network.up(loc)

    def lag_ok(self, node: SimNode, reference_pos: float, now: float) -> bool:
        return True  # AllowDataLoss

    def promotion_time(self, node: SimNode, now: float) -> float:
        low, high = self.t.get("promote_min", 15.0), self.t.get("promote_max", 60.0)
        return self.rng.uniform(low, high)

    def on_change(self, now: float) -> None:
        super().on_change(now)
        self._rpo_guard(now)

    def _rpo_guard(self, now: float) -> None:
        cluster = self.cluster
        rpo = self.t.get("global_db_rpo", 0.0)
        leader = cluster.leader
        if not rpo or leader is None:
            return
        streaming = [n for n in cluster.nodes if n is not leader and n.streaming and n.upstream is leader]
        if streaming:
            if cluster.rpo_blocked:
                cluster.rpo_blocked = False
                cluster.log("rds.global_db_rpo: a secondary is within the RPO again; commits resume")
            return
        if cluster.rpo_blocked:
            return
        newest = max((n.received(now) for n in cluster.nodes if n is not leader), default=0.0)
        since = leader.timeline.commit_time(newest)
        at = max(now, (since if since is not None else now) + rpo)
        cluster.loop.schedule(at, self._block, self.generation)

    def _block(self, generation: int) -> None:
        if generation != self.generation:
            return
        cluster = self.cluster
        now = cluster.loop.now
        cluster.settle(now)
        cluster.rpo_blocked = True
        cluster.log("rds.global_db_rpo: every secondary is behind by more than the RPO; commits blocked")
        cluster.changed(now)
