"""Bare `regionctl` in a real terminal (tmux): the dashboard opens on the bundled default
topology, shows regions and leaders, injects a fault from the keyboard, and `q` exits."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.realdeps import require_program

REGIONCTL = Path(sys.executable).parent / "regionctl"


@pytest.fixture
def tmux() -> Iterator[Callable[..., str]]:
    require_program("tmux (a real terminal)", shutil.which("tmux"), "tmux")
    socket = f"regionctl-test-{uuid.uuid4().hex[:8]}"  # a private server: never touches the user's sessions

    def run(*args: str) -> str:
        proc = subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True, timeout=30, check=False)
        return proc.stdout

    yield run
    run("kill-server")


def wait_for(tmux: Callable[..., str], predicate: Callable[[str], bool], what: str, limit: float = 60.0) -> str:
    """Poll the pane until `predicate` holds (a wait, not a timing assertion)."""
    deadline = time.monotonic() + limit
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", "dash")
        if predicate(screen):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"never saw {what}; the pane shows:\n{screen}")


def test_bare_regionctl_opens_the_dashboard_and_q_exits(tmux: Callable[..., str], tmp_path: Path) -> None:
    marker = tmp_path / "exit-code"
    env = f"TERM=xterm-256color COLUMNS= LINES= HOME={os.environ.get('HOME', '/root')}"
    command = f"env {env} {REGIONCTL}; echo $? > {marker}; sleep 30"
    tmux("new-session", "-d", "-s", "dash", "-x", "160", "-y", "48", command)
    screen = wait_for(tmux, lambda s: "★ pg-1" in s and "leaders" in s, "the dashboard")
    for text in ("active-passive", "✔ us-east up", "✔ eu-west up", "✔ us-west up", "★ redis-1",
                 "replication", "blast radius", "traffic & SLOs"):
        assert text in screen
    # A region outage from the keyboard: f, kind region, target us-east, confirm.
    tmux("send-keys", "-t", "dash", "f")
    wait_for(tmux, lambda s: "1/3 kind" in s, "the fault picker")
    tmux("send-keys", "-t", "dash", "Down", "Enter")
    wait_for(tmux, lambda s: "2/3 target" in s, "the targets")
    tmux("send-keys", "-t", "dash", "Enter")
    wait_for(tmux, lambda s: "What it would reach" in s, "the blast-radius preview")
    tmux("send-keys", "-t", "dash", "Enter")
    wait_for(tmux, lambda s: "✘ us-east down" in s and "1 fault(s) injected" in s, "the outage")
    # q asks first while a fault is injected; h heals it and quits.
    tmux("send-keys", "-t", "dash", "q")
    wait_for(tmux, lambda s: "still injected" in s, "the quit confirmation")
    tmux("send-keys", "-t", "dash", "h")
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marker.exists(), "regionctl did not exit after q, h"
    assert marker.read_text().strip() == "0"


def flowed(screen: str) -> str:
    """The pane's words in reading order (a wrapped line reads as one again)."""
    return " ".join(" ".join(line.replace("│", " ").split()) for line in screen.splitlines())


LAG = r"(\d+(\.\d+)?ms|\d+(\.\d+)?s|\d+m\d+s)"
FOLLOWERS = ("cp-usw", "cp-euw", "ledger-2", "ledger-3", "mysql-2", "mysql-3")


def assert_lags(screen: str) -> None:
    for node in FOLLOWERS:
        row = next((line for line in screen.splitlines() if re.search(rf"(^|\s){node}\s", line)), None)
        assert row is not None, f"follower {node} is not on the screen:\n{screen}"
        assert re.search(rf"\s{LAG}\s", row), f"{node}'s lag is not in its row {row!r}:\n{screen}"


