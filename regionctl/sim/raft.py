"""Raft elections (etcd, MongoDB's Raft-like protocol), message by message.

Heartbeats that change nothing are not events: when the fault set changes, each
follower that no longer hears its leader arms an election timer (randomized in
[T, T x (1 + jitter)]). A candidate increments its term, votes for itself and asks
the nodes it can reach; a voter grants at most one vote per term, only to a log at
least as up to date as its own, and never while it still hears a live leader
(etcd's CheckQuorum/PreVote stickiness). A majority makes a leader. A leader that
cannot reach a majority steps down after one election timeout, so an isolated old
leader never commits: Raft fences itself.
"""

from __future__ import annotations

import random

from regionctl.sim.leader_follower import LeaderFollowerCluster
from regionctl.sim.node import SimNode


def last_log_term(node: SimNode) -> int:
    """The term of the node's last entry (Raft's up-to-date rule compares it first)."""
    timeline = node.timeline
    while timeline.parent is not None and node.pos <= timeline.fork_pos:
        timeline = timeline.parent
    return timeline.term


class RaftController:
    def __init__(self, cluster: LeaderFollowerCluster, rng: random.Random, jitter: float = 1.0) -> None:
        self.cluster = cluster
        self.rng = rng
        self.timeout = cluster.timings["election_timeout"]
        self.heartbeat = cluster.timings["heartbeat"]
        self.jitter = jitter
        self.generation = 0
        self.votes: dict[tuple[str, int], set[str]] = {}
        self.lost_at: float | None = None

    def _hears_leader(self, node: SimNode) -> bool:
        cluster = self.cluster
        return any(
            other.role == "leader" and not other.fenced and other is not node
            and cluster.network.hears(other.loc, node.loc) and other.term >= node.term
            for other in cluster.nodes)

    def _majority(self) -> int:
        return len(self.cluster.nodes) // 2 + 1

    def _reachable_count(self, node: SimNode) -> int:
        network = self.cluster.network
        return 1 + sum(1 for o in self.cluster.nodes if o is not node and network.connected(node.loc, o.loc))

    def on_change(self, now: float) -> None:
        cluster = self.cluster
        self.generation += 1
        for node in cluster.nodes:
            if not cluster.network.up(node.loc):
                continue
            if node.role == "leader":
                if self._reachable_count(node) < self._majority():
                    # CheckQuorum: step down after an election timeout without a majority.
                    cluster.loop.schedule(now + self.timeout, self._check_quorum, self.generation, node)
                continue
            if not self._hears_leader(node):
                self._arm(node, now)
            elif cluster.leader is not None and node.upstream is not cluster.leader:
                cluster.repoint(node, cluster.leader, now)
        if cluster.leader is None or not cluster.network.up(cluster.leader.loc):
            self.lost_at = self.lost_at if self.lost_at is not None else now
            cluster.election = "leader lost; election timers armed"

    def _arm(self, node: SimNode, now: float) -> None:
        # The last heartbeat arrived up to one heartbeat interval ago.
        last_heard = now - self.rng.uniform(0, self.heartbeat)
        fire = last_heard + self.timeout * (1.0 + self.jitter * self.rng.random())
        self.cluster.loop.schedule(max(fire, now), self._timeout, self.generation, node, node.term)

    def _check_quorum(self, generation: int, node: SimNode) -> None:
        cluster = self.cluster
        if generation != self.generation or node.role != "leader":
            return
        if self._reachable_count(node) < self._majority():
            cluster.demote(node, cluster.loop.now, "lost contact with a majority (CheckQuorum)")
            node.upstream = None
            cluster.election = "no leader: no majority reachable"
            if cluster.leader is None:
                self.lost_at = self.lost_at if self.lost_at is not None else cluster.loop.now

    def _timeout(self, generation: int, node: SimNode, term: int) -> None:
        cluster = self.cluster
        now = cluster.loop.now
        if not cluster.network.up(node.loc) or node.role == "leader" or node.term != term:
            return
        if self._hears_leader(node):
            return
        # Become a candidate.
        node.settle(now)
        node.term += 1
        node.role = "candidate"
        node.voted_for = node.name
        key = (node.name, node.term)
        self.votes[key] = {node.name}
        if cluster.clock.fault_at is not None and cluster.clock.decided_at is None:
            cluster.clock.decided_at = now
        cluster.election = f"{node.name} campaigning (term {node.term})"
        for voter in cluster.nodes:
            if voter is node or not cluster.network.hears(node.loc, voter.loc):
                continue
            arrive = now + cluster.network.one_way(node.loc, voter.loc)
            cluster.loop.schedule(arrive, self._request_vote, node, node.term, voter)
        # If this round fails, try again after another randomized timeout.
        retry = now + self.timeout * (1.0 + self.jitter * self.rng.random())
        cluster.loop.schedule(retry, self._timeout, self.generation, node, node.term)
        self._maybe_win(node, node.term)

    def _request_vote(self, candidate: SimNode, term: int, voter: SimNode) -> None:
        cluster = self.cluster
        now = cluster.loop.now
        if not cluster.network.up(voter.loc):
            return
        if self._hears_leader(voter) and voter.role != "candidate":
            return  # a live leader is still heard: reject (stickiness)
        if term > voter.term:
            voter.term = term
            voter.voted_for = None
            if voter.role in ("leader", "candidate"):
                voter.role = "follower"
        voter.settle(now)
        up_to_date = (last_log_term(candidate), candidate.pos) >= (last_log_term(voter), voter.pos)
        if term == voter.term and voter.voted_for in (None, candidate.name) and up_to_date:
            voter.voted_for = candidate.name
            if cluster.network.hears(voter.loc, candidate.loc):
                back = now + cluster.network.one_way(voter.loc, candidate.loc)
                cluster.loop.schedule(back, self._grant, candidate, term, voter.name)

    def _grant(self, candidate: SimNode, term: int, voter: str) -> None:
        if candidate.term != term or candidate.role != "candidate":
            return
        self.votes.setdefault((candidate.name, term), set()).add(voter)
        self._maybe_win(candidate, term)

    def _maybe_win(self, candidate: SimNode, term: int) -> None:
        cluster = self.cluster
        if candidate.role != "candidate" or len(self.votes.get((candidate.name, term), ())) < self._majority():
            return
        if not cluster.network.up(candidate.loc):
            return
        now = cluster.loop.now
        for other in cluster.nodes:
            if other is not candidate and other.role == "leader" and other.term < term:
                other.role = "follower"
        cluster.term = term - 1  # promote() increments
        cluster.promote(candidate, now, f"won the election with {len(self.votes[(candidate.name, term)])} votes")
        self.votes = {k: v for k, v in self.votes.items() if k[1] > term}
        self.lost_at = None
        self.generation += 1
        # Followers that hear the new leader stop their timers (the generation bump) and follow.
        for node in cluster.nodes:
            if node is not candidate and cluster.network.up(node.loc):
                if cluster.network.hears(candidate.loc, node.loc):
                    node.term = term
                    node.voted_for = None
                    if node.role == "candidate":
                        node.role = "follower"
                    cluster.repoint(node, candidate, now)
                else:
                    self._arm(node, now)
