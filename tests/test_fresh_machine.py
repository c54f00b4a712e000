"""The README's test command on a fresh machine: real-component tests skip with one reason and a closing
line naming the command that enables them; REGIONCTL_REQUIRE_REAL=1 (CI) turns such skips into failures;
scripts/system-packages says in one line what it does; no result depends on the terminal's width."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from regionctl.sandbox import manager
from tests.modelhelpers import ROOT

SCRIPT = ROOT / "scripts" / "system-packages"


def _pytest(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env=env, check=False)


def _without_prometheus() -> dict[str, str]:
    # The venv's directory only: `prometheus` cannot be found, as on a machine that lacks the package.
    env = {k: v for k, v in os.environ.items() if k != "REGIONCTL_REQUIRE_REAL"}
    env["PATH"] = str(Path(sys.executable).parent)
    return env


def test_a_missing_component_skips_with_one_reason_and_the_run_ends_naming_the_command() -> None:
    proc = _pytest("tests/test_prometheus_integration.py::test_prometheus_scrapes_the_exporter_and_answers_lag_queries",
                   "-rs", env=_without_prometheus())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "real component missing: the Prometheus server: not installed (Debian package prometheus)" in proc.stdout
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("1 real-component test(s) skipped (the Prometheus server: not installed")
    assert "`sudo make test` installs the system packages and runs them" in last


def test_ci_turns_the_skip_into_a_failure() -> None:
    env = {**_without_prometheus(), "REGIONCTL_REQUIRE_REAL": "1"}
    proc = _pytest("tests/test_prometheus_integration.py::test_prometheus_scrapes_the_exporter_and_answers_lag_queries",
                   env=env)
    assert proc.returncode == 1
    assert "REGIONCTL_REQUIRE_REAL=1: real-component tests must run, not skip" in proc.stdout
    assert "skipped" not in proc.stdout.splitlines()[-1]


def test_ci_runs_the_readme_test_command_with_real_components_required() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    readme_first_screen = (ROOT / "README.md").read_text().split("\n## ", 1)[0]
    assert "export REGIONCTL_REQUIRE_REAL=1" in ci and "\nmake test\n" in ci
    assert "make test" in readme_first_screen
    assert "@scripts/system-packages" in (ROOT / "Makefile").read_text()


def test_the_package_list_covers_what_the_sandbox_asks_for() -> None:
    listed = subprocess.run([SCRIPT, "--list"], capture_output=True, text=True, check=True).stdout.split()
    assert set(manager.PACKAGES) <= set(listed)
    assert {"prometheus", "tmux"} <= set(listed)


def _shims(tmp_path: Path, uid: str, apt: bool) -> dict[str, str]:
    """A PATH where dpkg knows no package, `id -u` prints `uid`, and apt-get exists only if `apt`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shims = {"dpkg": "exit 1", "id": f"echo {uid}"}
    if apt:
        shims["apt-get"] = f'echo "apt-get $*" >> {tmp_path / "apt.log"}'
    for name, body in shims.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return {"PATH": str(bin_dir), "HOME": str(tmp_path)}  # nothing else: never the machine's real apt-get


def test_without_root_the_script_installs_nothing_and_says_so_in_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(["/bin/bash", SCRIPT], capture_output=True, text=True, env=_shims(tmp_path, "1000", apt=True),
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 1
    assert proc.stdout.startswith("system packages: missing openssh-server postgresql")
    assert "not root, so not installing them" in proc.stdout and "`sudo make test`" in proc.stdout
    assert not (tmp_path / "apt.log").exists()


def test_without_apt_get_the_script_says_so(tmp_path: Path) -> None:
    proc = subprocess.run(["/bin/bash", SCRIPT], capture_output=True, text=True, env=_shims(tmp_path, "0", apt=False),
                          check=False)
    assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 1
    assert "no apt-get here, so not installing them" in proc.stdout


def test_as_root_with_apt_get_it_installs_and_says_so(tmp_path: Path) -> None:
    proc = subprocess.run(["/bin/bash", SCRIPT], capture_output=True, text=True, env=_shims(tmp_path, "0", apt=True),
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 1
    assert proc.stdout.startswith("system packages: installing openssh-server ")
    assert "with apt-get (root)" in proc.stdout
    log = (tmp_path / "apt.log").read_text().splitlines()
    assert log[0] == "apt-get update -qq" and log[1].startswith("apt-get install -y -qq openssh-server")


def test_under_ci_a_machine_that_cannot_install_fails_early(tmp_path: Path) -> None:
    env = {**_shims(tmp_path, "1000", apt=True), "REGIONCTL_REQUIRE_REAL": "1"}
    proc = subprocess.run(["/bin/bash", SCRIPT], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 1 and "REGIONCTL_REQUIRE_REAL=1" in proc.stderr


def test_the_dry_run_plan_does_not_depend_on_the_terminal_width() -> None:
    # A narrow terminal's COLUMNS, inherited by the suite: the test sets the width it needs itself.
    env = {**os.environ, "COLUMNS": "40"}
    proc = _pytest("tests/test_cli_run.py::test_dry_run_prints_the_plan_and_touches_nothing", env=env)
    assert proc.returncode == 0, proc.stdout


def _make_dry_run(target: str, tmp_path: Path) -> str:
    proc = subprocess.run(["make", "-n", target, f"VENV={tmp_path / 'venv'}"], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return proc.stdout


def test_make_run_installs_only_the_runtime_dependencies_and_shows_progress(tmp_path: Path) -> None:
    installs = [line for line in _make_dry_run("run", tmp_path).splitlines() if "pip install" in line]
    assert len(installs) == 1 and installs[0].rstrip().endswith("-e .")
    assert "[test]" not in installs[0] and "--quiet" not in installs[0] and " -q" not in installs[0]
    assert "--progress-bar on" in installs[0]
    # The test extras have a stamp of their own: `make test` never counts as installed because `make run` ran.
    test_plan = _make_dry_run("test", tmp_path)
    assert "-e '.[test]'" in test_plan and "scripts/system-packages" in test_plan
