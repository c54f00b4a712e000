"""The sandbox's network: one namespace per region, a bridge in a control namespace, and one veth
from the root namespace (the controller, where regionctl runs) into that bridge."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from pathlib import Path

from regionctl.sandbox.layout import BRIDGE, CTL_NS, HOST_ADDRESS, REGIONS, SUBNET, RegionLayout

HOST_VETH = "rcsb-host"


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"`{' '.join(argv)}` failed: {(done.stderr or done.stdout).strip()[-300:]}")
    return done


def namespaces() -> set[str]:
    out = sh("ip", "netns", "list", check=False).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def ours() -> list[str]:
    return sorted(ns for ns in namespaces() if ns == CTL_NS or ns in {r.netns for r in REGIONS})


def create() -> None:
    sh("ip", "netns", "add", CTL_NS)
    sh("ip", "-n", CTL_NS, "link", "set", "lo", "up")
    sh("ip", "-n", CTL_NS, "link", "add", BRIDGE, "type", "bridge")
    sh("ip", "-n", CTL_NS, "link", "set", BRIDGE, "up")
    sh("ip", "link", "add", HOST_VETH, "type", "veth", "peer", "name", "rcsb-hostp", "netns", CTL_NS)
    sh("ip", "-n", CTL_NS, "link", "set", "rcsb-hostp", "master", BRIDGE, "up")
    sh("ip", "addr", "add", f"{HOST_ADDRESS}/24", "dev", HOST_VETH)
    sh("ip", "link", "set", HOST_VETH, "up")
    for region in REGIONS:
        _region(region)


def _region(region: RegionLayout) -> None:
    ns = region.netns
    sh("ip", "netns", "add", ns)
    sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh("ip", "-n", CTL_NS, "link", "add", region.veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
    sh("ip", "-n", CTL_NS, "link", "set", region.veth, "master", BRIDGE, "up")
    sh("ip", "-n", ns, "addr", "add", f"{region.address}/24", "dev", "eth0")
    sh("ip", "-n", ns, "link", "set", "eth0", "up")


def pids_in(ns: str) -> list[int]:
    """Live processes in `ns` (zombies are dead already; their reaping is their parent's business)."""
    out = sh("ip", "netns", "pids", ns, check=False).stdout
    return [int(p) for p in out.split() if p.isdigit() and _live(int(p))]


def _live(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def destroy() -> list[str]:
    """Kill whatever still runs in our namespaces (by PID), then delete them; returns what was removed."""
    removed = []
    for ns in ours():
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = pids_in(ns)
            for pid in pids:
                _kill(pid, sig)
            deadline = time.monotonic() + 3.0
            while pids_in(ns) and time.monotonic() < deadline:
                time.sleep(0.05)
        sh("ip", "netns", "delete", ns, check=False)
        removed.append(ns)
    sh("ip", "link", "delete", HOST_VETH, check=False)  # gone with its peer already, unless half-built
    return removed


def _kill(pid: int, sig: int) -> None:
    import os

    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


__all__ = ["SUBNET", "create", "destroy", "namespaces", "ours", "pids_in", "sh"]
