"""Probe sessions: what individual clients actually saw, operation by operation.

Beside the fluid of traffic, a few sessions per traffic source (region and cluster) run one
operation at a time on a small keyspace: a write of a unique value, or a read. Each goes where
its source's clients go (the same view, the same path, the same outcome) and a read returns
what the node that serves it really holds at that moment:
- leader-follower: the newest write of the key on the node's history up to what it has applied
  (a write on a timeline a failover dropped is never seen again);
- multi-leader: the write with the largest timestamp among those the node has applied (last
  writer wins, skewed clocks included);
- leaderless: the newest by timestamp among the writes the read's replicas hold; replicas a write
  missed get it from hinted handoff when they are reachable again, or from read repair.
Records go to a bounded buffer the caller drains (`drain`), in the history format of
docs/history.md. Pure: no I/O here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from regionctl.sim.leader_follower import LeaderFollowerCluster
from regionctl.sim.leaderless import LeaderlessCluster
from regionctl.sim.log import Timeline, shared_prefix
from regionctl.sim.multi_leader import MultiLeaderCluster
from regionctl.sim.node import SimNode
from regionctl.sim.workload import Outcome, Path, TrafficSource

if TYPE_CHECKING:
    from regionctl.sim.cluster_base import ClusterBase
    from regionctl.sim.simulator import Simulation

FAILED_FAST = 0.001  # a refused request answers within a millisecond
# Versions of one probe key kept: a replica further behind than this many writes of one key reads the
# oldest kept (a probe keyspace is small and its sessions slow, so this is minutes of history).
MAX_VERSIONS = 4096


@dataclass
class Version:
    """One write of a probe key, where it lives."""

    value: int
    at: float
    node: str
    timeline: Timeline | None = None  # leader-follower: the log it was committed on, at `pos`
    pos: float = 0.0
    stamp: float = 0.0  # multi-leader, leaderless: the writer's clock (last writer wins)
    replicas: dict[str, float] = field(default_factory=dict)  # leaderless: replica -> when it has it


@dataclass(frozen=True)
class ProbeSettings:
    sessions: int = 2  # per traffic source (region and cluster)
    keys: int = 8  # per cluster
    interval: float = 1.0  # mean think time between a session's operations, seconds
    cap: int = 1_000_000  # records kept before the buffer stops (a note says so)
    pattern: str = "random"  # "relay": a causal chain across a cluster's traffic sources (RELAY); "own": each
    # session writes keys of its own and reads each write back


@dataclass
class Session:
    name: str
    cluster: ClusterBase
    source: TrafficSource
    group: int
    rng: random.Random
    gen: int = 0  # the generation of its next operation's timer (a retracted answer re-arms it)
    step: int = 0  # operations so far (the relay pattern alternates by it)
    read_back: str | None = None  # the own pattern: the key it wrote, read back until a read answers


# The relay pattern, by a traffic source's place among its cluster's sources (mod 3): the operations
# its sessions take in turn. The first writes k0; the second reads k0 and passes it on by writing k1;
# the third reads k1, then k0: where k1 arrives before the k0 it depends on, k0 reads old.
RELAY: tuple[tuple[tuple[str, str], ...], ...] = (
    (("write", "k0"),),
    (("read", "k0"), ("write", "k1")),
    (("read", "k1"), ("read", "k0")),
)


class ProbeRecorder:
    def __init__(self, sim: Simulation, settings: ProbeSettings, seed: int) -> None:
        self.sim = sim
        self.settings = settings
        self.records: list[dict[str, Any]] = []
        self.total = 0
        self.dropped = 0
        self.versions: dict[tuple[str, str], list[Version]] = {}
        self.next_value: dict[tuple[str, str], int] = {}
        # Acknowledgements on their way back, per cluster: (record, session, node, when it arrives).
        self.in_flight: dict[str, list[tuple[dict[str, Any], Session, SimNode, float]]] = {}
        rng = random.Random(seed)
        self.sessions: list[Session] = []
        for cluster in sim.clusters.values():
            for source in cluster.sources:
                for i in range(settings.sessions):
                    group = i % len(source.groups)
                    name = f"{source.region}/{cluster.name}/{source.index}.{i}"
                    session = Session(name, cluster, source, group, random.Random(rng.getrandbits(64)))
                    self.sessions.append(session)
                    sim.loop.schedule(session.rng.uniform(0.0, settings.interval), self._op, session, 0)

    # -- the buffer ------------------------------------------------------------------------------
    def _emit(self, record: dict[str, Any]) -> None:
        self.total += 1
        if self.total > self.settings.cap:
            self.dropped += 1
            return
        self.records.append(record)

    def drain(self) -> list[dict[str, Any]]:
        out, self.records = self.records, []
        return out

    def note(self) -> str:
        if not self.dropped:
            return ""
        return (f"the probe history reached its cap of {self.settings.cap:,} operations: "
                f"the last {self.dropped:,} were not recorded (record fewer sessions, or raise the cap)")

    # -- one operation -----------------------------------------------------------------------------
    def _op(self, session: Session, gen: int) -> None:
        if gen != session.gen:
            return
        sim = self.sim
        now = sim.now
        source = session.source
        end = now
        if sim.network.up(source.loc):
            if self.settings.pattern == "relay":
                turns = RELAY[source.index % len(RELAY)]
                kind, key = turns[session.step % len(turns)]
            elif self.settings.pattern == "own":
                # A user saving their own record, then viewing it until the page loads.
                if session.read_back is None:
                    kind, key = "write", f"{session.name}:k{session.rng.randrange(self.settings.keys)}"
                    session.read_back = key
                else:
                    kind, key = "read", session.read_back
            else:
                key = f"k{session.rng.randrange(self.settings.keys)}"
                kind = "write" if session.rng.random() < 0.5 else "read"
            session.step += 1
            group = source.groups[session.group]
            if kind == "write":
                end = self._write(session, key, group.write, now)
            else:
                if source.reads_from == "balanced":  # each read lands where the balancer sends it
                    group = source.groups[session.rng.randrange(len(source.groups))]
                if group.read.outcome == Outcome.OK and group.read.node is not None:
                    session.read_back = None  # this read answers
                end = self._read(session, key, group.read, now)
        self._next(session, end)

    def _next(self, session: Session, after: float) -> None:
        session.gen += 1
        self.sim.loop.schedule(after + session.rng.expovariate(1.0 / self.settings.interval), self._op, session,
                               session.gen)

    def _record(self, session: Session, op: str, key: str, value: int | None, start: float, end: float | None,
                outcome: str, node: SimNode | None) -> None:
        self._emit({"op": op, "key": key, "value": value, "session": session.name, "start": round(start, 6),
                    "end": None if end is None else round(end, 6), "outcome": outcome,
                    "node": node.name if node is not None else None, "cluster": session.cluster.name,
                    "region": session.source.region})

    def _write(self, session: Session, key: str, path: Path, now: float) -> float:
        cluster = session.cluster
        ident = (cluster.name, key)
        value = self.next_value.get(ident, 0) + 1
        self.next_value[ident] = value
        timeout = session.source.timeout
        node = path.node
        if path.outcome in (Outcome.OK, Outcome.PENDING) and node is not None:
            # The write reaches its node one client-to-node delay after it is sent; its place in the log is
            # where the log is then (a change before it arrives moves that place, or loses the write).
            arrives = now + self.sim.network.mean_one_way(session.source.loc, node.loc)
            self.sim.loop.schedule(arrives, self._arrive, cluster, node, key, value)
        if path.outcome == Outcome.OK:
            end = now + path.latency
            self._record(session, "write", key, value, now, end, "ok", node)
            assert node is not None
            self.in_flight.setdefault(cluster.name, []).append((self.records[-1], session, node, end))
            return end
        if path.outcome in (Outcome.PENDING, Outcome.NO_ANSWER):
            self._record(session, "write", key, value, now, None, "unknown", node)
            return now + timeout
        self._record(session, "write", key, value, now, now + FAILED_FAST, "fail", node)
        return now + FAILED_FAST

    def _arrive(self, cluster: ClusterBase, node: SimNode, key: str, value: int) -> None:
        now = self.sim.now
        if not self.sim.network.up(node.loc):
            return  # the node died before the write reached it: it never took effect
        versions = self.versions.setdefault((cluster.name, key), [])
        versions.append(self._version(cluster, node, key, value, now))
        if len(versions) > MAX_VERSIONS:
            del versions[: len(versions) - MAX_VERSIONS]

    def _version(self, cluster: ClusterBase, node: SimNode, key: str, value: int, now: float) -> Version:
        skew = self.sim.network.skew.get(node.name, 0.0)
        if isinstance(cluster, LeaderFollowerCluster):
            return Version(value, now, node.name, node.timeline, node.timeline.end(now))
        if isinstance(cluster, MultiLeaderCluster):
            return Version(value, now, node.name, cluster.origin_log[node.name],
                           cluster.origin_log[node.name].end(now), stamp=now + skew)
        version = Version(value, now, node.name, stamp=now + skew)
        if isinstance(cluster, LeaderlessCluster):
            network = self.sim.network
            for replica in cluster.ranges[key_range(key, len(cluster.ranges))]:
                if network.connected(node.loc, replica.loc):
                    version.replicas[replica.name] = now + network.mean_one_way(node.loc, replica.loc)
        return version

    def _read(self, session: Session, key: str, path: Path, now: float) -> float:
        node = path.node
        if path.outcome != Outcome.OK or node is None:
            outcome = "unknown" if path.outcome in (Outcome.PENDING, Outcome.NO_ANSWER) else "fail"
            end = now + (session.source.timeout if outcome == "unknown" else FAILED_FAST)
            self._record(session, "read", key, None, now, None if outcome == "unknown" else end, outcome, node)
            return end
        served = now + path.latency / 2
        version = self.visible(session.cluster, key, node, served)
        end = now + path.latency
        self._record(session, "read", key, version.value if version is not None else None, now, end, "ok", node)
        return end

    def on_replan(self, cluster: str, now: float) -> None:
        """A change reached the cluster: an acknowledgement still on its way back from a node that no
        longer answers never arrives (the fluid retracts the same writes); its client waits out its
        timeout, not knowing whether the write took effect."""
        pending = self.in_flight.get(cluster)
        if not pending:
            return
        kept = []
        for record, session, node, end in pending:
            if end <= now:
                continue
            if session.cluster.still_answers(session.source, node):
                kept.append((record, session, node, end))
                continue
            record["outcome"], record["end"] = "unknown", None
            self._next(session, record["start"] + session.source.timeout)
        self.in_flight[cluster] = kept

    def on_network(self, now: float) -> None:
        """A network change: answers in flight to clients that can no longer hear them never arrive (a
        client region can go dark without its clusters replanning), and hinted handoff for the probe
        keys: replicas a write missed get it when reachable again."""
        for name in self.in_flight:
            self.on_replan(name, now)
        network = self.sim.network
        for (cluster_name, key), versions in self.versions.items():
            cluster = self.sim.clusters[cluster_name]
            if not isinstance(cluster, LeaderlessCluster) or not cluster.hinted_handoff:
                continue
            replicas = cluster.ranges[key_range(key, len(cluster.ranges))]
            for v in versions:
                for replica in replicas:
                    if replica.name not in v.replicas and network.up(replica.loc) and any(
                            network.connected(peer.loc, replica.loc) for peer in cluster.nodes if peer is not replica):
                        v.replicas[replica.name] = now

    # -- what a node holds -------------------------------------------------------------------------
    def visible(self, cluster: ClusterBase, key: str, node: SimNode, t: float) -> Version | None:
        versions = self.versions.get((cluster.name, key), [])
        if isinstance(cluster, LeaderFollowerCluster):
            # Versions are kept in commit order, and along any one history positions grow with time: the
            # first one the node holds, from the newest back, is the newest it holds.
            have = node.applied(t)
            for v in reversed(versions):
                if v.timeline is not None and v.at <= t \
                        and min(have, shared_prefix(node.timeline, v.timeline)) >= v.pos - 1e-9:
                    return v
            return None
        if isinstance(cluster, MultiLeaderCluster):
            seen = [v for v in versions if v.at <= t and (
                v.node == node.name or cluster.links[(node.name, v.node)].applied(t) >= v.pos - 1e-9)]
            return max(seen, key=lambda v: (v.stamp, v.value), default=None)
        if isinstance(cluster, LeaderlessCluster):
            g = key_range(key, len(cluster.ranges))
            replicas = cluster.ranges[g]
            read_set = [replicas[i].name for i in cluster.plans(node.loc)[g].read_set]
            held = [v for v in versions if any(v.replicas.get(r, float("inf")) <= t for r in read_set)]
            newest = max(held, key=lambda v: (v.stamp, v.value), default=None)
            if newest is not None and cluster.read_repair and cluster.r >= 2:
                for r in read_set:  # the read repairs the replicas it found behind
                    newest.replicas.setdefault(r, t)
            return newest
        return None


def key_range(key: str, ranges: int) -> int:
    """The ring position of a probe key (k0, k1, ... spread over the ranges)."""
    return int(key[1:]) % ranges
