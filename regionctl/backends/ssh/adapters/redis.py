"""Redis replication: `INFO replication` offsets, REPLICAOF to promote and repoint, Sentinel's view."""

from __future__ import annotations

from regionctl.backends.ssh.adapters.base import (
    ClusterState,
    ParseError,
    Plan,
    Probe,
    ReplicaRow,
    Step,
    Target,
    nonempty_lines,
    quote,
)
from regionctl.backends.ssh.adapters.engine import EngineAdapter

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


def parse_sentinel_master(text: str) -> tuple[str, int] | None:
    """`SENTINEL get-master-addr-by-name NAME` prints the address and the port on two lines, or nothing."""
    lines = [line.strip() for line in nonempty_lines(text)]
    if len(lines) != 2 or not lines[1].isdigit():
        return None
    return lines[0], int(lines[1])


class RedisAdapter(EngineAdapter):
    kind = "redis"
    default_port = 6379

    def cli(self, t: Target, *args: str | int) -> str:
        return quote(t.program("redis-cli"), "-h", t.address, "-p", t.port, *args)

    def replica_key(self, t: Target) -> str:
        return self.endpoint(t)

    def probe_command(self, t: Target) -> str:
        return self.cli(t, "INFO", "replication")

    def parse_probe(self, t: Target, output: str) -> Probe:
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

    def sentinel_master_command(self, t: Target, sentinel_port: int = 26379, name: str = "mymaster") -> str:
        """Ask the Sentinel beside `t` whom it considers master (parse with parse_sentinel_master)."""
        return quote(t.program("redis-cli"), "-h", t.address, "-p", sentinel_port,
                     "SENTINEL", "get-master-addr-by-name", name)

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
