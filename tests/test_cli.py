"""The command line skeleton: commands, help, schema, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from enum import IntEnum
from pathlib import Path

import pytest

from regionctl.cli.main import COMMANDS
from regionctl.exit_codes import ExitCode
from tests.modelhelpers import ROOT, invoke, run

# The commands of the README's "Commands" section.
README_COMMANDS = ("tui", "validate", "schema", "status", "drill", "blast", "run", "lab", "exporter",
                   "sandbox", "recover",  # recover: the runbook issue's `regionctl recover JOURNAL`
                   "check",  # check: `regionctl check HISTORY`
                   "replay",  # replay: `regionctl replay FILE` (issue 19's rewind)
                   "explore")  # explore: `regionctl explore TOPOLOGY` (issue 22)


def _listed_commands(help_text: str) -> list[str]:
    lines = help_text.splitlines()
    start = lines.index("Commands:") + 1
    names = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        if not line.startswith("   "):  # continuation lines of a wrapped help text are indented further
            names.append(line.split()[0])
    return names


def test_help_lists_every_command_of_the_readme() -> None:
    proc = run("--help")
    assert proc.returncode == 0
    assert proc.stderr == ""
    assert sorted(_listed_commands(proc.stdout)) == sorted(README_COMMANDS)
    assert set(COMMANDS) == set(README_COMMANDS)


def test_python_dash_m_works() -> None:
    proc = subprocess.run([sys.executable, "-m", "regionctl", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert sorted(_listed_commands(proc.stdout)) == sorted(README_COMMANDS)


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("regionctl, version ")


def test_every_command_is_built() -> None:
    assert not [name for name, (module, _, _) in COMMANDS.items() if module == "regionctl.cli.pending"]


@pytest.mark.parametrize("kind", ["topology", "runbook", "lab"])
def test_schema_prints_json_schema(kind: str) -> None:
    result = invoke("schema", kind)
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False  # unknown keys are errors in editors too
    assert "name" in schema["properties"]


def test_topology_schema_describes_units_and_kinds() -> None:
    schema = json.loads(invoke("schema", "topology").stdout)
    assert set(schema["properties"]) >= {"name", "kind", "regions", "network", "clusters", "traffic",
                                         "services", "tenants", "slo", "runbooks"}
    assert set(schema["required"]) >= {"name", "kind", "regions", "clusters"}
    kinds = schema["$defs"]["TopologyKind"]["enum"]
    assert kinds == ["single-region", "active-passive", "active-active", "hybrid",
                     "tenancy-silo", "tenancy-pool", "tenancy-bridge"]
    rto = schema["$defs"]["Slo"]["properties"]["rto"]
    assert "pattern" in json.dumps(rto)  # durations are strings with a unit, not bare numbers


@pytest.mark.parametrize("args", [["schema", "toplogy"], ["schema"], ["validate"], ["no-such-command"],
                                  ["status", "--backend", "telnet"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_exit_codes_are_the_documented_table() -> None:
    assert issubclass(ExitCode, IntEnum)
    assert {code.name: code.value for code in ExitCode} == {
        "PASSED": 0, "FAILED": 1, "INVALID_INPUT": 2, "ABORTED": 3, "STEP_ERROR": 4,
        "INTERRUPTED": 5, "ROLLBACK_FAILED": 6}


def test_a_topology_file_alone_opens_it_like_tui(tmp_path: Path) -> None:
    # `regionctl my-topology.yaml`, as one types after `regionctl` alone opened the dashboard: the same
    # checks as `regionctl tui FILE` (a broken file: FILE:LINE:COL, exit 2, no dashboard).
    broken = tmp_path / "mine.yaml"
    broken.write_text("name: x\nkind: active-passive\nregions: []\nclusters: []\n")
    result = invoke(str(broken))
    assert result.exit_code == 2, result.output
    assert f"{broken}:3:" in result.stderr and "No such command" not in result.stderr
    assert invoke("no-such-thing.yaml").exit_code == 2
