"""Edge values at the command line: a clear error and exit 2, never a traceback (issue 18's leftovers)."""

from __future__ import annotations

import subprocess

import pytest

from tests.modelhelpers import REGIONCTL, ROOT

LONG = "a" * 300  # longer than a file name may be: looking it up raises ENAMETOOLONG


def regionctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(REGIONCTL), *args], capture_output=True, text=True, cwd=ROOT, timeout=60)


@pytest.mark.parametrize("command", [["validate", LONG], ["drill", LONG], ["status", LONG], ["blast", LONG,
                                                                                              "node:x"]])
def test_a_name_too_long_for_the_file_system_is_a_clear_error(command: list[str]) -> None:
    proc = regionctl(*command)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-500:]


@pytest.mark.parametrize("args", [["drill", "active-passive", "--duration", "100000000h"],
                                  ["run", "active-passive", "failover-to-eu-west", "--yes", "--warmup", "99999999h"],
                                  ["status", "active-passive", "--at", "100000000h"]])
def test_a_simulated_time_past_a_year_is_refused(args: list[str]) -> None:
    proc = regionctl(*args)
    assert proc.returncode == 2 and "at most 365d" in proc.stderr, proc.stderr[-500:]
