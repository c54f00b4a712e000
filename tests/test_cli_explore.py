"""`regionctl explore` from the command line, and `regionctl drill --scenario`: the issue's "done when".

On the bundled topologies, within the default budget, it finds acknowledged writes lost under asynchronous
replication and none under synchronous; a property that holds is reported held with the number of schedules
tried; every finding replays byte for byte (its scenario file and its drill command give the JSON report of
the finding's own run); one worker or two give the same findings for the same seed."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from regionctl.contract.faults import parse_scheduled
from regionctl.data import resolve_topology_path
from regionctl.drill.runner import run_drill
from regionctl.exit_codes import ExitCode
from regionctl.explore.search import DEFAULT_BUDGET
from regionctl.loading import load_topology

ROOT = Path(__file__).resolve().parent.parent


def regionctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "regionctl", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def explore_json(*args: str) -> tuple[int, dict[str, Any]]:
    proc = regionctl("explore", *args, "--json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def without_wall(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if '"wall_seconds"' not in line)


@pytest.fixture(scope="module")
def async_orders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The default budget against active-passive's asynchronous orders cluster, findings written out."""
    out = tmp_path_factory.mktemp("findings")
    code, report = explore_json("active-passive", "--property", "no-writes-lost", "--cluster", "orders",
                                "--out", str(out))
    assert code == ExitCode.FAILED
    return out, report


def test_async_replication_loses_acknowledged_writes_within_the_default_budget(
        async_orders: tuple[Path, dict[str, Any]]) -> None:
    _, report = async_orders
    assert report["held"] is False and report["tried"] <= DEFAULT_BUDGET
    assert report["findings"]
    for f in report["findings"]:
        assert f["violated"] and f["figures"]["writes_lost"] > 0 and f["score"] == f["figures"]["writes_lost"]
        assert len(f["faults"]) <= len(f["found"]["faults"])  # shrunk: never more faults than found


@pytest.mark.parametrize(("topology", "cluster"), [("single-region", "orders"), ("hybrid", "ledger")])
def test_sync_replication_loses_none_and_the_property_is_reported_held(topology: str, cluster: str,
                                                                      tmp_path: Path) -> None:
    junit = tmp_path / "explore.xml"
    proc = regionctl("explore", topology, "--property", "no-writes-lost", "--cluster", cluster,
                     "--junit", str(junit))
    assert proc.returncode == ExitCode.PASSED, proc.stderr
    assert f"HELD   no-writes-lost (cluster {cluster}) on {topology}: no schedule broke it · " \
           f"{DEFAULT_BUDGET} schedules tried" in proc.stdout
    case = ET.parse(junit).getroot().find("testcase")
    assert case is not None and case.find("failure") is None
    assert f"{DEFAULT_BUDGET} schedules tried" in (case.findtext("system-out") or "")


def test_a_broken_property_fails_its_junit_case(tmp_path: Path) -> None:
    junit = tmp_path / "explore.xml"
    proc = regionctl("explore", "active-passive", "--property", "leader-within:20s", "--budget", "32",
                     "--junit", str(junit))
    assert proc.returncode == ExitCode.FAILED, proc.stderr
    suite = ET.parse(junit).getroot()
    assert suite.get("failures") == "1"
    failure = suite.find("testcase/failure")
    assert failure is not None and "regionctl drill active-passive --fault" in (failure.get("message") or "")


def test_every_finding_replays_byte_for_byte(async_orders: tuple[Path, dict[str, Any]]) -> None:
    out, report = async_orders
    topology = load_topology(resolve_topology_path("active-passive"))
    for f in report["findings"]:
        scenario = Path(f["scenario"])
        assert scenario.parent == out and scenario.is_file()
        replay = regionctl("drill", "active-passive", "--scenario", str(scenario), "--json")
        words = shlex.split(f["command"])
        assert words[:3] == ["regionctl", "drill", "active-passive"]
        by_command = regionctl(*words[1:], "--json")
        schedule = [parse_scheduled(x["fault"] + (f"@{x['at']}s" + (f"+{x['duration']}s" if x["duration"] else "")))
                    for x in f["faults"]]
        own = run_drill(topology, schedule, report["sim_seconds"], seed=f["seed"])
        own_text = json.dumps(own.report, indent=2)
        assert without_wall(replay.stdout) == without_wall(by_command.stdout) == without_wall(own_text)
        assert own.typed.metrics["clusters"]["orders"]["writes_lost"] == f["figures"]["writes_lost"]


