"""What checking a 10-minute drill's probe history costs (issue 21: under 5 s for ~100,000 operations).

  python bench/check_speed.py
The simulator runs active-passive for 10 minutes with probe sessions (4 per region and cluster, one
operation every 50 ms on average) and us-east going down at 5 min; its history (about 100,000
operations) is written as JSONL, read back, and checked against every model. Beside each figure: a
bare Python loop over the same operations (one dict update per operation), the floor any checker
written in Python stands on, and the linearizability search budget used. Wall and CPU seconds are
both printed: the machine may be shared.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from regionctl.consistency import DEFAULT_BUDGET, Fault, check, from_records  # noqa: E402
from regionctl.consistency.files import read_history, write_history  # noqa: E402
from regionctl.contract.faults import parse_fault  # noqa: E402
from regionctl.data import bundled_topologies  # noqa: E402
from regionctl.model.loader import load_topology  # noqa: E402
from regionctl.sim.history import ProbeSettings  # noqa: E402
from regionctl.sim.simulator import Simulation  # noqa: E402

TARGET_SECONDS = 5.0
MODELS = ("linearizable", "session", "causal")


def drill_history() -> tuple[list[dict[str, object]], float]:
    path = next(p for p in bundled_topologies() if p.stem == "active-passive")
    sim = Simulation(load_topology(path), seed=1)
    probes = sim.enable_probes(ProbeSettings(sessions=4, interval=0.05))
    sim.schedule_fault(parse_fault("region:us-east"), 300.0, None)
    t0 = time.perf_counter()
    sim.run_until(600.0)
    return probes.drain(), time.perf_counter() - t0


def bare_loop(history: object) -> float:
    ops = history.operations  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    last: dict[tuple[str, str], object] = {}
    for op in ops:
        last[op.object] = op.value
    return time.perf_counter() - t0


def main() -> None:
    records, sim_seconds = drill_history()
    history = from_records(records, [Fault("region:us-east", 300.0)])
    n = len(history.operations)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.jsonl"
        write_history(path, history)
        t0 = time.perf_counter()
        history = read_history(path)
        read_seconds = time.perf_counter() - t0
    floor = min(bare_loop(history) for _ in range(5))
    keys = len({op.object for op in history.operations})
    sessions = len({op.session for op in history.operations})
    print(f"active-passive, 10 min, region:us-east at 5 min: {n:,} operations on {keys} keys from {sessions} "
          f"sessions (simulated in {sim_seconds:.1f}s)")
    print(f"{'read JSONL':24} {read_seconds:6.2f}s  {n / read_seconds:>12,.0f} ops/s")
    print(f"{'bare loop (yardstick)':24} {floor:6.3f}s  {n / floor:>12,.0f} ops/s")
    worst = 0.0
    for model in MODELS:
        t0, c0 = time.perf_counter(), time.process_time()
        result = check(history, model, DEFAULT_BUDGET)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        worst = max(worst, seconds)
        budget = ""
        if result.budget is not None:
            budget = (f"  budget: at most {result.budget_used:,} of {result.budget:,} steps on one key, "
                      f"{result.steps:,} in all")
        print(f"{model:24} {seconds:6.2f}s  {n / seconds:>12,.0f} ops/s  (cpu {cpu:.2f}s) "
              f"{cpu / floor:5.0f}x the loop  {result.verdict}, {result.anomalies_found:,} anomalies{budget}")
    verdict = "met" if worst < TARGET_SECONDS else "MISSED"
    print(f"slowest model {worst:.2f}s for {n:,} operations: target < {TARGET_SECONDS:.0f}s {verdict}")


if __name__ == "__main__":
    main()
