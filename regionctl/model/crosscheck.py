"""Cross-checks a schema cannot express: references between parts of a topology.

Each check yields (location, message); the loader places them in the file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from regionctl.model.diagnostics import KeyLoc, Loc
from regionctl.model.presets import PRESETS
from regionctl.model.resolved import replication_mode
from regionctl.model.topology import Topology
from regionctl.model.yaml_source import did_you_mean

Problem = tuple[Loc, str]


def unknown_zone(region: str, zone: str, known: list[str]) -> str:
    return f"expected a zone of region {region!r} ({', '.join(known)}), found {zone!r}{did_you_mean(zone, known)}"


def _unknown(kind: str, name: str, known: list[str]) -> str:
    listing = ", ".join(known) if known else "none are declared"
    hint = did_you_mean(name, known)
    return f"expected the name of a declared {kind}, found {name!r}{hint} (declared: {listing})"


def _duplicates(items: Sequence[tuple[Loc, str]], what: str) -> Iterator[Problem]:
    first: dict[str, Loc] = {}
    for loc, name in items:
        if name in first:
            yield (*loc, "name"), f"expected unique {what} names, found {name!r} again"
        else:
            first[name] = loc


def check(topology: Topology) -> list[Problem]:
    return list(_check(topology))


def _check(t: Topology) -> Iterator[Problem]:
    regions = [r.name for r in t.regions]
    zones = {r.name: r.zones for r in t.regions}
    yield from _duplicates([(("regions", i), r.name) for i, r in enumerate(t.regions)], "region")
    for i, region in enumerate(t.regions):
        seen: set[str] = set()
        for j, zone in enumerate(region.zones):
            if zone in seen:
                yield ("regions", i, "zones", j), f"expected unique zone names, found {zone!r} again"
            seen.add(zone)

    # Clusters and services share a namespace: `depends_on` may name either.
    yield from _duplicates(
        [(("clusters", i), c.name) for i, c in enumerate(t.clusters)]
        + [(("services", i), s.name) for i, s in enumerate(t.services)],
        "cluster and service",
    )
    # Node names are global: fault specs say `node:NAME`.
    yield from _duplicates(
        [(("clusters", i, "nodes", j), n.name)
         for i, c in enumerate(t.clusters) for j, n in enumerate(c.nodes)],
        "node",
    )
    yield from _duplicates([(("tenants", i), x.name) for i, x in enumerate(t.tenants)], "tenant")

    yield from _check_network(t, regions)
    for i in range(len(t.clusters)):
        yield from _check_cluster(t, i, regions, zones)

    clusters = [c.name for c in t.clusters]
    for i, traffic in enumerate(t.traffic):
        if traffic.from_region not in regions:
            yield ("traffic", i, "from"), _unknown("region", traffic.from_region, regions)
        if traffic.cluster not in clusters:
            yield ("traffic", i, "cluster"), _unknown("cluster", traffic.cluster, clusters)

    services = [s.name for s in t.services]
    targets = clusters + services
    for i, service in enumerate(t.services):
        for j, dep in enumerate(service.depends_on):
            if dep not in targets:
                yield ("services", i, "depends_on", j), _unknown("cluster or service", dep, targets)
            elif dep == service.name:
                yield ("services", i, "depends_on", j), (
                    f"expected a dependency on another part, found {dep!r} itself")
        for j, where in enumerate(service.regions or []):
            if where not in regions:
                yield ("services", i, "regions", j), _unknown("region", where, regions)
    yield from _check_service_cycles(t)

    for i, tenant in enumerate(t.tenants):
        for j, name in enumerate(tenant.clusters):
            if name not in clusters:
                yield ("tenants", i, "clusters", j), _unknown("cluster", name, clusters)
        for j, name in enumerate(tenant.services):
            if name not in services:
                yield ("tenants", i, "services", j), _unknown("service", name, services)
        if not tenant.clusters and not tenant.services:
            yield ("tenants", i), "expected a tenant mapped to at least one cluster or service, found neither"


def _check_network(t: Topology, regions: list[str]) -> Iterator[Problem]:
    seen: dict[frozenset[str], str] = {}
    for key in t.network.rtt:
        loc: Loc = KeyLoc(("network", "rtt", key))  # the problem is the key, not the figure
        parts = key.split("|")
        if len(parts) != 2 or not all(parts):
            yield loc, f"expected a region pair written 'a|b', found {key!r}"
            continue
        for part in parts:
            if part not in regions:
                yield loc, _unknown("region", part, regions)
        if parts[0] == parts[1]:
            yield loc, (f"expected two different regions, found {key!r} "
                        "(use zone_rtt/local_rtt within a region)")
        pair = frozenset(parts)
        if pair in seen:
            yield loc, f"expected each region pair once, found {key!r} and {seen[pair]!r}"
        seen[pair] = key


def _check_cluster(t: Topology, i: int, regions: list[str], zones: dict[str, list[str]]) -> Iterator[Problem]:
    cluster = t.clusters[i]
    preset = PRESETS[cluster.engine]
    mode = replication_mode(cluster)
    base: Loc = ("clusters", i)
    if mode not in preset.allowed_modes:
        allowed = ", ".join(preset.allowed_modes)
        yield (*base, "replication", "mode"), (
            f"expected a replication mode the {cluster.engine} engine supports ({allowed}), found {mode!r}")
    for key in cluster.timings:
        if key not in preset.timings:
            known = sorted(preset.timings)
            yield KeyLoc((*base, "timings", key)), (
                f"expected a timing of the {cluster.engine} preset ({', '.join(known)}), "
                f"found {key!r}{did_you_mean(key, known)}")
    for j, witness in enumerate(cluster.failover.witnesses or []):
        region, _, zone = witness.partition("/")
        if region not in regions:
            yield (*base, "failover", "witnesses", j), _unknown("region", region, regions)
        elif zone and zone not in zones.get(region, []):
            yield (*base, "failover", "witnesses", j), _unknown(f"zone in {region}", zone, zones.get(region, []))

    node_names = [n.name for n in cluster.nodes]
    for j, node in enumerate(cluster.nodes):
        if node.region not in regions:
            yield (*base, "nodes", j, "region"), _unknown("region", node.region, regions)
        elif node.zone is not None and node.zone not in zones[node.region]:
            yield (*base, "nodes", j, "zone"), unknown_zone(node.region, node.zone, zones[node.region])

    leaders = [j for j, n in enumerate(cluster.nodes) if n.role == "leader"]
    rep = cluster.replication
    if mode in ("async", "semi-sync", "sync", "quorum"):
        if not leaders:
            yield (*base, "nodes"), (
                f"expected exactly one node with role: leader in a cluster with {mode} replication, "
                "found none")
        for j in leaders[1:]:
            yield (*base, "nodes", j, "role"), (
                f"expected exactly one initial leader, found a second one ({cluster.nodes[j].name!r}; "
                f"the first is {cluster.nodes[leaders[0]].name!r})")
        if mode in ("semi-sync", "sync", "quorum") and len(cluster.nodes) < 2:
            yield (*base, "nodes"), f"expected at least two nodes for {mode} replication, found one"
    elif mode == "multi-leader":
        if not leaders:
            yield (*base, "nodes"), (
                "expected at least one node with role: leader in a multi-leader cluster, found none")
        per_region: dict[str, str] = {}
        for j in leaders:
            node = cluster.nodes[j]
            if node.region in per_region:
                yield (*base, "nodes", j, "role"), (
                    f"expected one leader per region, found {node.name!r} beside {per_region[node.region]!r} "
                    f"in {node.region!r}")
            per_region[node.region] = node.name
    elif mode == "leaderless":
        for j in leaders:
            yield (*base, "nodes", j, "role"), "expected role replica in a leaderless cluster, found leader"
        n = rep.n or min(3, len(cluster.nodes))
        if rep.n is not None and rep.n > len(cluster.nodes):
            yield (*base, "replication", "n"), (
                f"expected n <= the number of nodes ({len(cluster.nodes)}), found {rep.n}")
        for key in ("r", "w"):
            value = getattr(rep, key)
            if value is not None and value > n:
                yield (*base, "replication", key), f"expected {key} <= n ({n}), found {value}"

    if rep.sync_replicas is not None:
        if mode != "sync":
            yield (*base, "replication", "sync_replicas"), (
                f"expected sync_replicas only with mode sync, found mode {mode}")
        for j, name in enumerate(rep.sync_replicas):
            if name not in node_names:
                yield (*base, "replication", "sync_replicas", j), (
                    _unknown("node of this cluster", name, node_names))
            elif leaders and name == cluster.nodes[leaders[0]].name:
                yield (*base, "replication", "sync_replicas", j), (
                    f"expected a follower, found the leader {name!r}")
    if mode != "leaderless":
        for key in ("n", "r", "w"):
            if getattr(rep, key) is not None:
                yield (*base, "replication", key), (
                    f"expected {key} only with mode leaderless, found mode {mode}")
    if rep.conflict_resolution is not None and mode != "multi-leader":
        yield (*base, "replication", "conflict_resolution"), (
            f"expected conflict_resolution only with mode multi-leader, found mode {mode}")
    if rep.home_regions is not None:
        if rep.conflict_resolution != "home-region":
            yield (*base, "replication", "home_regions"), (
                "expected home_regions only with conflict_resolution: home-region, "
                f"found {rep.conflict_resolution or 'none'}")
        leader_regions = sorted({cluster.nodes[j].region for j in leaders})
        for region in rep.home_regions:
            if region not in leader_regions:
                yield (*base, "replication", "home_regions", region), (
                    _unknown("region with a leader of this cluster", region, leader_regions))
        if not any(share > 0 for share in rep.home_regions.values()):
            yield (*base, "replication", "home_regions"), "expected at least one share above 0%, found none"


def _check_service_cycles(t: Topology) -> Iterator[Problem]:
    deps = {s.name: [d for d in s.depends_on if any(x.name == d for x in t.services)] for s in t.services}
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> list[str] | None:
        state[name] = 1
        for dep in deps.get(name, []):
            if state.get(dep) == 1:
                return [*trail, name, dep]
            if state.get(dep) is None:
                found = visit(dep, [*trail, name])
                if found:
                    return found
        state[name] = 2
        return None

    for i, service in enumerate(t.services):
        if state.get(service.name) is None:
            cycle = visit(service.name, [])
            if cycle:
                start = cycle.index(cycle[-1])
                yield ("services", i, "depends_on"), (
                    "expected dependencies without a cycle, found " + " -> ".join(cycle[start:]))
