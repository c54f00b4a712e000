"""etcd (Raft): `endpoint status -w json` gives leader, term and raft index; `move-leader` hands leadership over.

Member IDs are 64-bit and usually above 2**53: Python's json keeps integers exact, and nothing
here turns them into floats (a JavaScript-style reader would round them to a different member).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from regionctl.backends.ssh.adapters.base import ClusterState, ParseError, Plan, Probe, Step, Target, quote
from regionctl.backends.ssh.adapters.engine import EngineAdapter

# Bounded: a dead endpoint otherwise blocks etcdctl for 5 s (generous enough for a loaded 2-core host).
TIMEOUTS = ("--dial-timeout=1s", "--command-timeout=2s")
# A probe asks the member on its own host (~20 ms when it is up); a dead member costs the whole probe
# round this long, so it is shorter than an action's.
PROBE_TIMEOUTS = ("--dial-timeout=500ms", "--command-timeout=1s")


def _reject_float(text: str) -> float:
    raise ParseError(f"etcd: unexpected non-integer number {text}")


def parse_status(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text, parse_float=_reject_float)
    except json.JSONDecodeError as exc:
        raise ParseError(f"etcd endpoint status: not JSON: {text[:200]!r}") from exc
    if not isinstance(data, list) or not data:
        raise ParseError(f"etcd endpoint status: expected a non-empty list, found {text[:200]!r}")
    return data


def parse_members(text: str) -> dict[int, str]:
    """`member list -w json` -> member ID -> name."""
    try:
        data = json.loads(text, parse_float=_reject_float)
        return {int(m["ID"]): str(m.get("name", "")) for m in data["members"]}
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ParseError(f"etcd member list: unexpected output {text[:200]!r}") from exc


class EtcdAdapter(EngineAdapter):
    kind = "etcd"
    default_port = 2379

    def url(self, t: Target) -> str:
        return f"http://{t.address}:{t.port}"

    def ctl(self, t: Target, *args: str, timeouts: tuple[str, ...] = TIMEOUTS) -> str:
        return "ETCDCTL_API=3 " + quote(t.program("etcdctl"), f"--endpoints={self.url(t)}", *timeouts, *args)

    def probe_write(self, t: Target, key: str, value: int, timeout: float) -> str | None:
        return self.ctl(t, "put", key, str(value), timeouts=("--dial-timeout=1s", f"--command-timeout={timeout:g}s"))

    def parse_probe_write(self, output: str) -> bool:
        return output.strip() == "OK"

    def probe_write_unanswered(self, output: str) -> bool:
        # The client's deadline passed (or the leader changed) after the put was sent: it may have been applied.
        return any(s in output for s in ("context deadline exceeded", "DeadlineExceeded", "leader changed",
                                         "connection reset", "EOF"))

    def probe_read(self, t: Target, prefix: str, keys: Sequence[str]) -> str:
        return self.ctl(t, "get", "--prefix", "--keys-only", prefix)

    def probe_clean(self, t: Target, prefix: str, keys: Sequence[str]) -> list[str]:
        return [self.ctl(t, "del", "--prefix", prefix)]  # prints how many it deleted; fails visibly

    def probe_command(self, t: Target) -> str:
        return self.ctl(t, "endpoint", "status", "-w", "json", timeouts=PROBE_TIMEOUTS)

    def parse_probe(self, t: Target, output: str) -> Probe:
        entry = parse_status(output)[0]
        try:
            status = entry["Status"]
            # etcd leaves zero fields out of its JSON: no `leader` means this member knows of none (it is cut
            # off, or an election is under way); it is up all the same.
            member, leader = int(status["header"]["member_id"]), int(status.get("leader", 0))
            return Probe("leader" if member == leader else "follower",
                         position=int(status.get("raftAppliedIndex", status["raftIndex"])),
                         term=int(status["raftTerm"]), member_id=member, leader_id=leader or None)
        except (KeyError, TypeError, ValueError) as exc:
            raise ParseError(f"etcd endpoint status: missing field {exc}") from exc

    def leader(self, targets: tuple[Target, ...], probes: tuple[Probe | None, ...]) -> str | None:
        """The member most members see as leader (at the highest term), if it answered."""
        seen = Counter((p.term, p.leader_id) for p in probes if p is not None and p.leader_id)
        if not seen:
            return None
        (_, leader_id), _ = max(seen.items(), key=lambda item: (item[0][0], item[1]))
        return next((t.node for t, p in zip(targets, probes, strict=True)
                     if p is not None and p.member_id == leader_id), None)

    def move_leader(self, state: ClusterState, to: str) -> Plan:
        target = state.probe(to)
        if state.leader is None:
            return Plan.refuse("etcd: no leader to move leadership from")
        if target is None or target.member_id is None:
            return Plan.refuse(f"etcd: {to} did not answer its last probe; its member ID is unknown")
        if state.leader == to:
            return Plan.done(f"{to} already leads")
        lead = state.target(state.leader)
        return Plan((Step(lead.node, self.ctl(lead, "move-leader", format(target.member_id, "x")), 15.0),))

    def promote(self, state: ClusterState, node: str) -> Plan:
        return self.move_leader(state, node)

    def demote(self, state: ClusterState, node: str) -> Plan:
        if state.leader != node:
            return Plan.refuse(f"{node} does not lead")
        followers = [(p.position, t.node) for t, p in zip(state.targets, state.probes, strict=True)
                     if p is not None and t.node != node and p.member_id is not None]
        if not followers:
            return Plan.refuse("etcd: no follower answered; nobody to hand leadership to")
        return self.move_leader(state, max(followers)[1])

    def repoint(self, state: ClusterState, node: str, to: str) -> Plan:
        return Plan.refuse("etcd members follow the Raft leader; there is nothing to repoint")
