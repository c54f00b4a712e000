"""`sandbox up|down|status`: build, check and remove the real three-region estate.

`up` is idempotent (a healthy sandbox is left as is; a half-built one is removed and rebuilt);
`down` stops every process it started by PID and removes the namespaces and files it created.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regionctl.sandbox import delays, engines, network, sentinel, sshd
from regionctl.sandbox.layout import (
    PATRONI_LOOP_WAIT,
    PATRONI_RETRY_TIMEOUT,
    PATRONI_TTL,
    REGIONS,
    RTT,
    SENTINEL_DOWN_AFTER_MS,
    SENTINEL_PORT,
    SSH_PORT,
    USER,
    Paths,
    nodes,
    postgres_bin,
    topology,
)

# program -> Debian package that provides it
PROGRAMS = {"sshd": "openssh-server", "redis-server": "redis-server", "redis-cli": "redis-server",
            "etcd": "etcd-server", "etcdctl": "etcd-client", "nft": "nftables", "setcap": "libcap2-bin",
            "ip": "iproute2", "runuser": "util-linux", "unshare": "util-linux", "curl": "curl"}
PACKAGES = ("openssh-server", "postgresql", "redis-server", "etcd-server", "etcd-client", "nftables",
            "libcap2-bin", "iproute2", "curl")
# Python packages Patroni needs, from this Python (regionctl's [test] extra pins them): name -> module
PYTHON_PACKAGES = {"patroni": "patroni", "psycopg": "psycopg", "python-etcd": "etcd"}
APT_COMMAND = "apt-get install -y " + " ".join(PACKAGES)


class SandboxError(RuntimeError):
    """Something the user must fix first (root, packages, directory); one line."""


@dataclass
class Status:
    dir: Path
    namespaces: list[str] = field(default_factory=list)
    processes: dict[str, int | None] = field(default_factory=dict)  # name -> PID, None when not running

    @property
    def up(self) -> bool:
        return bool(self.processes) and all(self.processes.values()) and len(self.namespaces) == len(REGIONS) + 1

    def to_json(self) -> dict[str, Any]:
        return {"dir": str(self.dir), "up": self.up, "namespaces": self.namespaces, "processes": self.processes}


def missing_requirements() -> list[str]:
    missing = sorted({pkg for prog, pkg in PROGRAMS.items() if not _which(prog)})
    if not postgres_bin():
        missing.append("postgresql")
    return missing + missing_python()


def missing_python() -> list[str]:
    """Python packages for Patroni (it runs on this Python's packages) that are not installed."""
    import importlib.util

    return [f"{name} (Python)" for name, module in PYTHON_PACKAGES.items() if importlib.util.find_spec(module) is None]


def _which(program: str) -> bool:
    return shutil.which(program, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is not None


def check_requirements(directory: Path) -> None:
    if os.geteuid() != 0:
        raise SandboxError("sandbox needs root (network namespaces, a dedicated user); run it with sudo")
    python = missing_python()
    if python:
        raise SandboxError(f"missing {', '.join(python)}: Patroni runs PostgreSQL in the sandbox; run "
                           f"`pip install {' '.join(n.split()[0] for n in python)}` (or pip install -e '.[test]')")
    missing = [m for m in missing_requirements() if m not in python]
    if missing:
        raise SandboxError(f"missing {', '.join(missing)}: run `apt-get update && {APT_COMMAND}`")
    for parent in [directory, *directory.parents]:
        if parent.exists() and not os.stat(parent).st_mode & 0o001:
            raise SandboxError(f"{parent} is not searchable by other users; the sandbox user {USER} must reach "
                               f"{directory}: choose --dir elsewhere (e.g. /var/tmp/regionctl-sandbox)")


def status(directory: Path) -> Status:
    paths = Paths(directory)
    result = Status(directory, network.ours())
    state = _read_state(paths)
    if not state:
        return result
    for region in REGIONS:
        pid = state.get("sshd", {}).get(region.name)
        result.processes[f"sshd@{region.name}"] = pid if isinstance(pid, int) and engines.alive(pid) else None
    for name, pid in {**delays.proxy_pids(paths), **sentinel.sentinel_pids(paths),
                      **engines.patroni_pids(paths)}.items():
        result.processes[name] = pid if engines.alive(pid) else None
    pids = engines.engine_pids(paths)
    for node in nodes():
        pid = pids.get(node.name)
        result.processes[node.name] = pid if pid is not None and engines.alive(pid) else None
    return result


def _read_state(paths: Paths) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(paths.state.read_text())
        return data
    except (OSError, ValueError):
        return {}


def up(directory: Path, log: Any = print) -> Path:
    """Build the sandbox (or keep a healthy one); returns the topology file's path."""
    directory = directory.resolve()
    check_requirements(directory)
    paths = Paths(directory)
    current = status(directory)
    if current.up and paths.topology.exists():
        log(f"sandbox already up in {directory}")
        return paths.topology
    if current.namespaces or paths.state.exists():
        log("removing a half-built sandbox first")
        down(directory, log=lambda _msg: None)
    started = time.monotonic()
    created_user = subprocess.run(["id", USER], capture_output=True, check=False).returncode != 0
    sshd.ensure_user(USER)
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    state: dict[str, Any] = {"created_user": created_user, "sshd": {}, "started": time.time()}
    paths.state.write_text(json.dumps(state))  # from here on, `down` knows what to remove
    network.create()
    log(f"network: {', '.join(r.netns + ' ' + r.address for r in REGIONS)}")
    paths.ssh.mkdir(mode=0o700, exist_ok=True)
    sshd.generate_key(paths.client_key, "regionctl-sandbox")
    known = []
    for region in REGIONS:
        server = sshd.prepare(paths.sshd_dir(region), region.address, SSH_PORT, [paths.client_key.with_suffix(".pub")])
        state["sshd"][region.name] = sshd.start(server, netns=region.netns)
        known.append(server.known_hosts_line())
        paths.state.write_text(json.dumps(state))
    paths.known_hosts.write_text("".join(known))
    log(f"sshd: {len(REGIONS)} servers on port {SSH_PORT}, user {USER}, host keys in {paths.known_hosts}")
    paths.nft.parent.mkdir(exist_ok=True)
    shutil.copy2(shutil.which("nft", path="/usr/sbin:/sbin:/usr/bin") or "/usr/sbin/nft", paths.nft)
    network.sh("setcap", "cap_net_admin+ep", str(paths.nft))  # partitions: the user edits its namespace's nftables
    bin_dir = postgres_bin()
    (directory / "nodes").mkdir(exist_ok=True)
    shutil.chown(directory / "nodes", USER, USER)
    engines.write_scripts(paths, bin_dir)
    delays.start(paths)
    log("delay proxies: every region-to-region TCP connection gets its link's RTT: "
        + ", ".join(f"{a}|{b} {v * 1000:g}ms" for (a, b), v in RTT.items()))
    engines.init_etcd(paths)
    log("etcd: etcd-1..3, one member per region")
    engines.init_postgres(paths)
    log(f"postgres: under Patroni (etcd3 DCS, ttl {PATRONI_TTL} s, loop_wait {PATRONI_LOOP_WAIT} s, retry_timeout "
        f"{PATRONI_RETRY_TIMEOUT} s): pg-1 primary (us-east), pg-2 and pg-3 streaming standbys")
    engines.init_redis(paths)
    log("redis: cache-1 master (us-east), cache-2 and cache-3 replicas")
    sentinel.start_sentinels(paths)
    log(f"sentinel: one per region on port {SENTINEL_PORT}, quorum 2, down-after {SENTINEL_DOWN_AFTER_MS} ms")
    import yaml

    paths.topology.write_text("# Written by `regionctl sandbox up`; removed by `regionctl sandbox down`.\n"
                              + yaml.safe_dump(topology(paths, bin_dir), sort_keys=False, width=120))
    _wait_ready(paths)
    log(f"ready in {time.monotonic() - started:.1f} s")
    return paths.topology


def _wait_ready(paths: Paths, timeout: float = 30.0) -> None:
    """Probe the sandbox over SSH, as users will, until every cluster has a leader and every node answers."""
    from regionctl.backends.ssh import open_ssh_backend
    from regionctl.loading import load_topology

    async def probe() -> str:
        from regionctl.contract.commands import Promote

        backend = await open_ssh_backend(load_topology(paths.topology))
        try:
            deadline = time.monotonic() + timeout
            while True:
                snap = backend.snapshot()
                bad = [c.name for c in snap.clusters if c.leader is None]
                bad += [n.name for c in snap.clusters for n in c.nodes if n.health != "up"]
                if not bad and snap.cluster("config").leader != "etcd-1":
                    # Raft elects whom it likes; the runbooks start from every leader in us-east.
                    await backend.apply(Promote("etcd-1"))
                    bad = ["config"]
                if not bad or time.monotonic() > deadline:
                    errors = backend.errors()
                    return "; ".join(f"{b}: {errors.get(b, 'no leader')}" for b in bad)
                await backend.advance(0.3)
        finally:
            await backend.close()

    problem = asyncio.run(probe())
    if problem:
        raise SandboxError(f"sandbox started but is not healthy over SSH: {problem}")


def down(directory: Path, log: Any = print) -> list[str]:
    """Stop everything the sandbox started (by PID), delete its namespaces and files. Returns what was removed."""
    directory = directory.resolve()
    if os.geteuid() != 0:
        raise SandboxError("sandbox down needs root (it deletes network namespaces)")
    paths = Paths(directory)
    state = _read_state(paths)
    removed = []
    # Sentinels first, so none of them reacts to the engines going away.
    # Patroni before its PostgreSQL, or it starts it again.
    pids = {**sentinel.sentinel_pids(paths), **engines.patroni_pids(paths), **engines.engine_pids(paths),
            **delays.proxy_pids(paths)}
    for name, pid in pids.items():
        if engines.alive(pid):
            _kill(pid)
            removed.append(f"{name} (pid {pid})")
    for region, pid in state.get("sshd", {}).items():
        if isinstance(pid, int) and engines.alive(pid):
            sshd.stop_pid(pid)
            removed.append(f"sshd@{region} (pid {pid})")
    removed += [f"namespace {ns}" for ns in network.destroy()]  # kills leftovers in them by PID first
    if state.get("created_user"):
        subprocess.run(["userdel", "-r", USER], capture_output=True, check=False)
        removed.append(f"user {USER}")
    for sub in ("nodes", "regions", "ssh", "bin"):
        shutil.rmtree(directory / sub, ignore_errors=True)
    for file in (paths.topology, paths.state):
        file.unlink(missing_ok=True)
    if directory.exists() and not any(directory.iterdir()):
        directory.rmdir()
    log(f"removed {len(removed)} item(s)" + (": " + ", ".join(removed) if removed else ""))
    return removed


def _kill(pid: int) -> None:
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 3.0
    while engines.alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
