"""References between parts of a topology, checked on the raw YAML data.

When the schema already fails, the typed cross-checks (crosscheck.py) cannot run; these run
anyway, so that a misspelt region or cluster is reported in the same pass as the schema's
errors instead of only after they are fixed. A category is checked only when every
declaration of it has a readable name: an incomplete list of names would invent errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from regionctl.model.crosscheck import Problem, _unknown, unknown_zone
from regionctl.model.diagnostics import KeyLoc


def _items(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield i, item


def _names(value: Any) -> list[str] | None:
    """The declared names, or None when some declaration has none (or there is no list)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(x, dict) and isinstance(x.get("name"), str) for x in value):
        return None
    return [x["name"] for x in value]


def _strings(value: Any) -> Iterator[tuple[int, str]]:
    if isinstance(value, list):
        for j, item in enumerate(value):
            if isinstance(item, str):
                yield j, item


def raw_references(data: Any) -> list[Problem]:
    if not isinstance(data, dict):
        return []
    return list(_regions(data)) + list(_parts(data))


def _regions(data: dict[str, Any]) -> Iterator[Problem]:
    regions = _names(data.get("regions"))
    if not regions:
        return
    zones = {r["name"]: r["zones"] for _, r in _items(data.get("regions"))
             if isinstance(r.get("zones"), list) and all(isinstance(z, str) for z in r["zones"])}
    for i, cluster in _items(data.get("clusters")):
        for j, node in _items(cluster.get("nodes")):
            region, zone = node.get("region"), node.get("zone")
            if isinstance(region, str) and region not in regions:
                yield ("clusters", i, "nodes", j, "region"), _unknown("region", region, regions)
            elif isinstance(region, str) and isinstance(zone, str) and region in zones and zone not in zones[region]:
                yield ("clusters", i, "nodes", j, "zone"), unknown_zone(region, zone, zones[region])
    for i, traffic in _items(data.get("traffic")):
        region = traffic.get("from")
        if isinstance(region, str) and region not in regions:
            yield ("traffic", i, "from"), _unknown("region", region, regions)
    for i, service in _items(data.get("services")):
        for j, region in _strings(service.get("regions")):
            if region not in regions:
                yield ("services", i, "regions", j), _unknown("region", region, regions)
    network = data.get("network")
    rtt = network.get("rtt") if isinstance(network, dict) else None
    for key in rtt if isinstance(rtt, dict) else ():
        for part in str(key).split("|"):
            if part and part not in regions and len(str(key).split("|")) == 2:
                yield KeyLoc(("network", "rtt", key)), _unknown("region", part, regions)


def _parts(data: dict[str, Any]) -> Iterator[Problem]:
    clusters, services = _names(data.get("clusters")), _names(data.get("services"))
    if clusters:
        for i, traffic in _items(data.get("traffic")):
            name = traffic.get("cluster")
            if isinstance(name, str) and name not in clusters:
                yield ("traffic", i, "cluster"), _unknown("cluster", name, clusters)
        for i, tenant in _items(data.get("tenants")):
            single = tenant.get("cluster")
            if isinstance(single, str) and single not in clusters:
                yield ("tenants", i, "cluster"), _unknown("cluster", single, clusters)
            for j, name in _strings(tenant.get("clusters")):
                if name not in clusters:
                    yield ("tenants", i, "clusters", j), _unknown("cluster", name, clusters)
    if clusters is not None and services is not None and (clusters or services):
        targets = clusters + services
        for i, service in _items(data.get("services")):
            for j, dep in _strings(service.get("depends_on")):
                if dep not in targets:
                    yield ("services", i, "depends_on", j), _unknown("cluster or service", dep, targets)
    if services:
        for i, tenant in _items(data.get("tenants")):
            for j, name in _strings(tenant.get("services")):
                if name not in services:
                    yield ("tenants", i, "services", j), _unknown("service", name, services)
