"""Whatever `validate` accepts finishes without a traceback, within a bound: every bundled topology and
lab mutated with a fixed seed (tests/filefuzz.py), each mutation that validates run as a user would
(drill, blast, `run --dry-run` of each runbook; `lab --check`). A small count here; `make fuzz` runs
REGIONCTL_FILE_FUZZ mutations (default 1000)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.filefuzz import ROOT, mutations, validates

COUNT = int(os.environ.get("REGIONCTL_FILE_FUZZ", "48"))
SEED = int(os.environ.get("REGIONCTL_FILE_FUZZ_SEED", "39"))  # crashed validate twice in 48 before issue 18
BOUND = float(os.environ.get("REGIONCTL_FILE_FUZZ_BOUND", "90"))  # seconds of wall time per mutated file


def test_every_mutation_that_validates_runs_to_the_end_without_a_traceback(tmp_path: Path) -> None:
    failures: list[str] = []
    ran = 0
    slowest = (0.0, "")
    for name, text, kind in mutations(SEED, COUNT):
        path = tmp_path / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            if not validates(path, kind):
                continue
        except Exception as exc:  # validate itself must never crash
            failures.append(f"{path}: validate raised {type(exc).__name__}: {exc}"[:2000])
            continue
        ran += 1
        started = time.monotonic()
        try:
            proc = subprocess.run([sys.executable, "-m", "tests.filefuzz", str(path), kind], cwd=ROOT,
                                  capture_output=True, text=True, timeout=BOUND, check=False)
        except subprocess.TimeoutExpired:
            failures.append(f"{path}: did not finish within {BOUND:g}s")
            continue
        took = time.monotonic() - started
        slowest = max(slowest, (took, name))
        if proc.returncode != 0:
            failures.append(f"{path}:\n{proc.stderr[-4000:]}")
    print(f"file fuzz: seed {SEED}, {COUNT} mutations, {ran} validated and ran; slowest {slowest[1]} "
          f"{slowest[0]:.1f}s")
    assert ran > 0
    assert not failures, "\n\n".join(failures)
