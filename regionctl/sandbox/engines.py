"""The sandbox's engines: start/stop scripts per node (the topology's adapter start/stop run them over
SSH too), and the one-time initialisation of PostgreSQL, Redis and etcd inside the region namespaces.

Every engine runs as the dedicated user, inside its region's namespace, listening on the region's
address. Scripts detach fully (no inherited stdout/stderr), or an SSH channel would never close.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
from pathlib import Path

from regionctl.sandbox.layout import (
    ETCD_PEER_PORT,
    SUBNET,
    USER,
    NodeLayout,
    Paths,
    nodes,
)

q = shlex.quote


def run_as_user(ns: str, command: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    argv = ["ip", "netns", "exec", ns, "runuser", "-u", USER, "--", "sh", "-c", command]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"[{ns}] `{command[:120]}` failed: {(done.stderr or done.stdout).strip()[-400:]}")
    return done


def scripts(node: NodeLayout, paths: Paths, bin_dir: str) -> tuple[str, str]:
    """(start.sh, stop.sh) of a node."""
    d = paths.node_dir(node)
    addr = node.region.address
    if node.kind == "postgres":
        options = f"-p {node.port} -k {d} -c listen_addresses={addr}"
        # Starting a running server is a no-op (a heal from `recover` may meet one that is up already).
        start = (f"{q(bin_dir)}/pg_ctl -D {q(str(d / 'data'))} status >/dev/null 2>&1 && exit 0\n"
                 f"exec {q(bin_dir)}/pg_ctl -D {q(str(d / 'data'))} -l {q(str(d / 'postgres.log'))} -w -t 60 "
                 f"start -o {q(options)} >/dev/null 2>&1 </dev/null\n")
        stop = f"exec {q(bin_dir)}/pg_ctl -D {q(str(d / 'data'))} -m immediate -w stop\n"
        return start, stop
    pid = q(str(d / f"{node.kind}.pid"))
    # Dead is enough: a zombie waits for whoever reaps orphans here (up to a second or so).
    alive = "[ \"$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null || echo Z)\" != Z ]"
    stop = (f"pid=$(cat {pid} 2>/dev/null) || exit 0\nkill -9 \"$pid\" 2>/dev/null\n"
            f"while {alive}; do sleep 0.05; done\nrm -f {pid}\n")
    running = f"pid=$(cat {pid} 2>/dev/null) && [ -n \"$pid\" ] && {alive} && exit 0\n"  # start: a no-op then
    if node.kind == "redis":
        master = next(n for n in nodes() if n.cluster == node.cluster and n.leader)
        replica = "" if node.leader else f" --replicaof {master.region.address} {master.port}"
        start = running + (f"exec redis-server --port {node.port} --bind {addr} --daemonize yes --pidfile {pid} "
                 f"--logfile {q(str(d / 'redis.log'))} --dir {q(str(d))} --save '' --appendonly no "
                 f"--protected-mode no --repl-diskless-sync-delay 0{replica} </dev/null\n")
        return start, stop
    members = ",".join(f"{n.name}=http://{n.region.address}:{ETCD_PEER_PORT}" for n in nodes() if n.kind == "etcd")
    start = running + (f"cd {q(str(d))}\nsetsid etcd --name {node.name} --data-dir data "
             f"--listen-client-urls http://{addr}:{node.port} --advertise-client-urls http://{addr}:{node.port} "
             f"--listen-peer-urls http://{addr}:{ETCD_PEER_PORT} "
             f"--initial-advertise-peer-urls http://{addr}:{ETCD_PEER_PORT} "
             f"--initial-cluster {members} --initial-cluster-state new --initial-cluster-token regionctl-sandbox "
             # etcd 3.5+ default: a member cut off from the leader cannot unseat it when it comes back
             "--pre-vote "
             f">>etcd.log 2>&1 </dev/null &\necho $! > {pid}\n")
    return start, stop


def write_scripts(paths: Paths, bin_dir: str) -> None:
    for node in nodes():
        d = paths.node_dir(node)
        d.mkdir(parents=True, exist_ok=True)
        start, stop = scripts(node, paths, bin_dir)
        (d / "start.sh").write_text("#!/bin/sh\n" + start)
        (d / "stop.sh").write_text("#!/bin/sh\n" + stop)
        shutil.chown(d, USER, USER)


def start_node(node: NodeLayout, paths: Paths) -> None:
    run_as_user(node.region.netns, f"sh {q(str(paths.node_dir(node) / 'start.sh'))}")


def init_postgres(paths: Paths, bin_dir: str) -> None:
    pg = [n for n in nodes() if n.kind == "postgres"]
    primary = pg[0]
    data = paths.node_dir(primary) / "data"
    if not (data / "PG_VERSION").exists():
        run_as_user(primary.region.netns,
                    f"{q(bin_dir)}/initdb -D {q(str(data))} -A trust -U postgres --no-sync >/dev/null")
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {SUBNET}.0/24 trust\nhost replication all {SUBNET}.0/24 trust\n")
        with (data / "postgresql.conf").open("a") as conf:  # pg_rewind needs wal_log_hints; fsync off: a sandbox
            conf.write("wal_log_hints = on\nwal_keep_size = 256MB\nfsync = off\nshared_buffers = 16MB\n"
                       "max_wal_senders = 10\n")
    start_node(primary, paths)
    for standby in pg[1:]:
        data = paths.node_dir(standby) / "data"
        if not (data / "PG_VERSION").exists():
            conninfo = f"application_name={standby.name}"
            run_as_user(standby.region.netns,
                        f"{q(bin_dir)}/pg_basebackup -h {primary.region.address} -p {primary.port} "
                        "-U postgres "
                        f"-D {q(str(data))} -R -X stream -d {q(conninfo)}")
        start_node(standby, paths)


def init_redis(paths: Paths) -> None:
    for node in (n for n in nodes() if n.kind == "redis"):
        start_node(node, paths)


def init_etcd(paths: Paths) -> None:
    for node in (n for n in nodes() if n.kind == "etcd"):
        start_node(node, paths)
    # The members find each other on their own; wait until the cluster answers (election ~1 s).
    first = next(n for n in nodes() if n.kind == "etcd")
    deadline = time.monotonic() + 30.0
    while True:
        try:
            run_as_user(first.region.netns, f"ETCDCTL_API=3 etcdctl --endpoints=http://{first.region.address}:2379 "
                                            "--dial-timeout=300ms --command-timeout=1s endpoint health", 10.0)
            return
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def read_pids(files: dict[str, Path]) -> dict[str, int]:
    """name -> PID, from each pid file whose first word is a number (missing or torn files are left out)."""
    found = {}
    for name, pid_file in files.items():
        try:
            found[name] = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return found


def engine_pids(paths: Paths) -> dict[str, int]:
    """node -> PID of its engine, from the engines' own pid files (postgres: postmaster.pid)."""
    return read_pids({node.name: paths.node_dir(node) / "data" / "postmaster.pid" if node.kind == "postgres"
                      else paths.node_dir(node) / f"{node.kind}.pid" for node in nodes()})


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return "Z"
