"""Shrink a finding to a minimal schedule that still shows it: fewer faults, simpler targets, milder values,
shorter, later. A candidate is kept only when its drill (same drill seed) still breaks the property, or for a
figure being maximised, scores at least as badly; the first candidate kept, in the order below, wins a round.
Greedy and deterministic: the result is a local minimum for these moves."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from regionctl.contract.faults import KINDS, OUTAGE_OF, Fault, ScheduledFault
from regionctl.explore.objective import Objective, Verdict
from regionctl.explore.search import Evaluate, Job
from regionctl.explore.space import FACTORS, LATENCIES, LOSSES, Schedule, Space, normalise

MAX_SHRINK_DRILLS = 300  # per finding
BATCH = 16


def still_shows(objective: Objective, original: Verdict, candidate: Verdict) -> bool:
    if not candidate.violated:
        return False
    return objective.prop is not None or candidate.score >= original.score


def shrink(space: Space, objective: Objective, job: Job, verdict: Verdict, evaluate: Evaluate,
           max_drills: int = MAX_SHRINK_DRILLS) -> tuple[Schedule, Verdict, int]:
    """Returns the shrunk schedule, its verdict and how many drills shrinking took."""
    current, current_verdict, drills = job.schedule, verdict, 0
    tried: set[Schedule] = {current}
    while drills < max_drills:
        candidates = [c for c in dict.fromkeys(candidates_of(space, current)) if c not in tried and space.allows(c)]
        if not candidates:
            break
        accepted = False
        for start in range(0, len(candidates), BATCH):
            chunk = candidates[start:start + BATCH][:max_drills - drills]
            if not chunk:
                break
            verdicts = evaluate([Job(c, job.seed) for c in chunk])
            drills += len(chunk)
            tried.update(chunk)
            for c, v in zip(chunk, verdicts, strict=True):
                if still_shows(objective, verdict, v):
                    current, current_verdict, accepted = c, v, True
                    break
            if accepted:
                break
        if not accepted:
            break
    return current, current_verdict, drills


def candidates_of(space: Space, schedule: Schedule) -> Iterator[Schedule]:
    """Simpler neighbours, simplest change first."""
    items = list(schedule)
    if len(items) > 1:
        for i in range(len(items)):
            yield normalise(tuple(items[:i] + items[i + 1:]))
    for i, item in enumerate(items):
        for fault in simpler_faults(space, item.fault):
            yield _with(items, i, replace(item, fault=fault))
    for i, item in enumerate(items):
        for duration in shorter(space, item):
            yield _with(items, i, replace(item, duration=duration))
    for i, item in enumerate(items):
        for at in later(space, item):
            yield _with(items, i, replace(item, at=at))


def _with(items: list[ScheduledFault], i: int, item: ScheduledFault) -> Schedule:
    return normalise(tuple([*items[:i], item, *items[i + 1:]]))


def simpler_faults(space: Space, fault: Fault) -> Iterator[Fault]:
    """A region down -> one of its zones; a zone -> one of its nodes; both ways -> one way; a milder value."""
    info = KINDS[fault.kind]
    outage = info.effect == "down"
    if outage and info.targets == "region":
        for region, zone in space.zones:
            if region == fault.a:
                yield Fault(OUTAGE_OF["zone"], region, zone)
    elif outage and info.targets == "zone":
        for node, region, zone in space.node_zone:
            if (region, zone) == (fault.a, fault.b):
                yield Fault(OUTAGE_OF["node"], node)
    if info.targets == "pair" and info.one_way and not fault.one_way:
        yield replace(fault, one_way=True)
        yield Fault(fault.kind, fault.b, fault.a, one_way=True, value=fault.value)
    milder = {"duration": LATENCIES, "factor": FACTORS, "percent": LOSSES}.get(info.value)
    if milder is not None:
        for value in milder:
            if value < fault.value:
                yield replace(fault, value=value)
    elif info.value == "skew" and abs(fault.value) > 0.5:
        yield replace(fault, value=fault.value / abs(fault.value) * 0.5)


def shorter(space: Space, item: ScheduledFault) -> Iterator[float]:
    length = item.duration if item.duration is not None else space.duration - item.at
    for value in (int(length) // 2, int(length) * 3 // 4):
        if 1 <= value < length:
            yield float(value)


def later(space: Space, item: ScheduledFault) -> Iterator[float]:
    """A later start, still within the drill's first 80%, that still heals (if it heals) within them."""
    last = space.latest_start - (item.duration if item.duration is not None else 0.0)
    room = int(last - item.at)
    for step in (room // 2, room // 4):
        if step >= 1:
            yield float(item.at + step)
