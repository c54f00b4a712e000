"""What the dashboard derives from a stream of Snapshots: lag history, catch-up rates,
SLO state, links between regions, new events. Pure (no Textual), so it is unit-tested
on its own and the widgets only render what it computes.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from itertools import combinations

from regionctl.contract.slo import judge_slo
from regionctl.contract.snapshot import EventView, NodeView, Snapshot
from regionctl.model.resolved import region_rtt
from regionctl.model.topology import Topology
from regionctl.tui.timeline import Timeline
from regionctl.units import format_duration

HISTORY_SECONDS = 60.0  # the replication sparkline covers the last minute of backend time
SPARK = "▁▂▃▄▅▆▇█"

# (symbol, word, style): status is readable without colour.
LAG_OK = ("✔", "ok", "green")
LAG_BEHIND = ("▲", "behind", "yellow")
LAG_FAR = ("✘", "far behind", "red")
HEALTH = {"up": ("✔", "up", "green"), "down": ("✘", "down", "red"), "isolated": ("⚠", "isolated", "yellow")}
ROLE = {"leader": "★", "old-leader": "☆", "follower": "·", "replica": "·", "candidate": "?"}
REGION = {"up": ("✔", "green"), "down": ("✘", "red"), "degraded": ("▲", "yellow"), "isolated": ("⚠", "yellow")}


def dur(seconds: float | None) -> str:
    return "-" if seconds is None else format_duration(max(0.0, seconds))


def lag_level(seconds: float) -> tuple[str, str, str]:
    """Thresholds of the status view: under 1 s is streaming, over 10 s is an outage's worth."""
    if seconds >= 10:
        return LAG_FAR
    if seconds >= 1:
        return LAG_BEHIND
    return LAG_OK


