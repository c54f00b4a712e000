"""One rule for the state of a cluster, a service and a tenant: every backend and command uses it.

    cluster   down: not writable; degraded: writable with a node not up; else ok
    service   the worst of what it depends on (clusters and services) and of its regions: down when
              every region it runs in is down, degraded when some are
    tenant    the worst of its clusters and of its services'

The simulator's snapshot (status, the dashboard), the observed blast radius (drill, blast, run, whose
"worst" is this rule's worst answer over the run) and the SSH backend all ask these functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from regionctl.model.topology import Topology

RANK = {"ok": 0, "degraded": 1, "down": 2}


def worst(states: Iterable[str]) -> str:
    return max(states, key=RANK.__getitem__, default="ok")


def cluster_state(writable: bool, node_health: Iterable[str]) -> str:
    if not writable:
        return "down"
    if any(health != "up" for health in node_health):
        return "degraded"
    return "ok"


def cluster_words(state: str) -> str:
    return "not writable" if state == "down" else "lost a node"


def service_states(topology: Topology, clusters: Mapping[str, str],
                   region_status: Callable[[str], str]) -> dict[str, tuple[str, str]]:
    """Each service's (status, why), from its clusters' states and its regions' status (up, down...)."""
    services = {s.name: s for s in topology.services}
    out: dict[str, tuple[str, str]] = {}

    def visit(name: str, stack: tuple[str, ...]) -> tuple[str, str]:
        if name in out:
            return out[name]
        if name in clusters:
            state = clusters[name]
            return state, "" if state == "ok" else f"cluster {name} {cluster_words(state)}"
        if name not in services or name in stack:
            return "ok", ""
        spec = services[name]
        found: list[tuple[str, str]] = []
        for dep in spec.depends_on:
            state, why = visit(dep, (*stack, name))
            # Through another service, name that service: the operator follows the chain.
            found.append((state, f"service {dep} {state}" if dep in services and state != "ok" else why))
        if spec.regions:
            down = [r for r in spec.regions if region_status(r) == "down"]
            if down and len(down) == len(spec.regions):
                found.append(("down", f"every region it runs in is down ({', '.join(down)})"))
            elif down:
                found.append(("degraded", f"region {', '.join(down)} down"))
        state = worst(s for s, _ in found)
        why = "; ".join(w for s, w in found if s == state and w) if state != "ok" else ""
        out[name] = (state, why)
        return out[name]

    for name in services:
        visit(name, ())
    return out


def tenant_state(topology: Topology, tenant: str, clusters: Mapping[str, str],
                 services: Mapping[str, tuple[str, str]]) -> str:
    spec = next(t for t in topology.tenants if t.name == tenant)
    states = [clusters[c] for c in topology.clusters_needed(list(spec.services) + list(spec.clusters))]
    states += [services[s][0] for s in spec.services if s in services]
    return worst(states)
