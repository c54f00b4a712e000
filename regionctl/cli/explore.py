"""`regionctl explore TOPOLOGY`: search fault schedules for the worst outcome, shrink it, hand back a drill."""

from __future__ import annotations

import sys
from typing import Any

import click

EXAMPLE = """\b
Examples:
  regionctl explore active-passive                      find acknowledged writes lost (async)
  regionctl explore single-region --cluster orders --property no-writes-lost
                                                        held: the synchronous standby loses nothing
  regionctl explore active-passive --property leader-within:45s --out findings/
  regionctl drill active-passive --scenario findings/finding-1.yaml   replay a finding
  regionctl replay findings/finding-1.session.jsonl                   in the dashboard's replay

\b
Objectives (--objective, maximised): writes-lost, rpo, rto, slo-burn, split-brain.
Properties (--property, a finding is a schedule that breaks it): no-writes-lost, slo,
slo:NAME (availability, rpo, rto, write_latency_p99, read_latency_p99),
leader-within:DURATION, consistency (each cluster's promised model), consistency:MODEL.

\b
Exit codes: 0 nothing found (a property held after the budget), 1 a finding,
2 invalid input.
"""


@click.command(epilog=EXAMPLE)
@click.argument("topology")
@click.option("--objective", metavar="NAME", help="The figure to maximise (default writes-lost).")
@click.option("--property", "prop", metavar="P", help="A property to break instead (see below).")
@click.option("--cluster", metavar="NAME", help="Judge this cluster's figures only (default: the whole estate).")
@click.option("--budget", type=click.IntRange(1, 10_000_000), metavar="N",
              help="Schedules to try (default 400; with --time alone, no limit but the time).")
@click.option("--time", "time_limit", metavar="D", help="Stop trying new schedules after this wall time (30s, 5m). "
              "What is found then depends on the machine's speed: use --budget for a reproducible run.")
@click.option("--faults", "kinds", metavar="KINDS",
              help="Fault kinds to draw, comma-separated (default: node,region,zone,partition,latency,slow,pause).")
@click.option("--max-faults", type=click.IntRange(1, 20), metavar="K",
              help="Most faults in one schedule (default: the topology's assumptions.max_faults, 2).")
@click.option("--max-regions-down", type=click.IntRange(0, 100), metavar="N",
              help="Assumption kept by every schedule: at most N regions down at once (default: the topology's "
                   "assumptions.max_regions_down, 1).")
@click.option("--duration", default="10m", show_default=True, help="Simulated length of each drill.")
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed and budget, same findings.")
@click.option("--findings", "count", default=3, show_default=True, type=click.IntRange(1, 100), metavar="N",
              help="Distinct findings to shrink and report.")
@click.option("--workers", type=click.IntRange(1, 512), metavar="N",
              help="Processes running drills (default: the machine's cores). Does not change the findings.")
@click.option("--dask", "dask_address", metavar="ADDRESS",
              help="Run the drills on a Dask cluster instead (tcp://SCHEDULER:8786; needs regionctl[dask] here and "
                   "regionctl on its workers). Same seed and budget, same findings.")
@click.option("--json", "as_json", is_flag=True, help="Print the exploration as JSON (docs/explore.md).")
@click.option("--junit", type=click.Path(dir_okay=False), metavar="FILE",
              help="Also write JUnit XML: one case that fails when a schedule broke the property.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Write each finding as DIR/finding-N.yaml, a scenario `regionctl drill --scenario` replays, and "
                   "DIR/finding-N.session.jsonl, a session `regionctl replay` opens in the dashboard's replay.")
