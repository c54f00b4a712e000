"""`regionctl lab LAB --check`: perform every step's scripted solution, verify every expectation."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from regionctl.backends.sim_backend import SimBackend
from regionctl.exit_codes import ExitCode
from regionctl.labs.compile import CompiledLab
from regionctl.runbook.executor import RunbookExecutor, RunEvent


async def check_lab(compiled: CompiledLab, *, control: bool = False,
                    on_event: Callable[[RunEvent], None] | None = None,
                    wall_clock: Callable[[], float] = time.perf_counter) -> tuple[ExitCode, dict[str, Any]]:
    lab = compiled.lab
    backend = SimBackend(compiled.topology, seed=lab.seed)
    await backend.advance(lab.warmup)
    executor = RunbookExecutor(backend, compiled.topology, compiled.plan, yes=True, seed=lab.seed,
                               on_event=on_event, wall_clock=wall_clock)
    outcome = await executor.run()
    report = outcome.report
    by_id = {s["id"]: s for s in report["steps"]}
    expectations = []
    for step in lab.steps:
        state = by_id.get(step.id, {})
        expectations.append({"step": step.id, "expect": step.expect, "held": state.get("status") == "ok",
                             "detail": state.get("detail", "")})
    taught = outcome.exit_code == ExitCode.PASSED and all(e["held"] for e in expectations)
    code = ExitCode.PASSED if taught else ExitCode.FAILED
    report.update({"lab": lab.name, "title": lab.title, "control": control, "expectations": expectations,
                   "result": "pass" if taught else "fail", "exit_code": int(code)})
    return code, report
