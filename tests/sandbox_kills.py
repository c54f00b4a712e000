"""The kill-at-every-journal-boundary loop on the real sandbox (`make fuzz`; needs root, sshd, PostgreSQL,
Redis and etcd, like tests/test_sandbox_integration.py, and the same namespaces: run it under
`flock /tmp/regionctl-suite.lock`).

For each sandbox runbook: one whole run counts its journal records and commands; then, for each
boundary, a child process runs the runbook over SSH and SIGKILLs itself right after record N reached the
disk (or right after the hosts carried out command K, before the journal could say so); `regionctl
recover JOURNAL` (a new process) heals; and the hosts are checked: no nft fault table in any region,
every latency back to 0, every node up. A runbook whose precheck no longer holds (a kill left the
leadership elsewhere) gets a fresh sandbox first. The same loop runs on the simulator in the suite
(tests/test_kill_boundaries.py).

    python -m tests.sandbox_kills [--runbook NAME]... [--max-boundaries N] [--dir DIR]
    python -m tests.sandbox_kills child TOPOLOGY RUNBOOK JOURNAL (record|command) N
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.modelhelpers import REGIONCTL, ROOT

RUNBOOKS = ("orders-failover", "cache-failover", "config-move-leader", "config-leader-loss")
PRECHECK_FAILED = 3


def child(topology_path: str, runbook: str, journal: str, kind: str, at: int) -> None:
    """Run RUNBOOK over SSH; SIGKILL this process at the boundary (a real kill: no finally, no heal)."""
    from regionctl.backends.ssh import open_ssh_backend
    from regionctl.model.loader import load_topology
    from regionctl.runbook.executor import RunbookExecutor
    from regionctl.runbook.journal import Journal

    topology = load_topology(topology_path)
    raw = next(r for r in topology.runbooks if r["name"] == runbook)

    class KillingJournal(Journal):
        def write(self, event: str, **fields: Any) -> None:
            super().write(event, **fields)
            if kind == "record" and self.seq == at:
                os.kill(os.getpid(), signal.SIGKILL)

    async def main() -> int:
        backend = await open_ssh_backend(topology, base_dir=Path(topology_path).parent)
        applied = {"count": 0}
        original = backend.apply

        async def apply(command: Any) -> Any:
            result = await original(command)
            applied["count"] += 1
            if kind == "command" and applied["count"] == at:
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        backend.apply = apply  # type: ignore[method-assign]
        writer = KillingJournal(journal)
        try:
            outcome = await RunbookExecutor(backend, topology, raw, journal=writer, yes=True,
                                            topology_path=str(Path(topology_path).resolve())).run()
        finally:
            writer.close()
            await backend.close()
        return int(outcome.exit_code)

    sys.exit(asyncio.run(main()))


def leftovers(topology: Path) -> list[str]:
    """What is still injected on the sandbox's hosts."""
    from regionctl.sandbox.layout import REGIONS

    found = []
    for region in REGIONS:
        tables = subprocess.run(["ip", "netns", "exec", region.netns, "nft", "list", "tables"], capture_output=True,
                                text=True, check=False).stdout
        found += [f"{region.name}: nft {line.split()[-1]}" for line in tables.splitlines()
                  if "regionctl_fault_" in line]
    for latency in (topology.parent / "regions").glob("*/proxy/latency/*"):
        if latency.read_text().strip() not in ("0", "0.0", ""):
            found.append(f"latency {latency.parent.parent.parent.name}->{latency.name}: {latency.read_text().strip()}")
    deadline = time.monotonic() + 45
    while True:
        status = subprocess.run([REGIONCTL, "status", str(topology), "--backend", "ssh", "--json"], cwd=ROOT,
                                capture_output=True, text=True, check=False, timeout=60)
        try:
            health = {n["name"]: n["health"] for c in json.loads(status.stdout)["clusters"] for n in c["nodes"]}
        except (ValueError, KeyError):
            health = {"status": f"unreadable: {status.stderr[-300:]}"}
        down = [f"{name} {state}" for name, state in health.items() if state != "up"]
        if not down or time.monotonic() > deadline:
            return found + down
        time.sleep(2)


def one(topology: Path, runbook: str, journal: Path, kind: str, at: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tests.sandbox_kills", "child", str(topology), runbook, str(journal),
                           kind, str(at)], cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)


def loop(directory: Path, runbooks: list[str], max_boundaries: int | None) -> int:
    from regionctl.runbook.journal import read_journal
    from regionctl.sandbox import manager

    def fresh() -> Path:
        manager.down(directory, log=lambda _m: None)
        return manager.up(directory, log=lambda _m: None)

    topology = fresh()
    work = directory.parent / f"{directory.name}-journals"
    work.mkdir(exist_ok=True)
    failures: list[str] = []
    tried = 0
    started = time.monotonic()
    try:
        for runbook in runbooks:
            whole = work / f"{runbook}-whole.jsonl"
            whole.unlink(missing_ok=True)
            done = one(topology, runbook, whole, "record", 0)
            if done.returncode == PRECHECK_FAILED:
                topology = fresh()
                whole.unlink(missing_ok=True)
                done = one(topology, runbook, whole, "record", 0)
            records = read_journal(whole)
            commands = sum(1 for r in records if r["event"] in ("command-applied", "undo-applied"))
            boundaries = [("record", n) for n in range(1, len(records))] + [("command", k)
                                                                             for k in range(1, commands + 1)]
            if max_boundaries is not None and len(boundaries) > max_boundaries:  # spread over the run
                step = len(boundaries) / max_boundaries
                boundaries = [boundaries[int(i * step)] for i in range(max_boundaries)]
            for kind, at in boundaries:
                journal = work / f"{runbook}-{kind}-{at}.jsonl"
                for _attempt in range(2):
                    journal.unlink(missing_ok=True)
                    killed = one(topology, runbook, journal, kind, at)
                    if killed.returncode != PRECHECK_FAILED:
                        break
                    topology = fresh()
                tried += 1
                if killed.returncode != -signal.SIGKILL:
                    failures.append(f"{runbook} {kind} {at}: not killed (exit {killed.returncode}) "
                                    f"{killed.stderr[-500:]}")
                    continue
                healed = subprocess.run([REGIONCTL, "recover", str(journal)], cwd=ROOT, capture_output=True,
                                        text=True, check=False, timeout=300)
                left = leftovers(topology)
                line = (f"{runbook} killed after {kind} {at}: recover exit {healed.returncode}, "
                        f"left {left or 'nothing'}")
                print(line, flush=True)
                if healed.returncode != 0 or left:
                    failures.append(line + "\n" + healed.stdout[-800:] + healed.stderr[-800:])
                    topology = fresh()
    finally:
        manager.down(directory, log=lambda _m: None)
        if not failures:  # the journals of a failure stay, for the report below
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    print(f"sandbox kills: {tried} boundaries of {len(runbooks)} runbook(s) in {time.monotonic() - started:.0f}s, "
          f"{len(failures)} failure(s)")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
    parser = argparse.ArgumentParser()
    parser.add_argument("--runbook", action="append", dest="runbooks")
    parser.add_argument("--max-boundaries", type=int, default=None)
    parser.add_argument("--dir", type=Path, default=Path(f"/var/tmp/regionctl-sandbox-kills-{os.getpid()}"))
    options = parser.parse_args()
    sys.exit(loop(options.dir, options.runbooks or list(RUNBOOKS), options.max_boundaries))
