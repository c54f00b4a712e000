"""Run the search's drills on a Dask cluster (`regionctl explore --dask tcp://SCHEDULER:8786`).

The optional extra `regionctl[dask]` brings `distributed`; its workers need regionctl installed (the same
version: they run the very drills a local pool would). The topology, the drill's length and the objective
are scattered to every worker once; each call sends one chunk of (schedule, drill seed) jobs per worker and
gathers the verdicts in the order given, so the findings are those of a local pool for the same seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from regionctl.explore.objective import Objective, Verdict
from regionctl.explore.pool import chunks, run_job
from regionctl.explore.search import Job
from regionctl.model.topology import Topology


class DaskError(RuntimeError):
    """No `distributed`, or no scheduler at the address (one line for `regionctl: --dask: ...`)."""


def _chunk(jobs: list[Job], state: tuple[Topology, float, Objective]) -> list[Verdict]:
    topology, duration, objective = state
    return [run_job(topology, duration, objective, job) for job in jobs]


class DaskPool:
    """An Evaluate (search.Evaluate) backed by a Dask cluster. A context manager: it closes its client."""

    def __init__(self, address: str, topology: Topology, duration: float, objective: Objective,
                 connect_timeout: float = 10.0) -> None:
        try:
            import distributed
        except ImportError:
            raise DaskError("needs the optional extra: pip install 'regionctl[dask]' (distributed)") from None
        try:
            client_class: Any = distributed.Client  # untyped: its calls are Any here
            self.client: Any = client_class(address, timeout=connect_timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise DaskError(f"cannot reach a Dask scheduler at {address}: {exc}") from None
        workers = self.client.scheduler_info().get("workers", {})
        self.workers = max(len(workers), 1)
        self._state = self.client.scatter((topology, duration, objective), broadcast=True)

    def __call__(self, jobs: Sequence[Job]) -> list[Verdict]:
        if not jobs:
            return []
        futures = self.client.map(_chunk, chunks(jobs, self.workers), state=self._state, pure=False)
        return [v for chunk in self.client.gather(futures) for v in chunk]

    def __enter__(self) -> DaskPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()
