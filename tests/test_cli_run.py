"""`regionctl run` as scripts use it: real processes, real signals, journals on disk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from regionctl.exit_codes import ExitCode
from regionctl.runbook.journal import read_journal
from tests.modelhelpers import DIAGNOSTIC_LINE, REGIONCTL, ROOT

# A fault, then a long wait: signals arrive while the fault is injected.
SLOW = """\
name: slow-outage
steps:
  - {id: outage, kind: fault, fault: "region:us-east"}
  - {id: failover, kind: wait, condition: 'leader(orders) == "pg-3"', timeout: 2m, needs: [outage]}
  - {id: linger, kind: wait, condition: "elapsed >= 100s", timeout: 5m, needs: [failover]}
  - {id: record, kind: measure, needs: [linger]}
slo: {rpo: 5s}
"""


def env_for(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([REGIONCTL, *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=env_for(tmp_path), check=False)


def wait_for_event(journal: Path, event: str, proc: subprocess.Popen[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if journal.exists() and any(r.get("event") == event for r in _records(journal)):
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError(f"no {event} in {journal}")


def _records(journal: Path) -> list[dict[str, object]]:
    out = []
    for line in journal.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return out


def start_slow(tmp_path: Path, journal: Path) -> subprocess.Popen[str]:
    book = tmp_path / "slow.yaml"
    book.write_text(SLOW)
    return subprocess.Popen([REGIONCTL, "run", "active-passive", str(book), "--speed", "20", "--json",
                             "--journal", str(journal)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env_for(tmp_path))


def test_a_bundled_runbook_passes_with_json_and_junit(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    proc = run_cli(tmp_path, "run", "active-passive", "planned-switchover", "--yes", "--json", "--junit", str(junit))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    for key in ("result", "exit_code", "topology", "backend", "seed", "sim_seconds", "wall_seconds", "faults",
                "steps", "metrics", "leaders", "blast_radius", "slo"):
        assert key in report
    assert report["result"] == "pass" and report["metrics"]["writes_lost"] == 0
    suite = ET.parse(junit).getroot()
    cases = suite.findall("testcase")
    assert len(cases) == len(report["steps"]) + len(report["slo"]) == int(suite.get("tests", "0"))
    assert suite.get("failures") == "0"
    journals = list((tmp_path / "state" / "regionctl" / "journals").glob("planned-switchover-*.jsonl"))
    assert len(journals) == 1 and f"journal: {journals[0]}" in proc.stderr


def test_a_failed_check_gives_exit_1_and_a_junit_failure(tmp_path: Path) -> None:
    book = tmp_path / "lossy.yaml"
    book.write_text("""\
name: lossy
steps:
  - {id: outage, kind: fault, fault: "region:us-east"}
  - {id: failover, kind: wait, condition: 'leader(orders) == "pg-3"', timeout: 2m}
  - {id: no-loss, kind: check, condition: "writes_lost == 0"}
""")
    junit = tmp_path / "junit.xml"
    proc = run_cli(tmp_path, "run", "active-passive", str(book), "--junit", str(junit))
    assert proc.returncode == ExitCode.FAILED
    assert "no-loss" in proc.stdout and "does not hold" in proc.stdout
    failed = [c.get("name") for c in ET.parse(junit).getroot().findall("testcase") if c.find("failure") is not None]
    assert "no-loss" in failed


def test_bad_runbooks_give_file_line_col_and_exit_2(tmp_path: Path) -> None:
    book = tmp_path / "bad.yaml"
    book.write_text("""\
name: bad
steps:
  - {id: outage, kind: fault, fault: "region:mars"}
  - {id: check, kind: check, condition: "lag(pg-3) < 2s and writeable(orders)"}
