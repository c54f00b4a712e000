"""Import contracts (docs/architecture.md): the layers of pyproject.toml's [tool.importlinter] hold (the
shared contract and the model at the bottom, frontends on top, the simulator pure, no cycles), only
`regionctl/tui/` imports Textual, and the entry point imports nothing heavy, so that `regionctl --help`
starts fast."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

from tests.modelhelpers import ROOT

CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def _contract(kind: str) -> dict[str, object]:
    return next(c for c in CONTRACTS if c["type"] == kind)


def _layers() -> list[set[str]]:
    layers = _contract("layers")["layers"]
    assert isinstance(layers, list)
    return [{part.strip() for part in layer.replace(":", "|").split("|")} for layer in layers]


def test_the_import_contracts_hold() -> None:
    proc = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in proc.stdout


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("regionctl")


def test_every_package_has_a_layer(graph: grimp.ImportGraph) -> None:
    # A package outside the layers would be checked by nothing.
    placed = set().union(*_layers())
    shims = {"regionctl.__main__"}  # `python -m regionctl`
    assert graph.find_children("regionctl") - shims <= placed, sorted(graph.find_children("regionctl") - placed)


@pytest.mark.parametrize(("importer", "imported"), [
    ("regionctl.sim.simulator", "regionctl.backends.sim_backend"),  # the inversion issue 15 removed
    ("regionctl.model.loader", "regionctl.runbook.plan"),  # so was this one
    ("regionctl.contract.snapshot", "regionctl.sim.simulator"),
    ("regionctl.tui.lab", "regionctl.cli.lab"),
    ("regionctl.labs.session", "regionctl.sandbox.manager"),
])
def test_an_import_against_the_layers_is_caught(graph: grimp.ImportGraph, importer: str, imported: str) -> None:
    layers = _contract("layers")["layers"]
    assert isinstance(layers, list)
    levels = tuple(grimp.Layer(*sorted(level), independent="|" in raw) for level, raw in zip(_layers(), layers,
                                                                                              strict=True))
    assert not graph.find_illegal_dependencies_for_layers(layers=levels, containers=set())
    graph.add_import(importer=importer, imported=imported)
    try:
        assert graph.find_illegal_dependencies_for_layers(layers=levels, containers=set())
    finally:
        graph.remove_import(importer=importer, imported=imported)


def test_the_simulator_calls_no_io_builtin() -> None:
    # Imports are the import-linter contract's; builtins that do I/O are not imports.
    for path in sorted((ROOT / "regionctl" / "sim").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("open", "print", "input", "breakpoint"), \
                    f"{path.name}:{node.lineno}: {node.func.id}(): regionctl/sim must stay pure"

# pkgutil.walk_packages imports every package it descends into, regionctl.tui included, so
# the walk is done by hand with iter_modules and never enters regionctl/tui/.
WALK_AND_IMPORT = """
import importlib, json, pkgutil, sys
import regionctl
imported, skipped = ["regionctl"], []
def walk(path, prefix):
    for info in pkgutil.iter_modules(path, prefix):
        if info.name == "regionctl.tui":
            skipped.append(info.name)
            continue
        module = importlib.import_module(info.name)
        imported.append(info.name)
        if info.ispkg:
            walk(module.__path__, info.name + ".")
walk(regionctl.__path__, "regionctl.")
print(json.dumps({"imported": imported, "skipped": skipped,
                  "textual": sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))}))
"""

ENTRY_POINT = """
import json, sys
import regionctl.cli.main
print(json.dumps(sorted(sys.modules)))
"""

HEAVY = ("pydantic", "textual", "asyncssh", "yaml", "rich", "regionctl.sim", "prometheus_client")


def _python(code: str) -> str:
    # A fresh interpreter: nothing the test session imported counts.
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_no_module_outside_tui_imports_textual() -> None:
    result = json.loads(_python(WALK_AND_IMPORT))
    imported = set(result["imported"])
    # The walk really covers the package (a broken walk would pass vacuously).
    assert {"regionctl.cli.main", "regionctl.cli.validate", "regionctl.model.loader", "regionctl.data",
            "regionctl.model.yaml_source", "regionctl.units", "regionctl.exit_codes"} <= imported
    assert not any(name.startswith("regionctl.tui") for name in imported)
    assert result["textual"] == [], f"textual imported outside regionctl/tui/: {result['textual']}"


def test_the_entry_point_imports_nothing_heavy() -> None:
    modules = json.loads(_python(ENTRY_POINT))
    assert "regionctl.cli.main" in modules
    heavy = [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == []


DASHBOARD = """
import json, sys
import regionctl.tui.app
print(json.dumps(sorted(sys.modules)))
"""
# What the dashboard's first frame does not need: the runbook planner and executor (imported on the first
# `r`), the typed reports (a drill's, a run's) and pydantic (a topology the validation cache knows is
# never validated again). A count of modules, not a time: it holds on any machine.
NOT_BEFORE_THE_FIRST_FRAME = ("pydantic", "regionctl.runbook.plan", "regionctl.runbook.executor",
                              "regionctl.contract.report", "regionctl.model.validation", "asyncssh")


def test_the_dashboard_imports_only_what_its_first_frame_needs() -> None:
    modules = json.loads(_python(DASHBOARD))
    assert "regionctl.tui.app" in modules and "textual.app" in modules
    early = [m for m in modules if any(m == h or m.startswith(h + ".") for h in NOT_BEFORE_THE_FIRST_FRAME)]
    assert early == []


SIM_RUN = """
import json, os, sys, runpy
sys.argv = ["regionctl", "run", "active-passive", "failover-to-eu-west", "--yes", "-q", "--json"]
try:
    runpy.run_module("regionctl", run_name="__main__")
except SystemExit as stop:
    code = stop.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def test_a_headless_run_on_the_simulator_runs_with_no_event_loop(tmp_path: Path) -> None:
    """Nothing a headless, unpaced run on the simulator awaits is real (contract/inline.py): it leaves
    asyncio out, an eighth of its start-up. A count of modules, not a time."""
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", SIM_RUN], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False, env=env)
    result = json.loads(proc.stderr.strip().splitlines()[-1])
    assert result["code"] == 0 and json.loads(proc.stdout)["result"] == "pass"
    assert "regionctl.runbook.executor" in result["modules"]
    assert [m for m in result["modules"] if m == "asyncio" or m.startswith("asyncio.")] == []
