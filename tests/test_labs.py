"""Every lab teaches what it says, every time, and fails when its cause is removed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from regionctl.exit_codes import ExitCode
from regionctl.labs.check import check_lab
from regionctl.labs.compile import LabError, bundled_labs, compile_lab
from regionctl.loading import load_file
from regionctl.model.lab import Lab
from tests.modelhelpers import REGIONCTL, ROOT

LABS = {p.stem: p for p in bundled_labs()}


def load(name: str) -> Lab:
    model = load_file(LABS[name], "lab").model
    assert isinstance(model, Lab)
    return model


def test_there_are_at_least_ten_labs_named_like_their_files() -> None:
    assert len(LABS) >= 10
    for name, path in LABS.items():
        assert load(name).name == name, path


@pytest.mark.parametrize("name", sorted(LABS))
async def test_the_lab_teaches_twice_alike_and_not_without_its_cause(name: str) -> None:
    lab = load(name)
    first_code, typed = await check_lab(compile_lab(lab, LABS[name]))
    assert first_code == ExitCode.PASSED, [e for e in typed.expectations or () if not e.held]
    first = typed.to_json()
    second = (await check_lab(compile_lab(lab, LABS[name])))[1].to_json()
    first.pop("wall_seconds"), second.pop("wall_seconds")
    assert first == second
    assert lab.control is not None, "every lab needs a control run that removes its cause"
    control_code, control = await check_lab(compile_lab(lab, LABS[name], control=True), control=True)
    assert control_code == ExitCode.FAILED
    assert not all(e.held for e in control.expectations or ())


def test_the_labs_cover_the_lessons_the_issue_lists() -> None:
    assert {"replication-lag", "async-rpo", "raft-election", "quorum-loss", "split-brain", "active-active-conflicts",
            "leaderless-quorums", "tenancy-blast-radius", "pacelc-latency", "dns-ttl-rto", "failback"} <= set(LABS)


def test_labs_have_text_hints_or_explanations_for_every_step() -> None:
    for name in LABS:
        for step in load(name).steps:
            assert step.text.strip() and step.explain.strip(), f"{name}/{step.id}"


def test_a_control_patch_to_nowhere_is_a_clear_error() -> None:
    lab = load("async-rpo").model_copy(update={"control": load("async-rpo").control.model_copy(  # type: ignore[union-attr]
        update={"patch": [load("async-rpo").control.patch[0].model_copy(  # type: ignore[union-attr]
            update={"path": "topology.clusters.nope.replication"})]})})
    with pytest.raises(LabError, match="no item named 'nope'"):
        compile_lab(lab, LABS["async-rpo"], control=True)


def test_lab_cli_lists_checks_and_reports_json(tmp_path: object) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    listing = subprocess.run([REGIONCTL, "lab"], cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    assert listing.returncode == 0
    for name in LABS:
        assert name in listing.stdout
    check = subprocess.run([REGIONCTL, "lab", "async-rpo", "--check", "--json"], cwd=ROOT, capture_output=True,
                           text=True, env=env, check=False)
    assert check.returncode == 0, check.stderr
    report = json.loads(check.stdout)
    assert report["lab"] == "async-rpo" and report["result"] == "pass" and report["metrics"]["writes_lost"] > 0
    control = subprocess.run([REGIONCTL, "lab", "async-rpo", "--check", "--control"], cwd=ROOT,
                             capture_output=True, text=True, env=env, check=False)
    assert control.returncode == 1 and "DOES NOT TEACH" in control.stdout
    missing = subprocess.run([REGIONCTL, "lab", "no-such-lab", "--check"], cwd=ROOT, capture_output=True,
                             text=True, env=env, check=False)
    assert missing.returncode == 2 and "async-rpo" in missing.stderr
    headless_record = subprocess.run([REGIONCTL, "lab", "async-rpo", "--check", "--record", "x.jsonl"], cwd=tmp_path,
                                     capture_output=True, text=True, env=env, check=False)
    assert headless_record.returncode == 2 and "--record" in headless_record.stderr
    assert "Traceback" not in headless_record.stderr and not (Path(str(tmp_path)) / "x.jsonl").exists()


def test_validate_compiles_labs_and_points_at_the_step(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("""\
name: bad
title: Bad lab
topology: active-passive
steps:
  - id: one
    text: hi
    do: ["region:us-east", "wait lag(pg-9) < 1s"]
    expect: 'leader(orders).regoin == "x"'
    explain: x
""")
    proc = subprocess.run([REGIONCTL, "validate", str(bad)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    line7 = bad.read_text().splitlines()[6]
    assert lines[0] == f"{bad}:7:{line7.index('lag(') + 1}: steps[0].do[1]: lag(): no node named 'pg-9' " \
                       "(known: pg-1, pg-2, pg-3, redis-1, redis-2)"
    assert ":8:" in lines[1] and "steps[0].expect" in lines[1] and "regoin" in lines[1]


def test_a_lab_whose_topology_file_is_broken_says_where(tmp_path: Path) -> None:
    (tmp_path / "topo.yaml").write_text("name: x\nregions: [a\n")
    lab = tmp_path / "lab.yaml"
    lab.write_text("name: l\ntitle: L\ntopology: topo.yaml\nsteps:\n  - {id: one, text: hi, explain: x}\n")
    proc = subprocess.run([REGIONCTL, "lab", str(lab), "--check"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 2 and "topo.yaml:3:1" in proc.stderr and "Traceback" not in proc.stderr
