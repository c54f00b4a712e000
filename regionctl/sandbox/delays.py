"""The sandbox's WAN: one transparent delay proxy per region and the nftables rule that sends it every
TCP connection the region opens to another region (see delayproxy.py for the proxy itself)."""

from __future__ import annotations

import json
import shlex
import shutil
import socket
import subprocess
import time
from pathlib import Path

from regionctl.sandbox.engines import read_pids
from regionctl.sandbox.layout import REGIONS, USER, Paths, proxy_config, redirect_rules

q = shlex.quote
PYTHON_DIRS = "/usr/bin:/usr/local/bin:/bin"  # the system python3: the sandbox user cannot read our venv


def start(paths: Paths) -> None:
    """Start the proxies, wait until they listen, then install the redirects (before any replica connects)."""
    python = shutil.which("python3", path=PYTHON_DIRS) or "python3"
    paths.delayproxy.parent.mkdir(exist_ok=True)
    shutil.copy2(Path(__file__).with_name("delayproxy.py"), paths.delayproxy)
    paths.delayproxy.chmod(0o755)
    for region in REGIONS:
        d = paths.proxy_dir(region)
        (d / "latency").mkdir(parents=True, exist_ok=True)
        for sub in (d, d / "latency"):
            shutil.chown(sub, USER, USER)
        (d / "proxy.json").write_text(json.dumps(proxy_config(region, paths), indent=1))
        # The sandbox user, with only CAP_NET_ADMIN (to mark its own connections so the redirect skips them).
        # setsid in a background job execs without forking, so $! is the proxy's PID.
        command = (f"setsid setpriv --reuid={USER} --regid={USER} --init-groups --inh-caps=+net_admin "
                   f"--ambient-caps=+net_admin {q(python)} {q(str(paths.delayproxy))} {q(str(d / 'proxy.json'))} "
                   f">>{q(str(d / 'proxy.log'))} 2>&1 </dev/null & echo $! > {q(str(d / 'proxy.pid'))}")
        subprocess.run(["ip", "netns", "exec", region.netns, "sh", "-c", command], check=True, timeout=30,
                       stdin=subprocess.DEVNULL, capture_output=True)
    deadline = time.monotonic() + 10.0
    for region in REGIONS:
        host, _, port = str(proxy_config(region, paths)["listen"]).rpartition(":")
        while True:
            try:
                socket.create_connection((host, int(port)), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"delay proxy of {region.name} did not listen on {host}:{port}: "
                                       f"{(paths.proxy_dir(region) / 'proxy.log').read_text()[-300:]}") from None
                time.sleep(0.05)
        nft = shutil.which("nft", path="/usr/sbin:/sbin:/usr/bin") or "nft"
        done = subprocess.run(["ip", "netns", "exec", region.netns, nft, "-f", "-"], input=redirect_rules(region),
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"redirect to the delay proxy in {region.netns} failed: {done.stderr.strip()[-300:]}")


def proxy_pids(paths: Paths) -> dict[str, int]:
    return read_pids({f"proxy@{r.name}": paths.proxy_dir(r) / "proxy.pid" for r in REGIONS})
