"""The static view of a topology: every node healthy, the initial leaders in place."""

from __future__ import annotations

from regionctl.backends.snapshot import ClusterView, NodeView, RegionView, Snapshot, TenantView
from regionctl.model.resolved import initial_leader, node_zone, replication_mode
from regionctl.model.topology import Topology


def static_snapshot(topology: Topology, backend: str = "static") -> Snapshot:
    clusters = []
    for cluster in topology.clusters:
        leader = initial_leader(cluster)
        mode = replication_mode(cluster)
        nodes = tuple(
            NodeView(
                name=n.name, cluster=cluster.name, region=n.region, zone=node_zone(topology, n),
                role=n.role if mode != "leaderless" else "replica", health="up",
                term=1 if mode != "leaderless" else 0, accepting_writes=n.role == "leader" or mode == "leaderless",
            )
            for n in cluster.nodes
        )
        clusters.append(ClusterView(
            name=cluster.name, engine=cluster.engine, replication=mode,
            leader=leader if mode != "multi-leader" else None,
            term=1 if leader else 0, nodes=nodes,
        ))
    return Snapshot(
        topology=topology.name,
        kind=str(topology.kind),
        backend=backend,
        time=0.0,
        regions=tuple(RegionView(r.name, "up") for r in topology.regions),
        clusters=tuple(clusters),
        tenants=tuple(TenantView(t.name, t.model, "ok") for t in topology.tenants),
        runbooks=tuple(topology.runbook_names()),
    )
