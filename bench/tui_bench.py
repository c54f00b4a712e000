"""Dashboard responsiveness at scale (headless driver): a 100-node, 10-region topology
refreshing at 4 Hz. Prints first-frame time, key-to-screen latency and CPU share.

Targets (issue 6): first frame < 1 s, key-to-screen < 100 ms, < 30% of one core.
Run: .venv/bin/python bench/tui_bench.py [--seconds 10]
"""

from __future__ import annotations

import time

PROCESS_START = time.perf_counter()  # first thing: the imports below count towards the first frame

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

REGIONS = 10
NODES_PER_CLUSTER = 10  # one node per region: 10 clusters x 10 nodes = 100 nodes


def big_topology() -> Any:
    from regionctl.model.topology import Topology

    regions = [f"region-{i:02d}" for i in range(REGIONS)]
    clusters = []
    traffic = []
    for c in range(REGIONS):
        nodes = [{"name": f"db{c}-{r}", "region": regions[(c + r) % REGIONS],
                  "role": "leader" if r == 0 else "follower"} for r in range(NODES_PER_CLUSTER)]
        clusters.append({"name": f"db{c}", "engine": "postgres-patroni", "replication": {"mode": "async"},
                         "nodes": nodes})
        traffic.append({"from": regions[c], "cluster": f"db{c}", "writes_per_s": 100, "reads_per_s": 500})
    return Topology.model_validate({
        "name": "bench-100", "kind": "active-passive", "regions": [{"name": r} for r in regions],
        "clusters": clusters, "traffic": traffic, "slo": {"availability": "99.95%", "rto": "60s"},
        "tenants": [{"name": f"t{c}", "model": "silo", "clusters": [f"db{c}"]} for c in range(REGIONS)],
    })


async def main(seconds: float) -> None:
    from regionctl.analysis.reach import forked_predictor
    from regionctl.backends.sim_backend import SimBackend
    from regionctl.tui.app import Dashboard
    from regionctl.tui.screens import FaultPicker
    from regionctl.tui.widgets import TextPanel

    topology = big_topology()
    started = time.perf_counter()
    backend = SimBackend(topology, seed=1)
    app = Dashboard(backend, topology, hz=4.0, predictor=forked_predictor(backend.sim.fork))  # as `regionctl tui`
    apply_costs: list[float] = []
    original = app.apply_snapshot

    def timed(snapshot: Any) -> None:
        t0 = time.perf_counter()
        original(snapshot)
        apply_costs.append(time.perf_counter() - t0)

    app.apply_snapshot = timed  # type: ignore[method-assign]
    paints: list[float] = []
    display = app._display

    def painted(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None:
            paints.append(time.perf_counter())

    app._display = painted  # type: ignore[method-assign]
    async with app.run_test(headless=True, size=(200, 60)) as pilot:
        while not paints or app.frames == 0:
            await asyncio.sleep(0.001)
        first_frame = paints[0] - started
        since_start = paints[0] - PROCESS_START
        header = app.query_one("#header", TextPanel)

        # CPU share while the dashboard just runs at 4 Hz.
        frames0, cpu0, wall0 = app.frames, time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
        frames = app.frames - frames0

        # Key to screen: from the key event to the first screen update that shows its effect.
        # (Pilot.press also waits for the whole process to go idle, which would count the ticks.)
        async def key_to_screen(key: str, shown: Callable[[], bool]) -> float:
            t0 = time.perf_counter()
            app.simulate_key(key)
            while not shown():
                await asyncio.sleep(0.0005)
            seen = time.perf_counter()
            while not paints or paints[-1] < seen:
                await asyncio.sleep(0.0005)
            return paints[-1] - t0

        latencies: dict[str, list[float]] = {"space (pause/resume)": [], "f / escape (fault picker)": []}
        for i in range(20):
            want = "PAUSED" if i % 2 == 0 else "running"
            latencies["space (pause/resume)"].append(
                await key_to_screen("space", lambda want=want: want in str(header.content)))  # type: ignore[misc]
            await asyncio.sleep(0.1)
        for _ in range(10):
            latencies["f / escape (fault picker)"].append(
                await key_to_screen("f", lambda: isinstance(app.screen, FaultPicker)))
            await asyncio.sleep(0.1)
            latencies["f / escape (fault picker)"].append(
                await key_to_screen("escape", lambda: app.screen is app.main))
            await asyncio.sleep(0.1)
        # The picker's preview: the simulation forked and run 5 minutes ahead, on a worker thread.
        await pilot.press("f", "down", "enter")
        t0 = time.perf_counter()
        await pilot.press("enter")
        preview = app.screen.query_one("#preview")
        while "What it would reach" not in str(preview.content):
            await asyncio.sleep(0.005)
        preview_seconds = time.perf_counter() - t0
        await pilot.press("escape", "escape", "escape")
        await pilot.pause()

    nodes = sum(len(c.nodes) for c in topology.clusters)
    print(f"dashboard bench: {nodes} nodes, {len(topology.regions)} regions, 4 Hz, headless 200x60")
    print(f"first frame                {first_frame * 1000:7.0f} ms after the app starts, "
          f"{since_start * 1000:.0f} ms after the process started (imports included; target < 1000 ms)")
    for name, values in latencies.items():
        values.sort()
        p95 = values[int(len(values) * 0.95) - 1]
        print(f"key to screen, {name:<26} median {statistics.median(values) * 1000:5.1f} ms, "
              f"p95 {p95 * 1000:5.1f} ms   (target < 100 ms)")
    print(f"blast-radius preview       {preview_seconds * 1000:7.0f} ms (fork + 5 min simulated, worker thread)")
    print(f"CPU while running          {cpu * 100:7.1f} % of one core over {seconds:g}s, {frames} frames "
          f"(target < 30%)")
    print(f"snapshot applied in        {statistics.median(apply_costs) * 1000:7.1f} ms median per tick "
          f"(diff and widget updates; the repaint follows)")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    asyncio.run(main(parser.parse_args().seconds))
