"""The exploration's pure core (regionctl/explore/): schedules keep the assumptions, drill seeds do not depend
on the order of work, the search is reproducible, a shrunk finding still shows what it was found for and is a
local minimum, and a scenario file reads back to the very schedule it was written from."""

from __future__ import annotations

import random
import shlex
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regionctl.contract.faults import FaultKind, check_targets, parse_scheduled
from regionctl.data import resolve_topology_path
from regionctl.explore.objective import ObjectiveError, Verdict, parse_objective
from regionctl.explore.pool import LocalPool
from regionctl.explore.scenario import drill_command, read_scenario, scenario_text
from regionctl.explore.search import Job, drill_seed, explore, rank
from regionctl.explore.shrink import candidates_of, shrink, still_shows
from regionctl.explore.space import DEFAULT_KINDS, Space, regions_down_at_once
from regionctl.loading import load_topology
from regionctl.model.diagnostics import InputError
from regionctl.model.topology import Topology

NAMES = ("active-passive", "active-active", "hybrid", "single-region")
TOPOLOGIES = {name: load_topology(resolve_topology_path(name)) for name in NAMES}
ALL_KINDS = tuple(FaultKind)


def space_of(name: str, max_faults: int = 3, duration: float = 600.0) -> Space:
    return Space.of(TOPOLOGIES[name], ALL_KINDS, duration, max_faults=max_faults)


def assert_keeps_assumptions(space: Space, topology: Topology, schedule: tuple[object, ...]) -> None:
    assert 1 <= len(schedule) <= space.max_faults
    assert regions_down_at_once(schedule, space.duration) <= space.max_regions_down  # type: ignore[arg-type]
    for item in schedule:
        check_targets(item.fault, topology)  # type: ignore[attr-defined]
        assert 0 <= item.at <= space.latest_start < space.duration  # type: ignore[attr-defined]
        assert item.heal_at is None or item.heal_at <= space.duration  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(NAMES), seed=st.integers(0, 2**32), max_faults=st.integers(1, 4))
def test_drawn_and_mutated_schedules_keep_the_assumptions(name: str, seed: int, max_faults: int) -> None:
    space, rng = space_of(name, max_faults), random.Random(seed)
    schedule = space.schedule(rng)
    for _ in range(10):
        assert_keeps_assumptions(space, TOPOLOGIES[name], schedule)
        schedule = space.mutate(rng, schedule)


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(NAMES), seed=st.integers(0, 2**32))
def test_shrink_candidates_keep_the_assumptions_and_are_simpler(name: str, seed: int) -> None:
    space = space_of(name)
    schedule = space.schedule(random.Random(seed))
    for candidate in candidates_of(space, schedule):
        if space.allows(candidate):
            assert_keeps_assumptions(space, TOPOLOGIES[name], candidate)
        assert len(candidate) <= len(schedule)
        assert candidate != schedule


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), other=st.integers(0, 2**32))
def test_a_drill_seed_depends_on_the_exploration_seed_and_the_schedule_only(seed: int, other: int) -> None:
    space = space_of("active-passive")
    rng = random.Random(other)
    schedules = list(dict.fromkeys(space.schedule(rng) for _ in range(20)))
    a = schedules[0]
    assert drill_seed(seed, a) == drill_seed(seed, tuple(list(a)))  # a fresh copy, any process: the same
    assert all(0 <= drill_seed(seed, s) < 2**31 for s in schedules)
    # Different schedules, or another exploration seed, get different drill seeds (a 31-bit hash: at most a
    # rare collision).
    assert len({drill_seed(seed, s) for s in schedules}) >= len(schedules) - 1
    assert len({drill_seed(s, a) for s in range(seed, seed + 20)}) >= 19


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(NAMES), seed=st.integers(0, 2**32), duration=st.sampled_from((60.0, 600.0, 7200.0)),
       probes=st.booleans())
