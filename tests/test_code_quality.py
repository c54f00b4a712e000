"""The house rules that tools can check: ruff and mypy clean outside the UI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_ruff_is_clean() -> None:
    proc = subprocess.run([str(BIN / "ruff"), "check", "regionctl", "tests", "bench"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_is_clean() -> None:
    proc = subprocess.run([str(BIN / "mypy"), "regionctl"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_simulator_core_stays_pure() -> None:
    forbidden = ("import asyncio", "from asyncio", "import socket", "import subprocess", "import time",
                 "from time import", "import asyncssh", "open(", "import textual", "from textual")
    for path in (ROOT / "regionctl" / "sim").glob("*.py"):
        text = path.read_text()
        for word in forbidden:
            assert word not in text, f"{path.name} uses {word!r}: regionctl/sim must stay pure"
