"""Import contracts (docs/architecture.md): only `regionctl/tui/` imports Textual, and the entry point
imports nothing heavy, so that `regionctl --help` starts fast."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.modelhelpers import ROOT

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
