"""Journals as a hostile disk leaves them: corrupt lines, torn writes, files that are not journals,
faults whose command was started, secrets in fault specs. `recover` and `--resume` either act on what
the journal says or refuse naming JOURNAL:LINE, exit 2, touching nothing."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
from pathlib import Path

import pytest

from regionctl.exit_codes import ExitCode
from regionctl.runbook.journal import (
    Journal,
    JournalError,
    describe_command,
    journal_state,
    load_journal,
    read_journal,
    resolve_secrets,
)
from tests.modelhelpers import REGIONCTL, ROOT
from tests.test_cli_run import env_for, run_cli, start_slow, wait_for_event

START = {"seq": 1, "event": "run-started", "at": 0.0, "runbook": "drill", "topology": "sandbox",
         "topology_path": "/nonexistent/sandbox.yaml", "backend": "ssh", "seed": None, "params": {},
         "steps": [{"id": "stop", "kind": "fault", "mutating": True}]}
FAULT = {"type": "InjectFault", "spec": "node:pg-3"}


def lines(*records: dict[str, object]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def started(seq: int = 2, command: object = FAULT) -> dict[str, object]:
    return {"seq": seq, "event": "step-started", "at": 1.0, "section": "steps", "step": "stop", "kind": "fault",
            "command": command}


def applied(seq: int, ok: bool, unknown: bool = False) -> dict[str, object]:
    return {"seq": seq, "event": "command-applied", "at": 2.0, "section": "steps", "step": "stop", "ok": ok,
            "unknown": unknown, "message": "", "command": FAULT}


def ended(seq: int, status: str) -> dict[str, object]:
    return {"seq": seq, "event": "step-ended", "at": 2.0, "section": "steps", "step": "stop", "status": status}


GOOD = lines(START, started())
# Each corrupts line 2 of an otherwise good journal (line 3 follows it, so it is not a torn tail).
CORRUPT: dict[str, bytes] = {
    "a list": b"[1, 2, 3]",
    "a number": b"42",
    "a time that is not a number": json.dumps({**started(), "at": "soon"}).encode(),
    "a time of 1e308": json.dumps({**started(), "at": 1e308}).encode(),
    "a command without its spec": json.dumps(started(command={"type": "InjectFault"})).encode(),
    "a command that is a string": json.dumps(started(command="InjectFault(node:pg-3)")).encode(),
    "an unknown command": json.dumps(started(command={"type": "RmRf", "spec": "/"})).encode(),
    "invalid UTF-8": b'{"seq": 2, "event": "note", "text": "\xff\xfe"}',
    "step-ended without step": json.dumps({k: v for k, v in ended(2, "ok").items() if k != "step"}).encode(),
    "garbage": b"}}}not json at all",
    "a record out of order": json.dumps(started(seq=7)).encode(),
    "an unknown event": json.dumps({**started(), "event": "step-teleported"}).encode(),
}


@pytest.mark.parametrize("name", sorted(CORRUPT))
@pytest.mark.parametrize("how", [("recover",), ("recover", "--dry-run"), ("resume",)])
def test_a_corrupt_line_is_an_error_at_journal_line_and_nothing_is_touched(tmp_path: Path, name: str,
                                                                           how: tuple[str, ...]) -> None:
    journal = tmp_path / "j.jsonl"
    data = json.dumps(START).encode() + b"\n" + CORRUPT[name] + b"\n" + json.dumps(ended(3, "ok")).encode() + b"\n"
    journal.write_bytes(data)
    journal.chmod(0o640)
    if how[0] == "resume":
        (tmp_path / "b.yaml").write_text("name: drill\nsteps:\n  - {id: stop, kind: fault, fault: 'node:pg-3'}\n")
        proc = run_cli(tmp_path, "run", "active-passive", str(tmp_path / "b.yaml"), "--resume", str(journal))
    else:
        proc = run_cli(tmp_path, *how, str(journal))
    assert proc.returncode == ExitCode.INVALID_INPUT, proc.stdout + proc.stderr
    assert f"{journal}:2: " in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert journal.read_bytes() == data and stat.S_IMODE(journal.stat().st_mode) == 0o640


def test_a_garbage_line_in_the_middle_is_not_taken_for_the_end(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    journal.write_text(json.dumps(START) + "\n" + "{oops\n" + lines(started(3)))
    with pytest.raises(JournalError, match=r"j.jsonl:2: not JSON"):
        load_journal(journal)


def test_only_a_torn_last_line_is_tolerated_reported_and_cut_before_appending(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    journal.write_text(lines({**START, "backend": "sim", "seed": 1}, started(), applied(3, True))
                       + '{"seq": 4, "event": "undo-pu')
    loaded = load_journal(journal)
    assert loaded.torn_line == 4 and len(loaded.records) == 3
    proc = run_cli(tmp_path, "recover", str(journal))
    assert proc.returncode == 0, proc.stderr
    assert f"{journal}:4: a torn last line" in proc.stderr
    records = read_journal(journal)  # the torn bytes were cut: what recover appended reads back
    assert [r["event"] for r in records][-2:] == ["undo-applied", "run-ended"] and records[3]["seq"] == 4
    # The same line with its newline is not torn: it was written whole, and it is garbage.
    journal.write_text(lines(START) + '{"seq": 2, "event": "undo-pu\n')
    with pytest.raises(JournalError, match=":2: not JSON"):
        load_journal(journal)


def test_a_fault_whose_command_was_started_is_owed_until_the_journal_says_it_was_never_applied() -> None:
    heal = ["heal node:pg-3"]

    def owed(*records: dict[str, object]) -> list[str]:
        return [describe_command(c) for c in journal_state([START, *records]).undo]

    assert owed(started()) == heal  # killed while the command ran
    assert owed(started(), applied(3, False, unknown=True)) == heal  # a timeout: it may have happened
    assert owed(started(), applied(3, False, unknown=True), ended(4, "failed")) == heal
    assert owed(started(), applied(3, False)) == heal  # a retry may have started
    assert owed(started(), applied(3, False), ended(4, "failed")) == []  # refused: never applied
    assert owed(started(), applied(3, True), ended(4, "ok")) == heal
    # Recovered (one undo-applied): nothing owed; a second recover does nothing.
    done = {"seq": 4, "event": "undo-applied", "at": 3.0, "ok": True, "message": "",
            "command": {"type": "HealFault", "spec": "node:pg-3"}}
    assert owed(started(), applied(3, True), done) == []


def test_recover_owes_the_heal_of_a_fault_killed_mid_command(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    journal.write_text(GOOD)
    proc = run_cli(tmp_path, "recover", str(journal), "--dry-run")
    assert proc.returncode == 0 and "would apply heal node:pg-3" in proc.stdout, proc.stdout + proc.stderr


def test_a_new_run_never_writes_into_an_existing_file(tmp_path: Path) -> None:
    topology = tmp_path / "mytopo.yaml"
    topology.write_text((ROOT / "regionctl/data/topologies/active-passive.yaml").read_text())
    topology.chmod(0o644)
    before = topology.read_bytes()
    previous = tmp_path / "previous.jsonl"
    previous.write_text(lines(START))
    for target in (topology, previous, Path("/dev/null")):
        proc = run_cli(tmp_path, "run", str(topology), "planned-switchover", "--yes", "--journal", str(target))
        assert proc.returncode == ExitCode.INVALID_INPUT, proc.stderr
        assert "Traceback" not in proc.stderr and f"--journal {target}" in proc.stderr
    assert topology.read_bytes() == before and stat.S_IMODE(topology.stat().st_mode) == 0o644
    assert previous.read_text() == lines(START)
    with pytest.raises(JournalError, match="already exists"):
        Journal(previous)
    with pytest.raises(JournalError, match="not a regular file"):
        Journal("/dev/null", resume=True)
    # An empty file made for the run (mktemp) is the run's.
    empty = tmp_path / "made-by-mktemp.jsonl"
    empty.touch(mode=0o644)
    junit = tmp_path / "junit.xml"
    proc = run_cli(tmp_path, "run", str(topology), "planned-switchover", "--yes", "-q", "--journal", str(empty),
                   "--junit", str(junit))
    assert proc.returncode == 0, proc.stderr
    assert read_journal(empty)[-1]["event"] == "run-ended"
    for report in (empty, junit):
        assert stat.S_IMODE(report.stat().st_mode) == 0o600, report


SECRET_BOOK = """\
name: secret-victim
params:
  victim: {type: node, env: DRILL_VICTIM}
