"""SSH fan-out: 100 commands to a loopback sshd, and a probe round over the sandbox (prints figures).

    sudo .venv/bin/python bench/ssh_fanout.py [--sandbox /var/tmp/regionctl-sandbox/sandbox.yaml]

Against docs/reference.md: OpenSSH client loop 17.9 s, ansible-core 2.9 s, parallel-ssh 2.0 s,
asyncssh over one connection ~0.16 s. Issue 7's target: within 2x of the raw asyncssh figure.
Needs root (it starts a private sshd with real limits: MaxSessions 10, MaxStartups 10:30:100).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncssh  # noqa: E402

from regionctl.backends.ssh.connections import ConnectSettings, HostKey, HostPool  # noqa: E402
from regionctl.sandbox import sshd  # noqa: E402

USER = "rcsandbox"
COMMANDS = 100
ROUNDS = 5


async def raw_asyncssh(port: int, key: Path, known: Path) -> float:
    """The reference: one connection, 100 channels at once (sshd configured to allow them)."""
    start = time.perf_counter()
    async with asyncssh.connect("127.0.0.1", port=port, username=USER, client_keys=[str(key)],
                                known_hosts=str(known)) as conn:
        results = await asyncio.gather(*(conn.run("true", check=False) for _ in range(COMMANDS)))
    assert all(r.exit_status == 0 for r in results)
    return time.perf_counter() - start


async def regionctl_pool(port: int, key: Path, known: Path) -> float:
    """regionctl's pool: one connection, at most 10 channels, against real sshd limits."""
    start = time.perf_counter()
    pool = HostPool(ConnectSettings(known_hosts=known, identities=(key,)))
    results = await asyncio.gather(*(pool.run(HostKey("127.0.0.1", port, USER), "true", timeout=10)
                                     for _ in range(COMMANDS)))
    await pool.close()
    bad = [r.reason() for r in results if not r.ok]
    assert not bad, bad[:3]
    return time.perf_counter() - start


async def sandbox_rounds(topology: Path) -> tuple[float, float, int]:
    from regionctl.backends.ssh import open_ssh_backend
    from regionctl.model.loader import load_topology

    start = time.perf_counter()
    backend = await open_ssh_backend(load_topology(topology), base_dir=topology.parent)
    first = time.perf_counter() - start
    rounds = []
    for _ in range(20):
        t = time.perf_counter()
        await backend.refresh()
        rounds.append(time.perf_counter() - t)
    handshakes = backend.pool.handshakes
    await backend.close()
    return first, statistics.median(rounds), handshakes


def serve(base: Path, max_sessions: int, max_startups: str) -> tuple[int, int]:
    port = sshd.free_port()
    server = sshd.prepare(base / f"sshd-{max_sessions}", "127.0.0.1", port, [base / "client_ed25519.pub"],
                          max_sessions=max_sessions, max_startups=max_startups)
    with (base / "known_hosts").open("a") as known:
        known.write(server.known_hosts_line())
    return port, sshd.start(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sandbox", type=Path, help="topology file of a running `regionctl sandbox up`")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/ssh_fanout.py starts a private sshd: run it as root")
    sshd.ensure_user(USER)
    base = Path(tempfile.mkdtemp(prefix="regionctl-bench-"))
    base.chmod(0o755)
    sshd.generate_key(base / "client_ed25519")
    key, known = base / "client_ed25519", base / "known_hosts"
    pids = []
    try:
        open_port, pid = serve(base, 200, "200:30:300")
        pids.append(pid)
        real_port, pid = serve(base, 10, "10:30:100")
        pids.append(pid)
        raw = [asyncio.run(raw_asyncssh(open_port, key, known)) for _ in range(ROUNDS)]
        ours = [asyncio.run(regionctl_pool(real_port, key, known)) for _ in range(ROUNDS)]
    finally:
        for pid in pids:
            sshd.stop_pid(pid)
        shutil.rmtree(base, ignore_errors=True)
    raw_s, ours_s = statistics.median(raw), statistics.median(ours)
    print(f"{COMMANDS} commands to loopback sshd (median of {ROUNDS}, connect + auth + exec):")
    print(f"  raw asyncssh, 1 connection, {COMMANDS} channels (MaxSessions 200): {raw_s:6.3f} s")
    print(f"  regionctl pool, 1 connection, <=10 channels (MaxSessions 10):  {ours_s:6.3f} s"
          f"  = {ours_s / raw_s:.2f}x raw (target <= 2x)")
    print("  docs/reference.md: asyncssh 0.16 s · parallel-ssh 2.0 s · ansible 2.9 s · OpenSSH loop 17.9 s")
    if args.sandbox:
        first, median, handshakes = asyncio.run(sandbox_rounds(args.sandbox))
        print(f"sandbox probe round ({args.sandbox}): first (with handshakes) {first:.3f} s, "
              f"steady state median {median * 1000:.1f} ms, {handshakes} handshakes in 21 rounds")


if __name__ == "__main__":
    main()