""")
    proc = run_cli(tmp_path, "run", "active-passive", str(book))
    assert proc.returncode == ExitCode.INVALID_INPUT and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in proc.stderr
    parsed = [DIAGNOSTIC_LINE.match(line) for line in lines]
    assert all(parsed)
    assert parsed[0] and parsed[0]["field"] == "steps[0].fault" and "mars" in parsed[0]["message"]
    # The column points at `writeable` inside the quoted condition on line 4.
    line4 = book.read_text().splitlines()[3]
    assert parsed[1] and (parsed[1]["line"], parsed[1]["col"]) == ("4", str(line4.index("writeable") + 1))
    assert not (tmp_path / "state").exists()  # nothing ran, no journal
    assert run_cli(tmp_path, "run", "active-passive", "no-such-runbook").returncode == 2
    assert run_cli(tmp_path, "run", "active-passive", "failover-to-eu-west", "--var", "x").returncode == 2


def test_dry_run_prints_the_plan_and_touches_nothing(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "run", "active-passive", "planned-switchover", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    for fragment in ("dry run", "freeze", "read-only orders", "promote pg-3", "objectives"):
        assert fragment in proc.stdout
    outage = run_cli(tmp_path, "run", "active-passive", "failover-to-eu-west", "--dry-run")
    assert "predicted blast radius of region:us-east" in outage.stdout and "pg-1, pg-2, redis-1" in outage.stdout
    assert not (tmp_path / "state").exists()
    # Real hosts: the plan is made without connecting to anything.
    ssh = run_cli(tmp_path, "run", "active-passive", "planned-switchover", "--dry-run", "--backend", "ssh")
    assert ssh.returncode == 0 and "pg-3" in ssh.stdout


def test_a_precheck_failure_exits_3(tmp_path: Path) -> None:
    book = tmp_path / "pre.yaml"
    book.write_text("""\
name: pre
precheck: ['leader(orders) == "pg-3"']
steps: [{id: outage, kind: fault, fault: "region:us-east"}]
""")
    proc = run_cli(tmp_path, "run", "active-passive", str(book), "--json")
    assert proc.returncode == ExitCode.ABORTED
    report = json.loads(proc.stdout)
    assert report["faults"] == [] and "precheck failed" in report["reason"]


def test_an_approval_gate_exits_3_headless_and_passes_with_approve(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "run", "active-passive", "planned-switchover", "--json")
    assert proc.returncode == ExitCode.ABORTED
    assert "--approve go" in json.loads(proc.stdout)["reason"]
    assert run_cli(tmp_path, "run", "active-passive", "planned-switchover", "--approve", "go").returncode == 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_fault_rolls_back_and_exits_5(tmp_path: Path, sig: signal.Signals) -> None:
    journal = tmp_path / "j.jsonl"
    proc = start_slow(tmp_path, journal)
    wait_for_event(journal, "undo-pushed", proc)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.INTERRUPTED, err
    report = json.loads(out)
    assert report["result"] == "interrupted" and report["faults_left"] == []
    assert report["reason"] == "stopped before its steps ended; what it changed was put back"  # how it ended
    assert report["faults"][0]["healed_at"] is not None
    events = [r["event"] for r in read_journal(journal)]
    assert events.index("undo-applied") > events.index("undo-pushed")
    assert events[-1] == "run-ended"


def test_a_killed_run_resumes_from_its_journal(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    proc = start_slow(tmp_path, journal)
    wait_for_event(journal, "undo-pushed", proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert "run-ended" not in [r["event"] for r in read_journal(journal)]
    recover = run_cli(tmp_path, "recover", str(journal), "--dry-run")
    assert recover.returncode == 0 and "simulated run" in recover.stdout and "region:us-east" in recover.stdout
    book = tmp_path / "slow.yaml"
    resumed = run_cli(tmp_path, "run", "active-passive", str(book), "--resume", str(journal), "--json")
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads(resumed.stdout)
    assert [s["status"] for s in report["steps"]] == ["ok"] * 4
    assert "from the journal" in report["steps"][0]["detail"]
    records = read_journal(journal)
    injected = [r for r in records if r["event"] == "step-started" and r["step"] == "outage"]
    assert len(injected) == 1  # the fault was not injected a second time
    assert [r["event"] for r in records].count("undo-applied") == 1 and records[-1]["event"] == "run-ended"
    again = run_cli(tmp_path, "run", "active-passive", str(book), "--resume", str(journal))
    assert again.returncode == 2 and "already ended" in again.stderr


def test_metrics_port_serves_the_run_and_its_steps_while_it_runs(tmp_path: Path) -> None:
    from tests.exporterhelpers import scrape

    proc = subprocess.Popen([REGIONCTL, "run", "active-passive", "planned-switchover", "--yes", "-q",
                             "--metrics-port", "0", "--speed", "10"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env_for(tmp_path))
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("metrics: http://127.0.0.1:"), line
        url = line.split()[1]
        deadline = time.monotonic() + 30
        while True:
            families = scrape(url)
            steps = families["regionctl_runbook_step"]
            promoted = steps.value(runbook="planned-switchover", step="promote", status="ok") == 1.0
            if promoted and families["regionctl_leader"].value(cluster="orders", node="pg-3", region="eu-west"):
                break
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.1)
        assert families["regionctl_leader"].value(cluster="orders", node="pg-1", region="us-east") == 0.0
        proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0


def test_ctrl_c_stops_an_unpaced_run_too(tmp_path: Path) -> None:
    book = tmp_path / "long.yaml"
    book.write_text("""\
