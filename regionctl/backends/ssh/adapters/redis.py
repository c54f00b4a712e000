"""Redis replication: `INFO replication` offsets, REPLICAOF to promote and repoint, Sentinel's view."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence

from regionctl.backends.ssh.adapters.base import (
    ClusterState,
    ParseError,
    Plan,
    Probe,
    ReplicaRow,
    SentinelView,
    Step,
    Target,
    nonempty_lines,
    quote,
)
from regionctl.backends.ssh.adapters.engine import EngineAdapter

SENTINEL_SECTION = "==sentinel=="  # separates INFO replication from the Sentinel's answer in one probe
# Writes need this many replicas: far more than exist, so a master refuses writes (NOREPLICAS).
READ_ONLY_REPLICAS = 1_000_000


def parse_info(text: str) -> dict[str, str]:
    info: dict[str, str] = {}
    for line in nonempty_lines(text):
        if line.startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if sep:
            info[key.strip()] = value.strip()
    return info


def parse_sentinel_state(text: str) -> SentinelView | None:
    """`SENTINEL master NAME` prints field and value on alternate lines; an error (unknown name, no Sentinel
    listening) prints one line: None. A value may be empty (runid, just after a failover)."""
    lines = [line.strip() for line in text.strip("\r\n").splitlines()]
    fields = dict(zip(lines[::2], lines[1::2], strict=False)) if len(lines) % 2 == 0 else {}
    try:
        return SentinelView(f"{fields['ip']}:{fields['port']}", tuple(fields["flags"].split(",")),
                            int(fields["config-epoch"]), int(fields["quorum"]), int(fields["num-other-sentinels"]) + 1)
    except (KeyError, ValueError):
        return None


def _batches(keys: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    return [keys[i:i + size] for i in range(0, len(keys), size)]


class RedisAdapter(EngineAdapter):
    kind = "redis"
    default_port = 6379

    def cli(self, t: Target, *args: str | int) -> str:
        return quote(t.program("redis-cli"), "-h", t.address, "-p", t.port, *args)

    def replica_key(self, t: Target) -> str:
        return self.endpoint(t)

    def probe_write(self, t: Target, key: str, value: int, timeout: float) -> str | None:
        return self.cli(t, "SET", key, value)  # no waiting on replicas: the SSH timeout bounds it

    def parse_probe_write(self, output: str) -> bool:
        return output.strip() == "OK"  # an error reply (NOREPLICAS, READONLY) is printed, not raised

    def probe_write_unanswered(self, output: str) -> bool:
        return any(s in output for s in ("Server closed the connection", "I/O error", "Connection reset",
                                         "timed out", "Timeout"))

    def probe_read(self, t: Target, prefix: str, keys: Sequence[str]) -> str:
        # The known keys, not a SCAN of the whole keyspace: one value (or an empty line) per key, in order.
        return " && ".join(self.cli(t, "MGET", *batch) for batch in _batches(keys)) or "true"

    def parse_probe_read(self, output: str, prefix: str, keys: Sequence[str]) -> set[str]:
        lines = output.splitlines()
        if len(lines) != len(keys):
            raise ParseError(f"redis MGET: {len(lines)} lines for {len(keys)} keys")
        return {key for key, line in zip(keys, lines, strict=True) if line.strip()}

    def probe_clean(self, t: Target, prefix: str, keys: Sequence[str]) -> list[str]:
        return [self.cli(t, "DEL", *batch) + " | grep -qE '^[0-9]+$'" for batch in _batches(keys)]

    def probe_command(self, t: Target) -> str:
        info = self.cli(t, "INFO", "replication")
        if t.sentinel is None:
            return info
        address, port, name = t.sentinel
        # Bounded: a Sentinel that hangs (stopped, cut off) must not make the Redis node look down.
        ask = quote("timeout", "2", t.program("redis-cli"), "-h", address, "-p", port, "SENTINEL", "master", name)
        # A down node fails the probe as before; a missing Sentinel only leaves its view out.
        return f"{info} && {{ echo {SENTINEL_SECTION}; {ask} 2>&1 || true; }}"

    def parse_probe(self, t: Target, output: str) -> Probe:
        output, marked, sentinel_part = output.partition(SENTINEL_SECTION + "\n")
        probe = self._parse_info(output)
        view = parse_sentinel_state(sentinel_part) if marked else None
        # Sentinel's config epoch grows by one per failover: the cluster's term, as Raft's would be.
        return dataclasses.replace(probe, sentinel=view, term=view.epoch) if view else probe

    def _parse_info(self, output: str) -> Probe:
        info = parse_info(output)
        role = info.get("role")
        try:
            if role == "master":
                replicas = []
                for key, value in info.items():
                    if key.startswith("slave") and key[5:].isdigit():
                        row = dict(item.partition("=")[::2] for item in value.split(","))
                        replicas.append(ReplicaRow(f"{row['ip']}:{row['port']}", int(row.get("offset", "0"))))
                return Probe("leader", position=int(info["master_repl_offset"]), replicas=tuple(replicas))
            if role == "slave":
                return Probe("follower", position=int(info["slave_repl_offset"]),
                             upstream=f"{info['master_host']}:{info['master_port']}",
                             link_up=info.get("master_link_status") == "up")
        except (KeyError, ValueError) as exc:
            raise ParseError(f"redis INFO replication: missing or bad field {exc}") from exc
        raise ParseError(f"redis INFO replication: unexpected role {role!r} in {output[:200]!r}")

    # -- Sentinel's view -----------------------------------------------------------------------------
    def node_named(self, targets: tuple[Target, ...], address: str) -> str:
        """The node a Sentinel means by "address:port" (its engine address, or its host), else the address."""
        names = {f"{t.host}:{t.port}": t.node for t in targets} | {self.endpoint(t): t.node for t in targets}
        return names.get(address, address)

    def named_master(self, targets: tuple[Target, ...], probes: tuple[Probe | None, ...]) -> Counter[str]:
        """How many Sentinels name each node (or address) as the master."""
        return Counter(self.node_named(targets, p.sentinel.master) for p in probes
                       if p is not None and p.sentinel is not None)

    def leader(self, targets: tuple[Target, ...], probes: tuple[Probe | None, ...]) -> str | None:
        """Two masters (an old one back before Sentinel turns it into a replica): the one Sentinels name."""
        masters = {t.node for t, p in zip(targets, probes, strict=True) if p is not None and p.role == "leader"}
        named = self.named_master(targets, probes).most_common(1)
        if len(masters) > 1 and named and named[0][0] in masters:
            return named[0][0]
        return super().leader(targets, probes)

    def election(self, state: ClusterState) -> str:
        views = [p.sentinel for p in state.probes if p is not None and p.sentinel is not None]
        if not views:
            return ""
        def flagged(flag: str) -> list[str]:
            """The masters of the Sentinels that set `flag` on theirs (one may lag behind the others)."""
            return [self.node_named(state.targets, v.master) for v in views if flag in v.flags]

        # Short texts, the node first: the dashboard's failover column is about 20 characters wide.
        if who := flagged("failover_in_progress"):
            return f"failing over {who[0]}"
        if who := flagged("o_down"):
            return f"{who[0]} o_down"
        if who := flagged("s_down"):
            return f"{who[0]} s_down {len(who)}/{len(views)}"
        # A Sentinel connects to a just-promoted master a moment after it answers our probes: not news.
        if who := [name for name in flagged("disconnected") if name != state.leader]:
            return f"{who[0]} unreachable"
        named = self.named_master(state.targets, state.probes)
        if len(named) > 1:
            return "sentinels split: " + ", ".join(sorted(named))
        master = next(iter(named))
        if master != state.leader:
            return f"sentinels name {master}"
        return ""

    def promote(self, state: ClusterState, node: str) -> Plan:
        return Plan((Step(node, self.cli(state.target(node), "REPLICAOF", "NO", "ONE"), 10.0),))

    def repoint(self, state: ClusterState, node: str, to: str) -> Plan:
        host, port = state.target(node).route(state.target(to))
        return Plan((Step(node, self.cli(state.target(node), "REPLICAOF", host, port), 10.0),))

    def demote(self, state: ClusterState, node: str) -> Plan:
        if state.leader is None or state.leader == node:
            return Plan.refuse(f"demote {node}: promote another node first, then {node} follows it")
        return self.repoint(state, node, state.leader)

    def set_read_only(self, state: ClusterState, read_only: bool) -> Plan:
        if state.leader is None:
            return Plan.refuse("no master to set read-only")
        value = READ_ONLY_REPLICAS if read_only else 0
        return Plan((Step(state.leader, self.cli(state.target(state.leader), "CONFIG", "SET",
                                                 "min-replicas-to-write", value), 10.0),))
