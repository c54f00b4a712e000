"""`--help` texts that name things which exist elsewhere: kept in step with them."""

from __future__ import annotations

import subprocess
import sys

from tests.modelhelpers import ROOT


def test_tui_help_names_every_bundled_topology() -> None:
    names = sorted(p.stem for p in (ROOT / "regionctl/data/topologies").glob("*.yaml"))
    out = subprocess.run([sys.executable, "-m", "regionctl", "tui", "--help"], capture_output=True, text=True,
                         check=True, cwd=ROOT, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"}).stdout
    text = " ".join(out.split())
    assert len(names) >= 7 and all(name in text for name in names), (names, text[:400])
