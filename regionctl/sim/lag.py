"""Replication lag as a real tool reads it (PostgreSQL's replay lag, a replica's offset): how far a node is
behind the log it follows, in seconds and in operations."""

from __future__ import annotations

from regionctl.sim.log import shared_prefix
from regionctl.sim.node import SimNode


def log_lag(reference: SimNode | None, node: SimNode, now: float) -> tuple[float, int]:
    """(seconds, operations) `node`'s log is behind `reference`'s (the leader, or the log an election would
    pick). Seconds: how old the oldest write it is missing is."""
    if reference is None or node is reference:
        return 0.0, 0
    end = reference.received(now)
    have = min(node.applied(now), shared_prefix(reference.timeline, node.timeline))
    seconds = 0.0
    if end - have >= 0.5:
        committed = reference.timeline.commit_time(have)
        seconds = max(0.0, now - committed) if committed is not None else 0.0
    return seconds, max(0, round(end - have))


def replay_lag(reference: SimNode | None, node: SimNode, now: float) -> tuple[float, int]:
    """The lag a tool reads: the log's, and for a down node at least its lag when it went down plus the time
    since (it falls further behind; a failover that drops what it missed brings it no closer)."""
    seconds, ops = log_lag(reference, node, now)
    if node.down_lag is not None:
        down_seconds, down_ops, since = node.down_lag
        seconds = max(seconds, down_seconds + now - since)
        ops = max(ops, down_ops)
    return seconds, ops
