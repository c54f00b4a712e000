"""The sandbox's engines: start/stop scripts per node (the topology's adapter start/stop run them over
SSH too), and the one-time initialisation of PostgreSQL, Redis and etcd inside the region namespaces.

Every engine runs as the dedicated user, inside its region's namespace, listening on the region's
address. Scripts detach fully (no inherited stdout/stderr), or an SSH channel would never close.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from regionctl.sandbox.layout import (
    ETCD_PEER_PORT,
    PATRONI_REST_PORT,
    USER,
    NodeLayout,
    Paths,
    nodes,
    patroni_config,
)

q = shlex.quote


def run_as_user(ns: str, command: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    argv = ["ip", "netns", "exec", ns, "runuser", "-u", USER, "--", "sh", "-c", command]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"[{ns}] `{command[:120]}` failed: {(done.stderr or done.stdout).strip()[-400:]}")
    return done


def scripts(node: NodeLayout, paths: Paths, bin_dir: str,
            python: tuple[str, str] = (sys.executable, "")) -> tuple[str, str]:
    """(start.sh, stop.sh) of a node; `python`: the interpreter and PYTHONPATH that run Patroni."""
    d = paths.node_dir(node)
    addr = node.region.address
    pid = q(str(d / ("patroni.pid" if node.kind == "postgres" else f"{node.kind}.pid")))
    # Dead is enough: a zombie waits for whoever reaps orphans here (up to a second or so).
    alive = "[ \"$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null || echo Z)\" != Z ]"
    stop = (f"pid=$(cat {pid} 2>/dev/null) || exit 0\nkill -9 \"$pid\" 2>/dev/null\n"
            f"while {alive}; do sleep 0.05; done\nrm -f {pid}\n")
    running = f"pid=$(cat {pid} 2>/dev/null) && [ -n \"$pid\" ] && {alive} && exit 0\n"  # start: a no-op then
    if node.kind == "postgres":
        return _patroni_scripts(node, paths, bin_dir, pid, alive, python)
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


def patroni_python(paths: Paths) -> tuple[str, str]:
    """(interpreter, PYTHONPATH) with which the sandbox user runs Patroni: this Python's packages (patroni,
    psycopg), under this interpreter when the user may run it, else the system's Python of the same version (a
    virtualenv's interpreter often lives under a home directory the user cannot enter). -S: none of the system
    Python's own site packages (an older pyOpenSSL there breaks urllib3), only this Python's. When the user
    cannot read those packages where they are (a checkout under a private home), a copy in the sandbox's
    directory serves."""
    import sysconfig

    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    dirs = list(dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib")))
    pythons = tuple(dict.fromkeys((sys.executable, f"/usr/bin/python{version}", f"/usr/local/bin/python{version}")))
    found = _runnable(pythons, ":".join(dirs))
    if found is None:
        copy = paths.root / "python-packages"
        shutil.rmtree(copy, ignore_errors=True)
        for i, d in enumerate(dirs):
            shutil.copytree(d, copy / str(i), symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        dirs = [str(copy / str(i)) for i in range(len(dirs))]
        found = _runnable(pythons, ":".join(dirs))
    if found is None:
        raise RuntimeError(f"the sandbox user {USER} cannot run Patroni: no Python {version} it may execute imports "
                           f"patroni and psycopg from {':'.join(dirs)}")
    return found


def _runnable(pythons: tuple[str, ...], site: str) -> tuple[str, str] | None:
    for python in pythons:
        argv = ["runuser", "-u", USER, "--", "env", f"PYTHONPATH={site}", python, "-S", "-c",
                "import patroni.dcs.etcd3, psycopg"]
        try:
            if subprocess.run(argv, capture_output=True, timeout=60, check=False).returncode == 0:
                return python, site
        except OSError:
            continue
    return None


def _patroni_scripts(node: NodeLayout, paths: Paths, bin_dir: str, pid: str, alive: str,
                     python: tuple[str, str]) -> tuple[str, str]:
    """Patroni runs PostgreSQL: start launches Patroni and waits until its PostgreSQL runs (GET /health answers
    200; a crashed primary coming back is rewound first); stop kills Patroni, then PostgreSQL (a crash: the
    leader key stays until its ttl runs out, as when a host dies)."""
    d = paths.node_dir(node)
    data = q(str(d / "data"))
    health = f"http://{node.region.address}:{PATRONI_REST_PORT}/health"
    wait = (f"i=0\nwhile [ \"$(curl -s -o /dev/null -m 2 -w '%{{http_code}}' {health})\" != 200 ]; do\n"
            "  i=$((i + 1)); [ $i -gt 250 ] && { echo 'patroni: PostgreSQL not running after 50 s' >&2; exit 1; }\n"
            "  sleep 0.2\ndone\n")
    start = (f"pid=$(cat {pid} 2>/dev/null)\n"
             f"if ! {{ [ -n \"$pid\" ] && {alive}; }}; then\n"
             f"  cd {q(str(d))}\n"
             f"  PYTHONPATH={q(python[1])} setsid {q(python[0])} -S -m patroni {q(str(d / 'patroni.yml'))} "
             ">>patroni.out 2>&1 </dev/null &\n"
             f"  echo $! > {pid}\n"
             "fi\n" + wait)
    stop = (f"pid=$(cat {pid} 2>/dev/null) && kill -9 \"$pid\" 2>/dev/null\n"
            f"[ -n \"$pid\" ] && while {alive}; do sleep 0.05; done\nrm -f {pid}\n"
            f"{q(bin_dir)}/pg_ctl -D {data} status >/dev/null 2>&1 || exit 0\n"
            # A paused node that crashes: its PostgreSQL must run to act on the immediate stop's SIGQUIT.
            f"pm=$(head -n 1 {q(str(d / 'data' / 'postmaster.pid'))} 2>/dev/null) && [ -n \"$pm\" ] && "
            "{ pkill -CONT -P \"$pm\"; kill -CONT \"$pm\"; } 2>/dev/null\n"
            f"exec {q(bin_dir)}/pg_ctl -D {data} -m immediate -w stop >/dev/null\n")
    return start, stop


def freeze_scripts(node: NodeLayout, paths: Paths) -> tuple[str, str]:
    """(pause.sh, resume.sh) of a node: SIGSTOP, then SIGCONT, every process of the node, as a frozen VM: each of
    its programs' sessions (Patroni's; its PostgreSQL's, which Patroni starts in a session of its own; Redis
    daemonizes into one; etcd runs under setsid) and their children (every PostgreSQL backend is its own session
    leader: InitPostmasterChild calls setsid). Pause stops Patroni before its PostgreSQL, resume continues them
    in the opposite order; a process not running is skipped, so resuming a node that is not paused (a heal after
    a failed pause, `recover`) changes nothing."""
    d = paths.node_dir(node)
    postgres = [d / "patroni.pid", d / "data" / "postmaster.pid"]
    files = postgres if node.kind == "postgres" else [d / f"{node.kind}.pid"]

    def each(signal: str, order: list[Path]) -> str:
        # The session id: the 4th field after the command name in /proc/PID/stat (the name may hold spaces).
        lines = []
        for f in order:
            pid = f"pid=$(head -n 1 {q(str(f))} 2>/dev/null) && [ -n \"$pid\" ]"
            session = (f"{pid} && sid=$(sed 's/.*) //' /proc/$pid/stat 2>/dev/null | cut -d' ' -f4) && "
                       f"[ -n \"$sid\" ] && pkill -{signal} -s \"$sid\"")
            children = f"{pid} && pkill -{signal} -P \"$pid\""
            # Stopping: the program, then its children; continuing: the children first, then the program.
            lines += [session, children] if signal == "STOP" else [children, session]
        return "".join(line + "\n" for line in lines)

    return each("STOP", files) + "exit 0\n", each("CONT", files[::-1]) + "exit 0\n"


def write_scripts(paths: Paths, bin_dir: str) -> None:
    python = patroni_python(paths)
    for node in nodes():
        d = paths.node_dir(node)
        d.mkdir(parents=True, exist_ok=True)
        if node.kind == "postgres":
            (d / "patroni.yml").write_text(json.dumps(patroni_config(node, paths, bin_dir), indent=1) + "\n")
            shutil.chown(d / "patroni.yml", USER, USER)
        start, stop = scripts(node, paths, bin_dir, python)
        (d / "start.sh").write_text("#!/bin/sh\n" + start)
        (d / "stop.sh").write_text("#!/bin/sh\n" + stop)
        pause, resume = freeze_scripts(node, paths)
        (d / "pause.sh").write_text("#!/bin/sh\n" + pause)
        (d / "resume.sh").write_text("#!/bin/sh\n" + resume)
        shutil.chown(d, USER, USER)


def start_node(node: NodeLayout, paths: Paths) -> None:
    run_as_user(node.region.netns, f"sh {q(str(paths.node_dir(node) / 'start.sh'))}")


def init_postgres(paths: Paths) -> None:
    """pg-1's Patroni first: it takes the initialize key and runs initdb, so it leads; then the others, which
    clone it (pg_basebackup) and stream from it. Each start waits until its PostgreSQL runs."""
    from concurrent.futures import ThreadPoolExecutor

    pg = [n for n in nodes() if n.kind == "postgres"]
    start_node(pg[0], paths)
    with ThreadPoolExecutor(len(pg) - 1) as pool:  # the standbys clone pg-1 side by side
        for done in [pool.submit(start_node, standby, paths) for standby in pg[1:]]:
            done.result()


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


def patroni_pids(paths: Paths) -> dict[str, int]:
    """patroni@NODE -> PID of the Patroni running that PostgreSQL node."""
    return read_pids({f"patroni@{node.name}": paths.node_dir(node) / "patroni.pid" for node in nodes()
                      if node.kind == "postgres"})


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return "Z"
