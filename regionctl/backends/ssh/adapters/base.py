"""What every engine adapter shares: the target it talks to, what a probe returns, the plan an action becomes.

Adapters are pure: they build shell command lines (every value shell-quoted) and parse
what those commands print. The SSH backend does the I/O; tests feed captured outputs.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Target:
    """One node as an adapter sees it: where its engine listens and how to start and stop it."""

    node: str
    host: str  # where SSH logs in (the node's host)
    address: str = "127.0.0.1"  # where the engine listens, as seen from that host
    port: int = 0
    data_dir: str = ""
    bin_dir: str = ""
    start: str = ""
    stop: str = ""
    pause: str = ""
    resume: str = ""
    probe: str = ""
    actions: tuple[tuple[str, str], ...] = ()
    peers: tuple[tuple[str, str], ...] = ()  # other node -> "address:port" this node replicates through
    sentinel: tuple[str, int, str] | None = None  # redis: (address, port, master name) of its Sentinel
    rest_port: int = 8008  # patroni: its REST API, on `address`

    def route(self, other: Target) -> tuple[str, int]:
        """Where this node reaches `other` for replication (a declared peer route, else other's own address)."""
        via = dict(self.peers).get(other.node)
        if via:
            host, _, port = via.rpartition(":")
            return host, int(port)
        return other.address, other.port

    def program(self, name: str) -> str:
        return f"{self.bin_dir.rstrip('/')}/{name}" if self.bin_dir else name


@dataclass(frozen=True, slots=True)
class ReplicaRow:
    """A leader's view of one replica (PostgreSQL pg_stat_replication, Redis slaveN)."""

    key: str  # application_name (postgres) or "address:port" (redis)
    position: int
    lag_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class SentinelView:
    """What one Redis Sentinel says of the master it monitors (`SENTINEL master NAME`)."""

    master: str  # "address:port"
    flags: tuple[str, ...]  # master, s_down, o_down, failover_in_progress, ...
    epoch: int  # config-epoch: one more per failover
    quorum: int
    sentinels: int  # this one and the others it knows


@dataclass(frozen=True, slots=True)
class ManagerView:
    """What one Patroni says of its cluster (`GET /cluster`): the leader key's holder and each member."""

    leader: str | None  # member name
    members: tuple[tuple[str, str, str], ...]  # (name, role, state)
    paused: bool = False


@dataclass(frozen=True, slots=True)
class Probe:
    """What one probe of one node found."""

    role: str  # leader | follower
    position: int = 0  # LSN in bytes, replication offset, Raft applied index
    term: int = 0  # timeline (postgres), Raft term (etcd)
    read_only: bool = False
    member_id: int | None = None  # etcd member ID (exact integer, often above 2**53)
    leader_id: int | None = None  # etcd: the leader this member sees
    upstream: str | None = None  # follower: "address:port" of what it replicates from
    link_up: bool = True  # follower: its replication link is up
    lag_seconds: float | None = None  # when the node itself reports it (command adapter)
    replicas: tuple[ReplicaRow, ...] = ()
    sentinel: SentinelView | None = None  # redis: its Sentinel's view, when the topology names one
    manager: ManagerView | None = None  # patroni: its view of the cluster
    managed_by: str = ""  # raw postgres: a failover manager found connected to the node (e.g. Patroni)


@dataclass(frozen=True, slots=True)
class Step:
    """One remote command of an action plan, run on `node`'s host."""

    node: str
    command: str
    timeout: float = 30.0
    check: bool = True  # False: a failure of this step does not fail the plan


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...] = ()
    refusal: str = ""  # non-empty: the adapter cannot do this, and says why
    note: str = ""  # with no steps: already done, and how so

    @staticmethod
    def refuse(reason: str) -> Plan:
        return Plan(refusal=reason)

    @staticmethod
    def done(note: str) -> Plan:
        return Plan(note=note)


@dataclass(frozen=True, slots=True)
class ClusterState:
    """The latest probes of a cluster's nodes (None: the probe failed), in topology order."""

    targets: tuple[Target, ...]
    probes: tuple[Probe | None, ...]
    leader: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def probe(self, node: str) -> Probe | None:
        for target, probe in zip(self.targets, self.probes, strict=True):
            if target.node == node:
                return probe
        return None

    def target(self, node: str) -> Target:
        return next(t for t in self.targets if t.node == node)


class ParseError(ValueError):
    """A probe printed something the adapter does not understand."""


def quote(*words: str | int) -> str:
    return shlex.join(str(w) for w in words)


def fields(line: str, sep: str = "|") -> list[str]:
    return line.rstrip("\r\n").split(sep)


def nonempty_lines(text: str) -> Sequence[str]:
    return [line.rstrip("\r") for line in text.splitlines() if line.strip()]
