"""The sandbox's Redis Sentinels: one per region, in that region's namespace, as the sandbox user, each with
its own writable config file (Sentinel rewrites it as it learns replicas, peers and failovers).

They monitor the `cache` cluster under the cluster's own name, so `SENTINEL get-master-addr-by-name cache`
answers who the master is; a quorum of 2 of the 3 regions declares the master down and fails it over.
"""

from __future__ import annotations

import shlex
import shutil
import time

from regionctl.sandbox.engines import read_pids, run_as_user
from regionctl.sandbox.layout import (
    REGIONS,
    SENTINEL_DOWN_AFTER_MS,
    SENTINEL_FAILOVER_TIMEOUT_MS,
    SENTINEL_PORT,
    USER,
    Paths,
    RegionLayout,
    nodes,
)

q = shlex.quote


def config(region: RegionLayout, paths: Paths) -> str:
    d = paths.sentinel_dir(region)
    master = next(n for n in nodes() if n.kind == "redis" and n.leader)
    name = master.cluster
    return "\n".join([
        f"port {SENTINEL_PORT}", f"bind {region.address}", "daemonize yes", "protected-mode no",
        f"pidfile {d / 'sentinel.pid'}", f"logfile {d / 'sentinel.log'}", f"dir {d}",
        # Each namespace has one address; announcing it keeps the peers' view exact all the same.
        f"sentinel announce-ip {region.address}", f"sentinel announce-port {SENTINEL_PORT}",
        f"sentinel monitor {name} {master.region.address} {master.port} 2",
        f"sentinel down-after-milliseconds {name} {SENTINEL_DOWN_AFTER_MS}",
        f"sentinel failover-timeout {name} {SENTINEL_FAILOVER_TIMEOUT_MS}",
        f"sentinel parallel-syncs {name} 2", ""])


def start_sentinels(paths: Paths, timeout: float = 30.0) -> None:
    """Start the Sentinels, then wait until each sees the master, both replicas and the two other Sentinels
    (or a failover right after `up` would find no quorum)."""
    for region in REGIONS:
        d = paths.sentinel_dir(region)
        d.mkdir(parents=True, exist_ok=True)
        (d / "sentinel.conf").write_text(config(region, paths))
        shutil.chown(d, USER, USER)
        shutil.chown(d / "sentinel.conf", USER, USER)
        run_as_user(region.netns, f"redis-server {q(str(d / 'sentinel.conf'))} --sentinel </dev/null")
    name = next(n.cluster for n in nodes() if n.kind == "redis")
    deadline = time.monotonic() + timeout
    for region in REGIONS:
        while True:
            done = run_as_user(region.netns, f"redis-cli -h {region.address} -p {SENTINEL_PORT} "
                                             f"SENTINEL master {name} 2>&1 || true", 10.0)
            lines = done.stdout.split()
            seen = dict(zip(lines[::2], lines[1::2], strict=False))
            if seen.get("num-slaves") == "2" and seen.get("num-other-sentinels") == "2":
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"sentinel of {region.name} did not see the cache cluster within {timeout:g} s: "
                                   f"{done.stdout.strip()[-300:]}")
            time.sleep(0.2)


def sentinel_pids(paths: Paths) -> dict[str, int]:
    return read_pids({f"sentinel@{r.name}": paths.sentinel_dir(r) / "sentinel.pid" for r in REGIONS})
