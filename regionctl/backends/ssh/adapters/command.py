"""The generic adapter: probes and actions are shell commands declared in the topology's YAML.

The probe prints `key=value` lines: `role=leader|follower` (required), and optionally `position=N`,
`term=N`, `lag_seconds=X`, `read_only=true`. Action templates may use {node}, {host}, {address},
{port}, {leader}, {leader_host}, {leader_address}, {leader_port}; every value is shell-quoted.
"""

from __future__ import annotations

import shlex
import string

from regionctl.backends.ssh.adapters.base import ClusterState, ParseError, Plan, Probe, Step, Target, nonempty_lines
from regionctl.backends.ssh.adapters.engine import EngineAdapter

PLACEHOLDERS = ("node", "host", "address", "port", "leader", "leader_host", "leader_address", "leader_port")
ROLES = {"leader": "leader", "primary": "leader", "master": "leader",
         "follower": "follower", "replica": "follower", "standby": "follower", "slave": "follower"}


def render(template: str, values: dict[str, str]) -> str:
    """Fill a template; unknown placeholders are an error, not silently left in a shell command."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    unknown = sorted(names - set(PLACEHOLDERS))
    if unknown:
        raise ParseError(f"unknown placeholder {{{unknown[0]}}} in {template!r}; known: {', '.join(PLACEHOLDERS)}")
    return template.format(**{key: shlex.quote(value) for key, value in values.items()})


class CommandAdapter(EngineAdapter):
    kind = "command"

    def probe_command(self, t: Target) -> str:
        if not t.probe:
            raise ParseError(f"{t.node}: adapter kind command needs a `probe` command")
        return t.probe

    def parse_probe(self, t: Target, output: str) -> Probe:
        values: dict[str, str] = {}
        for line in nonempty_lines(output):
            key, sep, value = line.partition("=")
            if sep:
                values[key.strip()] = value.strip()
        role = ROLES.get(values.get("role", "").lower())
        if role is None:
            raise ParseError(f"{t.node}: probe printed no role=leader|follower line: {output[:200]!r}")
        try:
            return Probe(role, position=int(values.get("position", "0")), term=int(values.get("term", "0")),
                         lag_seconds=float(values["lag_seconds"]) if "lag_seconds" in values else None,
                         read_only=values.get("read_only", "").lower() in ("1", "true", "yes", "on"))
        except ValueError as exc:
            raise ParseError(f"{t.node}: probe printed a bad number: {exc}") from exc

    def action(self, state: ClusterState, name: str, node: str, leader: str | None) -> Plan:
        template = dict(state.target(node).actions).get(name)
        if template is None:
            return Plan.refuse(f"{node}: no `{name}` action declared in adapter.actions")
        t = state.target(node)
        values = {"node": t.node, "host": t.host, "address": t.address, "port": str(t.port),
                  "leader": "", "leader_host": "", "leader_address": "", "leader_port": ""}
        if leader is not None:
            lead = state.target(leader)
            values.update(leader=lead.node, leader_host=lead.host, leader_address=lead.address,
                          leader_port=str(lead.port))
        try:
            return Plan((Step(node, render(template, values)),))
        except ParseError as exc:
            return Plan.refuse(str(exc))

    def promote(self, state: ClusterState, node: str) -> Plan:
        return self.action(state, "promote", node, state.leader)

    def demote(self, state: ClusterState, node: str) -> Plan:
        return self.action(state, "demote", node, state.leader)

    def repoint(self, state: ClusterState, node: str, to: str) -> Plan:
        return self.action(state, "repoint", node, to)

    def fence(self, state: ClusterState, node: str) -> Plan:
        if "fence" in dict(state.target(node).actions):
            return self.action(state, "fence", node, state.leader)
        return super().fence(state, node)

    def unfence(self, state: ClusterState, node: str) -> Plan:
        if "unfence" in dict(state.target(node).actions):
            return self.action(state, "unfence", node, state.leader)
        return super().unfence(state, node)

    def set_read_only(self, state: ClusterState, read_only: bool) -> Plan:
        if state.leader is None:
            return Plan.refuse("no leader to set read-only")
        return self.action(state, "read-only" if read_only else "read-write", state.leader, state.leader)
