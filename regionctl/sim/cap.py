"""CAP and PACELC, observed: what a cluster did while its replicas were cut apart, and
what its consistency costs when nothing is wrong.

During a disturbance (a replica down, or two live replicas unable to talk), every
write a live client sends is either refused (the cluster chose consistency), or
accepted although some live replica cannot see it (the cluster chose availability:
the copies diverge, and a failover or a merge may drop it), or accepted safely.
A cluster that only saw crashes, and refused and lost nothing, was never made to
choose: "untested".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from regionctl.sim.network import Network
from regionctl.sim.node import SimNode


class CapBooks:
    __slots__ = (
        "_cut_key",
        "_cut_off",
        "_disturbed",
        "_version",
        "disturbed_seconds",
        "diverged",
        "partitioned",
        "refused",
        "seen",
    )

    def __init__(self) -> None:
        self.seen = False  # a disturbance reached this cluster at some point
        self.partitioned = False  # at some point two live replicas could not talk
        self.refused = 0  # writes of live clients refused while disturbed
        self.diverged = 0  # writes accepted while a live replica could not receive them
        self.disturbed_seconds = 0.0
        self._version = -1
        self._disturbed = False
        self._cut_key: tuple[int, str] = (-1, "")
        self._cut_off = False

    def disturbed(self, nodes: Sequence[SimNode], network: Network) -> bool:
        """A replica is down, or two live replicas cannot talk (cached per fault set)."""
        if network.version != self._version:
            self._version = network.version
            live = [n for n in nodes if network.up(n.loc)]
            cut = any(not network.connected(a.loc, b.loc) for i, a in enumerate(live) for b in live[i + 1:])
            self._disturbed = cut or len(live) < len(nodes)
            self.seen = self.seen or self._disturbed
            self.partitioned = self.partitioned or cut
        return self._disturbed

    def summary(self, lost: int, p50: float | None, p99: float | None, cost: tuple[float, str]) -> dict[str, Any]:
        if self.seen and (self.diverged or lost):
            behaviour = "availability"
        elif self.seen and (self.refused or self.partitioned):
            behaviour = "consistency"
        else:
            # Only crashes, and nothing refused or lost: no partition made the cluster choose.
            behaviour = "untested"
        return {
            "partition_behaviour": behaviour,
            "disturbed_seconds": round(self.disturbed_seconds, 6),
            "writes_refused": self.refused,
            "writes_diverged": self.diverged,
            "write_latency_p50": None if p50 is None else round(p50, 6),
            "write_latency_p99": None if p99 is None else round(p99, 6),
            "consistency_cost_seconds": round(cost[0], 6),
            "consistency_cost": cost[1],
        }


def leader_follower_diverges(cluster: Any) -> bool:
    """A leader-based write is divergent when it is acknowledged without a replica's copy
    that the mode normally waits for: async (or semi-sync fallen back to async) while a live
    follower is cut off from the leader."""
    leader = cluster.leader
    if leader is None or cluster.mode not in ("async", "semi-sync"):
        return False
    network = cluster.network
    books: CapBooks = cluster.cap
    key = (network.version, leader.name)
    if books._cut_key != key:
        books._cut_key = key
        books._cut_off = any(n is not leader and network.up(n.loc) and not network.connected(leader.loc, n.loc)
                             for n in cluster.nodes)
    if not books._cut_off:
        return False
    return cluster.mode == "async" or not cluster.ackers(leader)
