"""`regionctl exporter` and `drill --metrics-port` as a user runs them: real processes, real scrapes, signals."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from regionctl.contract.faults import parse_scheduled
from regionctl.drill.paced import PacedDrill
from regionctl.drill.runner import run_drill
from regionctl.exporter import MetricsExporter
from tests.exporterhelpers import Family, parse, read_url, scrape, start
from tests.simhelpers import bundled

ROOT = Path(__file__).resolve().parent.parent


def regionctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "regionctl", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)


def scrape_until(url: str, ok: Callable[[dict[str, Family]], object], deadline: float = 20.0) -> dict[str, Family]:
    """Scrape until `ok(families)` holds; the simulation is paced, so the condition comes after a while."""
    end = time.monotonic() + deadline
    while True:
        families = scrape(url)
        if ok(families):
            return families
        assert time.monotonic() < end, "condition never held"
        time.sleep(0.2)


@pytest.fixture
def busy_port() -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock.getsockname()[1]
    sock.close()


def test_exporter_serves_live_values_that_jump_at_a_fault_and_stops_on_sigterm() -> None:
    proc = start("exporter", "topologies/active-passive.yaml", "--port", "0", "--speed", "20",
                 "--fault", "region:us-east@20s")
    try:
        url = read_url(proc.stdout, proc)
        first = scrape(url)
        assert first["regionctl_leader"].value(node="pg-1") == 1.0
        t0 = first["regionctl_backend_time_seconds"].value()
        hit = scrape_until(url, lambda f: f["regionctl_fault_active"].samples)
        assert hit["regionctl_backend_time_seconds"].value() >= 20.0 > t0
        assert hit["regionctl_fault_active"].value(kind="region", target="us-east") == 1.0
        assert hit["regionctl_node_up"].value(node="pg-1") == 0.0
        moved = scrape_until(url, lambda f: f["regionctl_leader"].value(node="pg-3") == 1.0)
        assert moved["regionctl_term"].value(cluster="orders") == 2.0
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    last = out.strip().splitlines()[-1]
    assert last.startswith("regionctl exporter: SIGTERM received after") and "closed" in last


def test_exporter_stops_cleanly_on_ctrl_c() -> None:
    proc = start("exporter", "active-passive", "--port", "0")
    try:
        url = read_url(proc.stdout, proc)
        assert "regionctl_node_up" in scrape(url)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err
    assert "SIGINT received" in out


@pytest.mark.parametrize(("args", "expected"), [
    (["--backend", "ssh"], "node(s) have no `host` to log in to"),  # the bundled topology is for the simulator
    (["--backend", "ssh", "--fault", "region:us-east"], "--fault and --speed are for the simulator"),
    (["--speed", "0"], "--speed: expected a positive factor like 10x"),
    (["--fault", "region:us-eats"], "did you mean 'us-east'"),
    (["--port", "70000"], "70000"),
])
def test_exporter_bad_input_exits_2_in_one_line(args: list[str], expected: str) -> None:
    proc = regionctl("exporter", "active-passive", *args)
    assert proc.returncode == 2
    assert expected in proc.stderr and "Traceback" not in proc.stderr


def test_exporter_port_in_use_exits_2(busy_port: int) -> None:
    proc = regionctl("exporter", "active-passive", "--port", str(busy_port))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"regionctl: cannot serve metrics on 127.0.0.1:{busy_port}: the port is "
                                   "already in use (pick another with --port/--metrics-port)")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_paced_drill_reports_exactly_what_the_drill_reports_at_once() -> None:
    model = bundled("active-passive")
    schedule = [parse_scheduled("region:us-east@60s"), parse_scheduled("node:pg-3@150s+20s")]
    exporter = MetricsExporter()
    clock = FakeClock()
    # 0.25 s wall per tick x 7.3 = 1.825 s simulated: ticks never line up with the simulator's 100 ms
    outcome = PacedDrill(model, schedule, 300.0, 1, 7.3, exporter, clock=clock, sleep=clock.sleep).run()
    assert outcome.result is not None and outcome.stopped_by is None
    paced = dict(outcome.result.report, wall_seconds=0)
    at_once = dict(run_drill(model, schedule, 300.0, seed=1).report, wall_seconds=0)
    assert paced == at_once
    assert clock.now == pytest.approx(300 / 7.3, abs=0.3)  # it really took the paced wall time
    final = parse(exporter.exposition())
    assert final["regionctl_backend_time_seconds"].value() == 300.0
    assert final["regionctl_writes_lost_total"].value(cluster="orders") == \
        at_once["metrics"]["clusters"]["orders"]["writes_lost"]


def test_drill_metrics_port_serves_while_running_and_ctrl_c_exits_5() -> None:
    proc = start("drill", "active-passive", "--fault", "region:us-east@10s", "--duration", "10m",
                 "--metrics-port", "0", "--speed", "20")
    try:
        url = read_url(proc.stderr, proc)
        live = scrape_until(url, lambda f: f["regionctl_fault_active"].samples)
        assert 10.0 <= live["regionctl_backend_time_seconds"].value() < 600.0
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 5 and out == ""
    assert re.search(r"drill interrupted by SIGINT at t=\S+ of 10m00s; no report", err)


def test_drill_metrics_port_prints_the_usual_json_report() -> None:
    proc = regionctl("drill", "active-passive", "--fault", "node:pg-1@20s", "--duration", "1m", "--json",
                     "--metrics-port", "0", "--speed", "240")
    report = json.loads(proc.stdout)  # the URL line went to stderr: stdout stays one JSON document
    assert proc.returncode == report["exit_code"]
    assert report["sim_seconds"] == 60.0 and report["faults"][0]["at"] == 20.0
    assert "metrics at http://127.0.0.1:" in proc.stderr


def test_drill_metrics_options_are_checked(busy_port: int) -> None:
    proc = regionctl("drill", "active-passive", "--speed", "10")
    assert proc.returncode == 2 and "--speed paces a drill served with --metrics-port" in proc.stderr
    proc = regionctl("drill", "active-passive", "--metrics-port", str(busy_port))
    assert proc.returncode == 2 and "already in use" in proc.stderr and "Traceback" not in proc.stderr
