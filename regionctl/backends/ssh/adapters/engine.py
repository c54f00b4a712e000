"""The adapter interface, its defaults (start/stop/fence from the topology's commands), and the
pure step from per-node probes to a cluster's leader, roles and lag."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from regionctl.backends.ssh.adapters.base import ClusterState, Plan, Probe, Step, Target


@dataclass(frozen=True, slots=True)
class NodeStatus:
    role: str  # leader | follower
    lag_ops: int  # bytes (postgres), offset (redis), Raft entries (etcd) behind the leader
    lag_seconds: float | None  # None: the engine does not say; the backend measures it
    term: int
    position: int
    accepting_writes: bool


class EngineAdapter:
    """Defaults shared by every engine; subclasses build the engine's own commands."""

    kind = "generic"
    default_port = 0
    probe_timeout = 5.0

    def probe_command(self, t: Target) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def parse_probe(self, t: Target, output: str) -> Probe:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def replica_key(self, t: Target) -> str:
        """How a leader names this follower in its replica rows."""
        return t.node

    def endpoint(self, t: Target) -> str:
        return f"{t.address}:{t.port}"

    # -- actions ------------------------------------------------------------------------------
    def start(self, t: Target) -> Plan:
        if not t.start:
            return Plan.refuse(f"{t.node}: no start command declared (adapter.start)")
        return Plan((Step(t.node, t.start, timeout=60.0),))

    def stop(self, t: Target) -> Plan:
        if not t.stop:
            return Plan.refuse(f"{t.node}: no stop command declared (adapter.stop)")
        return Plan((Step(t.node, t.stop, timeout=60.0),))

    def pause(self, t: Target) -> Plan:
        if not t.pause or not t.resume:
            return Plan.refuse(f"{t.node}: not supported yet without adapter.pause and adapter.resume (commands that "
                               "SIGSTOP and SIGCONT every process of the node: which processes make up a node is "
                               "the estate's to say)")
        return Plan((Step(t.node, t.pause, timeout=30.0),))

    def resume(self, t: Target) -> Plan:
        if not t.resume:
            return Plan.refuse(f"{t.node}: no resume command declared (adapter.resume)")
        return Plan((Step(t.node, t.resume, timeout=30.0),))

    def fence(self, state: ClusterState, node: str) -> Plan:
        return self.stop(state.target(node))

    def unfence(self, state: ClusterState, node: str) -> Plan:
        return self.start(state.target(node))

    def promote(self, state: ClusterState, node: str) -> Plan:
        return Plan.refuse(f"{self.kind}: promote is not supported")

    def demote(self, state: ClusterState, node: str) -> Plan:
        return Plan.refuse(f"{self.kind}: demote is not supported")

    def repoint(self, state: ClusterState, node: str, to: str) -> Plan:
        return Plan.refuse(f"{self.kind}: repoint is not supported")

    def set_read_only(self, state: ClusterState, read_only: bool) -> Plan:
        return Plan.refuse(f"{self.kind}: read-only is not supported")

    # -- probe writes (probe_writes.py): one record per key, under the run's prefix ----------------------
    def probe_write(self, t: Target, key: str, value: int, timeout: float) -> str | None:
        """The command that writes `value` at `key` through `t` (its leader), giving up on the engine's side
        after about `timeout`; None: this engine has no probe writes."""
        return None

    def parse_probe_write(self, output: str) -> bool:
        """Whether the write's output is the engine's acknowledgement."""
        return False

    def probe_write_unanswered(self, output: str) -> bool:
        """Whether a failed write's output says the engine's client stopped waiting (a timeout, a connection
        closed mid-way): the write may have landed."""
        return False

    def probe_read(self, t: Target, prefix: str, keys: Sequence[str]) -> str:
        """The command that lists which of `keys` (all under `prefix`) `t` holds."""
        raise NotImplementedError(f"{self.kind}: probe writes are not supported yet")

    def parse_probe_read(self, output: str, prefix: str, keys: Sequence[str]) -> set[str]:
        """The keys under `prefix` the read found."""
        return {line.strip() for line in output.splitlines() if line.strip().startswith(prefix)}

    def probe_clean(self, t: Target, prefix: str, keys: Sequence[str]) -> list[str]:
        """Commands that remove exactly these records (nothing else), failing visibly when they cannot."""
        raise NotImplementedError(f"{self.kind}: probe writes are not supported yet")

    # -- reading a cluster ------------------------------------------------------------------------
    def leader(self, targets: tuple[Target, ...], probes: tuple[Probe | None, ...]) -> str | None:
        """The node that leads: the only leader, else the newest term's, else the one most followers follow."""
        leaders = [(t, p) for t, p in zip(targets, probes, strict=True) if p is not None and p.role == "leader"]
        if not leaders:
            return None
        if len(leaders) == 1:
            return leaders[0][0].node
        upstreams: Counter[str] = Counter()
        for t, p in zip(targets, probes, strict=True):
            if p is not None and p.role == "follower" and p.upstream:
                # A follower may replicate through a route (proxy): map it back to the node behind it.
                routes = {f"{addr}:{port}": other.node for other in targets for addr, port in [t.route(other)]}
                upstreams[routes.get(p.upstream, p.upstream)] += 1

        def rank(item: tuple[Target, Probe]) -> tuple[int, int, int]:
            # The newest term (timeline) wins: a just-promoted node before its followers are repointed,
            # and never a stale primary that came back; then whom the followers replicate from.
            t, p = item
            return (p.term, upstreams.get(t.node, 0) + upstreams.get(self.endpoint(t), 0), p.position)

        return max(leaders, key=rank)[0].node

    def election(self, state: ClusterState) -> str:
        """What the engine's own failover machinery is doing (Sentinel, ...); empty when nothing or unknown."""
        return ""

    def statuses(self, targets: tuple[Target, ...], probes: tuple[Probe | None, ...],
                 leader: str | None) -> dict[str, NodeStatus]:
        lead = next((p for t, p in zip(targets, probes, strict=True) if t.node == leader), None)
        rows = {row.key: row for row in lead.replicas} if lead else {}
        out: dict[str, NodeStatus] = {}
        for t, p in zip(targets, probes, strict=True):
            if p is None:
                continue
            if t.node == leader:
                out[t.node] = NodeStatus("leader", 0, 0.0, p.term, p.position, not p.read_only)
                continue
            lag_ops = max(0, lead.position - p.position) if lead is not None else 0
            row = rows.get(self.replica_key(t))
            seconds = p.lag_seconds
            if seconds is None and row is not None and row.lag_seconds is not None:
                seconds = row.lag_seconds
            if seconds is None and lag_ops == 0 and lead is not None:
                seconds = 0.0
            role = "old-leader" if p.role == "leader" else "follower"  # a stale primary, as the simulator says
            out[t.node] = NodeStatus(role, lag_ops, seconds, p.term, p.position,
                                     p.role == "leader" and not p.read_only)
        return out


def others(state: ClusterState, node: str) -> list[Target]:
    return [t for t in state.targets if t.node != node]