def test_every_finding_opens_in_the_dashboards_replay(async_orders: tuple[Path, dict[str, Any]]) -> None:
    # The session file injects and heals at the schedule's times: at the drill's end the replay shows the
    # drill's own leaders, terms and availability.
    _, report = async_orders
    for f in report["findings"]:
        drill = json.loads(regionctl("drill", "active-passive", "--scenario", f["scenario"], "--json").stdout)
        proc = regionctl("replay", f["session"], "--at", f"{report['sim_seconds']}s", "--status", "--json")
        assert proc.returncode == 0, proc.stderr
        status = json.loads(proc.stdout)
        for cluster in status["clusters"]:
            assert cluster["leader"] == drill["leaders"][cluster["name"]]["after"]
            assert cluster["term"] == drill["leaders"][cluster["name"]]["term"]
            assert cluster["availability"] == drill["metrics"]["clusters"][cluster["name"]]["availability"]


def test_a_consistency_finding_replays_with_its_probes_and_anomalies(tmp_path: Path) -> None:
    code, report = explore_json("active-passive", "--property", "consistency:read-your-writes", "--budget", "16",
                                "--findings", "1", "--duration", "2m", "--out", str(tmp_path))
    assert code == ExitCode.FAILED
    finding = report["findings"][0]
    assert finding["command"].endswith(" --history history.jsonl")
    assert "probes: true" in Path(finding["scenario"]).read_text(encoding="utf-8")
    replay = json.loads(regionctl("drill", "active-passive", "--scenario", finding["scenario"], "--json").stdout)
    seen = sum(c["models"]["read-your-writes"]["anomalies"] for c in replay["consistency"].values())
    assert seen == finding["figures"]["anomalies"] == finding["score"] > 0


@pytest.mark.parametrize("goal", [("--objective", "rto"), ("--property", "slo")])
def test_one_worker_or_two_give_the_same_exploration(goal: tuple[str, str]) -> None:
    runs = [regionctl("explore", "active-passive", *goal, "--budget", "96", "--seed", "5", "--workers", n, "--json")
            for n in ("1", "2")]
    assert runs[0].returncode == runs[1].returncode
    assert without_wall(runs[0].stdout) == without_wall(runs[1].stdout)
    assert json.loads(runs[0].stdout)["tried"] == 96


def test_the_text_report_ranks_findings_and_prints_their_drills() -> None:
    proc = regionctl("explore", "active-passive", "--budget", "48", "--findings", "2")
    assert proc.returncode == ExitCode.FAILED, proc.stderr
    assert "FOUND  the worst writes-lost on active-passive · 48 schedules tried" in proc.stdout
    assert "findings, worst first (shrunk)" in proc.stdout
    assert "1. regionctl drill active-passive --fault " in proc.stdout
    assert proc.stderr == ""  # no progress bar outside a terminal


@pytest.mark.parametrize(("args", "message"), [
    (["--objective", "writes-lots"], "regionctl: --objective: unknown objective 'writes-lots'; did you mean"),
    (["--faults", "node,regoin"], "regionctl: --faults: unknown fault kind 'regoin'; did you mean 'region'?"),
    (["--cluster", "order"], "regionctl: --cluster: no cluster named 'order'; did you mean 'orders'?"),
    (["--time", "soon"], "regionctl: --time: expected a duration"),
    (["--property", "leader-within:x"], "regionctl: --property leader-within:x:"),
    (["--faults", "region", "--max-regions-down", "0"], "regionctl: --faults: no schedule of region keeps the"),
    (["--dask", "tcp://127.0.0.1:9", "--workers", "2"], "regionctl: --dask: the cluster's workers run the drills"),
    # No cluster of active-passive promises a model: nothing can break the promise (it used to count the
    # anomalies of every model, found in fault-free drills too).
    (["--property", "consistency"], "regionctl: --property consistency: no cluster of active-passive promises a"),
    (["--property", "leader-within:0s"], "regionctl: --property leader-within:0s: expected a limit above 0s"),
    (["--time", "0s"], "regionctl: --time: expected a time above 0s"),
    # Checked before the search, not after it.
    (["--budget", "100000", "--out", "/proc/regionctl-nope"], "regionctl: --out /proc/regionctl-nope:"),
    (["--budget", "100000", "--junit", "/nonexistent-dir/x.xml"], "regionctl: --junit /nonexistent-dir/x.xml:"),
])
def test_bad_options_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    proc = regionctl("explore", "active-passive", *args)
    assert proc.returncode == ExitCode.INVALID_INPUT
    assert proc.stderr.startswith(message) and proc.stderr.count("\n") == 1 and proc.stdout == ""