name: long
steps:
  - {id: outage, kind: fault, fault: "node:pg-2"}
""" + "".join(f'  - {{id: long-{i}, kind: wait, condition: "elapsed >= 30d", timeout: 1h, on_failure: continue}}\n'
              for i in range(10)))  # the longest waits the schema allows: 10 x 3600 polls, unpaced
    journal = tmp_path / "j.jsonl"
    proc = subprocess.Popen([REGIONCTL, "run", "active-passive", str(book), "--json", "--journal", str(journal)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env_for(tmp_path))
    wait_for_event(journal, "undo-pushed", proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.INTERRUPTED, err
    report = json.loads(out)
    assert report["faults_left"] == [] and report["sim_seconds"] < 10 * 3600


def test_junit_into_a_missing_directory_is_refused_before_anything_runs(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "run", "active-passive", "failover-to-eu-west", "--junit", str(tmp_path / "no" / "j.xml"))
    assert proc.returncode == 2 and "does not exist" in proc.stderr
    assert not (tmp_path / "state").exists()


def test_junit_marks_steps_not_run_as_skipped_and_failed_actions_as_errors(tmp_path: Path) -> None:
    book = tmp_path / "err.yaml"
    book.write_text("""\
name: err
steps:
  - {id: outage, kind: fault, fault: "region:us-east"}
  - {id: promote, kind: action, action: promote, target: pg-2}
  - {id: after, kind: note, text: never}
""")
    junit = tmp_path / "j.xml"
    proc = run_cli(tmp_path, "run", "active-passive", str(book), "--junit", str(junit))
    assert proc.returncode == ExitCode.STEP_ERROR
    suite = ET.parse(junit).getroot()
    # The run stopped in the middle of the outage: RTO is unknown, so its objective is not met either.
    assert (suite.get("errors"), suite.get("skipped"), suite.get("failures")) == ("1", "1", "1")
    failed = [case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None]
    assert failed == ["slo rto"] or any("rto" in (name or "") for name in failed), failed
    assert "err" in (suite.get("name") or "")


def test_a_recovered_journal_cannot_be_resumed(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    proc = start_slow(tmp_path, journal)
    wait_for_event(journal, "undo-pushed", proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert run_cli(tmp_path, "recover", str(journal)).returncode == 0
    assert read_journal(journal)[-1]["result"] == "recovered"
    again = run_cli(tmp_path, "run", "active-passive", str(tmp_path / "slow.yaml"), "--resume", str(journal))
    assert again.returncode == 2 and "already ended (recovered)" in again.stderr


def test_secret_variables_stay_out_of_every_output(tmp_path: Path) -> None:
    book = tmp_path / "s.yaml"
    book.write_text("""\
name: s
params:
  pw: {secret: true}
steps:
  - {id: say, kind: note, text: "pw is ${pw}"}
  - {id: bad, kind: check, condition: 'leader(orders) == "${pw}"'}
