"""Raft elections (etcd, MongoDB's protocol version 1) with PreVote and CheckQuorum.

Heartbeats that change nothing are not events: a follower that hears its leader (the
leader is up and its packets reach the follower) keeps resetting its election timer. When
it stops hearing, its last heartbeat is the leader's last send that arrived, and its timer
fires one randomized election timeout later ([T, T x (1 + jitter)], drawn when its term
last changed, as etcd's `resetRandomizedElectionTimeout`). Every timer carries a
generation: re-arming a node makes its old timer a no-op.

At a timeout a node first runs a PreVote round (it asks whether it *could* win, without
raising its term): a peer that still hears a leader, or heard one within an election
timeout, ignores it (the leader lease); a peer with a more up-to-date log refuses. Only
with a majority of pre-votes does it raise its term and ask for real votes; a voter grants
one vote per term, to a log at least as up to date as its own. A majority makes a leader,
whose heartbeats then bring every follower that hears them into its term. CheckQuorum: at
each election-timeout boundary a leader that heard from no majority since the previous one
steps down, so an isolated leader stops, and followers that could still hear it then time
out and elect a new one. MongoDB checks liveness continuously instead: its primary steps down
one election timeout after it stopped seeing a majority, not at the next boundary.
"""

from __future__ import annotations

import random

from regionctl.sim.failover import Manager
from regionctl.sim.leader_follower import LeaderFollowerCluster
from regionctl.sim.network import Loc
from regionctl.sim.node import SimNode


def last_log_term(node: SimNode, now: float) -> int:
    """The term of the node's last entry (Raft's up-to-date rule compares it first)."""
    timeline = node.timeline
    position = node.received(now)
    while timeline.parent is not None and position <= timeline.fork_pos + 1e-9:
        timeline = timeline.parent
    return timeline.term


