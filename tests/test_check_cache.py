"""The validation cache: a warm `validate` imports neither YAML nor pydantic, and any change to a file,
a damaged entry or processes racing never change what `validate` says."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "regionctl" / "data" / "topologies"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "REGIONCTL_NO_CACHE": ""}


def _validate(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "regionctl", "validate", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, check=False, timeout=120)


PROBE = """
import sys
from regionctl.cli.main import main
try:
    main(["validate", *sys.argv[1:]])
except SystemExit:
    pass
heavy = ("pydantic", "yaml", "rich", "textual", "regionctl.sim.simulator", "regionctl.runbook.plan")
print(",".join(m for m in heavy if m in sys.modules), file=sys.stderr)
"""


def test_a_warm_validate_imports_neither_yaml_nor_pydantic(env: dict[str, str]) -> None:
    cold = subprocess.run([sys.executable, "-c", PROBE, str(BUNDLED)], capture_output=True, text=True, env=env,
                          cwd=ROOT, check=False, timeout=120)
    assert "pydantic" in cold.stderr.splitlines()[-1]  # the first run validates for real
    warm = subprocess.run([sys.executable, "-c", PROBE, str(BUNDLED)], capture_output=True, text=True, env=env,
                          cwd=ROOT, check=False, timeout=120)
    assert warm.stderr.splitlines()[-1] == ""
    assert warm.stdout == cold.stdout
    assert warm.stderr.splitlines()[:-1] == cold.stderr.splitlines()[:-1]


def test_cached_and_uncached_verdicts_are_identical(env: dict[str, str]) -> None:
    off = _validate({**env, "REGIONCTL_NO_CACHE": "1"}, "--json", str(BUNDLED))
    first, second = _validate(env, "--json", str(BUNDLED)), _validate(env, "--json", str(BUNDLED))
    assert off.returncode == first.returncode == second.returncode == 0
    assert off.stdout == first.stdout == second.stdout


def test_an_edit_after_a_cached_load_is_seen(env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "active-passive.yaml"
    shutil.copy(BUNDLED / "active-passive.yaml", target)
    assert _validate(env, str(target)).returncode == 0
    assert _validate(env, str(target)).returncode == 0  # from the cache
    text = target.read_text()
    target.write_text(text.replace("engine: postgres", "engine: postgress", 1))
    broken = _validate(env, str(target))
    assert broken.returncode == 2
    assert f"{target}:20:13: clusters[0].engine:" in broken.stderr  # FILE:LINE:COL and the field path
    target.write_text(text)
    assert _validate(env, str(target)).returncode == 0


def test_a_damaged_or_foreign_entry_is_ignored(env: dict[str, str]) -> None:
    reference = _validate({**env, "REGIONCTL_NO_CACHE": "1"}, str(BUNDLED))
    _validate(env, str(BUNDLED))
    entries = sorted((Path(env["XDG_CACHE_HOME"]) / "regionctl" / "validated").glob("*.json"))
    assert entries
    for i, entry in enumerate(entries):
        if i % 3 == 0:
            entry.write_text("{not json")
        elif i % 3 == 1:
            entry.write_text(json.dumps({"key": "another", "kind": "topology", "warnings": []}))
        else:
            entry.write_bytes(b"")
    again = _validate(env, str(BUNDLED))
    assert (again.returncode, again.stdout, again.stderr) == (0, reference.stdout, reference.stderr)


def test_processes_racing_on_one_cache_agree(env: dict[str, str]) -> None:
    reference = _validate({**env, "REGIONCTL_NO_CACHE": "1"}, "--json", str(BUNDLED))
    racers = [subprocess.Popen([sys.executable, "-m", "regionctl", "validate", "--json", str(BUNDLED)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
              for _ in range(4)]
    outputs = [p.communicate(timeout=120)[0] for p in racers]
    assert all(out == reference.stdout for out in outputs)
    folder = Path(env["XDG_CACHE_HOME"]) / "regionctl" / "validated"
    assert not list(folder.glob(".entry-*"))  # no temporary file left behind


DRILL_PROBE = """
import sys
from regionctl.cli.main import main
try:
    main(["drill", sys.argv[1], "--fault", "region:us-east@0s", "--duration", "1s", "--json"])
except SystemExit:
    pass
heavy = ("textual", "regionctl.model.loader", "regionctl.model.crosscheck", "regionctl.runbook.plan",
         "regionctl.labs.compile", "regionctl.model.errors")
print(",".join(m for m in heavy if m in sys.modules), file=sys.stderr)
"""


def test_a_warm_drill_rebuilds_the_topology_without_validating_it_again(env: dict[str, str]) -> None:
    topology = str(BUNDLED / "active-passive.yaml")
    runs = [subprocess.run([sys.executable, "-c", DRILL_PROBE, topology], capture_output=True, text=True, env=env,
                           cwd=ROOT, check=False, timeout=120) for _ in range(2)]
    assert "regionctl.model.loader" in runs[0].stderr.splitlines()[-1]
    assert runs[1].stderr.splitlines()[-1] == ""
    reports = [json.loads(r.stdout) for r in runs]
    for report in reports:
        report.pop("wall_seconds", None)
    assert reports[0] == reports[1]


def test_an_edit_after_a_cached_drill_is_seen(env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "active-passive.yaml"
    shutil.copy(BUNDLED / "active-passive.yaml", target)
    argv = [sys.executable, "-m", "regionctl", "drill", str(target), "--fault", "region:us-east@0s",
            "--duration", "1s"]
    first = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, check=False, timeout=120)
    assert first.returncode in (0, 1)
    target.write_text(target.read_text().replace("engine: postgres", "engine: postgress", 1))
    broken = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, check=False, timeout=120)
    assert broken.returncode == 2
    assert f"{target}:20:13: clusters[0].engine:" in broken.stderr


RUN_PROBE = """
import sys
from regionctl.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("pydantic" in sys.modules, file=sys.stderr)
"""


@pytest.mark.parametrize("argv", [
    ["drill", str(BUNDLED / "active-passive.yaml"), "--fault", "region:us-east@0s", "--duration", "1s"],
    ["run", str(BUNDLED / "active-passive.yaml"), "failover-to-eu-west", "--yes"],
], ids=["drill", "run"])
def test_a_warm_drill_or_run_imports_no_pydantic(env: dict[str, str], tmp_path: Path, argv: list[str]) -> None:
    # The schema classes are plain dataclasses: from the cache, the topology and runbook need no validator.
    env = {**env, "XDG_STATE_HOME": str(tmp_path / "state")}
    runs = [subprocess.run([sys.executable, "-c", RUN_PROBE, *argv], capture_output=True, text=True, env=env,
                           cwd=ROOT, check=False, timeout=120) for _ in range(2)]
    assert [r.stderr.splitlines()[-1] for r in runs] == ["True", "False"]
    assert runs[0].returncode == runs[1].returncode
    assert runs[0].stdout.replace(" ", "")[:40] == runs[1].stdout.replace(" ", "")[:40]
