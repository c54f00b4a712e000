"""`regionctl lab LAB --check`: perform every step's scripted solution, verify every expectation."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from regionctl.backends.sim_backend import SimBackend
from regionctl.contract.report import Expectation, RunReport
from regionctl.exit_codes import ExitCode
from regionctl.labs.compile import CompiledLab
from regionctl.runbook.executor import RunbookExecutor, RunEvent


async def check_lab(compiled: CompiledLab, *, control: bool = False,
                    on_event: Callable[[RunEvent], None] | None = None,
                    wall_clock: Callable[[], float] = time.perf_counter) -> tuple[ExitCode, RunReport]:
    lab = compiled.lab
    backend = SimBackend(compiled.topology, seed=lab.seed)
    await backend.advance(lab.warmup)
    executor = RunbookExecutor(backend, compiled.topology, compiled.plan, yes=True, seed=lab.seed,
                               on_event=on_event, wall_clock=wall_clock)
    outcome = await executor.run()
    by_id = {s.id: s for s in outcome.typed.steps}
    expectations = []
    for step in lab.steps:
        state = by_id.get(step.id)
        expectations.append(Expectation(step.id, step.expect, state is not None and state.status == "ok",
                                        state.detail if state is not None else ""))
    taught = outcome.exit_code == ExitCode.PASSED and all(e.held for e in expectations)
    code = ExitCode.PASSED if taught else ExitCode.FAILED
    report = dataclasses.replace(outcome.typed, lab=lab.name, title=lab.title, control=control,
                                 expectations=tuple(expectations), result="pass" if taught else "fail",
                                 exit_code=int(code))
    return code, report
