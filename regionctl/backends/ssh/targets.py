"""From a topology to what the SSH backend talks to: per cluster its adapter and targets, per node its host.

Pure: no I/O. Node adapter settings override the cluster's field by field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from regionctl.backends.ssh.adapters import adapter_for, kind_for_engine
from regionctl.backends.ssh.adapters.base import Target
from regionctl.backends.ssh.adapters.engine import EngineAdapter
from regionctl.backends.ssh.connections import ConnectSettings, HostKey
from regionctl.model.topology import Adapter, Cluster, Node, SshSettings, Topology


class TopologyNotReachable(ValueError):
    """The topology lacks what the SSH backend needs (a node without a host...)."""


@dataclass(frozen=True, slots=True)
class ClusterPlan:
    cluster: Cluster
    adapter: EngineAdapter
    targets: tuple[Target, ...]


def _merged(cluster: Cluster, node: Node) -> Adapter:
    base = cluster.adapter or Adapter()
    if node.adapter is None:
        return base
    # What the node's adapter says beyond the defaults overrides the cluster's.
    defaults = Adapter()
    overrides = {f.name: value for f in dataclasses.fields(node.adapter)
                 if (value := getattr(node.adapter, f.name)) is not None and value != getattr(defaults, f.name)}
    return base.model_copy(update=overrides)


def cluster_plans(topology: Topology) -> list[ClusterPlan]:
    problems: list[str] = []
    no_host = [n.name for c in topology.clusters for n in c.nodes if not n.host]
    if no_host:
        problems.append(f"{len(no_host)} node(s) have no `host` to log in to ({', '.join(no_host[:4])}"
                        f"{', ...' if len(no_host) > 4 else ''}); see `regionctl schema topology`")
    plans = []
    for cluster in topology.clusters:
        kinds = {(_merged(cluster, n).kind or kind_for_engine(cluster.engine)) for n in cluster.nodes}
        if len(kinds) != 1:
            problems.append(f"cluster {cluster.name}: nodes use different adapter kinds {sorted(kinds)}")
            continue
        adapter = adapter_for(kinds.pop())
        targets = []
        for node in cluster.nodes:
            settings = _merged(cluster, node)
            if not node.host:
                continue
            if adapter.kind == "command" and not settings.probe:
                problems.append(f"node {node.name}: adapter kind command needs a `probe` command")
            if settings.rest_port and adapter.kind != "patroni":
                problems.append(f"node {node.name}: adapter.rest_port is for patroni, not {adapter.kind}")
            if settings.sentinel and adapter.kind != "redis":
                problems.append(f"node {node.name}: adapter.sentinel is for redis, not {adapter.kind}")
            sentinel = settings.sentinel
            address = settings.address or "127.0.0.1"
            targets.append(Target(
                node=node.name, host=node.host, address=address,
                port=settings.port or adapter.default_port, data_dir=settings.data_dir or "",
                bin_dir=settings.bin_dir or "", start=settings.start or "", stop=settings.stop or "",
                pause=settings.pause or "", resume=settings.resume or "",
                probe=settings.probe or "", actions=tuple(sorted(settings.actions.items())),
                peers=tuple(sorted(settings.peers.items())), rest_port=settings.rest_port or 8008,
                sentinel=(sentinel.address or address, sentinel.port, sentinel.master) if sentinel else None))
        plans.append(ClusterPlan(cluster, adapter, tuple(targets)))
    if problems:
        raise TopologyNotReachable("; ".join(problems))
    return plans


def host_keys(topology: Topology) -> dict[str, HostKey]:
    """node name -> where to log in."""
    ssh = topology.ssh or SshSettings()
    keys = {}
    for cluster in topology.clusters:
        for node in cluster.nodes:
            if node.host:
                keys[node.name] = HostKey(node.host, node.ssh_port or ssh.port, ssh.user)  # None: ~/.ssh/config
    return keys


def connect_settings(topology: Topology, base_dir: Path | None) -> ConnectSettings:
    ssh = topology.ssh or SshSettings()
    base = base_dir or Path.cwd()

    def path(text: str) -> Path:
        p = Path(text).expanduser()
        return p if p.is_absolute() else base / p

    return ConnectSettings(
        known_hosts=path(ssh.known_hosts) if ssh.known_hosts else None,
        identities=tuple(path(i) for i in ssh.identity),
        connect_timeout=ssh.connect_timeout,
        keepalive=ssh.keepalive,
    )


