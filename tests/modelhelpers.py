"""Shared helpers for the topology-model, loader and command-line tests."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from regionctl.cli.main import cli
from regionctl.loading import load_file
from regionctl.model.diagnostics import Diagnostic, InputError

ROOT = Path(__file__).resolve().parent.parent
TOPOLOGIES = ROOT / "regionctl" / "data" / "topologies"
SCHEMAS = ROOT / "regionctl" / "data" / "schemas"
BUNDLED = ("single-region", "active-passive", "active-active", "hybrid",
           "tenancy-silo", "tenancy-pool", "tenancy-bridge")
# The console script of the environment running the tests (the venv's `regionctl`).
REGIONCTL = str(Path(sys.executable).with_name("regionctl"))

# FILE:LINE:COL: field.path: message  (warnings put "warning: " before the field path)
DIAGNOSTIC_LINE = re.compile(
    r"^(?P<file>.+?):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): (?P<warning>warning: )?"
    r"(?P<field>\S(?:[^:]|:(?! ))*?): (?P<message>\S.*)$")

# A valid topology; tests break it one way at a time. Positions in it are looked up with
# `position()`, never hard-coded, except where a test pins a position on purpose.
VALID = """\
# a small valid topology for the loader tests
name: shop
kind: active-passive
regions:
  - {name: us-east, zones: [a, b]}
  - {name: eu-west, zones: [a, b]}
  - {name: us-east-2, zones: [a]}
network:
  rtt: {us-east|eu-west: 80ms, us-east|us-east-2: 12ms, eu-west|us-east-2: 85ms}
  jitter: 10%
clusters:
  - name: orders
    engine: postgres-patroni
    replication: {mode: async}
    failover: {policy: auto, fencing: true}
    nodes:
      - {name: pg-1, region: us-east, zone: a, role: leader}
      - {name: pg-2, region: us-east, zone: b}
      - {name: pg-3, region: eu-west, zone: a}
  - name: control
    engine: etcd
    timings: {election_timeout: 2s}
    nodes:
      - {name: etcd-1, region: us-east, zone: a, role: leader}
      - {name: etcd-2, region: us-east-2, zone: a}
      - {name: etcd-3, region: eu-west, zone: a}
traffic:
  - {from: us-east, cluster: orders, writes_per_s: 200, reads_per_s: 1000, routing: dns, dns_ttl: 5s}
services:
  - {name: api, depends_on: [orders]}
  - {name: web, depends_on: [api]}
tenants:
  - {name: acme, model: silo, cluster: orders}
  - {name: globex, model: pool, clusters: [orders], services: [web]}
slo: {availability: 99.95%, rpo: 5s, rto: 60s, write_latency_p99: 250ms}
"""


def position(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the `occurrence`-th `needle` in `text`."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def errors_of(path: Path, kind: str | None = None) -> list[Diagnostic]:
    """The diagnostics of a file that must not load."""
    with pytest.raises(InputError) as caught:
        load_file(path, kind)  # type: ignore[arg-type]
    assert caught.value.diagnostics, "an InputError without diagnostics"
    return caught.value.diagnostics


def invoke(*args: str) -> Result:
    """Run the command line in-process (fast); stdout and stderr stay apart."""
    return CliRunner().invoke(cli, list(args), prog_name="regionctl")


def run(*args: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the installed `regionctl` in a process of its own."""
    return subprocess.run([REGIONCTL, *args], cwd=cwd or ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)


def assert_clean_lines(stderr: str) -> list[re.Match[str]]:
    """Every stderr line is one FILE:LINE:COL diagnostic, and there is no traceback."""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert lines, "expected at least one diagnostic on stderr"
    matches = []
    for line in lines:
        match = DIAGNOSTIC_LINE.match(line)
        assert match, f"not of the form FILE:LINE:COL: field.path: message: {line!r}"
        matches.append(match)
    return matches
