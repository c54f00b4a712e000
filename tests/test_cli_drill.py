"""`regionctl drill` and live `status` from the command line."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from regionctl.exit_codes import ExitCode

ROOT = Path(__file__).resolve().parent.parent


def regionctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "regionctl", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_drill_json_report_has_the_design_shape_and_exit_code(tmp_path: Path) -> None:
    junit = tmp_path / "drill.xml"
    proc = regionctl("drill", "topologies/active-passive.yaml", "--fault", "region:us-east@60s",
                     "--json", "--junit", str(junit))
    report = json.loads(proc.stdout)
    assert proc.returncode == report["exit_code"]
    for key in ("result", "exit_code", "topology", "backend", "seed", "sim_seconds", "wall_seconds", "faults",
                "steps", "metrics", "leaders", "blast_radius", "slo"):
        assert key in report
    for key in ("availability", "writes_acked", "writes_lost", "rpo_seconds", "rto_seconds", "max_lag_seconds",
                "stale_reads", "split_brain_seconds"):
        assert key in report["metrics"]
    assert report["faults"] == [{"spec": "region:us-east", "at": 60.0, "healed_at": None}]
    assert report["leaders"]["orders"] == {"before": "pg-1", "after": "pg-3", "term": 2}
    assert report["metrics"]["writes_lost"] > 0  # async replication to eu-west
    assert 20 < report["metrics"]["rto_seconds"] < 60
    assert report["blast_radius"]["regions"] == ["us-east"]
    assert "pg-1" in report["blast_radius"]["nodes"] and "pg-3" not in report["blast_radius"]["nodes"]
    failed_slos = [c["name"] for c in report["slo"] if not c["ok"]]
    assert (report["result"] == "pass") == (not failed_slos)
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite" and int(suite.get("tests", "0")) == len(report["slo"])
    assert int(suite.get("failures", "0")) == len(failed_slos)


def test_drill_passes_when_slos_hold() -> None:
    proc = regionctl("drill", "topologies/active-passive.yaml", "--fault", "node:pg-2@30s+60s", "--json",
                     "--duration", "5m")
    report = json.loads(proc.stdout)
    assert proc.returncode == 0 and report["result"] == "pass"
    assert report["faults"][0]["healed_at"] == 90.0


def test_drill_rejects_bad_faults_with_exit_2_and_no_traceback() -> None:
    for spec, expected in [("region:us-eats", "did you mean 'us-east'"), ("nod:pg-1", "did you mean 'node'"),
                           ("latency:us-east|eu-west=300", "unit"), ("region:us-east@5", "unit")]:
        proc = regionctl("drill", "topologies/active-passive.yaml", "--fault", spec)
        assert proc.returncode == 2, spec
        assert expected in proc.stderr and "Traceback" not in proc.stderr


def test_status_at_shows_the_failover() -> None:
    proc = regionctl("status", "active-passive", "--fault", "region:us-east@10s", "--at", "90s", "--json")
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    orders = next(c for c in status["clusters"] if c["name"] == "orders")
    assert orders["leader"] == "pg-3" and orders["term"] == 2
    assert {r["name"]: r["status"] for r in status["regions"]}["us-east"] == "down"
    assert {n["name"]: n["health"] for n in orders["nodes"]}["pg-1"] == "down"


def test_a_cluster_no_fault_reached_reads_no_outage_not_unrecovered() -> None:
    proc = regionctl("drill", "topologies/active-passive.yaml", "--fault", "node:redis-1@30s", "--duration", "3m",
                     "--json")
    clusters = json.loads(proc.stdout)["metrics"]["clusters"]
    assert clusters["orders"]["outage"] == "none" and clusters["orders"]["rto_seconds"] is None
    assert clusters["sessions"]["outage"] == "recovered" and clusters["sessions"]["rto_seconds"] > 0
    text = regionctl("drill", "topologies/active-passive.yaml", "--fault", "node:redis-1@30s", "--duration", "3m")
    orders = next(line for line in text.stdout.splitlines() if line.startswith("│ orders"))
    assert "not recovered" not in orders


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_on_a_drill_exits_5_not_aborted_1(sig: signal.Signals) -> None:
    import time

    from tests.modelhelpers import REGIONCTL

    # Thousands of partitions: a drill that takes a while to compute, even unpaced.
    faults = [a for i in range(1, 3000) for a in ("--fault", f"partition:us-east|eu-west@{2 * i}s+1s")]
    proc = subprocess.Popen([REGIONCTL, "drill", "active-passive", "--duration", "2h", *faults],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    assert proc.poll() is None
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert "Aborted!" not in err and "interrupted" in err and "Traceback" not in err
