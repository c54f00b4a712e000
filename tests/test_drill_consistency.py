"""`drill --history` and consistency promises: the report's consistency section, the exit code, the file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from regionctl.consistency import parse_lines

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "regionctl" / "data" / "topologies"


def regionctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "regionctl", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def active_passive(tmp_path: Path, promise: str | None, eu_reads: str) -> Path:
    data: dict[str, Any] = yaml.safe_load((BUNDLED / "active-passive.yaml").read_text(encoding="utf-8"))
    orders = next(c for c in data["clusters"] if c["name"] == "orders")
    if promise:
        orders["consistency"] = promise
    for traffic in data["traffic"]:
        if traffic["cluster"] == "orders" and traffic["from"] == "eu-west":
            traffic["reads_from"] = eu_reads
    data.pop("runbooks")
    path = tmp_path / "ap.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_history_file_holds_every_probe_operation_of_the_report(tmp_path: Path) -> None:
    history = tmp_path / "h.jsonl"
    proc = regionctl("drill", "active-passive", "--fault", "region:us-east@60s", "--duration", "3m", "--json",
                     "--history", str(history))
    report = json.loads(proc.stdout)
    parsed = parse_lines(history.read_text(encoding="utf-8").splitlines(), str(history))
    assert parsed.meta["topology"] == "active-passive" and parsed.meta["seed"] == 1
    assert [f.spec for f in parsed.faults] == ["region:us-east"]
    assert len(parsed.operations) == sum(c["operations"] for c in report["consistency"].values()) > 0
    assert {op.cluster for op in parsed.operations} == {"orders", "sessions"}


def test_without_history_or_promise_the_report_has_no_consistency_section() -> None:
    proc = regionctl("drill", "active-passive", "--duration", "1m", "--json")
    assert "consistency" not in json.loads(proc.stdout)


def test_a_broken_promise_fails_the_drill_and_names_the_anomaly(tmp_path: Path) -> None:
    # eu-west reads its local replica, slowed down and falling behind: reads miss acknowledged writes.
    topology = active_passive(tmp_path, "linearizable", "local")
    junit = tmp_path / "j.xml"
    proc = regionctl("drill", str(topology), "--fault", "slow:pg-3=1000x@30s", "--duration", "2m", "--json",
                     "--junit", str(junit))
    report = json.loads(proc.stdout)
    orders = report["consistency"]["orders"]
    assert orders["promised"] == "linearizable" and orders["verdict"] == "violated"
    assert orders["anomalies"] and all(a["explanation"] for a in orders["anomalies"])
    assert report["result"] == "fail" and proc.returncode == 1
    assert report["metrics"]["clusters"]["orders"]["consistency"]["anomalies"] > 0
    assert "linearizable violated" in junit.read_text(encoding="utf-8")


def test_the_same_promise_holds_when_reads_go_to_the_leader(tmp_path: Path) -> None:
    topology = active_passive(tmp_path, "linearizable", "leader")
    proc = regionctl("drill", str(topology), "--fault", "slow:pg-3=1000x@30s", "--duration", "2m", "--json")
    report = json.loads(proc.stdout)
    assert report["consistency"]["orders"]["verdict"] == "ok"
    assert report["consistency"]["orders"]["operations"] > 100


def test_a_topology_can_promise_every_model_the_checker_knows() -> None:
    from typing import get_args

    from regionctl.consistency import MODELS
    from regionctl.model.topology import ConsistencyModel

    assert set(get_args(ConsistencyModel)) == set(MODELS)


def test_run_history_records_the_runbook_on_the_simulator(tmp_path: Path) -> None:
    history = tmp_path / "run.jsonl"
    proc = regionctl("run", "active-passive", "failover-to-eu-west", "--yes", "-q", "--json", "--history",
                     str(history), "--journal", str(tmp_path / "j.jsonl"))
    assert proc.returncode == 0, proc.stderr
    parsed = parse_lines(history.read_text(encoding="utf-8").splitlines(), str(history))
    assert parsed.meta["runbook"] == "failover-to-eu-west"
    assert [f.spec for f in parsed.faults] == ["region:us-east"] and parsed.faults[0].healed is not None
    assert len(parsed.operations) > 100
    refused = regionctl("run", "active-passive", "failover-to-eu-west", "--backend", "ssh", "--history",
                        str(tmp_path / "x.jsonl"))
    # Real hosts record their probe writes, and only where the topology allows them: this one does not.
    assert refused.returncode == 2 and "ssh.probe_writes" in refused.stderr
