"""From an exploration to its findings: pick the worst distinct schedules, shrink each, drop the repeats,
rank them; and the exploration's JSON report (`regionctl explore --json`). Pure: drills are run by the
evaluator passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from regionctl.contract.faults import ScheduledFault
from regionctl.contract.report import ExploreFault
from regionctl.explore.objective import Objective
from regionctl.explore.scenario import drill_command, scenario_text
from regionctl.explore.search import DEFAULT_FINDINGS, Evaluate, Exploration, Finding, explore, pick_findings
from regionctl.explore.shrink import shrink
from regionctl.explore.space import Space

SPARE = 3


@dataclass(frozen=True, slots=True)
class Settings:
    topology: str  # as given on the command line (a path or a bundled name): what the drill command names
    topology_name: str
    seed: int
    budget: int
    findings: int = DEFAULT_FINDINGS
    bounded: bool = True  # False: no --budget was given and --time bounds the search (`budget` is a ceiling)


def run_exploration(space: Space, objective: Objective, settings: Settings, evaluate: Evaluate,
                    on_progress: Callable[[Exploration], None] | None = None,
                    should_stop: Callable[[], bool] | None = None) -> Exploration:
    out = explore(space, objective, settings.seed, settings.budget, evaluate, on_progress, should_stop)
    shrunk: dict[frozenset[str], Finding] = {}
    # Findings that shrink to the same faults (at other times) are one finding: shrink more candidates, up to
    # SPARE times the count asked for, to find that many distinct ones.
    for found in pick_findings(out, settings.findings * SPARE):
        if len(shrunk) >= settings.findings:
            break
        schedule, verdict, drills = shrink(space, objective, found.job, found.verdict, evaluate)
        out.shrink_drills += drills
        specs = frozenset(x.fault.spec for x in schedule)
        if specs not in shrunk:
            shrunk[specs] = Finding(found, schedule, verdict, found.job.seed, drills)
    out.findings = sorted(shrunk.values(), key=lambda f: (-f.verdict.score, len(f.schedule), f.found.index))
    return out


def faults_json(schedule: tuple[ScheduledFault, ...]) -> list[ExploreFault]:
    return [{"fault": x.fault.spec, "at": x.at, "duration": x.duration} for x in schedule]


def finding_command(settings: Settings, space: Space, finding: Finding, probes: bool = False) -> str:
    return drill_command(settings.topology, finding.schedule, space.duration, finding.seed, probes)


def finding_scenario(settings: Settings, space: Space, objective: Objective, finding: Finding, rank: int) -> str:
    comment = (f"Finding {rank} of `regionctl explore {settings.topology} --seed {settings.seed}` "
               f"({objective.name}): {finding.verdict.score:g} {objective.unit}.\n"
               f"Replay: regionctl drill {settings.topology} --scenario FILE")
    return scenario_text(settings.topology_name, finding.schedule, space.duration, finding.seed, comment,
                         objective.needs_probes)


def finding_session(space: Space, finding: Finding, topology_yaml: str, topology_file: str) -> str:
    """The finding as a dashboard session file (docs/replay.md) that `regionctl replay` opens: its seed, and each
    fault injected and healed at the simulated times of the schedule, as the dashboard would have done."""
    from regionctl.replay.ops import Entry
    from regionctl.replay.sessionfile import dumps, header

    entries = []
    for x in finding.schedule:
        entries.append(Entry(x.at, "inject", fault=x.fault.spec, result=f"injected {x.fault.spec}"))
        if x.heal_at is not None and x.heal_at < space.duration:
            entries.append(Entry(x.heal_at, "heal", fault=x.fault.spec, result=f"healed {x.fault.spec}"))
    entries.sort(key=lambda e: e.t)  # stable: at one moment, in the schedule's order
    lines = [header(finding.seed, topology_yaml, topology_file), *(e.to_json() for e in entries),
             Entry(space.duration, "end").to_json()]
    return "".join(dumps(line) for line in lines)


def report_json(exploration: Exploration, space: Space, settings: Settings, wall_seconds: float,
                scenario_files: dict[int, str] | None = None) -> dict[str, Any]:
    """The `--json` document (contract.report.ExploreReport)."""
    from regionctl.contract.report import ExploreFinding, ExploreReport  # typing_extensions: only for --json

    objective = exploration.objective
    best = exploration.best
    findings = []
    for rank, f in enumerate(exploration.findings, 1):
        entry = ExploreFinding(
            rank=rank, score=f.verdict.score, unit=objective.unit, violated=f.verdict.violated,
            figures=dict(f.verdict.figures), seed=f.seed, faults=faults_json(f.schedule),
            found={"index": f.found.index, "score": f.found.verdict.score, "faults": faults_json(f.found.job.schedule)},
            shrink_drills=f.shrink_drills, command=finding_command(settings, space, f, objective.needs_probes))
        if scenario_files and rank in scenario_files:
            entry["scenario"] = scenario_files[rank]
            entry["session"] = scenario_files[rank].removesuffix(".yaml") + ".session.jsonl"
        findings.append(entry)
    return ExploreReport(
        topology=settings.topology_name, seed=settings.seed, objective=objective.figure, property=objective.prop,
        cluster=objective.cluster, held=exploration.held, sim_seconds=space.duration,
        faults=tuple(str(k) for k in space.kinds), max_faults=space.max_faults,
        max_regions_down=space.max_regions_down, budget=settings.budget if settings.bounded else None,
        tried=len(exploration.tried),
        exhausted=exploration.exhausted, stopped=exploration.stopped, shrink_drills=exploration.shrink_drills,
        best=None if best is None or best.verdict.score <= 0 else {"score": best.verdict.score,
                                                                  "faults": faults_json(best.job.schedule)},
        findings=tuple(findings), wall_seconds=round(wall_seconds, 3),
    ).to_json()
