"""Lost writes: acknowledged writes missing from the surviving history, and the RPO they span."""

from __future__ import annotations

from regionctl.sim.cluster_base import ClusterBase
from regionctl.sim.log import Timeline, shared_prefix
from regionctl.sim.node import SimNode
from regionctl.sim.workload import Outcome


def lost_writes(cluster: ClusterBase, timelines: list[Timeline], reference: SimNode | None) -> tuple[int, float]:
    """Acknowledged writes that are not in the history of the current leader (`reference`)."""
    now = cluster.loop.now
    # The log past the last settle has no client outcomes marked on it yet: mark the stretch the
    # waiting clients never heard about (as settling would), count, and take the marks back, so a
    # query mid-run neither settles the books nor counts a blocked leader's writes as acknowledged.
    marks: list[Timeline] = []
    if now > cluster.settled:
        for source in cluster.sources:
            for group in source.groups:
                path = group.write
                if path.outcome == Outcome.PENDING and path.node is not None:
                    timeline = path.node.timeline
                    before = len(timeline.unknown)
                    timeline.add_unknown(timeline.end(cluster.settled), timeline.end(now),
                                         group.writes_per_s * (now - cluster.settled))
                    if len(timeline.unknown) > before:
                        marks.append(timeline)
    try:
        return _count(cluster, timelines, reference, now)
    finally:
        for timeline in marks:
            timeline.unknown.pop()


def _count(cluster: ClusterBase, timelines: list[Timeline], reference: SimNode | None,
           now: float) -> tuple[int, float]:
    survivor = reference
    if survivor is None:
        survivor = max(cluster.nodes, key=lambda n: (n.timeline.term, n.received(now)))
    surviving = survivor.timeline
    end = survivor.received(now)
    lost = 0.0
    rpo = 0.0
    for timeline in timelines:
        top = timeline.end(now)
        if timeline is surviving:
            keep = end  # the survivor's own timeline beyond what it holds (a dead writer's tail)
        elif surviving.holds(timeline, top):
            continue  # wholly in the surviving history
        else:
            keep = min(shared_prefix(surviving, timeline), end)
        n = timeline.acked_in(keep, top)
        if n >= 0.5:
            lost += n
            newest = timeline.last_acked_time_in(keep, top)
            kept = timeline.commit_time(keep) if keep > 0 else None
            if newest is not None:
                rpo = max(rpo, newest - (kept if kept is not None else newest))
    # The log is a fluid and the clients' books are whole requests: never more lost than acknowledged.
    return min(round(lost), cluster.counters.writes_acked), rpo
