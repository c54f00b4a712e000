"""The search: random schedules first, then mutations of the best, driven by one `random.Random(seed)`.

Schedules are drawn a generation at a time and judged by the evaluator the caller passes in (a process
pool, or a plain loop); the next generation depends only on the verdicts of the previous ones, in the
order drawn, so the same seed and budget give the same findings however many workers judge them. Each
schedule's drill seed is a hash of the exploration seed and the schedule itself.
"""

from __future__ import annotations

import hashlib
import heapq
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from regionctl.explore.objective import Objective, Verdict
from regionctl.explore.space import Schedule, Space, key

GENERATION = 16  # schedules judged together (a pool's batch)
ELITE = 8  # the best schedules mutation starts from
FRESH = 0.2  # share of each later generation drawn at random, so the search does not only dig one hole
DEFAULT_FINDINGS = 3
DEFAULT_BUDGET = 400  # some 3 s on two cores for a small topology's ten-minute drills


@dataclass(frozen=True, slots=True)
class Job:
    schedule: Schedule
    seed: int  # the drill's seed


Evaluate = Callable[[Sequence[Job]], list[Verdict]]


@dataclass(frozen=True, slots=True)
class Tried:
    index: int  # the order drawn
    job: Job
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class Finding:
    found: Tried  # the schedule as the search found it
    schedule: Schedule  # shrunk
    verdict: Verdict  # the shrunk schedule's
    seed: int
    shrink_drills: int


@dataclass
class Exploration:
    objective: Objective
    seed: int
    budget: int
    tried: list[Tried] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    exhausted: bool = False  # every schedule the space offers was tried before the budget ran out
    stopped: bool = False  # the caller stopped it (--time)
    shrink_drills: int = 0  # drills run shrinking, findings dropped as repeats included
    best: Tried | None = None  # the worst schedule so far (by `rank`), kept as the search goes

    def add(self, tried: Tried) -> None:
        self.tried.append(tried)
        if self.best is None or rank(tried) < rank(self.best):
            self.best = tried

    @property
    def held(self) -> bool | None:
        """For a property: True when no schedule broke it; None when maximising a figure."""
        if self.objective.prop is None:
            return None
        return not any(t.verdict.violated for t in self.tried)


def drill_seed(seed: int, schedule: Schedule) -> int:
    """The drill seed of a schedule: the same schedule gets the same seed in any process, in any order."""
    text = f"{seed}/" + ";".join(f"{s}@{a:g}+{d:g}" for s, a, d in (key(x) for x in schedule))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big") & 0x7FFFFFFF


def rank(t: Tried) -> tuple[float, int, int]:
    """Worst first; among equals the fewer faults, then the first drawn."""
    return (-t.verdict.score, len(t.job.schedule), t.index)


def explore(space: Space, objective: Objective, seed: int, budget: int, evaluate: Evaluate,
            on_progress: Callable[[Exploration], None] | None = None,
            should_stop: Callable[[], bool] | None = None) -> Exploration:
    """Judge up to `budget` distinct schedules. `should_stop` is asked between generations (a time limit)."""
    rng = random.Random(seed)
    out = Exploration(objective, seed, budget)
    seen: set[Schedule] = set()
    random_phase = max(GENERATION, budget // 4)
    while len(out.tried) < budget:
        if out.tried and should_stop is not None and should_stop():  # one generation at least: a verdict
            out.stopped = True
            break
        size = min(GENERATION, budget - len(out.tried))
        batch = _generation(space, rng, out, seen, size, fresh_only=len(out.tried) < random_phase)
        if not batch:
            out.exhausted = True
            break
        jobs = [Job(s, drill_seed(seed, s)) for s in batch]
        for job, verdict in zip(jobs, evaluate(jobs), strict=True):
            out.add(Tried(len(out.tried), job, verdict))
        if on_progress is not None:
            on_progress(out)
    return out


def _generation(space: Space, rng: random.Random, out: Exploration, seen: set[Schedule], size: int,
                fresh_only: bool) -> list[Schedule]:
    parents = heapq.nsmallest(ELITE, out.tried, key=rank) if not fresh_only else []
    parents = [p for p in parents if p.verdict.score > 0] or []
    batch: list[Schedule] = []
    misses = 0
    while len(batch) < size and misses < 200:  # 200 repeats in a row: the space is (nearly) used up
        if parents and rng.random() >= FRESH:
            # The best parent most often: an index drawn from a geometric-like law.
            parent = parents[min(int(rng.expovariate(0.7)), len(parents) - 1)]
            candidate = space.mutate(rng, parent.job.schedule)
        else:
            candidate = space.schedule(rng)
        if candidate in seen:
            misses += 1
            continue
        misses = 0
        seen.add(candidate)
        batch.append(candidate)
    return batch


def pick_findings(exploration: Exploration, count: int = DEFAULT_FINDINGS) -> list[Tried]:
    """The worst distinct findings: at most one per set of fault specs (timing variants of one finding are one)."""
    chosen: list[Tried] = []
    kinds: set[frozenset[str]] = set()
    for t in sorted(exploration.tried, key=rank):
        if not t.verdict.violated or len(chosen) >= count:
            continue
        specs = frozenset(x.fault.spec for x in t.job.schedule)
        if specs in kinds:
            continue
        kinds.add(specs)
        chosen.append(t)
    return chosen