def test_a_time_limit_stops_after_a_generation_and_says_so() -> None:
    code, report = explore_json("active-passive", "--time", "1ms", "--budget", "10000")
    assert report["stopped"] and 0 < report["tried"] < 10000 and report["budget"] == 10000
    assert code == (ExitCode.FAILED if report["findings"] else ExitCode.PASSED)
    _, alone = explore_json("active-passive", "--time", "1ms")
    assert alone["stopped"] and alone["budget"] is None  # no budget was set: none is reported


def test_a_topologys_assumptions_bound_every_schedule_and_options_override_them(tmp_path: Path) -> None:
    text = (ROOT / "regionctl/data/topologies/active-passive.yaml").read_text(encoding="utf-8")
    path = tmp_path / "careful.yaml"
    path.write_text(text + "assumptions: {max_regions_down: 0, max_faults: 1}\n", encoding="utf-8")
    _, report = explore_json(str(path), "--objective", "rto", "--budget", "48", "--findings", "1")
    assert (report["max_faults"], report["max_regions_down"]) == (1, 0)
    schedules = [report["best"]["faults"], *(f["found"]["faults"] for f in report["findings"])]
    assert all(len(s) == 1 and not s[0]["fault"].startswith("region:") for s in schedules)
    _, report = explore_json(str(path), "--budget", "16", "--max-faults", "3", "--max-regions-down", "1")
    assert (report["max_faults"], report["max_regions_down"]) == (3, 1)
    path.write_text(text + "assumptions: {max_regions_down: -1}\n", encoding="utf-8")
    proc = regionctl("explore", str(path))
    assert proc.returncode == ExitCode.INVALID_INPUT
    line = text.count("\n") + 1
    assert proc.stderr.startswith(f"{path}:{line}:"), proc.stderr
    assert "assumptions.max_regions_down" in proc.stderr


def test_drill_scenario_refuses_what_the_scenario_sets(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("topology: active-passive\nseed: 3\nduration: 2m\nfaults:\n"
                    "  - {fault: \"region:us-east\", at: 30s}\n", encoding="utf-8")
    for extra, word in [(["--seed", "4"], "seed"), (["--duration", "1m"], "duration"),
                        (["--fault", "node:pg-1"], "faults")]:
        proc = regionctl("drill", "active-passive", "--scenario", str(path), *extra)
        assert proc.returncode == ExitCode.INVALID_INPUT and word in proc.stderr and proc.stderr.count("\n") == 1
    proc = regionctl("drill", "active-passive", "--scenario", str(path), "--json")
    report = json.loads(proc.stdout)
    assert (report["seed"], report["sim_seconds"]) == (3, 120.0)
    assert report["faults"] == [{"spec": "region:us-east", "at": 30.0, "healed_at": None}]
    bad = tmp_path / "bad.yaml"
    bad.write_text("topology: active-passive\nduration: 2m\nfaults:\n  - {fault: \"region:us-wst\"}\n",
                   encoding="utf-8")
    proc = regionctl("drill", "active-passive", "--scenario", str(bad))
    assert proc.returncode == ExitCode.INVALID_INPUT
    assert proc.stderr.startswith(f"{bad}:4:13: faults[0].fault: region:us-wst: no region named 'us-wst'")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_exploration_is_one_line_and_exit_5(sig: signal.Signals) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "regionctl", "explore", "active-passive", "--budget", "10000000",
                             "--workers", "2"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + 120
    # The pool's workers exist once the search has begun, and with it the handlers that turn a signal into exit 5.
    while not children.read_text().split() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)  # Ctrl-C reaches the whole process group, the workers too
    else:
        proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert err == "regionctl: interrupted; no report (the drills are simulated: nothing to roll back)\n"
    assert out == ""


def test_a_drill_of_no_time_is_refused(tmp_path: Path) -> None:
    proc = regionctl("drill", "active-passive", "--duration", "0s")
    assert proc.returncode == ExitCode.INVALID_INPUT
    assert proc.stderr == "regionctl: --duration: expected a drill longer than 0s, found 0s\n"
    path = tmp_path / "s.yaml"
    path.write_text("topology: active-passive\nseed: 1\nduration: 0s\nfaults: []\n", encoding="utf-8")
    proc = regionctl("drill", "active-passive", "--scenario", str(path))
    assert proc.returncode == ExitCode.INVALID_INPUT
    assert proc.stderr == f"{path}:3:11: duration: expected a drill longer than 0s, found 0s\n"