def explore(topology: str, objective: str | None, prop: str | None, cluster: str | None, budget: int | None,
            time_limit: str | None, kinds: str | None, max_faults: int | None, max_regions_down: int | None,
            duration: str, seed: int, count: int, workers: int | None, dask_address: str | None, as_json: bool,
            junit: str | None, out_dir: str | None) -> None:
    """Search fault schedules against the simulated TOPOLOGY for the worst outcome.

    Each schedule (faults, their targets, start times and durations) runs as a seeded
    drill. Random schedules come first, then mutations of those that scored worst.
    Every finding is shrunk (fewer faults, simpler targets, shorter, later) to a
    minimal schedule that still shows it, and handed back as a `regionctl drill`
    command and, with --out, a scenario file that replays it byte for byte.

    TOPOLOGY is a path or a bundled name. Schedules keep the topology's assumptions
    (its `assumptions:` section, or the options): at most --max-faults faults and
    --max-regions-down regions down at once.
    """
    import os
    import random
    import time

    from regionctl.cli.common import duration_or_exit, fail, load_topology_or_exit
    from regionctl.explore.findings import Settings, report_json
    from regionctl.explore.objective import ObjectiveError, parse_objective
    from regionctl.explore.search import DEFAULT_BUDGET
    from regionctl.explore.space import EmptySpace, Space

    started = time.perf_counter()
    model, topology_path = load_topology_or_exit(topology)
    total = duration_or_exit("--duration", duration)
    if total < 1:
        fail(f"--duration: expected at least 1s for a drill to explore, found {duration}")
    wall = duration_or_exit("--time", time_limit) if time_limit is not None else None
    try:
        goal = parse_objective(objective, prop, cluster, model.slo.availability)
    except ObjectiveError as exc:
        fail(str(exc))
    clusters = [c.name for c in model.clusters]
    if cluster is not None and cluster not in clusters:
        from regionctl.model.suggest import did_you_mean

        fail(f"--cluster: no cluster named {cluster!r}{did_you_mean(cluster, clusters)} (have: {', '.join(clusters)})")
    if goal.figure == "anomalies" and not goal.model:
        promising = [c.name for c in model.clusters if c.consistency is not None and cluster in (None, c.name)]
        if not promising:
            where = f"cluster {cluster} promises no" if cluster else f"no cluster of {model.name} promises a"
            fail(f"--property consistency: {where} consistency model (a cluster's `consistency:`); "
                 f"name the model to hold it to, e.g. consistency:linearizable")
    if wall is not None and wall <= 0:
        fail(f"--time: expected a time above 0s, found {time_limit}")
    _check_writable(out_dir, junit)
    assumed = model.assumptions
    space = Space.of(model, _kinds_or_exit(kinds), total,
                     max_faults if max_faults is not None else assumed.max_faults,
                     max_regions_down if max_regions_down is not None else assumed.max_regions_down)
    if not space.kinds:
        fail(f"--faults: none of these kinds names anything in {model.name}")
    try:
        space.schedule(random.Random(seed))  # a space with nothing in it is bad input, not an endless search
    except EmptySpace as exc:
        fail(f"--faults: {exc}")
    settings = Settings(topology, model.name, seed, budget or (10**9 if wall is not None else DEFAULT_BUDGET), count,
                        bounded=budget is not None or wall is None)
    should_stop = (lambda: time.perf_counter() - started > wall) if wall is not None else None
    if dask_address is not None and workers is not None:
        fail("--dask: the cluster's workers run the drills; drop --workers")
    # The search is reproducible from here: the seed, the budget and the space decide every schedule.
    exploration = _interruptible(lambda guard: _explore(dask_address, model, total, goal,
                                                        workers or os.cpu_count() or 1, space, settings,
                                                        settings.bounded, should_stop, guard))
    files = _write_findings(out_dir, exploration, space, settings, topology_path) if out_dir else {}
    report = report_json(exploration, space, settings, time.perf_counter() - started, files)
    if junit:
        from regionctl.cli.explore_view import write_junit

        write_junit(report, junit)
    if as_json:
        from regionctl.cli.common import print_json

        print_json(report)
    else:
        from regionctl.cli.explore_view import print_exploration

        print_exploration(report)
    from regionctl.exit_codes import ExitCode

    sys.exit(int(ExitCode.FAILED if exploration.findings else ExitCode.PASSED))


def _explore(address: str | None, model: Any, total: float, goal: Any, workers: int, space: Any, settings: Any,
             bounded: bool, should_stop: Any, guard: Any) -> Any:
    from regionctl.cli.explore_view import progress
    from regionctl.explore.findings import run_exploration

    with _pool_or_exit(address, model, total, goal, workers) as pool, \
            progress(settings.budget if bounded else None, goal) as on_progress:
        return run_exploration(space, goal, settings, guard(pool), on_progress, should_stop)


