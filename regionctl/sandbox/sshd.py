"""A private OpenSSH sshd: its own host key, config, authorized_keys and /run, on an address and port we choose.

The system's ssh configuration is never touched. sshd insists on /run/sshd, so it runs in its own
mount namespace with a tmpfs on /run (`unshare -m`). Optionally inside a network namespace.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SSHD = "/usr/sbin/sshd"


@dataclass(frozen=True, slots=True)
class Sshd:
    dir: Path
    address: str
    port: int

    @property
    def pid_file(self) -> Path:
        return self.dir / "sshd.pid"

    def known_hosts_line(self) -> str:
        key = (self.dir / "host_ed25519.pub").read_text().split()
        return f"[{self.address}]:{self.port} {key[0]} {key[1]}\n"


def generate_key(path: Path, comment: str = "regionctl") -> None:
    """An ed25519 key pair at `path` and `path`.pub (kept if it already exists)."""
    import asyncssh

    if path.exists() and path.with_suffix(".pub").exists():
        return
    key = asyncssh.generate_private_key("ssh-ed25519", comment=comment)
    key.write_private_key(str(path))
    key.write_public_key(str(path.with_suffix(".pub")))
    path.chmod(0o600)


def prepare(directory: Path, address: str, port: int, authorized: list[Path], max_sessions: int = 10,
            max_startups: str = "10:30:100", more_addresses: tuple[str, ...] = ()) -> Sshd:
    """Write host key, sshd_config and authorized_keys into `directory` (defaults: real sshd's limits)."""
    directory.mkdir(parents=True, exist_ok=True)
    generate_key(directory / "host_ed25519", "regionctl-host")
    (directory / "authorized_keys").write_text("".join(p.read_text() for p in authorized))
    (directory / "sshd_config").write_text(f"""\
Port {port}
ListenAddress {address}
{"".join(f"ListenAddress {a}{chr(10)}" for a in more_addresses)}HostKey {directory}/host_ed25519
PidFile {directory}/sshd.pid
AuthorizedKeysFile {directory}/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
MaxSessions {max_sessions}
MaxStartups {max_startups}
LogLevel ERROR
""")
    return Sshd(directory, address, port)


def start(sshd: Sshd, netns: str | None = None) -> int:
    """Start sshd in the background (own session); returns its PID once it accepts connections."""
    if not Path(SSHD).exists():
        raise FileNotFoundError(f"{SSHD} not found")
    inner = (f"mount -t tmpfs -o mode=755 regionctl-run /run && mkdir /run/sshd && "
             f"exec {SSHD} -D -f {sshd.dir}/sshd_config -E {sshd.dir}/sshd.log")
    argv = ["unshare", "-m", "--propagation", "private", "sh", "-c", inner]
    if netns:
        argv = ["ip", "netns", "exec", netns, *argv]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = (sshd.dir / "sshd.log").read_text() if (sshd.dir / "sshd.log").exists() else ""
            raise RuntimeError(f"sshd exited with {proc.returncode}: {log.strip()[-300:]}")
        if _accepts(sshd.address, sshd.port):  # the root namespace reaches the regions' addresses
            return proc.pid
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"sshd did not listen on {sshd.address}:{sshd.port} within 10 s")


def _accepts(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=0.5):
            return True
    except OSError:
        return False


def ensure_user(name: str) -> None:
    """A dedicated login user with /bin/sh (fast: no rc files) and a '*' password (keys only; not locked)."""
    if subprocess.run(["id", name], capture_output=True, check=False).returncode != 0:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", name], check=True, capture_output=True)
    subprocess.run(["usermod", "-p", "*", name], check=True, capture_output=True)


def free_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        port: int = s.getsockname()[1]
        return port


def stop_pid(pid: int, timeout: float = 5.0) -> None:
    """SIGTERM the process group of `pid`, then SIGKILL if it lingers."""
    import signal

    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            if _is_zombie(pid):
                _reap(pid)
                return
            time.sleep(0.05)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return False


def _reap(pid: int) -> None:
    import contextlib

    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