class Raft(Manager):
    forwards = True

    def __init__(self, cluster: LeaderFollowerCluster, rng: random.Random, jitter: float = 1.0,
                 liveness_step_down: bool = False) -> None:
        super().__init__(cluster, rng)
        self.liveness_step_down = liveness_step_down
        self.timeout = self.t["election_timeout"]
        self.heartbeat = self.t["heartbeat"]
        self.jitter = jitter
        spec_pre_vote = cluster.spec.failover.pre_vote
        self.pre_vote = True if spec_pre_vote is None else spec_pre_vote
        names = [n.name for n in cluster.nodes]
        leader = cluster.leader
        self.lead: dict[str, str | None] = {n: (leader.name if leader is not None else None) for n in names}
        self.heard_at = dict.fromkeys(names, 0.0)
        self.hearing = dict.fromkeys(names, leader is not None)
        self.randomized = {n: self._draw() for n in names}
        self.armed: dict[str, int] = {}  # node -> generation of its armed election timer
        self.timer_gen = dict.fromkeys(names, 0)
        self.leader_since: dict[str, float] = {}
        if leader is not None:
            self.leader_since[leader.name] = -rng.uniform(0.0, self.heartbeat)
            self.lead[leader.name] = leader.name
        self.quorum_lost: dict[str, float] = {}  # leader -> when it stopped hearing a majority
        self.check_at: dict[str, float] = {}
        self.rounds: dict[str, tuple[str, int, set[str], set[str]]] = {}  # node -> (kind, term, yes, no)

    def _draw(self) -> float:
        return self.timeout * (1.0 + self.jitter * self.rng.random())

    def majority(self) -> int:
        return len(self.cluster.nodes) // 2 + 1

    def _hears(self, a: SimNode, b: SimNode) -> bool:
        return self.cluster.network.hears(a.loc, b.loc)

    def _one_way(self, a: SimNode, b: SimNode) -> float:
        return self.cluster.network.one_way(a.loc, b.loc)

    def describe(self, now: float) -> str:
        return self.cluster.election

    def discover(self, loc: Loc) -> str | None:
        """etcd's client balancer: the nearest reachable member whose requests get through to a leader."""
        cluster = self.cluster
        network = cluster.network
        reachable = sorted((n for n in cluster.nodes if network.connected(loc, n.loc)),
                           key=lambda n: (network.rtt(loc, n.loc), n.name))
        for node in reachable:
            if cluster.accepting(node):
                return node.name
            lead = node.upstream
            if lead is not None and lead.role == "leader" and cluster.accepting(lead) \
                    and network.connected(node.loc, lead.loc):
                return node.name
        return reachable[0].name if reachable else None

    # -- timers ------------------------------------------------------------------------------
    def _arm(self, node: SimNode, start: float) -> None:
        self.timer_gen[node.name] += 1
        gen = self.timer_gen[node.name]
        self.armed[node.name] = gen
        at = max(start + self.randomized[node.name], self.cluster.loop.now)
        self.cluster.loop.schedule(at, self._timeout, node, gen)

    def _disarm(self, node: SimNode) -> None:
        if node.name in self.armed:
            del self.armed[node.name]
            self.timer_gen[node.name] += 1

    def _become_follower(self, node: SimNode, term: int, lead: str | None, now: float) -> None:
        """etcd's becomeFollower: a new term resets the vote and redraws the randomized timeout."""
        cluster = self.cluster
        if term > node.term:
            node.term = term
            node.voted_for = None
        if node.role == "leader":
            cluster.demote(node, now, f"stepped down (term {term})")
            self.leader_since.pop(node.name, None)
        elif node.role in ("candidate", "precandidate"):
            node.role = "follower"
        self.rounds.pop(node.name, None)
        self.randomized[node.name] = self._draw()
        self.lead[node.name] = lead
        self.heard_at[node.name] = now

    # -- the reaction to a change ---------------------------------------------------------------
    def on_change(self, now: float) -> None:
        cluster = self.cluster
        network = cluster.network
        for node in cluster.restarted:
            # A restarted member comes back as a follower of nobody, in the term it had persisted.
            if node.role == "leader":
                self._become_follower(node, node.term, None, now)
            self.heard_at[node.name] = now
        cluster.restarted.clear()
        for node in cluster.resumed:
            # A paused member resumes as it was (a leader still believes it leads, in its old term) with a fresh
            # election timer: the ticks it missed while stopped are not replayed.
            self.heard_at[node.name] = now
        leaders = [n for n in cluster.nodes if n.role == "leader" and network.up(n.loc)]
        for node in cluster.nodes:
            name = node.name
            if not network.up(node.loc):
                self._disarm(node)
                self.hearing[name] = False
                self.lead[name] = None
                self.heard_at[name] = now  # a restart begins with a fresh election timer
                continue
            if node.role == "leader":
                higher = [ld for ld in leaders if ld.term > node.term and self._hears(ld, node)]
                deposers = [n for n in cluster.nodes if n.term > node.term and n.role != "leader"
                            and network.up(n.loc) and self._hears(node, n) and self._hears(n, node)]
                if higher or deposers:
                    # A higher term reaches it (a heartbeat, or a follower's answer to its own): it steps down.
                    term = max([ld.term for ld in higher] + [n.term for n in deposers])
                    lead = max(higher, key=lambda ld: ld.term).name if higher else None
                    self._become_follower(node, term, lead, now)
                    cluster.log(f"{node.name} stepped down: saw term {term}")
                    if lead is not None:
                        self.hearing[name] = True
                        cluster.repoint(node, cluster.by_name[lead], now)
                    elif name not in self.armed:
                        self._arm(node, now)
                continue
            heard = [ld for ld in leaders if ld.term >= node.term and self._hears(ld, node)]
            if heard:
                leader = max(heard, key=lambda ld: ld.term)
                if leader.term > node.term or node.role != "follower" or self.lead[name] != leader.name:
                    self._become_follower(node, leader.term, leader.name, now)
                self.hearing[name] = True
                self._disarm(node)
                if node.upstream is not leader and network.connected(node.loc, leader.loc):
                    cluster.repoint(node, leader, now)
                continue
            if self.hearing[name]:
                # The last heartbeat it got: the leader's last send that arrived before now.
                old = cluster.by_name.get(self.lead[name] or "")
                self.heard_at[name] = self._last_heartbeat(old, node, now) if old is not None else now
                self.hearing[name] = False
            if name not in self.armed:
                self._arm(node, self.heard_at[name])
        for leader in leaders:
            self._check_quorum_later(leader, now)
        if cluster.leader is None or not cluster.accepting(cluster.leader):
            if not cluster.election:
                cluster.election = "leader lost; election timers armed"
        elif cluster.election.startswith(("leader lost", "no leader")):
            cluster.election = ""

    def _last_heartbeat(self, leader: SimNode, node: SimNode, now: float) -> float:
        since = self.leader_since.get(leader.name)
        if since is None:
            return now
        delay = self.cluster.network.mean_one_way(leader.loc, node.loc)
        beats = int((now - delay - since) // self.heartbeat)
        return min(now, since + beats * self.heartbeat + delay)

    # -- CheckQuorum ------------------------------------------------------------------------------
    def _responsive(self, leader: SimNode) -> int:
        return 1 + sum(1 for n in self.cluster.nodes if n is not leader and self._hears(leader, n)
                       and self._hears(n, leader))

    def _check_quorum_later(self, leader: SimNode, now: float) -> None:
        if self._responsive(leader) >= self.majority():
            self.quorum_lost.pop(leader.name, None)
            return
        if self.liveness_step_down:
            # Its last contact with the majority: the last heartbeat round it sent before the fault.
            self.quorum_lost.setdefault(leader.name, self._last_heartbeat(leader, leader, now))
        else:
            self.quorum_lost.setdefault(leader.name, now)
        if leader.name in self.check_at:
            return
        if self.liveness_step_down:
            at = self.quorum_lost[leader.name] + self.timeout
        else:
            since = self.leader_since.get(leader.name, now)
            at = since + (int((now - since) // self.timeout) + 1) * self.timeout
        self.check_at[leader.name] = at
        self.cluster.loop.schedule(at, self._check_quorum, leader, at)

    def _check_quorum(self, leader: SimNode, at: float) -> None:
        if self.check_at.get(leader.name) != at:
            return
        del self.check_at[leader.name]
        cluster = self.cluster
        now = cluster.loop.now
        if leader.role != "leader" or not cluster.up(leader):
            return
        if self._responsive(leader) >= self.majority():
            self.quorum_lost.pop(leader.name, None)
            return
        lost = self.quorum_lost.get(leader.name, now)
        if lost > now - self.timeout + 1e-9:
            # A majority was still heard during this window: look again at the next boundary.
            self.check_at[leader.name] = now + self.timeout
            cluster.loop.schedule(now + self.timeout, self._check_quorum, leader, now + self.timeout)
            return
        cluster.settle(now)
        self._become_follower(leader, leader.term, None, now)
        self.quorum_lost.pop(leader.name, None)
        cluster.log(f"{leader.name} stepped down: heard from no majority within an election timeout (CheckQuorum)")
        cluster.election = "no leader: the leader stepped down (CheckQuorum)"
        self._arm(leader, now)
        cluster.changed(now)

    # -- elections ------------------------------------------------------------------------------------
    def _timeout(self, node: SimNode, gen: int) -> None:
        if self.armed.get(node.name) != gen:
            return
        del self.armed[node.name]
        cluster = self.cluster
        now = cluster.loop.now
        if not cluster.up(node) or node.role == "leader":
            return
        self.heard_at[node.name] = now  # MsgHup resets the election clock
        if self.pre_vote:
            self._start_round(node, "pre-vote", node.term + 1, now)
        else:
            self._campaign(node, now)
        if node.role != "leader" and node.name not in self.armed:
            # With no answer it times out again after its randomized timeout.
            self._arm(node, now)

    def _campaign(self, node: SimNode, now: float) -> None:
        cluster = self.cluster
        cluster.settle(now)
        node.term += 1
        node.role = "candidate"
        node.voted_for = node.name
        self.lead[node.name] = None
        self.randomized[node.name] = self._draw()
        self.heard_at[node.name] = now
        self._arm(node, now)
        cluster.clock.note_decided(now)
        cluster.election = f"{node.name} campaigning (term {node.term})"
        cluster.log(f"{node.name} campaigns for term {node.term}")
        self._start_round(node, "vote", node.term, now)
        cluster.changed(now)

    def _start_round(self, node: SimNode, kind: str, term: int, now: float) -> None:
        cluster = self.cluster
        if kind == "pre-vote":
            node.role = "precandidate" if node.role != "candidate" else node.role
            self.lead[node.name] = None
        self.rounds[node.name] = (kind, term, {node.name}, set())
        log_term, log_pos = last_log_term(node, now), node.received(now)
        for peer in cluster.nodes:
            if peer is node or not self._hears(node, peer):
                continue
            cluster.loop.schedule(now + self._one_way(node, peer), self._request, node, kind, term, log_term,
                                  log_pos, peer)
        self._tally(node, kind, term)

    def _in_lease(self, peer: SimNode, now: float) -> bool:
        """etcd ignores (pre-)votes while it has heard a leader within an election timeout."""
        if peer.role == "leader":
            return True
        if self.lead[peer.name] is None:
            return False
        return self.hearing[peer.name] or now - self.heard_at[peer.name] < self.timeout

    def _request(self, candidate: SimNode, kind: str, term: int, log_term: int, log_pos: float,
                 peer: SimNode) -> None:
        cluster = self.cluster
        now = cluster.loop.now
        if not cluster.up(peer):
            return
        if term > peer.term and self._in_lease(peer, now):
            return  # ignored: no answer at all
        mine = (last_log_term(peer, now), peer.received(now))
        up_to_date = (log_term, log_pos + 1e-9) >= mine
        if kind == "pre-vote":
            grant = term > peer.term and up_to_date
        else:
            if term > peer.term:
                cluster.settle(now)
                self._become_follower(peer, term, None, now)
                if peer.name not in self.armed:
                    self._arm(peer, now)
            grant = term == peer.term and peer.voted_for in (None, candidate.name) and up_to_date
            if grant:
                peer.voted_for = candidate.name
                self.heard_at[peer.name] = now  # granting a vote resets the election timer
                self._arm(peer, now)
        if self._hears(peer, candidate):
            cluster.loop.schedule(now + self._one_way(peer, candidate), self._response, candidate, kind, term,
                                  peer.name, grant, peer.term)

    def _response(self, candidate: SimNode, kind: str, term: int, voter: str, grant: bool, voter_term: int) -> None:
        cluster = self.cluster
        now = cluster.loop.now
        if kind == "vote" and voter_term > candidate.term:
            cluster.settle(now)
            self._become_follower(candidate, voter_term, None, now)
            self._arm(candidate, now)
            cluster.changed(now)
            return
        current = self.rounds.get(candidate.name)
        if current is None or current[0] != kind or current[1] != term or not cluster.up(candidate):
            return
        (current[2] if grant else current[3]).add(voter)
        self._tally(candidate, kind, term)

    def _tally(self, node: SimNode, kind: str, term: int) -> None:
        current = self.rounds.get(node.name)
        if current is None:
            return
        yes, no = current[2], current[3]
        cluster = self.cluster
        now = cluster.loop.now
        if len(yes) >= self.majority():
            del self.rounds[node.name]
            if kind == "pre-vote":
                self._campaign(node, now)
            else:
                self._win(node, len(yes), now)
        elif len(no) >= self.majority() or len(no) > len(cluster.nodes) - self.majority():
            # Lost: back to follower, with a new randomized timeout.
            del self.rounds[node.name]
            self._become_follower(node, node.term, None, now)
            self._arm(node, now)

    def _win(self, node: SimNode, votes: int, now: float) -> None:
        cluster = self.cluster
        cluster.settle(now)
        cluster.term = node.term - 1  # promote() raises it to the node's term
        self._disarm(node)
        cluster.promote(node, now, f"won the election with {votes} votes")
        self.leader_since[node.name] = now
        self.lead[node.name] = node.name
        self.hearing[node.name] = False
        cluster.changed(now)
