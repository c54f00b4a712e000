"""`regionctl check FILE`: exit codes, FILE:LINE errors without a traceback, JSON, help, light imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from regionctl.consistency.files import read_history, write_history
from regionctl.consistency.history import Fault, HistoryError, format_lines
from regionctl.exit_codes import ExitCode
from tests.consistencyhelpers import hist
from tests.modelhelpers import ROOT, invoke

STALE = hist(("write", 1, 0, 1, "b"), ("write", 2, 2, 3, "a"), ("read", 1, 4, 5, "a"),
             faults=[Fault("region:us-east", 1.5, 10.0)])
FINE = hist(("write", 1, 0, 1, "b"), ("write", 2, 2, 3, "a"), ("read", 2, 4, 5, "a"))


def write(tmp_path: Path, text: str, name: str = "h.jsonl") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_ok_history_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "fine.jsonl"
    write_history(path, FINE)
    result = invoke("check", str(path), "--model", "linearizable", "--model", "causal")
    assert result.exit_code == ExitCode.PASSED, result.output
    assert result.stdout.count(" OK ") == 2


def test_violation_exits_1_with_the_anomaly_against_the_fault(tmp_path: Path) -> None:
    path = tmp_path / "stale.jsonl"
    write_history(path, STALE)
    result = invoke("check", str(path), "--model", "read-your-writes")
    assert result.exit_code == ExitCode.FAILED
    assert "read-your-writes" in result.stdout and "3.500s after region:us-east" in result.stdout
    assert "did not read its own write" in result.stdout


def test_json_output(tmp_path: Path) -> None:
    path = tmp_path / "stale.jsonl"
    write_history(path, STALE)
    result = invoke("check", str(path), "--json", "--model", "linearizable", "--model", "sequential-session")
    assert result.exit_code == ExitCode.FAILED
    data = json.loads(result.stdout)
    assert data["operations"] == 3 and data["faults"] == [{"spec": "region:us-east", "at": 1.5, "healed": 10.0}]
    lin, session = data["checks"]
    assert (lin["model"], lin["verdict"], session["model"]) == ("linearizable", "violated", "session")
    (anomaly,) = lin["anomalies"]
    assert [o["index"] for o in anomaly["operations"]] == [0, 1, 2]
    assert anomaly["relative"] == {"fault": "region:us-east", "seconds": 3.5, "healed": False}
    assert lin["budget"] == 1_000_000 and 0 < lin["budget_used"] <= lin["steps"]


def test_unknown_when_the_budget_runs_out_exits_3(tmp_path: Path) -> None:
    rows = [("write", v, 0.0, 100.0, f"s{v}") for v in range(1, 12)] + [
        ("read", 1, 101.0, 102.0, "r"), ("read", 2, 103.0, 104.0, "r"), ("read", 1, 105.0, 106.0, "r")]
    path = tmp_path / "wide.jsonl"
    write_history(path, hist(*rows))
    result = invoke("check", str(path), "--budget", "20")
    assert result.exit_code == ExitCode.ABORTED
    assert "UNKNOWN" in result.stdout and "raise --budget" in result.stdout


@pytest.mark.parametrize(("text", "message"), [
    ('{"op": "write", "key": "x", "value": 1, "session": "a", "start": 0, "end": 1, "outcome": "ok"}\nnot json\n',
     ":2: not JSON"),
    ('{"op": "delete", "key": "x", "session": "a", "start": 0, "end": 1, "outcome": "ok"}\n', ":1: 'op' must be"),
    ('{"op": "read", "key": "x", "value": null, "session": "a", "start": 2, "end": 1, "outcome": "ok"}\n',
     ":1: 'end' 1.0 is before 'start' 2.0"),
    ('{"op": "read", "key": "x", "value": null, "session": "a", "start": 0, "end": null, "outcome": "ok"}\n',
     ":1: 'end' is null but the outcome is 'ok'"),
    ('{"op": "write", "key": "x", "value": true, "session": "a", "start": 0, "end": 1, "outcome": "ok"}\n',
     ":1: 'value' must be an integer"),
    ('{"format": "regionctl-history", "version": 2}\n', ":1: this regionctl reads version 1"),
    ('{"op": "write", "key": "x", "value": 1, "session": "a", "start": 0, "end": 1, "outcome": "ok"}\n'
     '{"op": "write", "key": "x", "value": 1, "session": "b", "start": 2, "end": 3, "outcome": "ok"}\n',
     ":2: value 1 was already written"),
    ('{"op": "read", "key": "x", "value": null, "session": "a", "start": 0, "end": 1, "outcome": "ok"}\n'
     '{"format": "regionctl-history", "version": 1}\n', ":2: the header must be the first line"),
    ('[1, 2]\n', ":1: expected a JSON object"),
    ('{"format": "regionctl-history", "version": 1, "faults": [{"spec": "node:a"}]}\n', "faults[0]: 'at' must be"),
])
def test_bad_input_exits_2_with_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    result = invoke("check", path)
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr.startswith(f"regionctl: {path}") and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_missing_and_non_text_files_exit_2(tmp_path: Path) -> None:
    result = invoke("check", str(tmp_path / "nope.jsonl"))
    assert result.exit_code == ExitCode.INVALID_INPUT and "no such file" in result.stderr
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(b"\xff\xfe\x00")
    result = invoke("check", str(binary))
    assert result.exit_code == ExitCode.INVALID_INPUT and "not UTF-8" in result.stderr
    result = invoke("check", str(tmp_path))
    assert result.exit_code == ExitCode.INVALID_INPUT and "is a directory" in result.stderr


def test_unknown_model_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "fine.jsonl"
    write_history(path, FINE)
    result = invoke("check", str(path), "--model", "serializable")
    assert result.exit_code == ExitCode.INVALID_INPUT


def test_help_has_an_example_and_the_models() -> None:
    result = invoke("check", "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout and "regionctl check" in result.stdout
    for model in ("linearizable", "causal", "read-your-writes", "monotonic-reads", "writes-follow-reads"):
        assert model in result.stdout


def test_history_files_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    write_history(path, STALE)
    back = read_history(path)
    assert back.operations == STALE.operations and back.faults == STALE.faults
    again = tmp_path / "again.jsonl"
    write_history(again, back)
    assert list(format_lines(read_history(again))) == again.read_text().splitlines()
    with pytest.raises(HistoryError, match=r"h.jsonl: no such file"):
        read_history(tmp_path / "missing" / "h.jsonl")


CHECK_IMPORTS = """
import json, sys
from regionctl.cli.main import main
try:
    main(["check", sys.argv[1], "--model", "linearizable", "--model", "causal", "--model", "session"])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def test_check_keeps_pydantic_textual_and_the_simulator_off_its_path(tmp_path: Path) -> None:
    path = tmp_path / "stale.jsonl"
    write_history(path, STALE)
    proc = subprocess.run([sys.executable, "-c", CHECK_IMPORTS, str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    modules = json.loads(proc.stdout.splitlines()[-1])
    assert "regionctl.consistency.causal" in modules and "rich" in modules
    heavy = [m for m in modules if m.split(".")[0] in ("pydantic", "textual", "yaml", "asyncssh")
             or m.startswith("regionctl.sim") or m.startswith("regionctl.model")]
    assert heavy == []
