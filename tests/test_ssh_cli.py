"""Command-line edges of the SSH backend and the sandbox: clear one-line errors, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from regionctl.exit_codes import ExitCode
from regionctl.sandbox import manager
from tests.modelhelpers import invoke


def test_status_ssh_on_a_topology_without_hosts_says_what_is_missing() -> None:
    result = invoke("status", "active-passive", "--backend", "ssh")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert "node(s) have no `host` to log in to (pg-1, pg-2" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_status_ssh_refuses_simulator_options() -> None:
    result = invoke("status", "active-passive", "--backend", "ssh", "--at", "5s")
    assert result.exit_code == ExitCode.INVALID_INPUT and "--at are for the simulator" in result.output


def test_sandbox_without_packages_prints_the_apt_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(manager, "PROGRAMS", {"regionctl-no-such-program": "redis-server"})
    monkeypatch.setattr(manager.os, "geteuid", lambda: 0)
    result = invoke("sandbox", "up", "--dir", str(tmp_path / "sb"))
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert "missing redis-server: run `apt-get update && apt-get install -y openssh-server postgresql" in result.output
    assert not (tmp_path / "sb").exists()


def test_sandbox_without_root_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(manager.os, "geteuid", lambda: 1000)
    result = invoke("sandbox", "up", "--dir", str(tmp_path))
    assert result.exit_code == ExitCode.INVALID_INPUT and "needs root" in result.output


def test_sandbox_status_of_nothing_exits_1(tmp_path: Path) -> None:
    result = invoke("sandbox", "status", "--dir", str(tmp_path / "none"), "--json")
    assert result.exit_code == ExitCode.FAILED and '"up": false' in result.output


def test_a_password_in_the_ssh_block_is_rejected(tmp_path: Path) -> None:
    topology = tmp_path / "pw.yaml"
    topology.write_text("name: pw\nkind: single-region\nregions: [{name: r}]\nssh: {user: ops, password: hunter2}\n"
                        "clusters:\n  - name: c\n    engine: etcd\n"
                        "    nodes: [{name: e1, region: r, host: 10.0.0.1}]\n")
    result = invoke("validate", str(topology))
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert "pw.yaml:4:18: ssh.password: expected one of the fields" in result.output


def test_status_ssh_when_no_host_answers_exits_4(tmp_path: Path) -> None:
    from regionctl.sandbox.sshd import free_port

    topology = tmp_path / "gone.yaml"
    topology.write_text("name: gone\nkind: single-region\nregions: [{name: r}]\n"
                        f"ssh: {{port: {free_port()}, connect_timeout: 1s, known_hosts: {tmp_path / 'kh'}}}\n"
                        "clusters:\n  - name: c\n    engine: etcd\n"
                        "    nodes: [{name: e1, region: r, role: leader, host: 127.0.0.1},\n"
                        "            {name: e2, region: r, host: 127.0.0.1}]\n")
    (tmp_path / "kh").write_text("")
    result = invoke("status", str(topology), "--backend", "ssh")
    assert result.exit_code == ExitCode.STEP_ERROR, result.output
    assert "e1: 127.0.0.1" in result.output and "no host answered" in result.output