""")
    for extra in ([], ["--json"], ["--dry-run"]):
        proc = run_cli(tmp_path, "run", "active-passive", str(book), "--var", "pw=hunter2-sekrit", *extra)
        assert "hunter2-sekrit" not in proc.stdout + proc.stderr, extra


def test_history_on_real_hosts_needs_the_topologys_permission_to_write_probes(tmp_path: Path) -> None:
    # The bundled topology allows no probe writes (it has no ssh settings): refused before anything connects.
    done = run_cli(tmp_path, "run", "active-passive", "failover-to-eu-west", "--backend", "ssh", "--yes", "--history",
               str(tmp_path / "h.jsonl"))
    assert done.returncode == ExitCode.INVALID_INPUT
    assert "--history on real hosts records the probe writes" in done.stderr and "ssh.probe_writes" in done.stderr
    assert not (tmp_path / "h.jsonl").exists()
    compared = run_cli(tmp_path, "run", "active-passive", "failover-to-eu-west", "--compare", "--yes", "--history",
                       str(tmp_path / "h.jsonl"))
    assert compared.returncode == ExitCode.INVALID_INPUT and "without --compare" in compared.stderr
    kept = run_cli(tmp_path, "run", "active-passive", "failover-to-eu-west", "--yes", "--keep-probes")
    assert kept.returncode == ExitCode.INVALID_INPUT and "--keep-probes is for real hosts" in kept.stderr


def test_a_runbook_pauses_a_primary_and_loses_a_link_and_a_bad_loss_value_says_where(tmp_path: Path) -> None:
    book = tmp_path / "gray.yaml"
    book.write_text("""\
name: gray
steps:
  - {id: freeze, kind: fault, fault: "pause:pg-1"}
  - {id: failover, kind: wait, condition: 'leader(orders) != "pg-1" and writable(orders)', timeout: 2m, needs: [freeze]}
  - {id: lossy, kind: fault, fault: "loss:us-east|eu-west=20%", needs: [failover]}
  - {id: resume, kind: heal, fault: "pause:pg-1", needs: [lossy]}
  - {id: demoted, kind: wait, condition: 'role(pg-1) != "leader"', timeout: 1m, needs: [resume]}
  - {id: record, kind: measure, needs: [demoted]}
""")
    proc = run_cli(tmp_path, "run", "active-passive", str(book), "--yes", "--json")
    assert proc.returncode == ExitCode.PASSED, proc.stderr
    report = json.loads(proc.stdout)
    assert [s["status"] for s in report["steps"]] == ["ok"] * 6, report["steps"]
    book.write_text(book.read_text().replace("=20%", "=20"))
    proc = run_cli(tmp_path, "run", "active-passive", str(book))
    assert proc.returncode == ExitCode.INVALID_INPUT and "Traceback" not in proc.stderr
    parsed = DIAGNOSTIC_LINE.match(proc.stderr.strip().splitlines()[0])
    assert parsed and parsed["line"] == "5" and "expected a percentage like 99.95%" in parsed["message"], proc.stderr


def test_the_comparison_breaks_the_simulated_rto_down_beside_the_real_steps() -> None:
    from regionctl.report.compare_view import comparison

    sim = {"result": "pass", "steps": [{"id": "crash", "started": 30.0, "ended": 30.0}],
           "metrics": {"rto_seconds": 20.0, "clusters": {
               "orders": {"rto_seconds": 20.0, "rto_breakdown": {"detection": 18.8, "promotion": 0.9, "reroute": 0.3}},
               "cache": {"rto_seconds": None, "rto_breakdown": {}}}}}
    real = {"result": "pass", "steps": [{"id": "crash", "started": 0.5, "ended": 0.7}],
            "metrics": {"rto_seconds": 21.0}}
    rows = {row["figure"]: (row["sim"], row["ssh"]) for row in comparison(sim, real)}
    assert rows["RTO"] == (20.0, 21.0)
    assert rows["  detection (orders)"] == (18.8, None) and rows["  reroute (orders)"] == (0.3, None)
    assert rows["step crash"][1] == pytest.approx(0.2)
