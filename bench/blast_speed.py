"""What a `blast` prediction costs: forking a live simulation and running a fault forward.

  python bench/blast_speed.py
For every bundled topology and each of its regions: the time to fork a simulation at 30 s
(copy.deepcopy with the immutable topology shared) and the whole predict_blast (5 min horizon).
The dashboard's fault picker and the runbook dry-run call predict_blast on demand.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from regionctl.analysis.blast import predict_blast  # noqa: E402
from regionctl.contract.faults import parse_fault  # noqa: E402
from regionctl.data import bundled_topologies  # noqa: E402
from regionctl.model.loader import load_topology  # noqa: E402
from regionctl.sim.simulator import Simulation  # noqa: E402


def main() -> None:
    forks: list[float] = []
    predictions: list[float] = []
    for path in bundled_topologies():
        topology = load_topology(path)
        sim = Simulation(topology, seed=1)
        sim.run_until(30.0)
        t0 = time.perf_counter()
        for _ in range(20):
            sim.fork()
        fork_ms = (time.perf_counter() - t0) / 20 * 1000
        forks.append(fork_ms)
        worst = 0.0
        for region in topology.regions:
            t0 = time.perf_counter()
            predict_blast(sim, [parse_fault(f"region:{region.name}")])
            worst = max(worst, time.perf_counter() - t0)
            predictions.append(time.perf_counter() - t0)
        print(f"{topology.name:16} fork {fork_ms:6.2f} ms   predict_blast (5 min horizon), slowest region "
              f"{worst * 1000:7.1f} ms")
    print(f"median fork {statistics.median(forks):.2f} ms; median predict_blast "
          f"{statistics.median(predictions) * 1000:.1f} ms; slowest {max(predictions) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