steps:
  - {id: stop, kind: fault, fault: "node:${victim}"}
  - {id: linger, kind: wait, condition: "elapsed >= 200s", timeout: 5m, needs: [stop]}
"""


def test_a_secret_in_a_fault_spec_is_journaled_by_name_and_put_back_to_heal(tmp_path: Path) -> None:
    book = tmp_path / "secret.yaml"
    book.write_text(SECRET_BOOK)
    journal = tmp_path / "j.jsonl"
    env = {**env_for(tmp_path), "DRILL_VICTIM": "pg-2"}
    proc = subprocess.Popen([REGIONCTL, "run", "active-passive", str(book), "--speed", "20", "--json",
                             "--journal", str(journal)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    wait_for_event(journal, "undo-pushed", proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    text = journal.read_text()
    assert "pg-2" not in text and "node:${victim}" in text
    records = read_journal(journal)
    with pytest.raises(JournalError, match="--var victim=VALUE or set DRILL_VICTIM"):
        resolve_secrets(records, {}, {})
    with pytest.raises(JournalError, match="not the one the run used"):
        resolve_secrets(records, {"victim": "pg-3"}, {})
    healed, values = resolve_secrets(records, {}, {"DRILL_VICTIM": "pg-2"})
    assert [describe_command(c) for c in journal_state(healed).undo] == ["heal node:pg-2"]
    assert values == {"victim": "pg-2"}
    # The resumed run reads the secret again, replays and heals the right node.
    resumed = subprocess.run([REGIONCTL, "run", "active-passive", str(book), "--resume", str(journal), "--json"],
                             cwd=ROOT, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads(resumed.stdout)
    assert report["faults_left"] == [] and "pg-2" not in journal.read_text()
    assert "pg-2" not in resumed.stdout + resumed.stderr


def test_recover_of_a_secret_spec_without_the_value_says_what_it_needs(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    writer = Journal(journal)
    writer.secret_params = {"victim": ("pg-3", "DRILL_VICTIM")}
    writer.write("run-started", **{k: v for k, v in START.items() if k not in ("seq", "event")})
    writer.write("step-started", at=1.0, section="steps", step="stop", kind="fault", command=FAULT)
    writer.close()
    assert "pg-3" not in journal.read_text()
    env = {k: v for k, v in os.environ.items() if k != "DRILL_VICTIM"}
    proc = subprocess.run([REGIONCTL, "recover", str(journal)], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert proc.returncode == ExitCode.INVALID_INPUT
    assert "give it with --var victim=VALUE or set DRILL_VICTIM" in proc.stderr
    wrong = subprocess.run([REGIONCTL, "recover", str(journal), "--var", "victim=pg-1"], cwd=ROOT,
                           capture_output=True, text=True, env=env, timeout=60, check=False)
    assert wrong.returncode == ExitCode.INVALID_INPUT and "not the one the run used" in wrong.stderr


def test_a_killed_run_still_resumes(tmp_path: Path) -> None:
    """The schema accepts every journal the executor writes, including one cut by SIGKILL."""
    journal = tmp_path / "j.jsonl"
    proc = start_slow(tmp_path, journal)
    wait_for_event(journal, "step-ended", proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert journal_state(read_journal(journal)).ended is None


def test_a_resumed_simulation_owes_only_the_heals_of_faults_it_replayed() -> None:
    from regionctl.runbook.resume import sim_owed

    killed_mid_command = journal_state([START, started()])
    assert killed_mid_command.undo and sim_owed(killed_mid_command) == []  # that world died with its process
    applied_then_killed = journal_state([START, started(), applied(3, True)])
    assert [describe_command(c) for c in sim_owed(applied_then_killed)] == ["heal node:pg-3"]


def test_two_runs_of_one_process_in_one_second_get_a_journal_each(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """run --compare runs the simulator, then the real hosts: the second run must not meet the first's journal
    (a new run refuses an existing file)."""
    from regionctl.cli.run_session import default_journal_path

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    first = default_journal_path("drill")
    Journal(first).close()
    second = default_journal_path("drill")
    assert second != first and not second.exists()
    Journal(second).close()
