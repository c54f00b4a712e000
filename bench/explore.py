"""How many schedules per second `regionctl explore` judges: ten-minute drills of a small topology.

  python bench/explore.py [TOPOLOGY]
The exploration itself (search, pool, verdicts) with the local pool at 1 and 2 workers, on a Dask LocalCluster of
two worker processes (when `distributed` is installed: regionctl[dask]), and beside them, in the
same run, the yardstick: a bare loop of run_drill in this process over the very schedules the exploration
tried (so both pay for the same drills). The issue's target is at least 50 ten-minute drills per second of a
small topology on two cores. Figures only; nothing is asserted (the machine may be shared: the load average
is printed too).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from regionctl.data import resolve_topology_path  # noqa: E402
from regionctl.drill.runner import run_drill  # noqa: E402
from regionctl.explore.objective import Objective, parse_objective  # noqa: E402
from regionctl.explore.pool import LocalPool  # noqa: E402
from regionctl.explore.search import Evaluate, Job, explore  # noqa: E402
from regionctl.explore.space import DEFAULT_KINDS, Space  # noqa: E402
from regionctl.loading import load_topology  # noqa: E402

DURATION = 600.0
BUDGET = 800


def timed(label: str, space: Space, objective: Objective, pool: Evaluate) -> list[Job]:
    warm = explore(space, objective, 99, 4, pool)  # start the workers before the clock
    assert warm.tried
    t0 = time.perf_counter()
    run = explore(space, objective, 1, BUDGET, pool)
    rate = len(run.tried) / (time.perf_counter() - t0)
    best = run.best.verdict.score if run.best else 0
    print(f"  {label} {rate:7.1f} schedules/s  (best {best:g} {objective.unit})")
    return [t.job for t in run.tried]


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "active-passive"
    topology = load_topology(resolve_topology_path(name))
    space = Space.of(topology, DEFAULT_KINDS, DURATION)
    objective = parse_objective(None, None, None, topology.slo.availability)
    print(f"{name}, ten-minute drills, {BUDGET} schedules, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f} before")
    jobs: list[Job] = []
    for workers in (1, 2):
        with LocalPool(topology, DURATION, objective, workers) as pool:
            jobs = timed(f"explore, local pool, {workers} worker{'s' if workers > 1 else ' '}      ", space, objective,
                         pool)
    try:
        from distributed import LocalCluster
    except ImportError:
        print("  explore, Dask: skipped (distributed is not installed: pip install -e '.[dask]')")
    else:
        from regionctl.explore.dask_pool import DaskPool

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                          host="127.0.0.1") as cluster, \
                DaskPool(cluster.scheduler_address, topology, DURATION, objective) as dask_pool:
            timed("explore, Dask LocalCluster, 2 workers", space, objective, dask_pool)
    t0 = time.perf_counter()
    for job in jobs:
        run_drill(topology, list(job.schedule), DURATION, seed=job.seed)
    bare = len(jobs) / (time.perf_counter() - t0)
    print(f"  yardstick: bare run_drill loop, 1 process {bare:7.1f} drills/s     (the same {len(jobs)} schedules)")
    print(f"  load average {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
