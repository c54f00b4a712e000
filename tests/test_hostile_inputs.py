"""Inputs that validated and then hung or crashed: each is now refused by `validate` (and `run`) with
FILE:LINE:COL, the field path, the range and why, exit 2, never a traceback."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from regionctl.exit_codes import ExitCode
from regionctl.runbook import expr
from tests.modelhelpers import DIAGNOSTIC_LINE, REGIONCTL, ROOT

AP = (ROOT / "regionctl/data/topologies/active-passive.yaml").read_text()
LAB = (ROOT / "regionctl/data/labs/async-rpo.yaml").read_text()


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([REGIONCTL, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False, env=env)


def refused(proc: subprocess.CompletedProcess[str], field: str, *words: str) -> None:
    assert proc.returncode == ExitCode.INVALID_INPUT, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [m for m in map(DIAGNOSTIC_LINE.match, proc.stderr.splitlines()) if m]
    assert any(m["field"] == field and all(w in m["message"] for w in words) for m in lines), proc.stderr


def runbook_file(tmp_path: Path, step: str, extra: str = "") -> Path:
    path = tmp_path / "book.yaml"
    path.write_text(f"name: book\n{extra}steps:\n  - {{id: go, kind: fault, fault: 'region:us-east'}}\n  - {step}\n")
    return path


@pytest.mark.parametrize(("every", "words"), [("0s", ("from 100ms to 1h", "never let time pass")),
                                              ("1e-7ms", ("duration",))])
def test_a_wait_that_never_lets_time_pass_is_refused(tmp_path: Path, every: str, words: tuple[str, ...]) -> None:
    book = runbook_file(tmp_path, f"{{id: w, kind: wait, condition: 'elapsed > 1h', every: {every}}}")
    refused(cli("validate", str(book)), "steps[1].every", *words)
    refused(cli("run", "active-passive", str(book), timeout=30), "steps[1].every", *words)


def test_a_wait_that_would_poll_too_often_is_refused(tmp_path: Path) -> None:
    book = runbook_file(tmp_path, "{id: w, kind: wait, condition: 'elapsed > 1d', every: 100ms, timeout: 1h}")
    refused(cli("validate", str(book)), "steps[1].every", "at most 3600 evaluations")


@pytest.mark.parametrize(("engine", "timing"), [("postgres-patroni", "loop_wait"), ("etcd", "election_timeout"),
                                                ("mongodb", "election_timeout")])
def test_a_zero_engine_period_is_refused(tmp_path: Path, engine: str, timing: str) -> None:
    topology = tmp_path / "t.yaml"
    topology.write_text(AP.replace("engine: postgres-patroni", f"engine: {engine}\n    timings: {{{timing}: 0s}}", 1))
    proc = cli("validate", str(topology))
    refused(proc, "clusters[0].timings", f"{timing}: expected a duration of at least 10ms")


def test_an_endless_observe_or_warmup_is_refused(tmp_path: Path) -> None:
    book = runbook_file(tmp_path, "{id: n, kind: note}", extra="observe: 100000000h\n")
    refused(cli("validate", str(book)), "observe", "at most 720h")
    book = runbook_file(tmp_path, "{id: n, kind: note}", extra="observe: 2h\n")
    refused(cli("validate", str(book)), "observe", "from 0ms to 1h", "settle")
    lab = tmp_path / "lab.yaml"
    lab.write_text(re.sub(r"(?m)^warmup: .*$", "", LAB).replace("\nsteps:", "\nwarmup: 99999h\nsteps:", 1))
    refused(cli("validate", str(lab)), "warmup", "at most 720h")
    lab.write_text(lab.read_text().replace("warmup: 99999h", "warmup: 2h"))
    refused(cli("validate", str(lab)), "warmup", "an hour at most")


@pytest.mark.parametrize("condition", ["(" * 200 + "elapsed > 1s" + ")" * 200, "not " * 1000 + "elapsed > 1s",
                                       "x" + ".a" * 1000])
def test_a_deeply_nested_condition_is_an_error_not_a_recursion_error(tmp_path: Path, condition: str) -> None:
    with pytest.raises(expr.ExprError, match="nested at most 32 deep"):
        expr.parse(condition)
    book = runbook_file(tmp_path, f"{{id: c, kind: check, condition: '{condition}'}}")
    refused(cli("validate", str(book)), "steps[1].condition", "nested at most 32 deep")
    refused(cli("run", "active-passive", str(book), "--dry-run"), "steps[1].condition", "nested at most 32 deep")


@pytest.mark.parametrize(("step", "field", "words"), [
    ("{id: go, kind: note}", "steps[1].id", ("unique step ids",)),
    ("{id: n, kind: note, needs: [nope]}", "steps[1].needs[0]", ("no step 'nope'",)),
    ("{id: n, kind: note, text: '${nope}'}", "steps[1].text", ("unknown parameter ${nope}",)),
    ("{id: c, kind: check, condition: 'elapsed >'}", "steps[1].condition", ("expected a value",)),
    ("{id: f, kind: fault, fault: 'regio:us-east'}", "steps[1].fault", ("unknown fault kind",)),
])
def test_validate_runs_every_runbook_check_that_needs_no_topology(tmp_path: Path, step: str, field: str,
                                                                  words: tuple[str, ...]) -> None:
    book = runbook_file(tmp_path, step)
    refused(cli("validate", str(book)), field, *words)
    # The same runbook inside a topology, with a parameter only the run knows: still checked.
    topology = tmp_path / "t.yaml"
    body = book.read_text().replace("name: book\n", "name: book\nparams: {who: {env: WHO}}\n")
    indented = "".join(("  - " if i == 0 else "    ") + line + "\n" for i, line in enumerate(body.splitlines()))
    topology.write_text(re.sub(r"(?ms)^runbooks:.*", "", AP) + "runbooks:\n" + indented)
    refused(cli("validate", str(topology)), f"runbooks[0].{field}", *words)


def test_a_secret_is_not_echoed_in_error_messages(tmp_path: Path) -> None:
    book = tmp_path / "secret.yaml"
    book.write_text("name: s\nparams:\n  n: {type: number, env: SECRET_N}\n  r: {type: region, env: SECRET_R}\n"
                    "  v: {env: SECRET_V}\n"
                    "steps:\n  - {id: f, kind: fault, fault: 'nod:${v}'}\n")
    import os

    env = {**os.environ, "SECRET_N": "S3cr3tN", "SECRET_R": "S3cr3tR", "SECRET_V": "S3cr3tV"}
    proc = cli("run", "active-passive", str(book), env=env)
    assert proc.returncode == ExitCode.INVALID_INPUT and "expected a number" in proc.stderr, proc.stderr
    assert "a region of the topology" in proc.stderr and "unknown fault kind" in proc.stderr
    assert "S3cr3t" not in proc.stderr + proc.stdout


def test_a_fault_step_timeout_of_zero_is_refused(tmp_path: Path) -> None:
    book = tmp_path / "book.yaml"
    book.write_text("name: b\nsteps:\n  - {id: go, kind: fault, fault: 'region:us-east', timeout: 0s}\n")
    refused(cli("validate", str(book)), "steps[0].timeout", "no time to run")


def test_what_the_file_fuzz_found_is_refused(tmp_path: Path) -> None:
    """Mutations 238 and 749 of seed 18 validated and then crashed (OverflowError, IndexError)."""
    topology = tmp_path / "t.yaml"
    topology.write_text(AP.replace("writes_per_s: 200", "writes_per_s: 1e308", 1))
    assert "1e308" in topology.read_text()
    refused(cli("validate", str(topology)), "traffic[0].writes_per_s", "less than or equal to 10000000")
    lab = tmp_path / "lab.yaml"
    original = (ROOT / "regionctl/data/labs/leaderless-quorums.yaml").read_text()
    lab.write_text(original.replace("replication.w, value: 1}", "replication.w, value: 1000}", 1))
    assert "value: 1000" in lab.read_text()
    refused(cli("validate", str(lab)), "topology", "replication.w: expected w <= n (3), found 1000")
    long_name = tmp_path / "long.yaml"
    long_name.write_text(LAB.replace("topology: active-passive", "topology: '" + "(" * 400 + "'"))
    refused(cli("validate", str(long_name)), "topology", "expected a bundled topology name or a topology file")