def _interruptible(work: Any) -> Any:
    """Ctrl-C or SIGTERM is exit 5 (INTERRUPTED) with one line, not click's "Aborted!" and exit 1 (as `drill`).

    The signal only raises a flag; the evaluator `work` is handed (through `guard`) stops at its next batch of
    drills. Raised at any moment instead, KeyboardInterrupt could land inside the process pool's own locks and
    leave its shutdown waiting for ever. A batch takes a fraction of a second."""
    import signal

    from regionctl.cli.common import fail
    from regionctl.exit_codes import ExitCode

    stop: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        stop.append(signum)

    def guard(evaluate: Any) -> Any:
        def guarded(jobs: Any) -> Any:
            if stop:
                raise KeyboardInterrupt
            return evaluate(jobs)
        return guarded

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return work(guard)
    except KeyboardInterrupt:
        fail("interrupted; no report (the drills are simulated: nothing to roll back)", ExitCode.INTERRUPTED)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _pool_or_exit(address: str | None, model: Any, total: float, goal: Any, workers: int) -> Any:
    from regionctl.cli.common import fail
    from regionctl.explore.pool import LocalPool

    if address is None:
        return LocalPool(model, total, goal, workers)
    from regionctl.explore.dask_pool import DaskError, DaskPool

    try:
        return DaskPool(address, model, total, goal)
    except DaskError as exc:
        fail(f"--dask: {exc}")


def _kinds_or_exit(text: str | None) -> tuple[Any, ...]:
    from regionctl.cli.common import fail
    from regionctl.contract.faults import FAULT_KINDS, FaultKind
    from regionctl.explore.space import DEFAULT_KINDS
    from regionctl.model.suggest import did_you_mean

    if text is None:
        return DEFAULT_KINDS
    out = []
    for name in (part.strip() for part in text.split(",")):
        if name not in FAULT_KINDS:
            fail(f"--faults: unknown fault kind {name!r}{did_you_mean(name, FAULT_KINDS)} (expected a "
                 f"comma-separated list of {', '.join(FAULT_KINDS)})")
        if FaultKind(name) not in out:
            out.append(FaultKind(name))
    return tuple(out)


def _write_findings(out_dir: str, exploration: Any, space: Any, settings: Any, topology_path: Any) -> dict[int, str]:
    """DIR/finding-N.yaml (a scenario for `drill --scenario`) and DIR/finding-N.session.jsonl (`replay`)."""
    from pathlib import Path

    from regionctl.cli.common import fail
    from regionctl.explore.findings import finding_scenario, finding_session

    files = {}
    try:
        topology_yaml = Path(topology_path).read_text(encoding="utf-8")
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        for rank, finding in enumerate(exploration.findings, 1):
            path = Path(out_dir) / f"finding-{rank}.yaml"
            path.write_text(finding_scenario(settings, space, exploration.objective, finding, rank), encoding="utf-8")
            session = Path(out_dir) / f"finding-{rank}.session.jsonl"
            session.write_text(finding_session(space, finding, topology_yaml, settings.topology), encoding="utf-8")
            files[rank] = str(path)
    except OSError as exc:
        fail(f"--out {out_dir}: {exc.strerror or exc}")
    return files


def _check_writable(out_dir: str | None, junit: str | None) -> None:
    """--out and --junit are checked before the search: a search is not thrown away for want of a folder."""
    import os
    from pathlib import Path

    from regionctl.cli.common import fail

    if out_dir is not None:
        try:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail(f"--out {out_dir}: {exc.strerror or exc}")
        if not os.access(out_dir, os.W_OK):
            fail(f"--out {out_dir}: not writable")
    if junit is not None:
        parent = Path(junit).resolve().parent
        if not parent.is_dir() or not os.access(parent, os.W_OK):
            fail(f"--junit {junit}: cannot write there (no such folder, or not writable)")
