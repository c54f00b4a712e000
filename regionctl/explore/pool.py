"""Run the search's drills: in this process (one worker) or on a local process pool over the machine's cores.

Each worker receives the topology, the drill's length and the objective once (the pool's initializer), then
only (schedule, drill seed) pairs; it sends back the verdict alone, not the whole report. Results come back in
the order the jobs were given, so the search cannot tell one worker from many.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from regionctl.drill.runner import DrillResult, run_drill
from regionctl.explore.objective import Objective, Verdict
from regionctl.explore.search import Job
from regionctl.model.topology import Topology

_STATE: dict[str, Any] = {}


def judged(result: DrillResult, objective: Objective) -> Verdict:
    typed = result.typed
    return objective.judge({"metrics": typed.metrics, "slo": [c.to_json() for c in typed.slo],
                            "sim_seconds": typed.sim_seconds, "consistency": typed.consistency})


def run_job(topology: Topology, duration: float, objective: Objective, job: Job) -> Verdict:
    result = run_drill(topology, list(job.schedule), duration, seed=job.seed, probes=objective.needs_probes)
    return judged(result, objective)


def chunks(jobs: Sequence[Job], workers: int) -> list[list[Job]]:
    """Contiguous chunks, one per worker: few round trips, and the order is kept when they are joined."""
    size = max(1, -(-len(jobs) // workers))
    return [list(jobs[i:i + size]) for i in range(0, len(jobs), size)]


def _init(topology: Topology, duration: float, objective: Objective) -> None:
    import signal

    # Ctrl-C reaches the whole process group: the parent says "interrupted" once, the workers say nothing.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _STATE.update(topology=topology, duration=duration, objective=objective)


def _work(jobs: Sequence[Job]) -> list[Verdict]:
    return [run_job(_STATE["topology"], _STATE["duration"], _STATE["objective"], job) for job in jobs]


class LocalPool:
    """An Evaluate (search.Evaluate): call it with jobs, get their verdicts in order. A context manager."""

    def __init__(self, topology: Topology, duration: float, objective: Objective, workers: int) -> None:
        self.topology, self.duration, self.objective, self.workers = topology, duration, objective, workers
        self._executor: Executor | None = None
        if workers > 1:
            self._executor = ProcessPoolExecutor(workers, initializer=_init, initargs=(topology, duration, objective))

    def __call__(self, jobs: Sequence[Job]) -> list[Verdict]:
        if self._executor is None:
            return [run_job(self.topology, self.duration, self.objective, job) for job in jobs]
        return [v for chunk in self._executor.map(_work, chunks(jobs, self.workers)) for v in chunk]

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
