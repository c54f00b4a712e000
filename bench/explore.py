"""How many schedules per second `regionctl explore` judges: ten-minute drills of a small topology.

  python bench/explore.py [TOPOLOGY]
The exploration itself (search, pool, verdicts) with the local pool at 1 and 2 workers, and beside it, in the
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
from regionctl.explore.objective import parse_objective  # noqa: E402
from regionctl.explore.pool import LocalPool  # noqa: E402
from regionctl.explore.search import explore  # noqa: E402
from regionctl.explore.space import DEFAULT_KINDS, Space  # noqa: E402
from regionctl.loading import load_topology  # noqa: E402

DURATION = 600.0
BUDGET = 800


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "active-passive"
    topology = load_topology(resolve_topology_path(name))
    space = Space.of(topology, DEFAULT_KINDS, DURATION)
    objective = parse_objective(None, None, None, topology.slo.availability)
    print(f"{name}, ten-minute drills, {BUDGET} schedules, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f} before")
    jobs = []
    for workers in (1, 2):
        with LocalPool(topology, DURATION, objective, workers) as pool:
            warm = explore(space, objective, 99, 2 * workers, pool)  # start the workers before the clock
            assert warm.tried
            t0 = time.perf_counter()
            run = explore(space, objective, 1, BUDGET, pool)
            rate = len(run.tried) / (time.perf_counter() - t0)
        jobs = [t.job for t in run.tried]
        best = run.best.verdict.score if run.best else 0
        print(f"  explore, local pool, {workers} worker{'s' if workers > 1 else ' '}         {rate:7.1f} schedules/s"
              f"  (best {best:g} {objective.unit})")
    t0 = time.perf_counter()
    for job in jobs:
        run_drill(topology, list(job.schedule), DURATION, seed=job.seed)
    bare = len(jobs) / (time.perf_counter() - t0)
    print(f"  yardstick: bare run_drill loop, 1 process {bare:7.1f} drills/s     (the same {len(jobs)} schedules)")
    print(f"  load average {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