def test_a_scenario_and_a_drill_command_read_back_to_the_schedule(tmp_path: Path, name: str, seed: int,
                                                                 duration: float, probes: bool) -> None:
    topology = TOPOLOGIES[name]
    space = space_of(name, duration=duration)
    schedule = space.schedule(random.Random(seed))
    path = tmp_path / "scenario.yaml"
    path.write_text(scenario_text(topology.name, schedule, duration, seed % 2**31, "a comment", probes),
                    encoding="utf-8")
    scenario = read_scenario(path, topology)
    assert (scenario.faults, scenario.duration, scenario.seed, scenario.probes) == (schedule, duration,
                                                                                    seed % 2**31, probes)
    words = shlex.split(drill_command(name, schedule, duration, 5))
    specs = [words[i + 1] for i, w in enumerate(words) if w == "--fault"]
    assert tuple(parse_scheduled(s) for s in specs) == schedule
    for item, parsed in zip(schedule, (parse_scheduled(s) for s in specs), strict=True):
        assert (item.at, item.duration, item.fault.value) == (parsed.at, parsed.duration, parsed.fault.value)


def test_a_bad_scenario_names_every_problem_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("topology: active-passive\nseed: -1\nduraton: 10m\nfaults:\n"
                    "  - {fault: \"node:pg-9\", at: 60s}\n  - {fault: \"region:us-east\", at: 60, for: 1m}\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_scenario(path, TOPOLOGIES["active-passive"])
    lines = [d.format() for d in caught.value.diagnostics]
    text = "\n".join(lines)
    assert f"{path}:2:7: seed: expected a whole number" in text
    assert f"{path}:3:1: duraton: unknown field 'duraton'; did you mean 'duration'?" in text
    assert "no node named 'pg-9'; did you mean 'pg-1'?" in text and f"{path}:5:" in text
    assert f"{path}:6:" in text and "faults[1].at" in text and "faults[1].for" in text
    assert all(line.count("\n") == 0 for line in lines)


def test_a_scenario_for_another_topology_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.yaml"
    path.write_text("topology: hybrid\nduration: 10m\nfaults: []\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"other.yaml:1:11: topology: this scenario is for topology 'hybrid'"):
        read_scenario(path, TOPOLOGIES["active-passive"])


def test_unknown_objectives_and_properties_are_one_line_with_a_suggestion() -> None:
    for objective, prop, expected in [("writes-lots", None, "did you mean 'writes-lost'"),
                                      (None, "leader-within:soon", "leader-within:soon"),
                                      (None, "slo:rpoo", "did you mean 'rpo'"),
                                      (None, "consistency:linearisable", "did you mean 'linearizable'"),
                                      ("rpo", "slo", "drop --objective")]:
        with pytest.raises(ObjectiveError, match=expected) as caught:
            parse_objective(objective, prop, None, None)
        assert "\n" not in str(caught.value)


@pytest.mark.parametrize("goal", [("writes-lost", None), (None, "leader-within:40s"), (None, "slo")])
def test_the_same_seed_gives_the_same_search_and_another_seed_another(goal: tuple[str | None, str | None]) -> None:
    topology = TOPOLOGIES["active-passive"]
    space = Space.of(topology, DEFAULT_KINDS, 300.0)
    objective = parse_objective(goal[0], goal[1], None, topology.slo.availability)
    with LocalPool(topology, 300.0, objective, 1) as pool:
        runs = [explore(space, objective, seed, 40, pool) for seed in (3, 3, 4)]
    assert [t.job for t in runs[0].tried] == [t.job for t in runs[1].tried]
    assert [t.verdict for t in runs[0].tried] == [t.verdict for t in runs[1].tried]
    assert [t.job for t in runs[0].tried] != [t.job for t in runs[2].tried]
    assert len(runs[0].tried) == 40 and len({t.job.schedule for t in runs[0].tried}) == 40  # distinct schedules


def test_the_search_does_not_depend_on_how_its_drills_are_run() -> None:
    # An evaluator that judges each generation's jobs in another order (as workers finishing in any order
    # would), and one that judges them one at a time, see the same search as the plain loop.
    topology = TOPOLOGIES["hybrid"]
    space = Space.of(topology, DEFAULT_KINDS, 120.0)
    objective = parse_objective("rto", None, None, topology.slo.availability)
    with LocalPool(topology, 120.0, objective, 1) as pool:
        def backwards(jobs: Sequence[Job]) -> list[Verdict]:
            return list(reversed(pool(list(reversed(jobs)))))

        def singly(jobs: Sequence[Job]) -> list[Verdict]:
            return [v for job in jobs for v in pool([job])]

        runs = [explore(space, objective, 2, 48, evaluate) for evaluate in (pool, backwards, singly)]
    assert runs[0].tried == runs[1].tried == runs[2].tried
    assert runs[0].best == min(runs[0].tried, key=rank)


def test_a_shrunk_finding_still_shows_and_no_simpler_neighbour_does() -> None:
    topology = TOPOLOGIES["active-passive"]
    space = Space.of(topology, DEFAULT_KINDS, 300.0)
    objective = parse_objective(None, "no-writes-lost", "orders", topology.slo.availability)
    with LocalPool(topology, 300.0, objective, 1) as pool:
        run = explore(space, objective, 11, 64, pool)
        found = [t for t in run.tried if t.verdict.violated][:2]
        assert found, "async orders lose writes to some schedule of 64"
        for t in found:
            schedule, verdict, drills = shrink(space, objective, t.job, t.verdict, pool, max_drills=10_000)
            assert still_shows(objective, t.verdict, verdict) and len(schedule) <= len(t.job.schedule)
            assert pool([Job(schedule, t.job.seed)]) == [verdict]  # the shrunk verdict is its drill's
            neighbours = [c for c in candidates_of(space, schedule) if space.allows(c)]
            verdicts = pool([Job(c, t.job.seed) for c in neighbours])
            assert not any(still_shows(objective, t.verdict, v) for v in verdicts)
            assert drills >= len(neighbours)


def fake_report(lost: int, rto: float | None, outage: str, failed: list[str], availability: float) -> dict[str, object]:
    cluster = {"writes_lost": lost, "rpo_seconds": 0.5 if lost else 0.0, "rto_seconds": rto, "outage": outage,
               "split_brain_seconds": 0.0, "availability": availability}
    metrics = {**cluster, "clusters": {"orders": cluster}}
    slo = [{"name": n, "ok": n not in failed} for n in ("availability", "rpo", "rto")]
    return {"metrics": metrics, "slo": slo, "sim_seconds": 600.0, "consistency": None}


@settings(max_examples=200, deadline=None)
@given(lost=st.integers(0, 50), rto=st.one_of(st.none(), st.floats(0, 600)),
       outage=st.sampled_from(("none", "recovered", "ongoing", "unobserved")),
       failed=st.lists(st.sampled_from(("availability", "rpo", "rto")), unique=True),
       availability=st.floats(0.5, 1.0), limit=st.floats(1, 300))
def test_each_property_is_broken_exactly_when_it_says(lost: int, rto: float | None, outage: str, failed: list[str],
                                                      availability: float, limit: float) -> None:
    report = fake_report(lost, rto, outage, failed, availability)
    assert parse_objective(None, "no-writes-lost", None, None).judge(report).violated == (lost > 0)
    assert parse_objective(None, "slo", None, None).judge(report).violated == bool(failed)
    for name in ("availability", "rpo", "rto"):
        assert parse_objective(None, f"slo:{name}", None, None).judge(report).violated == (name in failed)
    recovery = rto if rto is not None else (600.0 if outage == "ongoing" else 0.0)
    verdict = parse_objective(None, f"leader-within:{limit}s", None, None).judge(report)
    assert verdict.violated == (recovery > limit) and verdict.score == round(recovery, 6)
    burn = parse_objective("slo-burn", None, "orders", 0.99).judge(report)
    assert burn.score == pytest.approx((1 - availability) / 0.01, abs=1e-5)
    assert burn.violated == (burn.score > 0)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=True),
                    st.sampled_from(("60s", "10m", "-1s", "soon", "region:us-east", "node:pg-1", "latency:a|b=1s",
                                     "active-passive", "")), st.text(max_size=8))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.sampled_from(("fault", "at", "duration",
                                                                                         "x")), inner, max_size=3)),
                      max_leaves=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(st.sampled_from(("topology", "seed", "duration", "probes", "faults", "fautls")), VALUES,
                            max_size=5))
def test_any_scenario_file_is_read_or_refused_with_one_line_problems(tmp_path: Path, data: dict[str, object]) -> None:
    import json

    path = tmp_path / "any.yaml"
    path.write_text(json.dumps(data, allow_nan=True) if data else "{}", encoding="utf-8")  # JSON is YAML
    try:
        scenario = read_scenario(path, TOPOLOGIES["active-passive"])
    except InputError as exc:
        assert exc.diagnostics
        for d in exc.diagnostics:
            assert d.file == str(path) and d.line >= 1 and d.col >= 1 and "\n" not in d.format()
    else:
        assert scenario.duration >= 0 and all(x.at <= scenario.duration for x in scenario.faults)
