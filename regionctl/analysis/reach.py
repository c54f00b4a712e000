"""Reach for the dashboard and the lab (no Textual here): what the current faults reach (read off
the Snapshot), and a preview of what a fault would reach before it is injected.

The preview is pluggable (`Predictor`). On the simulator the command line plugs in
`forked_predictor`: regionctl.analysis forks the live simulation and runs the fault
forward, so the preview is what a drill would observe. `static_predictor` reads only
the topology and the current Snapshot, so it works on every backend.

A predictor is called on the UI thread (cheap: fork) with the fault the picker parsed and checked, and returns a
thunk the picker runs in a worker thread (the slow part), keeping keys responsive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from regionctl.contract.faults import Fault
from regionctl.contract.snapshot import Snapshot
from regionctl.model.resolved import node_zone
from regionctl.model.topology import Topology

if TYPE_CHECKING:  # a prediction's report is read, never built, here: the dashboard need not import the reports
    from regionctl.contract.report import BlastReport


@dataclass(frozen=True)
class Reach:
    """What a fault reaches: regions, nodes, clusters, services, tenants and the share of traffic."""

    regions: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()  # clusters whose service is hit (leader lost, not writable, split)
    services: tuple[str, ...] = ()
    tenants: tuple[str, ...] = ()
    traffic_fraction: float = 0.0
    data_at_risk: str = ""
    notes: tuple[str, ...] = ()
    source: str = "estimate"  # who computed it: shown beside the preview

    @property
    def empty(self) -> bool:
        return not (self.regions or self.nodes or self.clusters or self.tenants)


Thunk = Callable[[], Reach]
Predictor = Callable[[Topology, Snapshot, Fault], Thunk]  # the fault: parsed and checked by the picker


def _downstream(topology: Topology, clusters: set[str]) -> tuple[list[str], list[str]]:
    """Services and tenants that depend, directly or through services, on any of `clusters`."""
    services = sorted(s.name for s in topology.services if set(topology.clusters_needed([s.name])) & clusters)
    tenants = [t.name for t in topology.tenants
               if set(topology.clusters_needed([*t.services, *t.clusters])) & clusters]
    return services, tenants


def _traffic(topology: Topology, regions_down: set[str], clusters_hit: set[str]) -> float:
    total = hit = 0.0
    for traffic in topology.traffic:
        rate = traffic.writes_per_s + traffic.reads_per_s
        total += rate
        if traffic.from_region in regions_down or traffic.cluster in clusters_hit:
            hit += rate
    return round(hit / total, 6) if total else 0.0


def static_preview(topology: Topology, snapshot: Snapshot, fault: Fault) -> Reach:
    """Reach of one (checked) fault from the topology's shape and who leads now."""
    where = {n.name: (n.region, node_zone(topology, n)) for c in topology.clusters for n in c.nodes}
    ends = {fault.a, fault.b}
    info = fault.info  # what the kind names and does (contract.faults.KINDS): no kind is named here
    if info.targets == "region":
        nodes = [n for n, (r, _) in where.items() if r == fault.a]
    elif info.targets == "zone":
        nodes = [n for n, loc in where.items() if loc == (fault.a, fault.b)]
    elif info.targets == "pair":
        nodes = [n for n, (r, _) in where.items() if n in ends or r in ends]
    else:
        nodes = [fault.a]
    regions = sorted({where[n][0] for n in nodes} | ({fault.a} if info.targets == "region" else set()))
    down = info.effect in ("down", "frozen")  # a paused node answers nothing until it resumes
    clusters_hit: set[str] = set()
    notes = []
    at_risk = 0
    for cluster in snapshot.clusters:
        members = [n for n in cluster.nodes if n.name in nodes]
        if not members:
            continue
        leader_hit = cluster.leader is not None and cluster.leader in nodes
        if down and leader_hit:
            clusters_hit.add(cluster.name)
            survivors = [n for n in cluster.nodes if n.name not in nodes and n.role != "leader"]
            if info.effect == "frozen":
                notes.append(f"{cluster.name}: leader {cluster.leader} frozen; it resumes still believing it leads")
            if survivors:
                best = min(survivors, key=lambda n: n.lag_ops)
                if cluster.replication in ("async", "semi-sync"):
                    at_risk += best.lag_ops
                notes.append(f"{cluster.name}: leader {cluster.leader} lost; failover to a survivor such as "
                             f"{best.name}")
            else:
                notes.append(f"{cluster.name}: every node lost; no failover possible")
        elif down and cluster.leader is None and len(members) == len(cluster.nodes):
            clusters_hit.add(cluster.name)
            notes.append(f"{cluster.name}: every node lost")
        elif info.effect == "cut":
            side_a = [n.name for n in members if n.name == fault.a or n.region == fault.a]
            side_b = [n.name for n in members if n.name == fault.b or n.region == fault.b]
            if side_a and side_b:
                clusters_hit.add(cluster.name)
                notes.append(f"{cluster.name}: split {','.join(side_a)} | {','.join(side_b)}; "
                             f"a side without the failover quorum cannot keep or elect a leader")
        elif info.effect == "lossy":
            side_a = [n.name for n in members if n.name == fault.a or n.region == fault.a]
            side_b = [n.name for n in members if n.name == fault.b or n.region == fault.b]
            if side_a and side_b:
                notes.append(f"{cluster.name}: {fault.spec.rpartition('=')[2]} of messages lost between "
                             f"{','.join(side_a)} and {','.join(side_b)}; a long enough run of losses misses "
                             "heartbeats (an election) and fails requests")
        elif info.effect == "slower":
            notes.append(f"{cluster.name}: replication and commits slower on {', '.join(n.name for n in members)}")
        elif info.effect == "skew":
            notes.append(f"{cluster.name}: last-writer-wins ordering skewed on {fault.target}")
        elif down:
            notes.append(f"{cluster.name}: loses {', '.join(n.name for n in members)} (leader unaffected)")
    services, _ = _downstream(topology, clusters_hit)
    # A tenant is reached as soon as one of its clusters loses a node (degraded), not only on an outage.
    touched = {c.name for c in snapshot.clusters if any(n.name in nodes for n in c.nodes)}
    _, tenants = _downstream(topology, touched if info.effect in ("down", "cut", "frozen") else clusters_hit)
    regions_down = {fault.a} if info.targets == "region" else set()
    risk = f"~{at_risk:,} acknowledged writes not yet on the best survivor" if at_risk else ""
    return Reach(tuple(regions), tuple(sorted(nodes)), tuple(sorted(clusters_hit)), tuple(services),
                 tuple(tenants), _traffic(topology, regions_down, clusters_hit), risk, tuple(notes),
                 "estimate from the topology and the current leaders")


