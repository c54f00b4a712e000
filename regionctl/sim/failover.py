"""External failover managers: Patroni (leader lock with TTL), orchestrator-style
pollers, Redis Sentinel, Redis Cluster's bus, Aurora's managed control plane.

Nothing here ticks. When the fault set changes, the manager works out in closed
form when it will notice (the last lock renewal + ttl, the next poll, down-after...)
and schedules one decision event; a stale event (the world changed since) is
ignored through a generation counter. Timings come from the engine presets.
"""

from __future__ import annotations

import math
import random

from regionctl.model.resolved import preset
from regionctl.sim.leader_follower import LeaderFollowerCluster
from regionctl.sim.network import Loc
from regionctl.sim.node import SimNode

# Redis: min-replicas-max-lag 10 s — an isolated master with fencing stops taking writes after it.
SENTINEL_FENCE_AFTER = 10.0


class FailoverManager:
    def __init__(self, cluster: LeaderFollowerCluster, rng: random.Random) -> None:
        self.cluster = cluster
        self.rng = rng
        self.family = preset(cluster.spec).family
        self.policy = cluster.spec.failover.policy
        self.fencing = cluster.spec.failover.fencing
        self.t = cluster.timings
        witnesses = cluster.spec.failover.witnesses
        if self.family == "managed":
            self.members: list[Loc] = []  # a control plane outside every region
        elif witnesses:
            self.members = [(r, "", "") for r in witnesses]
        else:
            self.members = [(n.region, "", "") for n in cluster.spec.nodes]
        # Each node's periodic loop runs at its own phase (seeded): Patroni's HA loop, pollers.
        period = self.t.get("loop_wait", self.t.get("poll", 1.0))
        self.period = period
        self.phase = {n.name: rng.uniform(0, period) for n in cluster.nodes}
        self.generation = 0
        self.lost_at: float | None = None
        self.max_lag = cluster.spec.failover.max_lag

    # -- who can see whom ------------------------------------------------------------------
    def quorum_reachable(self, loc: Loc) -> bool:
        """`loc` can reach a majority of the manager's members (or the managed control plane)."""
        network = self.cluster.network
        if not self.members:
            return network.up(loc)
        reachable = sum(1 for m in self.members if network.connected(loc, m))
        return reachable * 2 > len(self.members)

    def manager_sees(self, node: SimNode) -> bool:
        """The manager (its majority) can talk to this node."""
        network = self.cluster.network
        if not network.up(node.loc):
            return False
        if not self.members:
            return True
        live = [m for m in self.members if network.up(m)]
        seeing = sum(1 for m in live if network.connected(m, node.loc))
        return seeing * 2 > len(self.members)

    def _next_tick(self, node: SimNode, after: float) -> float:
        phase = self.phase[node.name]
        k = math.ceil((after - phase) / self.period)
        return phase + max(k, 0) * self.period

    def _last_tick(self, node: SimNode, before: float) -> float:
        phase = self.phase[node.name]
        k = math.floor((before - phase) / self.period)
        return phase + k * self.period

    # -- the reaction to a change --------------------------------------------------------
    def on_change(self, now: float) -> None:
        cluster = self.cluster
        self.generation += 1
        leader = cluster.leader
        # Old leaders that can see the manager again learn who leads and step down.
        for node in cluster.nodes:
            if node.role == "leader" and node is not leader and cluster.network.up(node.loc) \
                    and self.manager_sees(node):
                cluster.demote(node, now, "another node holds the leader role")
            elif node.role == "follower" and leader is not None and self._should_follow(node, leader):
                cluster.repoint(node, leader, now)
        if leader is None:
            self.lost_at = self.lost_at if self.lost_at is not None else now
            self._schedule_decision(now, now)
            return
        healthy = self.manager_sees(leader) and cluster.network.up(leader.loc)
        if healthy:
            if self.lost_at is not None:
                cluster.log(f"{leader.name} is reachable again; no failover")
            self.lost_at = None
            cluster.election = ""
            if leader.fenced and self.quorum_reachable(leader.loc):
                leader.fenced = False
            return
        if self.lost_at is None:
            self.lost_at = now
        if self.fencing and cluster.network.up(leader.loc):
            fence_at = self._fence_time(leader, self.lost_at)
            cluster.loop.schedule(fence_at, self._fence, self.generation, leader)
        if self.policy == "manual" or self.family == "none":
            cluster.election = "leader lost; manual failover (promote a replica)"
            return
        decide_at = self._decision_time(leader, self.lost_at)
        self._schedule_decision(now, decide_at)

    def _should_follow(self, node: SimNode, leader: SimNode) -> bool:
        network = self.cluster.network
        if node.upstream is not leader and network.up(node.loc) and self.manager_sees(node):
            return True
        return node.timeline is not leader.timeline and network.connected(node.loc, leader.loc)

    def _schedule_decision(self, now: float, at: float) -> None:
        if self.policy == "manual" or self.family == "none":
            self.cluster.election = "no leader; manual failover (promote a replica)"
            return
        self.cluster.election = f"failover expected at t={at:.1f}s"
        self.cluster.loop.schedule(max(at, now), self._decide, self.generation)

    def _fence_time(self, leader: SimNode, lost_at: float) -> float:
        if self.family == "lock-ttl":
            # Patroni: the leader fails to renew at its next loop and demotes after retry_timeout.
            return min(self._next_tick(leader, lost_at) + self.t["retry_timeout"],
                       self._last_tick(leader, lost_at) + self.t["ttl"])
        if self.family == "sentinel":
            return lost_at + SENTINEL_FENCE_AFTER
        return self._decision_time(leader, lost_at)  # fencing tokens: fenced when the manager acts

    def _decision_time(self, leader: SimNode, lost_at: float) -> float:
        t, rng = self.t, self.rng
        if self.family == "lock-ttl":
            expiry = self._last_tick(leader, lost_at) + t["ttl"]
            best = self._best_candidate()
            return self._next_tick(best, expiry) if best is not None else expiry
        if self.family == "poll":
            first_failed = lost_at + rng.uniform(0, t["poll"])
            return first_failed + t["detection"]
        if self.family == "sentinel":
            return lost_at + t["down_after"] + rng.uniform(0, t["ping"]) + rng.uniform(0, 1.0)
        if self.family == "cluster-bus":
            return lost_at + t["node_timeout"] + 0.5 + rng.uniform(0, 0.5)
        return lost_at + t.get("detection", 0.0)

    def _fence(self, generation: int, leader: SimNode) -> None:
        if generation != self.generation or leader.fenced or leader.role != "leader":
            return
        leader.fenced = True
        self.cluster.log(f"{leader.name} fenced: lost the failover manager's quorum, stops taking writes")

    # -- choosing and promoting ------------------------------------------------------------
    def eligible(self) -> list[SimNode]:
        cluster = self.cluster
        now = cluster.loop.now
        leader = cluster.leader
        # Patroni's synchronous_mode: only a synchronous standby may be promoted (it has every
        # acknowledged write); an asynchronous one would lose some.
        sync_only = set(cluster.spec.replication.sync_replicas or ()) if cluster.mode == "sync" else set()
        out = []
        for node in cluster.nodes:
            if node is leader or node.role == "leader" or not cluster.network.up(node.loc):
                continue
            if sync_only and node.name not in sync_only:
                continue
            if not self.quorum_reachable(node.loc):
                continue
            node.settle(now)
            if leader is not None and not self._within_max_lag(node, leader, now):
                continue
            out.append(node)
        return out

    def _within_max_lag(self, node: SimNode, leader: SimNode, now: float) -> bool:
        p = preset(self.cluster.spec)
        limit = self.max_lag
        if isinstance(limit, float):
            return self.cluster.lag_seconds(node, now) <= limit
        if isinstance(limit, int):
            return self.cluster.lag_ops(node) * self.cluster.spec.write_size <= limit
        if p.max_lag_bytes is not None:
            return self.cluster.lag_ops(node) * self.cluster.spec.write_size <= p.max_lag_bytes
        if p.max_lag_seconds is not None:
            return self.cluster.lag_seconds(node, now) <= p.max_lag_seconds
        return True

    def _best_candidate(self) -> SimNode | None:
        candidates = self.eligible()
        if not candidates:
            return None
        return max(candidates, key=lambda n: (n.timeline.term, n.pos, n.priority, n.name))

    def _decide(self, generation: int) -> None:
        if generation != self.generation:
            return
        cluster = self.cluster
        now = cluster.loop.now
        best = self._best_candidate()
        if best is None:
            lagging = [n.name for n in cluster.nodes if n is not cluster.leader and cluster.network.up(n.loc)]
            why = "replicas too far behind to promote" if lagging else "no live replica"
            cluster.election = f"leader lost; no failover: {why}"
            cluster.log(f"failover blocked: {why}")
            return
        old = cluster.leader
        if old is not None and self.fencing and old.role == "leader" and cluster.network.up(old.loc):
            old.fenced = True
        cluster.clock.decided_at = cluster.clock.decided_at or (now if cluster.clock.fault_at is not None else None)
        cluster.election = f"promoting {best.name}"
        cluster.log(f"failover decided: promoting {best.name}")
        cluster.loop.schedule(now + self.t.get("promote", 1.0), self._promote, generation, best)

    def _promote(self, generation: int, node: SimNode) -> None:
        cluster = self.cluster
        if generation != self.generation or not cluster.network.up(node.loc):
            if generation == self.generation:
                self.on_change(cluster.loop.now)
            return
        cluster.promote(node, cluster.loop.now, f"{self.family} failover")
        self.lost_at = None
