"""A real OpenSSH sshd on loopback for the SSH backend's tests: own host key, own authorized_keys,
a non-default port, real sshd limits (MaxSessions 10, MaxStartups 10:30:100)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from regionctl.sandbox import sshd
from tests.realdeps import require_program, require_root

USER = "rcsandbox"


@dataclass(frozen=True)
class LoopbackSshd:
    dir: Path
    port: int
    pid: int
    user: str
    key: Path
    known_hosts: Path
    work: Path  # a directory the login user can write


def require_root_and_sshd() -> None:
    require_root("a private sshd (SSH backend tests)")
    require_program("a private sshd (SSH backend tests)", sshd.SSHD if Path(sshd.SSHD).exists() else None,
                    "openssh-server")


@pytest.fixture(scope="module", name="loopback_sshd")
def loopback_sshd_fixture() -> Iterator[LoopbackSshd]:
    require_root_and_sshd()
    sshd.ensure_user(USER)
    # Not under pytest's 0700 temp root: sshd reads authorized_keys as the login user.
    base = Path(tempfile.mkdtemp(prefix="regionctl-sshd-"))
    base.chmod(0o755)
    sshd.generate_key(base / "client_ed25519")
    port = sshd.free_port()
    server = sshd.prepare(base / "server", "127.0.0.1", port, [base / "client_ed25519.pub"])
    (base / "known_hosts").write_text(server.known_hosts_line())
    work = base / "work"
    work.mkdir()
    shutil.chown(work, USER)
    pid = sshd.start(server)
    try:
        yield LoopbackSshd(base / "server", port, pid, USER, base / "client_ed25519", base / "known_hosts", work)
    finally:
        sshd.stop_pid(pid)
        shutil.rmtree(base, ignore_errors=True)
