"""Dashboard responsiveness, each figure beside a bare Textual app doing the same in the same run.

  .venv/bin/python bench/tui_bench.py [--seconds 10] [--launches 3]

The yardstick is bench/tui_bare.py: a header, a 100-row table whose cells change every tick and a log,
refreshed at 4 Hz, answering space / f / escape / q like the dashboard. The dashboard runs a
100-node, 10-region topology at 4 Hz, headless at 200x60. Printed:
- first frame after launch: a fresh process each (interpreter, imports, topology, first paint); the
  dashboard as `regionctl` launches it on the bundled topology; target <= 1.3x bare
- key to screen for space (pause), f and escape (the fault picker): from the key to the first paint
  that shows its effect; target <= 2x bare and < 50 ms on a quiet machine
- quit after q: from the key to the app's run returning; target < 300 ms
- CPU share at 4 Hz; target <= 2x bare
- the blast-radius preview (fork + 5 simulated minutes on a worker thread) and the cost of applying a snapshot
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

REGIONS = 10
NODES_PER_CLUSTER = 10  # one node per region: 10 clusters x 10 nodes = 100 nodes
SIZE = (200, 60)


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


@dataclass
class Figures:
    first_frame: float = 0.0  # from run start to the first paint, in this process
    cpu: float = 0.0
    frames: int = 0
    keys: dict[str, list[float]] = field(default_factory=dict)
    quit: float = 0.0


async def drive(app: Any, *, paused: Callable[[], bool], picker_open: Callable[[], bool],
                main_open: Callable[[], bool], seconds: float,
                between: Callable[[], Any] | None = None) -> Figures:
    """Run `app` headless and measure it the same way whichever app it is."""
    figures = Figures()
    paints: list[float] = []
    # What each paint showed: a key's effect is timed to the first paint that shows it. (Waiting for the
    # effect and then for a paint would count a second paint whenever the change and its paint come in
    # one turn of the event loop.)
    probes = {"paused": paused, "picker": picker_open, "main": main_open}
    shown_at: list[dict[str, bool]] = []
    display = app._display

    def painted(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None:
            paints.append(time.perf_counter())
            shown_at.append({name: bool(probe()) for name, probe in probes.items()})

    app._display = painted
    started = time.perf_counter()
    task = asyncio.create_task(app.run_async(headless=True, size=SIZE))
    while not paints or app.frames == 0:
        await asyncio.sleep(0.001)
    figures.first_frame = paints[0] - started

    frames0, cpu0, wall0 = app.frames, time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    figures.cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    figures.frames = app.frames - frames0

    async def key_to_screen(key: str, shown: Callable[[], bool], probe: str, want: bool = True) -> float:
        # Pilot.press would wait for the whole app to go idle, which would count the ticks too.
        first = len(paints)
        t0 = time.perf_counter()
        app.simulate_key(key)
        while True:
            showing = [i for i in range(first, len(paints)) if shown_at[i][probe] == want]
            if showing and shown():
                return paints[showing[0]] - t0
            await asyncio.sleep(0.0005)

    figures.keys = {"space (pause/resume)": [], "f (open the fault picker)": [], "escape (close it)": []}
    for i in range(20):
        want = i % 2 == 0
        figures.keys["space (pause/resume)"].append(
            await key_to_screen("space", lambda want=want: paused() == want, "paused", want))  # type: ignore[misc]
        await asyncio.sleep(0.1)
    for _ in range(10):
        figures.keys["f (open the fault picker)"].append(await key_to_screen("f", picker_open, "picker"))
        await asyncio.sleep(0.1)
        figures.keys["escape (close it)"].append(await key_to_screen("escape", main_open, "main"))
        await asyncio.sleep(0.1)
    if between is not None:
        await between()
    t0 = time.perf_counter()
    app.simulate_key("q")
    await task
    figures.quit = time.perf_counter() - t0
    return figures


async def measure_bare(seconds: float) -> Figures:
    from tui_bare import BareApp, BarePicker

    app = BareApp(hz=4.0)
    return await drive(app, paused=lambda: "PAUSED" in str(app.header_content()),
                       picker_open=lambda: isinstance(app.screen, BarePicker),
                       main_open=lambda: not isinstance(app.screen, BarePicker), seconds=seconds)


async def measure_dashboard(seconds: float) -> tuple[Figures, float, list[float]]:
    from regionctl.analysis.reach import forked_predictor
    from regionctl.backends.sim_backend import SimBackend
    from regionctl.tui.app import Dashboard
    from regionctl.tui.screens import FaultPicker
    from regionctl.tui.widgets import TextPanel

    topology = big_topology()
    backend = SimBackend(topology, seed=1)
    app = Dashboard(backend, topology, hz=4.0, predictor=forked_predictor(backend.sim.fork))  # as `regionctl tui`
    apply_costs: list[float] = []
    original = app.apply_snapshot

    def timed(snapshot: Any) -> None:
        t0 = time.perf_counter()
        original(snapshot)
        apply_costs.append(time.perf_counter() - t0)

    app.apply_snapshot = timed  # type: ignore[method-assign]
    preview_seconds = [0.0]

    async def preview() -> None:
        # The picker's preview: the simulation forked and run 5 minutes ahead, on a worker thread.
        for key in ("f", "down", "enter"):
            app.simulate_key(key)
            await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        app.simulate_key("enter")
        while not isinstance(app.screen, FaultPicker) or "What it would reach" not in str(
                app.screen.query_one("#preview").content):
            await asyncio.sleep(0.002)
        preview_seconds[0] = time.perf_counter() - t0
        for _ in range(3):
            app.simulate_key("escape")
            await asyncio.sleep(0.05)
        while app.screen is not app.main:
            await asyncio.sleep(0.01)

    def header() -> str:
        return str(app.main.query_one("#header", TextPanel).content) if app.main else ""

    figures = await drive(app, paused=lambda: "PAUSED" in header(),
                          picker_open=lambda: isinstance(app.screen, FaultPicker),
                          main_open=lambda: app.screen is app.main, seconds=seconds, between=preview)
    return figures, preview_seconds[0], apply_costs


# -- first frame after launch: a fresh process for each, timed from spawn to its first paint ---------------
def first_paint_then_exit() -> None:
    """In the child: every app prints `painted` at its first paint and exits; runs are headless at SIZE."""
    from textual.app import App

    display, run_async = App._display, App.run_async

    def painted(self: Any, screen: Any, renderable: Any) -> None:
        display(self, screen, renderable)
        if renderable is not None and not getattr(self, "_bench_painted", False):
            self._bench_painted = True
            print("painted", flush=True)
            self.exit(0)

    async def headless(self: Any, **_: Any) -> Any:
        return await run_async(self, headless=True, size=SIZE)

    App._display = painted  # type: ignore[method-assign]
    App.run_async = headless  # type: ignore[method-assign]


def child(which: str) -> None:
    first_paint_then_exit()
    if which == "bare":
        from tui_bare import BareApp

        BareApp().run()
    else:  # the path `regionctl` takes with no arguments (bundled topology, simulator)
        import regionctl.cli.tui as cli_tui

        cli_tui._interactive = lambda: True  # the child's stdout is a pipe, not a terminal
        cli_tui.run_dashboard(None, seed=1, speed=1.0, backend="sim", metrics_port=None)


def launch(which: str) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", which], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == "painted":
            elapsed = time.perf_counter() - t0
            break
    else:
        raise SystemExit(f"{which}: the child never painted (exit {proc.wait()})")
    proc.wait()
    return elapsed


def ms(seconds: float) -> str:
    return f"{seconds * 1000:6.1f} ms"


def main(seconds: float, launches: int) -> None:
    # Both children then load bytecode alike (and regionctl its table of dataclass methods), as after
    # `make run`, which runs the same.
    subprocess.run([sys.executable, "-m", "regionctl.precompile"], check=False, stdout=subprocess.DEVNULL)
    bare_launch: list[float] = []
    dash_launch: list[float] = []
    for _ in range(launches):  # interleaved, so a noisy moment hits both
        bare_launch.append(launch("bare"))
        dash_launch.append(launch("dashboard"))
    bare = asyncio.run(measure_bare(seconds))
    dash, preview, apply_costs = asyncio.run(measure_dashboard(seconds))

    print(f"dashboard bench: 100 nodes, 10 regions, 4 Hz, headless {SIZE[0]}x{SIZE[1]}; "
          f"yardstick: a bare Textual app (bench/tui_bare.py) in the same run")
    print(f"{'figure':<38} {'dashboard':>10} {'bare':>10} {'ratio':>7}  target")
    fb, fd = statistics.median(bare_launch), statistics.median(dash_launch)
    print(f"{'first frame after launch (median of ' + str(launches) + ')':<38} {ms(fd):>10} {ms(fb):>10} "
          f"{fd / fb:6.2f}x  <= 1.3x bare")
    print(f"{'first frame after run starts':<38} {ms(dash.first_frame):>10} {ms(bare.first_frame):>10} "
          f"{dash.first_frame / bare.first_frame:6.2f}x")
    for name in dash.keys:
        d, b = statistics.median(dash.keys[name]), statistics.median(bare.keys[name])
        print(f"{'key ' + name:<38} {ms(d):>10} {ms(b):>10} {d / b:6.2f}x  <= 2x bare, < 50 ms (median; "
              f"slowest {max(dash.keys[name]) * 1000:.0f} / {max(bare.keys[name]) * 1000:.0f} ms)")
    print(f"{'quit after q':<38} {ms(dash.quit):>10} {ms(bare.quit):>10} {dash.quit / bare.quit:6.2f}x  "
          f"< 300 ms")
    print(f"{'CPU at 4 Hz, % of one core':<38} {dash.cpu * 100:9.1f}% {bare.cpu * 100:9.1f}% "
          f"{dash.cpu / bare.cpu:6.2f}x  <= 2x bare ({dash.frames} / {bare.frames} frames in {seconds:g} s)")
    print(f"{'blast-radius preview':<38} {ms(preview):>10} {'':>10} {'':>7}  < 300 ms (fork + 5 min, worker)")
    print(f"{'snapshot applied (median per tick)':<38} {ms(statistics.median(apply_costs)):>10}")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each app runs for the CPU figure")
    parser.add_argument("--launches", type=int, default=3, help="fresh processes per app for the first frame")
    parser.add_argument("--child", choices=["bare", "dashboard"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
    else:
        main(args.seconds, args.launches)
