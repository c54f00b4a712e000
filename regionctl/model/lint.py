"""Non-fatal warnings: configurations that load but will surprise their owner.

Each rule cites why (docs/reference.md). Warnings never change the exit code of `validate`.
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
    out += _tenancy_and_services(t)
    return out


def _tenancy_and_services(t: Topology) -> list[LintWarning]:
    out: list[LintWarning] = []
    uses = {tenant.name: t.clusters_needed([*tenant.clusters, *tenant.services]) for tenant in t.tenants}
    nodes_of = {c.name: [n.name for n in c.nodes] for c in t.clusters}
    # A silo promises a dedicated stack: a node another tenant also uses breaks the promise.
    for i, tenant in enumerate(t.tenants):
        if tenant.model != "silo":
            continue
        mine = {n for c in uses[tenant.name] for n in nodes_of[c]}
        shared: dict[str, list[str]] = {}
        for other in t.tenants:
            if other.name != tenant.name:
                both = sorted(mine & {n for c in uses[other.name] for n in nodes_of[c]})
                if both:
                    shared[other.name] = both
        if shared:
            nodes = sorted({n for names in shared.values() for n in names})
            out.append(LintWarning(
                "silo-shared-node", ("tenants", i),
                f"silo tenant {tenant.name!r} shares node(s) {', '.join(nodes)} with tenant(s) "
                f"{', '.join(sorted(shared))}: a failure there reaches them too, so the silo is not isolated"))
    # N+1 for a pool: when a region is lost, its users move to the survivors, who must carry them.
    pooled = {c for tenant in t.tenants if tenant.model == "pool" for c in uses[tenant.name]}
    if t.kind == TopologyKind.TENANCY_POOL and not pooled:
        pooled = {c.name for c in t.clusters}
    declared = [r for r in t.regions if r.capacity is not None]
    if pooled and declared:
        demand = sum(tr.writes_per_s + tr.reads_per_s for tr in t.traffic if tr.cluster in pooled)
        total = sum(r.capacity or 0.0 for r in t.regions)
        for i, region in enumerate(t.regions):
            if not region.capacity:
                continue
            left = total - region.capacity
            if left < demand:
                out.append(LintWarning(
                    "pool-no-headroom", ("regions", i, "capacity"),
                    f"losing {region.name} leaves {left:g} req/s of capacity for {demand:g} req/s of pooled "
                    f"traffic (clusters {', '.join(sorted(pooled))}): every pooled tenant is overloaded "
                    "when that region is lost"))
    # A service that needs a cluster living in one region dies with that region, whatever else survives.
    if len(t.regions) > 1:
        regions_of = {c.name: sorted({n.region for n in c.nodes}) for c in t.clusters}
        for i, service in enumerate(t.services):
            for dep in service.depends_on:
                where = regions_of.get(dep)
                if where is not None and len(where) == 1:
                    out.append(LintWarning(
                        "single-region-dependency", ("services", i, "depends_on"),
                        f"service {service.name!r} depends on cluster {dep!r}, whose nodes all sit in "
                        f"{where[0]}: losing {where[0]} takes {service.name!r} down although the topology "
                        f"spans {len(t.regions)} regions"))
    return out
