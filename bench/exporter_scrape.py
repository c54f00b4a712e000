"""Exporter cost for a 100-node, 10-region topology (prints figures, asserts nothing).

  python bench/exporter_scrape.py
What a scrape costs (render in-process, and a real HTTP GET over loopback), and what the
tick source pays per snapshot at 4 Hz.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sim_speed import big_topology  # noqa: E402

from regionctl.contract.faults import parse_fault  # noqa: E402
from regionctl.exporter import MetricsExporter, start_metrics_server  # noqa: E402
from regionctl.model.loader import load_topology  # noqa: E402
from regionctl.sim.simulator import Simulation  # noqa: E402


def median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        action()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-100.yaml"
        path.write_text(yaml.safe_dump(big_topology(), sort_keys=False))
        topology = load_topology(path)
    sim = Simulation(topology, seed=1)
    sim.run_until(120)
    sim.inject(parse_fault("region:r0"))
    sim.run_until(300.05)
    exporter = MetricsExporter(sim.snapshot())
    for step in ("fence", "promote", "repoint", "shift-traffic"):
        exporter.runbook_step("failover", step, "ok")
    text = exporter.exposition()
    series = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
    nodes = sum(len(c.nodes) for c in topology.clusters)
    print(f"topology: {nodes} nodes, {len(topology.clusters)} clusters, {len(topology.regions)} regions; "
          f"exposition {len(text.encode()):,} bytes, {series:,} series")
    print(f"snapshot (tick source, 4 per wall second): {median_ms(lambda: sim.snapshot(), 50):.2f} ms median")
    print(f"render /metrics in-process: {median_ms(exporter.exposition, 200):.2f} ms median")
    with start_metrics_server(exporter, 0) as server:
        def get() -> bytes:
            with urllib.request.urlopen(server.url, timeout=5) as response:
                body: bytes = response.read()
                return body

        print(f"HTTP scrape over loopback: {median_ms(get, 200):.2f} ms median")


if __name__ == "__main__":
    main()