def current_reach(topology: Topology, snapshot: Snapshot) -> Reach:
    """What the faults reach right now, read off the Snapshot."""
    regions = tuple(r.name for r in snapshot.regions if r.status != "up")
    nodes = tuple(n.name for c in snapshot.clusters for n in c.nodes if n.health != "up")
    clusters = {c.name for c in snapshot.clusters
                if not c.writable or c.election or any(n.health != "up" for n in c.nodes)}
    services, _ = _downstream(topology, clusters)
    tenants = tuple(t.name for t in snapshot.tenants if t.status != "ok")
    down = {r.name for r in snapshot.regions if r.status == "down"}
    lost = int(snapshot.metrics.get("writes_lost") or 0)
    return Reach(regions, nodes, tuple(sorted(clusters)), tuple(services), tenants,
                 _traffic(topology, down, {c.name for c in snapshot.clusters if not c.writable}),
                 f"{lost:,} acked writes lost so far" if lost else "", (), "observed")


def static_predictor(topology: Topology, snapshot: Snapshot, fault: Fault) -> Thunk:
    reach = static_preview(topology, snapshot, fault)
    return lambda: reach


def forked_predictor(fork: Callable[[], Any], horizon: float = 300.0) -> Predictor:
    """Predict by running the fault forward in a fork of the live simulation (`fork()` is the
    simulation's fork method: it runs on the UI thread, between ticks; the run happens later,
    on the worker thread, on the fork alone)."""

    def predict(topology: Topology, snapshot: Snapshot, fault: Fault) -> Thunk:
        from regionctl.analysis.blast import predict

        copy = fork()
        return lambda: reach_from_prediction(predict(copy, [fault], horizon=horizon))

    return predict


def reach_from_prediction(report: BlastReport) -> Reach:
    """regionctl.analysis's prediction (a drill report's blast_radius) as the picker shows it."""
    radius: dict[str, Any] = dict(report.blast_radius)
    at_risk = radius.get("data_at_risk") or {}
    risk = ", ".join(f"{name}: {books.get('lost', books.get('writes', 0)):,} acked writes lost"
                     for name, books in at_risk.items() if books.get("lost", books.get("writes")))
    notes = []
    for name, detail in (radius.get("detail", {}).get("clusters") or {}).items():
        before, after = detail.get("leader_before"), detail.get("leader_after")
        line = f"{name}: {detail.get('status', '?')}"
        if before != after:
            line += f", leader {before} → {after or 'none'}"
            if detail.get("new_leader_after_seconds") is not None:
                line += f" after {detail['new_leader_after_seconds']:.1f}s"
        if detail.get("rto_seconds"):
            line += f", RTO {detail['rto_seconds']:.1f}s"
        notes.append(line)
    if radius.get("expected_rto_seconds") is not None:
        notes.append(f"expected RTO {radius['expected_rto_seconds']:.1f}s")
    horizon = report.horizon_seconds
    return Reach(tuple(radius.get("regions", ())), tuple(radius.get("nodes", ())), tuple(radius.get("clusters", ())),
                 tuple(radius.get("services", ())), tuple(radius.get("tenants", ())),
                 float(radius.get("traffic_fraction") or 0.0), risk, tuple(notes),
                 f"the simulation forked now and run {horizon:g}s ahead")