@pytest.mark.parametrize("size", [(80, 24), (100, 30)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_key_figure_is_on_a_small_terminal_through_a_failover(tmux: Callable[..., str],
                                                                    size: tuple[int, int]) -> None:
    # hybrid at a quarter speed (the orchestrator's countdown lasts long enough to read), eu-west down.
    env = f"TERM=xterm-256color COLUMNS= LINES= HOME={os.environ.get('HOME', '/root')}"
    command = f"env {env} {REGIONCTL} tui hybrid --speed 0.25x; sleep 30"
    tmux("new-session", "-d", "-s", "dash", "-x", str(size[0]), "-y", str(size[1]), command)
    screen = wait_for(tmux, lambda s: "★ mysql-1" in s and "mysql-3" in s and "q quit" in s, "the dashboard")
    for text in ("no faults", "✔ SLO ok", "★ cp-use", "★ ledger-1", "traffic & SLOs", "events", "v view",
                 "? help", "q quit"):
        assert text in screen, f"{text!r} is not on the screen:\n{screen}"
    assert re.search(rf"t={LAG} ×0.25", screen), screen
    assert_lags(screen)
    tmux("send-keys", "-t", "dash", "f")
    wait_for(tmux, lambda s: "1/3 kind" in s, "the fault picker")
    tmux("send-keys", "-t", "dash", "Down", "Enter")
    wait_for(tmux, lambda s: "2/3 target" in s, "the targets")
    tmux("send-keys", "-t", "dash", "Down", "Down", "Enter")
    wait_for(tmux, lambda s: "What it would reach" in s, "the blast-radius preview")
    tmux("send-keys", "-t", "dash", "Enter")
    screen = wait_for(tmux, lambda s: re.search(r"failover expected in \d+(\.\d)?s", flowed(s)) is not None
                      and "fault injected: region:eu-west" in flowed(s), "the failover countdown")
    words = flowed(screen)
    assert re.search(r"regionctl t=\S+ ×0.25 · ▶ running · (▲ SLO at risk|✘ SLO breached) · ⚡ 1 fault", words), screen
    for text in ("⚡ 1 fault(s) injected", "★ cp-use", "★ ledger-1", "★ mysql-1", "✘ refused",
                 "fault injected: region:eu-west"):
        assert text in words, f"{text!r} is not on the screen:\n{screen}"
    assert re.search(rf"RTO ⏱ {LAG} running \(SLO 1m00s\) · RPO ✔ {LAG} \(SLO 1s\)", words), screen
    assert re.search(r"writes lost \d+ · acked [\d,]+ · failed [\d,]+", words), screen
    assert_lags(screen)
    # Faster, and the failover lands: mysql-3 leads, the RTO is recovered.
    tmux("send-keys", "-t", "dash", "+", "+", "+", "+")
    screen = wait_for(tmux, lambda s: "★ mysql-3" in s and "recovered" in s, "the failover")
    words = flowed(screen)
    assert re.search(rf"RTO ✔ {LAG} recovered \(SLO 1m00s\)", words), screen
    assert re.search(r"writes lost \d+", words), screen
    assert "failover expected" not in words
    # The line saying when the fault began is pinned above the log: it is still there after the failover.
    assert re.search(r"⚡ t=\S+s fault injected: region:eu-west", words), screen
    # A dialog leaves the live dashboard in view: the header's clock ticks on above the help screen.
    tmux("send-keys", "-t", "dash", "?")
    screen = wait_for(tmux, lambda s: "inject a fault: kind" in s, "the help screen")
    header = screen.splitlines()[0]
    assert "⚡ 1 fault(s) injected" in header, screen
    clock = re.search(r"t=(\S+) ×", header)
    assert clock is not None, screen

    def ticked(s: str) -> bool:
        now = re.search(r"t=(\S+) ×", s.splitlines()[0]) if s else None
        return now is not None and now.group(1) != clock.group(1) and "inject a fault: kind" in s

    wait_for(tmux, ticked, "the clock ticking behind the help screen")


def test_a_recorded_session_replays_in_a_real_terminal(tmux: Callable[..., str], tmp_path: Path) -> None:
    # `tui --record`: a region outage from the keyboard, healed on the way out; then `replay` of the file.
    record = tmp_path / "drill.session.jsonl"
    marker = tmp_path / "exit-code"
    env = f"TERM=xterm-256color COLUMNS= LINES= HOME={os.environ.get('HOME', '/root')}"
    command = f"env {env} {REGIONCTL} tui active-passive --speed 30x --record {record}; echo $? > {marker}; sleep 30"
    tmux("new-session", "-d", "-s", "dash", "-x", "160", "-y", "48", command)
    wait_for(tmux, lambda s: "recording this session" in flowed(s), "the dashboard, recording")
    tmux("send-keys", "-t", "dash", "f")
    wait_for(tmux, lambda s: "1/3 kind" in s, "the fault picker")
    tmux("send-keys", "-t", "dash", "Down", "Enter")
    wait_for(tmux, lambda s: "2/3 target" in s, "the targets")
    tmux("send-keys", "-t", "dash", "Enter")
    wait_for(tmux, lambda s: "What it would reach" in s, "the blast-radius preview")
    tmux("send-keys", "-t", "dash", "Enter")
    wait_for(tmux, lambda s: "✘ us-east down" in s and "★ pg-3" in s, "the failover")
    tmux("send-keys", "-t", "dash", "b")  # the scrubber on the session so far
    wait_for(tmux, lambda s: "replayed" in s and "1 of 1 command(s) performed" in s, "the rewind")
    tmux("send-keys", "-t", "dash", "Home")
    wait_for(tmux, lambda s: "t=0ms replayed" in s and "no faults" in s, "the start of the session")
    tmux("send-keys", "-t", "dash", "q")
    wait_for(tmux, lambda s: "▶ running" in s and "replayed" not in s, "the live dashboard again")
    tmux("send-keys", "-t", "dash", "q")
    wait_for(tmux, lambda s: "still injected" in s, "the quit confirmation")
    tmux("send-keys", "-t", "dash", "h")
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marker.read_text().strip() == "0"
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert [line.get("do") for line in lines[1:]] == ["inject", "heal-all", "end"]
    assert lines[1]["fault"] == "region:us-east"
    replayed = subprocess.run([REGIONCTL, "replay", str(record), "--at", f"{lines[1]['t']!r}s", "--status", "--json"],
                              capture_output=True, text=True, timeout=60, check=False)
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout)["regions"][0] == {"name": "us-east", "status": "down"}
    tmux("kill-session", "-t", "dash")
    tmux("new-session", "-d", "-s", "dash", "-x", "80", "-y", "24", f"env {env} {REGIONCTL} replay {record}; sleep 30")
    wait_for(tmux, lambda s: "replayed" in s and "of 2 command(s)" in s and "├" in s, "the replay at 80x24")