def sparkline(values: list[float], width: int = 20) -> str:
    """A fixed-width text sparkline (scaled to the window's max) so it fits in a table cell."""
    if not values:
        return " " * width
    buckets: list[float] = []
    for i in range(width):
        lo = i * len(values) // width
        hi = max(lo + 1, (i + 1) * len(values) // width)
        chunk = values[lo:hi]
        buckets.append(max(chunk) if chunk else 0.0)
    # Scaled to at least one second (the "behind" threshold), so steady streaming lag stays low.
    top = max(*buckets, 1.0)
    return "".join(SPARK[min(len(SPARK) - 1, int(v / top * (len(SPARK) - 1) + 0.5))] for v in buckets)


RATE_WINDOW = 5.0  # seconds of history behind a catch-up rate (one tick's change is too noisy)


@dataclass
class FollowerStats:
    """A follower's recent lag (time, seconds, operations): its sparkline and whether it catches up."""

    history: deque[tuple[float, float, int]] = field(default_factory=deque)  # (time, lag seconds, lag ops)

    def rate(self) -> float:
        """Operations per second the lag shrinks over the last few seconds (negative: it grows)."""
        if len(self.history) < 2:
            return 0.0
        now, _, ops_now = self.history[-1]
        then, _, ops_then = next(h for h in self.history if h[0] >= now - RATE_WINDOW)
        return (ops_then - ops_now) / (now - then) if now > then else 0.0


@dataclass(frozen=True)
class Link:
    """A replication link between two nodes, as the map draws it."""

    a: str
    b: str
    rtt: float
    state: str  # ok | partitioned | one-way | slow | lossy | down
    detail: str = ""


@dataclass(frozen=True)
class SloState:
    """The SLO verdict the header shows."""

    level: str  # ok | at risk | breached
    availability: float
    availability_target: float | None
    burn: float | None  # error budget consumed, as a multiple of the budget
    rto_running: float | None  # seconds since the cause of the outage going on now
    rto: float | None
    rto_target: float | None
    rpo: float
    rpo_target: float | None
    writes_acked: int
    writes_failed: int
    writes_lost: int
    stale_reads: int
    breaches: tuple[str, ...]
    incident: bool = False  # a fault has been injected at some point
    # Client regions that are down: their users' requests fail until traffic is shifted away,
    # whatever the databases do (RTO counts only live clients).
    stranded_clients: tuple[str, ...] = ()
    clients: bool = True  # the backend measures client traffic (RPO, writes lost); real hosts do not
    probes: str = ""  # real hosts with probe writes: what they count so far (lost: once read back)
    rto_unobserved: bool = False  # an outage ended that no live client saw: its RTO is unknown


class DashboardModel:
    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self.followers: dict[str, FollowerStats] = {}
        self.snapshot: Snapshot | None = None
        self.timeline = Timeline()  # the whole run, for the history chart (kept whether it is open or not)
        self._seen_until: float = -1.0
        self._seen_at_edge: set[tuple[str, str]] = set()
        self._pairs = [(a.name, b.name, region_rtt(topology, a.name, b.name)[0])
                       for a, b in combinations(topology.regions, 2)]

    # -- feeding ---------------------------------------------------------------------------
    def update(self, snapshot: Snapshot) -> list[EventView]:
        """Take a new snapshot; return the events not seen before (oldest first)."""
        now = snapshot.time
        for cluster in snapshot.clusters:
            for node in cluster.nodes:
                stats = self.followers.setdefault(node.name, FollowerStats())
                history = stats.history
                if history and now < history[-1][0]:
                    history.clear()  # time went backwards: a new backend
                if not history or now > history[-1][0]:
                    history.append((now, node.lag_seconds, node.lag_ops))
                while history and history[0][0] < now - HISTORY_SECONDS:
                    history.popleft()
        self.snapshot = snapshot
        fresh = self._new_events(snapshot.events)
        self.timeline.add(snapshot, fresh)
        return fresh

    def _new_events(self, events: tuple[EventView, ...]) -> list[EventView]:
        # Events carry no sequence number; time is monotonic, so (time, text) at the edge dedupes.
        fresh = [e for e in events if e.at > self._seen_until
                 or (e.at == self._seen_until and (e.source, e.message) not in self._seen_at_edge)]
        if fresh:
            edge = max(e.at for e in fresh)
            if edge > self._seen_until:
                self._seen_at_edge = set()
                self._seen_until = edge
            self._seen_at_edge |= {(e.source, e.message) for e in fresh if e.at == edge}
        return fresh

    # -- derived views ---------------------------------------------------------------------
    def spark(self, node: str, width: int = 20) -> str:
        stats = self.followers.get(node)
        return sparkline([lag for _, lag, _ in stats.history] if stats else [], width)

    def catch_up(self, node: NodeView) -> str:
        if node.lag_seconds < 1.0 and node.health == "up":
            return "= streaming"
        stats = self.followers.get(node.name)
        rate = stats.rate() if stats else 0.0
        if abs(rate) < 0.5:
            return "= stalled" if node.lag_ops else "= caught up"
        return f"↓ {rate:,.0f}/s" if rate > 0 else f"↑ {-rate:,.0f}/s"

    def links(self) -> list[Link]:
        snap = self.snapshot
        faults = [f.fault for f in snap.faults if f.healed_at is None] if snap else []
        down = {r.name for r in snap.regions if r.status == "down"} if snap else set()
        out = []
        for a, b, rtt in self._pairs:
            state, detail = "ok", ""
            for fault in faults:
                if {fault.a, fault.b} != {a, b}:
                    continue
                if fault.info.effect == "cut":
                    state = "one-way" if fault.one_way else "partitioned"
                    detail = f"{fault.a}→{fault.b} dropped" if fault.one_way else "cut both ways"
                elif fault.info.effect == "slower" and state == "ok":
                    state, detail = "slow", f"+{dur(fault.value)}"
                elif fault.info.effect == "lossy" and state in ("ok", "slow"):
                    state, detail = "lossy", f"{fault.spec.rpartition('=')[2]} of packets lost"
            if a in down or b in down:
                state, detail = "down", f"{a if a in down else b} down"
            out.append(Link(a, b, rtt, state, detail))
        return out

    def slo(self) -> SloState:
        snap = self.snapshot
        metrics = snap.metrics if snap else {}
        slo = self.topology.slo
        measured = metrics.get("availability")
        availability = 1.0 if measured is None else float(measured)  # 0.0 is a figure: down all along
        burn = None
        if slo.availability is not None and slo.availability < 1.0:
            burn = (1.0 - availability) / (1.0 - slo.availability)
        faults = snap.faults if snap else ()
        rto = metrics.get("rto_seconds")
        running = None
        if rto is None and snap is not None:
            # From the cause of the outage going on now (a heal can start one: an old leader demoted),
            # not from the first fault of the session; a backend with no outage clock: the first fault.
            since = [c.outage_since for c in snap.clusters if c.outage_since is not None]
            if since:
                running = snap.time - min(since)
            elif faults and not any(c.books is not None for c in snap.clusters):
                running = snap.time - min(f.at for f in faults)
        rpo = float(metrics.get("rpo_seconds") or 0.0)
        observed_rto = running if running is not None else rto
        # The one judge (contract.report), on the figures so far: an RTO still running counts as elapsed,
        # no RTO yet (no outage) is no breach.
        so_far = {"availability": availability, "rpo_seconds": rpo, "rto_seconds": observed_rto}
        targets = {"availability": slo.availability, "rpo": slo.rpo,
                   "rto": slo.rto if observed_rto is not None else None}
        breaches = [check.name for check in judge_slo(targets, so_far) if not check.ok]
        active = any(f.healed_at is None for f in faults)
        level = "breached" if breaches else "at risk" if active or running is not None else "ok"
        return SloState(level, availability, slo.availability, burn, running, rto, slo.rto, rpo, slo.rpo,
                        int(metrics.get("writes_acked") or 0), int(metrics.get("writes_failed") or 0),
                        int(metrics.get("writes_lost") or 0), int(metrics.get("stale_reads") or 0),
                        tuple(breaches), bool(faults), _stranded(snap), "writes_lost" in metrics,
                        _probes(metrics), running is None and rto is None and any(
                            c.get("outage") == "unobserved" for c in (metrics.get("clusters") or {}).values()))


def _probes(metrics: dict[str, object]) -> str:
    if "probe_writes" not in metrics or "writes_lost" in metrics:
        return ""
    return (f"probe writes: {metrics.get('writes_acked', 0):,} acked, {metrics.get('writes_failed', 0):,} failed, "
            f"{metrics.get('writes_unknown', 0):,} unknown; lost and RPO once read back (at the end of a run)")


def _stranded(snap: Snapshot | None) -> tuple[str, ...]:
    if snap is None:
        return ()
    clients = set((snap.metrics.get("regions") or {}).keys())
    return tuple(sorted(r.name for r in snap.regions if r.status == "down" and r.name in clients))


_EXPECTED_AT = re.compile(r"at t=([0-9.]+)s")


def countdown(election: str, now: float) -> str:
    """`failover expected at t=97.1s` reads better as a countdown."""
    match = _EXPECTED_AT.search(election)
    if not match:
        return election
    left = float(match.group(1)) - now
    return _EXPECTED_AT.sub(f"in {dur(left)}", election)
