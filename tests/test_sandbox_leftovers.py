"""`sandbox status` names network namespaces an earlier run left behind, and `sandbox down` removes them.

Needs root and `ip` (a real namespace is created); the namespace name is the sandbox's own, so this
runs with the rest of the suite under its lock, never beside a live sandbox."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from regionctl.sandbox import network
from regionctl.sandbox.layout import CTL_NS
from tests.modelhelpers import REGIONCTL
from tests.realdeps import require, require_program, require_root


@pytest.fixture
def leftover_namespace() -> Iterator[str]:
    require_root("network namespaces (sandbox leftovers)")
    require_program("network namespaces (sandbox leftovers)", shutil.which("ip", path="/usr/sbin:/sbin:/usr/bin"),
                    "iproute2")
    require("network namespaces (sandbox leftovers)",
            "a sandbox is up on this machine" if CTL_NS in network.namespaces() else None)
    network.sh("ip", "netns", "add", CTL_NS)
    try:
        yield CTL_NS
    finally:
        network.sh("ip", "netns", "delete", CTL_NS, check=False)


def _sandbox(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([REGIONCTL, "sandbox", *args], capture_output=True, text=True, timeout=60, check=False)


def test_status_names_leftover_namespaces_and_down_removes_them(leftover_namespace: str, tmp_path: Path) -> None:
    where = str(tmp_path / "sandbox")
    shown = _sandbox("status", "--dir", where)
    assert shown.returncode == 1 and shown.stdout.startswith("sandbox down")
    assert (f"namespaces: {leftover_namespace}: leftovers of an earlier run; "
            f"`regionctl sandbox down --dir {where}` removes them (as root)") in shown.stdout
    as_json = json.loads(_sandbox("status", "--dir", where, "--json").stdout)
    assert as_json["up"] is False and as_json["leftover_namespaces"] == [leftover_namespace]

    down = _sandbox("down", "--dir", where)
    assert down.returncode == 0, down.stderr
    assert f"namespace {leftover_namespace}" in down.stderr
    assert leftover_namespace not in network.namespaces()
    after = _sandbox("status", "--dir", where)
    assert "namespaces: none" in after.stdout and "leftovers of an earlier run" not in after.stdout
