"""Non-fatal warnings: configurations that load but will surprise their owner.

Each rule cites why (REFERENCE.md). Warnings never change the exit code of `validate`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from regionctl.model.diagnostics import Loc
from regionctl.model.resolved import commit_wait, preset, region_rtt, replication_mode, timings
from regionctl.model.topology import Topology, TopologyKind
from regionctl.units import format_duration


@dataclass(frozen=True)
class LintWarning:
    code: str
    loc: Loc
    message: str


def lint(t: Topology) -> list[LintWarning]:
    out: list[LintWarning] = []
    for i, cluster in enumerate(t.clusters):
        base: Loc = ("clusters", i)
        tm = timings(cluster)
        regions = sorted({n.region for n in cluster.nodes})
        max_rtt = max((region_rtt(t, a, b)[0] for a in regions for b in regions if a < b), default=0.0)
        mode = replication_mode(cluster)
        family = preset(cluster).family

        if family == "raft" and max_rtt > 0 and tm["election_timeout"] < 10 * max_rtt:
            out.append(LintWarning(
                "election-timeout", (*base, "timings"),
                f"election timeout {format_duration(tm['election_timeout'])} is below 10x the largest RTT "
                f"between voters ({format_duration(max_rtt)}); etcd's tuning guide asks for >= "
                f"{format_duration(10 * max_rtt)}, or elections will flap"))
        if family == "lock-ttl" and tm["loop_wait"] + 2 * tm["retry_timeout"] > tm["ttl"]:
            cycle = tm["loop_wait"] + 2 * tm["retry_timeout"]
            out.append(LintWarning(
                "patroni-ttl", (*base, "timings"),
                f"loop_wait + 2 x retry_timeout ({format_duration(cycle)})"
                f" exceeds ttl ({format_duration(tm['ttl'])}); Patroni requires "
                "loop_wait + 2 x retry_timeout <= ttl"))
        wait = commit_wait(t, cluster)
        if wait is not None and wait[0] > 0.050:
            out.append(LintWarning(
                "sync-cross-region", (*base, "replication", "mode"),
                f"{mode} replication makes every write wait for {wait[1]}, {format_duration(wait[0])} away "
                "(PACELC: write latency paid for consistency)"))
        if (mode == "quorum" or family == "raft") and len(t.regions) > 1:
            voters = Counter(n.region for n in cluster.nodes)
            majority = len(cluster.nodes) // 2 + 1
            for region, count in voters.items():
                if count >= majority and len(cluster.nodes) > 1:
                    out.append(LintWarning(
                        "quorum-one-region", (*base, "nodes"),
                        f"{count} of {len(cluster.nodes)} voters sit in {region}: a majority in one region, "
                        "so "
                        f"losing {region} loses quorum and the cluster stops taking writes"))
    if t.kind == TopologyKind.ACTIVE_PASSIVE:
        for i, cluster in enumerate(t.clusters):
            leader = next((n for n in cluster.nodes if n.role == "leader"), None)
            if leader is not None and not any(n.region != leader.region for n in cluster.nodes):
                out.append(LintWarning(
                    "no-remote-standby", ("clusters", i, "nodes"),
                    f"active-passive cluster {cluster.name!r} has no standby outside {leader.region}: "
                    "a region outage leaves nothing to fail over to"))
    return out
