"""`regionctl replay`: the headless status at a moment equals `regionctl status` of the live run there, bad
session files are refused with FILE:LINE:COL and exit 2 (never a traceback), and --help teaches."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from regionctl.contract.commands import HealAll, InjectFault, Promote
from regionctl.contract.faults import parse_fault
from tests.modelhelpers import assert_clean_lines, invoke
from tests.replayhelpers import drive, record


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    run = drive("active-passive", 3, [(6.1, InjectFault(parse_fault("region:us-east"))), (7.3, Promote("pg-3")),
                                      (2.9, HealAll())], tick_rng=random.Random(5))
    return record(run, "active-passive", tmp_path_factory.mktemp("replay") / "drill.jsonl"), run


def test_status_at_a_moment_is_the_live_frame_there(session: tuple[Path, object]) -> None:
    path, run = session
    frames = run.frames  # type: ignore[attr-defined]
    for position_, live in list(frames.items())[::40]:
        if any(p.t == position_.t and p.applied != position_.applied for p in frames):
            continue  # a command at that very instant: --at shows the moment after it
        result = invoke("replay", str(path), "--at", f"{position_.t!r}s", "--status", "--json")
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout) == json.loads(json.dumps(live.to_status_json()))


def test_status_in_words(session: tuple[Path, object]) -> None:
    path, _ = session
    result = invoke("replay", str(path), "--at", "90s", "--status")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("replayed moment shown: t=1m30s of ")
    assert "regions: us-east down" in result.stdout  # injected at t=61s (6.1 wall seconds at x10)


def test_help_teaches_with_examples() -> None:
    result = invoke("replay", "--help")
    assert result.exit_code == 0
    assert "regionctl replay drill.session.jsonl --at 1.5m --status" in result.stdout
    assert "--record" in result.stdout


def test_at_past_the_end_and_json_without_status_are_refused(session: tuple[Path, object]) -> None:
    path, _ = session
    result = invoke("replay", str(path), "--at", "5h", "--status")
    assert result.exit_code == 2 and "expected a time within the session" in result.stderr
    result = invoke("replay", str(path), "--json")
    assert result.exit_code == 2 and "--json goes with --status" in result.stderr


def _broken(tmp_path: Path, good: Path, change: str) -> tuple[Path, str]:
    lines = good.read_text().splitlines(keepends=True)
    if change == "truncated":
        text = "".join(lines[:3]) + lines[3][: len(lines[3]) // 2]
    elif change == "version":
        text = lines[0].replace('"version": 1', '"version": 2') + "".join(lines[1:])
    elif change == "unknown command":
        text = "".join(lines[:2]) + json.dumps({"t": 70.0, "do": "injet", "fault": "node:pg-1"}) + "\n" \
            + "".join(lines[3:])
    elif change == "not json":
        text = "this is not a session\n"
    elif change == "time backwards":
        text = "".join(lines[:3]) + json.dumps({"t": 1.5, "do": "heal-all", "ok": True, "result": ""}) + "\n" \
            + "".join(lines[3:])
    elif change == "bad fault":
        text = "".join(lines[:1]) + json.dumps({"t": 2.0, "do": "inject", "fault": "region:"}) + "\n" \
            + "".join(lines[1:])
    else:  # a topology that does not validate
        header = json.loads(lines[0])
        header["topology"] = header["topology"].replace("kind: active-passive", "kind: active-pasive")
        text = json.dumps(header) + "\n" + "".join(lines[1:])
    path = tmp_path / "broken.jsonl"
    path.write_text(text)
    return path, text


CASES = {
    "truncated": (4, "cut short: a truncated file?"),
    "version": (1, "expected version 1 (the one this regionctl reads), found 2; written by a newer regionctl?"),
    "unknown command": (3, "found 'injet'; did you mean 'inject'?"),
    "not json": (1, "expected one JSON object per line, found invalid JSON"),
    "time backwards": (4, "expected a time at or after the previous line's"),
    "bad fault": (2, "expected a fault spec, found 'region:'"),
    "topology": (None, "did you mean 'active-passive'?"),
}


@pytest.mark.parametrize("change", list(CASES))
def test_bad_session_files_are_refused_with_where_and_what(tmp_path: Path, session: tuple[Path, object],
                                                           change: str) -> None:
    path, text = _broken(tmp_path, session[0], change)
    line, says = CASES[change]
    result = invoke("replay", str(path), "--status")
    assert result.exit_code == 2, result.stdout
    matches = assert_clean_lines(result.stderr)
    assert says in result.stderr
    if line is not None:
        assert matches[0].group(0).startswith(f"{path}:{line}:")
    else:
        assert result.stderr.startswith(f"{path}[topology]:")
    if change == "unknown command":
        column = text.splitlines()[2].index('"do"') + 1
        assert result.stderr.startswith(f"{path}:3:{column}: do: ")


def test_a_session_without_its_end_line_replays_with_a_warning(tmp_path: Path, session: tuple[Path, object]) -> None:
    lines = session[0].read_text().splitlines(keepends=True)
    path = tmp_path / "killed.jsonl"
    path.write_text("".join(lines[:-1]))
    result = invoke("replay", str(path), "--status", "--json")
    assert result.exit_code == 0
    assert "warning: (file): no end line: the session did not close (killed?)" in result.stderr
    assert json.loads(result.stdout)["time"] == round(json.loads(lines[-2])["t"], 6)
