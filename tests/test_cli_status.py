"""`regionctl status`: which moment it shows (the same default as the dashboard outside a terminal),
suggestions for a misspelt bundled name, progress on long simulations and a clean Ctrl-C."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import time

from regionctl.cli.sim_progress import run_until_with_progress
from regionctl.contract.faults import parse_fault
from regionctl.data import resolve_topology_path
from regionctl.model.loader import load_topology
from regionctl.sim.simulator import Simulation
from tests.modelhelpers import REGIONCTL, ROOT, invoke, run

# A run the simulator takes seconds over (a partition keeps it busy): long enough to see progress and interrupt.
SLOW = ["status", "hybrid", "--at", "1000h", "--fault", "partition:us-east|eu-west@1m"]


def test_status_says_which_moment_it_shows_and_defaults_to_the_dashboards() -> None:
    shown = invoke("status", "active-passive")
    assert shown.exit_code == 0
    assert shown.stdout.splitlines()[0] == ("simulated moment shown: t=30s after a cold start, seed 1 "
                                            "(the default --at, as the dashboard outside a terminal)")
    assert json.loads(invoke("status", "active-passive", "--json").stdout)["time"] == 30.0
    # Bare `regionctl` outside a terminal shows the same moment, and the same table.
    dashboard = run()
    assert "t=30s, as `regionctl status` shows it" in dashboard.stderr
    assert dashboard.stdout == "\n".join(shown.stdout.splitlines()[1:]) + "\n"
    assert "lag" in shown.stdout and "40ms" in shown.stdout  # lag has built up: not the cold start
    cold = invoke("status", "active-passive", "--at", "0s")
    assert cold.stdout.splitlines()[0] == "simulated moment shown: t=0ms after a cold start, seed 1"


def test_a_misspelt_bundled_name_gets_the_closest_one() -> None:
    result = invoke("status", "activ-passive")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("regionctl: activ-passive: no such file, and no bundled topology of that name; "
                                    "did you mean 'active-passive'?")
    assert "(bundled: active-active, active-passive," in result.stderr


def test_slicing_the_run_for_progress_changes_nothing() -> None:
    topology = load_topology(resolve_topology_path("hybrid"))
    whole, sliced = Simulation(topology, seed=3), Simulation(topology, seed=3)
    for sim in (whole, sliced):
        sim.schedule_fault(parse_fault("region:us-east"), 60.0, 120.0)
    whole.run_until(900.0)
    run_until_with_progress(sliced, 900.0, show=False)
    assert sliced.snapshot(backend="sim").to_status_json() == whole.snapshot(backend="sim").to_status_json()


def _on_a_terminal(args: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    """`regionctl ARGS` with stderr on a pseudo-terminal (stdout a pipe); returns the process and the pty."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([REGIONCTL, *args], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=slave, env={**os.environ, "TERM": "xterm"})
    os.close(slave)
    return proc, master


def _read_until(master: int, needle: bytes, limit: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + limit
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
    return seen


def test_a_long_simulation_shows_progress_on_a_terminal_and_ctrl_c_stops_it_cleanly() -> None:
    proc, master = _on_a_terminal(SLOW)
    try:
        seen = _read_until(master, b"Ctrl-C stops", limit=60)
        assert b"simulating to t=1000h00m" in seen, seen
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
        seen += _read_until(master, b"nothing was changed", limit=5)
    finally:
        proc.kill()
        os.close(master)
    assert proc.returncode == 5  # ExitCode.INTERRUPTED
    assert b"regionctl: interrupted at t=" in seen and b"Traceback" not in seen
    assert out == b""  # no half report


def test_json_shows_no_progress_even_on_a_terminal() -> None:
    proc, master = _on_a_terminal([*SLOW, "--json"])
    try:
        seen = _read_until(master, b"never", limit=2.0)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
        seen += _read_until(master, b"nothing was changed", limit=5)
    finally:
        proc.kill()
        os.close(master)
    assert proc.returncode == 5
    assert seen.decode().strip().startswith("regionctl: interrupted at t=") and b"simulating" not in seen
